// `@tokentrail/core/metrics`: the GenAI metrics recorder, its bucket bounds and overflow key. The
// tracer loads it on first span end; apps and tools that read or build metrics import it here.
import { Instrument, type Point } from './metrics-instrument.js'
// The names as constants, not the `ATTR` table: see semconv-names.ts.
import * as ATTR from './semconv-names.js'
import type { Attributes, ExportResult, Resource, SpanData } from './types.js'

// clock.ts's `now`, not imported: start-up code imports clock.ts, and esbuild splits a module that
// start-up and lazy code both import into a chunk of its own, fetched and compressed apart.
const now = () => performance.timeOrigin + performance.now()

/** GenAI convention buckets for token counts. */
export const TOKEN_BUCKETS = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
]
/** GenAI convention buckets for durations, in seconds. */
export const DURATION_BUCKETS = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
]

/** One series of a histogram: counts per bucket plus count, sum, min and max. */
export interface HistogramPoint {
  readonly attributes: Attributes
  count: number
  sum: number
  min: number
  max: number
  readonly bucketCounts: number[]
}

/** One series of a monotonic sum. */
export interface SumPoint {
  readonly attributes: Attributes
  value: number
}

/** A metric as exported: cumulative since `startTime`. */
export type MetricData =
  | {
      readonly type: 'histogram'
      readonly name: string
      readonly description: string
      readonly unit: string
      readonly boundaries: readonly number[]
      readonly points: readonly HistogramPoint[]
    }
  | {
      readonly type: 'sum'
      readonly name: string
      readonly description: string
      readonly unit: string
      readonly isInteger: boolean
      /** False for an up-down counter such as a queue size. @default true */
      readonly isMonotonic?: boolean
      readonly points: readonly SumPoint[]
    }

/** Everything one tracer has aggregated, as of `time` (epoch ms). */
export interface MetricsSnapshot {
  readonly resource: Resource
  readonly startTime: number
  readonly time: number
  readonly metrics: readonly MetricData[]
}

/** Sends metric snapshots; like span exporters, never throws. */
export interface MetricExporter {
  readonly name: string
  /** Where metrics go, for `tokentrail doctor`. */
  readonly url?: string
  /** Names of the headers sent (never their values), for `tokentrail doctor`. */
  readonly headerNames?: readonly string[]
  export(snapshot: MetricsSnapshot, signal: AbortSignal): Promise<ExportResult>
}

export { OVERFLOW_ATTRIBUTE } from './metrics-instrument.js'

const MAX_VALUE_LENGTH = 128

// The series of one model/provider pair, created on first use so untouched ones are never exported.
interface LlmSeries {
  key: string
  base: Attributes
  duration?: Point
  calls?: Point
  ttft?: Point
  timePerChunk?: Point
  cost?: Point
  tokens: (Point | undefined)[]
}

function pick(attributes: Attributes, keys: readonly string[]): Attributes {
  const out: Attributes = {}
  for (const key of keys) {
    const value = attributes[key]
    if (typeof value === 'string') out[key] = value.slice(0, MAX_VALUE_LENGTH)
  }
  return out
}

const LLM_KEYS = [ATTR.operationName, ATTR.providerName, ATTR.requestModel, ATTR.responseModel]
const TOOL_KEYS = [ATTR.operationName, ATTR.toolName]

const TOKEN_TYPES: [string, string][] = [
  [ATTR.usageInputTokens, 'input'],
  [ATTR.usageOutputTokens, 'output'],
  [ATTR.usageCacheReadInputTokens, 'cached_input'],
  [ATTR.usageCacheCreationInputTokens, 'cache_creation_input'],
  [ATTR.usageReasoningOutputTokens, 'reasoning'],
]

function errorType(span: SpanData): string {
  const type = span.attributes[ATTR.errorType]
  return (typeof type === 'string' ? type : span.error?.type || '_OTHER').slice(0, MAX_VALUE_LENGTH)
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined
}

/**
 * Derives GenAI metrics from finished LLM and tool spans — no second instrumentation — and keeps
 * them aggregated in memory (cumulative), bounded by a cardinality limit per instrument.
 */
export class MetricsRecorder {
  private readonly instruments: Instrument[] = []
  private readonly llmCache = new Map<string, LlmSeries>()
  private readonly tokenUsage
  private readonly duration
  private readonly ttft
  private readonly timePerChunk
  private readonly calls
  private readonly errors
  private readonly cost
  private readonly toolDuration
  private readonly toolCalls
  private readonly toolErrors

  constructor(
    readonly resource: Resource,
    private readonly cardinalityLimit = 2000,
    /** Start of the cumulative totals (epoch ms). @default now */
    readonly startTime = now(),
  ) {
    const make = (...args: ConstructorParameters<typeof Instrument>) => {
      const instrument = new Instrument(...args)
      this.instruments.push(instrument)
      return instrument
    }
    const n = cardinalityLimit
    this.tokenUsage = make(
      'histogram',
      'gen_ai.client.token.usage',
      'Number of tokens used per model call, by token type',
      '{token}',
      n,
      TOKEN_BUCKETS,
    )
    this.duration = make(
      'histogram',
      'gen_ai.client.operation.duration',
      'Duration of model calls',
      's',
      n,
      DURATION_BUCKETS,
    )
    this.ttft = make(
      'histogram',
      'gen_ai.client.operation.time_to_first_chunk',
      'Time from request to the first streamed chunk',
      's',
      n,
      DURATION_BUCKETS,
    )
    this.timePerChunk = make(
      'histogram',
      'gen_ai.client.operation.time_per_output_chunk',
      'Time between streamed chunks after the first',
      's',
      n,
      DURATION_BUCKETS,
    )
    this.calls = make('sum', 'tokentrail.llm.calls', 'Model calls', '{call}', n)
    this.errors = make('sum', 'tokentrail.llm.errors', 'Model calls that failed', '{call}', n)
    this.cost = make(
      'sum',
      'tokentrail.llm.cost',
      'Estimated cost of model calls',
      'USD',
      n,
      [],
      false,
    )
    this.toolDuration = make(
      'histogram',
      'tokentrail.tool.duration',
      'Duration of tool executions',
      's',
      n,
      DURATION_BUCKETS,
    )
    this.toolCalls = make('sum', 'tokentrail.tool.calls', 'Tool executions', '{call}', n)
    this.toolErrors = make(
      'sum',
      'tokentrail.tool.errors',
      'Tool executions that failed',
      '{call}',
      n,
    )
  }

  /** Records what one finished span says; spans other than `llm` and `tool` are ignored (false). */
  record(span: SpanData): boolean {
    if (span.kind === 'llm') this.recordLlm(span)
    else if (span.kind === 'tool') this.recordTool(span)
    else return false
    return true
  }

  // Calls with the same model and provider share one set of series, found with one lookup.
  private llmSeries(a: Attributes): LlmSeries {
    const key = `${a[ATTR.operationName]}\u0001${a[ATTR.providerName]}\u0001${a[ATTR.requestModel]}\u0001${a[ATTR.responseModel]}`
    let series = this.llmCache.get(key)
    if (!series) {
      series = { key, base: pick(a, LLM_KEYS), tokens: [] }
      if (this.llmCache.size < this.cardinalityLimit) this.llmCache.set(key, series)
    }
    return series
  }

  private recordLlm(span: SpanData): void {
    const a = span.attributes
    const s = this.llmSeries(a)
    const seconds = (span.endTime - span.startTime) / 1000
    this.calls.add((s.calls ??= this.calls.point(s.key, s.base)), 1)
    if (span.status === 'error') {
      const withError = { ...s.base, [ATTR.errorType]: errorType(span) }
      this.duration.record(seconds, withError)
      this.errors.record(1, withError)
    } else this.duration.add((s.duration ??= this.duration.point(s.key, s.base)), seconds)
    for (let i = 0; i < TOKEN_TYPES.length; i++) {
      const [attribute, type] = TOKEN_TYPES[i]!
      const value = a[attribute]
      if (typeof value !== 'number') continue
      const point = (s.tokens[i] ??= this.tokenUsage.point(`${s.key}\u0002${type}`, {
        ...s.base,
        'gen_ai.token.type': type,
      }))
      this.tokenUsage.add(point, value)
    }
    const ttftMs = num(a[ATTR.ttftMs])
    if (ttftMs !== undefined)
      this.ttft.add((s.ttft ??= this.ttft.point(s.key, s.base)), ttftMs / 1000)
    const lastMs = num(a[ATTR.timeToLastChunkMs])
    const chunks = num(a[ATTR.chunkCount])
    // One measurement for each output chunk after the first, as the conventions count them, each
    // at the stream's mean gap (its count and sum are exact; its buckets hold the mean): the span
    // keeps no time per chunk.
    if (ttftMs !== undefined && lastMs !== undefined && chunks !== undefined && chunks > 1)
      this.timePerChunk.add(
        (s.timePerChunk ??= this.timePerChunk.point(s.key, s.base)),
        (lastMs - ttftMs) / (chunks - 1) / 1000,
        chunks - 1,
      )
    const cost = num(a[ATTR.costUsd])
    if (cost !== undefined) this.cost.add((s.cost ??= this.cost.point(s.key, s.base)), cost)
  }

  private recordTool(span: SpanData): void {
    const base = pick(span.attributes, TOOL_KEYS)
    const failed = span.status === 'error'
    const withError = failed ? { ...base, [ATTR.errorType]: errorType(span) } : base
    this.toolDuration.record((span.endTime - span.startTime) / 1000, withError)
    this.toolCalls.record(1, base)
    if (failed) this.toolErrors.record(1, withError)
  }

  /** A copy of everything aggregated so far. */
  snapshot(): MetricsSnapshot {
    const metrics: MetricData[] = []
    for (const instrument of this.instruments) {
      const data = instrument.snapshot()
      if (data) metrics.push(data)
    }
    return { resource: this.resource, startTime: this.startTime, time: now(), metrics }
  }
}
