import { ATTR } from '@tokentrail/core'
import { OVERFLOW_ATTRIBUTE } from '@tokentrail/core/metrics'
import type { MetricSeries } from './metric-store.js'
import type { Percentiles } from './store.js'

/** What the GenAI metrics say about one model: totals since each producer started. */
export interface MetricModelStats {
  model: string
  calls: number
  errors: number
  errorRate: number
  /** Estimated from `gen_ai.client.operation.duration` buckets. */
  durationMs: Percentiles
  /** Estimated from `gen_ai.client.operation.time_to_first_chunk` buckets. */
  ttftMs: Percentiles
  /** Token sums by `gen_ai.token.type` (`input`, `output`, `cached_input`, `reasoning`…). */
  tokens: Record<string, number>
  costUsd: number
}

/** What the metrics say about one tool. */
export interface MetricToolStats {
  tool: string
  calls: number
  errors: number
  durationMs: Percentiles
}

/** Per-model and per-tool figures from the metrics received at `/v1/metrics`. */
export interface MetricsSummary {
  /** Series stored (runs combined). */
  series: number
  services: string[]
  /** Newest point received, epoch ms; null when none. */
  updatedAt: number | null
  models: MetricModelStats[]
  tools: MetricToolStats[]
}

/** A histogram merged from several series with the same bucket bounds. */
interface Merged {
  bounds: number[]
  counts: number[]
  min?: number
  max?: number
  scale: number
}

/**
 * Estimates the `q` quantile (0 < q ≤ 1) from bucket counts: finds the bucket holding the rank and
 * interpolates linearly inside it, with the first and last bucket closed by the recorded min and
 * max (so one bucket's worth of values still gives a close figure). Null when there are none.
 */
export function histogramQuantile(
  q: number,
  bounds: readonly number[],
  counts: readonly number[],
  min?: number,
  max?: number,
): number | null {
  const total = counts.reduce((n, c) => n + c, 0)
  if (total === 0) return null
  const rank = q * total
  let below = 0
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!
    if (c === 0 || below + c < rank) {
      below += c
      continue
    }
    let lower = i === 0 ? Math.min(0, bounds[0] ?? 0) : bounds[i - 1]!
    let upper = i < bounds.length ? bounds[i]! : (max ?? bounds[bounds.length - 1] ?? lower)
    if (min !== undefined && min > lower) lower = Math.min(min, upper)
    if (max !== undefined && max < upper) upper = Math.max(max, lower)
    return lower + ((upper - lower) * (rank - below)) / c
  }
  return max ?? bounds[bounds.length - 1] ?? null
}

function percentiles(merged: Merged | undefined): Percentiles {
  if (!merged) return { p50: null, p95: null, p99: null }
  const at = (q: number) => {
    const v = histogramQuantile(q, merged.bounds, merged.counts, merged.min, merged.max)
    return v === null ? null : v * merged.scale
  }
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99) }
}

// Durations are kept in milliseconds in the summary, whatever unit the sender used.
export const TO_MS: Record<string, number> = { s: 1000, ms: 1, us: 0.001, ns: 1e-6 }

function merge(target: Merged | undefined, series: MetricSeries): Merged | undefined {
  if (series.type !== 'histogram' || !series.bucketCounts?.length) return target
  const scale = TO_MS[series.unit] ?? 1000
  if (!target)
    return {
      bounds: series.bounds!,
      counts: [...series.bucketCounts],
      min: series.min,
      max: series.max,
      scale,
    }
  // Series with other bounds cannot be merged bucket by bucket; the first shape wins.
  if (
    target.scale !== scale ||
    target.bounds.length !== series.bounds!.length ||
    target.bounds.some((b, i) => b !== series.bounds![i])
  )
    return target
  for (let i = 0; i < target.counts.length; i++) target.counts[i]! += series.bucketCounts[i]!
  if (series.min !== undefined) target.min = Math.min(target.min ?? series.min, series.min)
  if (series.max !== undefined) target.max = Math.max(target.max ?? series.max, series.max)
  return target
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}

function modelOf(series: MetricSeries): string {
  if (series.attributes[OVERFLOW_ATTRIBUTE] === true) return '(overflow)'
  return (
    str(series.attributes[ATTR.requestModel]) ??
    str(series.attributes[ATTR.responseModel]) ??
    '(unknown)'
  )
}

interface ModelAcc {
  calls: number
  errors: number
  hasCalls: boolean
  hasErrors: boolean
  durationCount: number
  durationErrors: number
  duration?: Merged
  ttft?: Merged
  tokens: Record<string, number>
  cost: number
}

interface ToolAcc {
  calls: number
  errors: number
  hasCalls: boolean
  durationCount: number
  durationErrors: number
  duration?: Merged
}

const value = (series: MetricSeries) => series.value ?? 0

/**
 * Per-model calls, errors, token usage by type, duration and TTFT percentiles (estimated from
 * histogram buckets) and cost, and per-tool calls, errors and duration, from GenAI metrics
 * (Tokentrail's own names, and the GenAI convention histograms other SDKs send).
 */
export function summarizeMetrics(series: readonly MetricSeries[]): MetricsSummary {
  const models = new Map<string, ModelAcc>()
  const tools = new Map<string, ToolAcc>()
  const services = new Set<string>()
  let updatedAt: number | null = null
  const model = (s: MetricSeries) => {
    const name = modelOf(s)
    let acc = models.get(name)
    if (!acc)
      models.set(
        name,
        (acc = {
          calls: 0,
          errors: 0,
          hasCalls: false,
          hasErrors: false,
          durationCount: 0,
          durationErrors: 0,
          tokens: {},
          cost: 0,
        }),
      )
    return acc
  }
  const tool = (s: MetricSeries) => {
    const name =
      s.attributes[OVERFLOW_ATTRIBUTE] === true
        ? '(overflow)'
        : (str(s.attributes[ATTR.toolName]) ?? '(unknown)')
    let acc = tools.get(name)
    if (!acc)
      tools.set(
        name,
        (acc = { calls: 0, errors: 0, hasCalls: false, durationCount: 0, durationErrors: 0 }),
      )
    return acc
  }
  for (const s of series) {
    services.add(s.service)
    if (updatedAt === null || s.time > updatedAt) updatedAt = s.time
    const failed = s.attributes[ATTR.errorType] !== undefined
    switch (s.name) {
      case 'gen_ai.client.operation.duration': {
        const acc = model(s)
        acc.durationCount += s.count ?? 0
        if (failed) acc.durationErrors += s.count ?? 0
        acc.duration = merge(acc.duration, s)
        break
      }
      case 'gen_ai.client.operation.time_to_first_chunk':
        model(s).ttft = merge(model(s).ttft, s)
        break
      case 'gen_ai.client.token.usage': {
        const acc = model(s)
        const type = str(s.attributes['gen_ai.token.type']) ?? 'unknown'
        acc.tokens[type] = (acc.tokens[type] ?? 0) + (s.sum ?? 0)
        break
      }
      case 'tokentrail.llm.calls':
        model(s).calls += value(s)
        model(s).hasCalls = true
        break
      case 'tokentrail.llm.errors':
        model(s).errors += value(s)
        model(s).hasErrors = true
        break
      case 'tokentrail.llm.cost':
        model(s).cost += value(s)
        break
      case 'tokentrail.tool.duration': {
        const acc = tool(s)
        acc.durationCount += s.count ?? 0
        if (failed) acc.durationErrors += s.count ?? 0
        acc.duration = merge(acc.duration, s)
        break
      }
      case 'tokentrail.tool.calls':
        tool(s).calls += value(s)
        tool(s).hasCalls = true
        break
      case 'tokentrail.tool.errors':
        tool(s).errors += value(s)
        break
    }
  }
  return {
    series: series.length,
    services: [...services].sort(),
    updatedAt,
    models: [...models]
      .map(([name, acc]) => {
        // Other SDKs send only the convention histograms: their counts are the calls.
        const calls = acc.hasCalls ? acc.calls : acc.durationCount
        const errors = acc.hasErrors ? acc.errors : acc.durationErrors
        return {
          model: name,
          calls,
          errors,
          errorRate: calls ? errors / calls : 0,
          durationMs: percentiles(acc.duration),
          ttftMs: percentiles(acc.ttft),
          tokens: acc.tokens,
          costUsd: acc.cost,
        }
      })
      .sort((a, b) => b.calls - a.calls || a.model.localeCompare(b.model)),
    tools: [...tools]
      .map(([name, acc]) => ({
        tool: name,
        calls: acc.hasCalls ? acc.calls : acc.durationCount,
        errors: acc.hasCalls ? acc.errors : acc.durationErrors,
        durationMs: percentiles(acc.duration),
      }))
      .sort((a, b) => b.calls - a.calls || a.tool.localeCompare(b.tool)),
  }
}
