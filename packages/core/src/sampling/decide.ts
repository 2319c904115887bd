// The names as constants, not the `ATTR` table: see semconv-names.ts.
import * as ATTR from '../semconv-names.js'
import type { SpanData } from '../types.js'
import type { ResolvedSampling, TraceSummary } from './options.js'

/** Why a trace was kept (or not): recorded on the root span as `tokentrail.sampling.reason`. */
export type SamplingReason =
  | 'error'
  | 'cancelled'
  | 'slow'
  | 'cost'
  | 'tokens'
  | 'keep'
  | 'rate'
  | 'parent'
  | 'not_sampled'

// Upper bits, so whether a trace keeps its text does not depend on whether it was kept at all.
export function textRatio(traceId: string): number {
  return Number.parseInt(traceId.slice(2, 16), 16) / 2 ** 56
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined
}

// Totals of the innermost spans that carry a figure: a call span that sums its steps is not
// counted on top of them.
function innermostSum(spans: readonly SpanData[], read: (span: SpanData) => number | undefined) {
  let carriers: SpanData[] | undefined
  for (const span of spans) if (read(span) !== undefined) (carriers ??= []).push(span)
  if (!carriers) return 0
  const parents = new Set<string>()
  for (const span of carriers) if (span.parentSpanId) parents.add(span.parentSpanId)
  let total = 0
  for (const span of carriers) if (!parents.has(span.spanId)) total += read(span)!
  return total
}

const costOf = (span: SpanData) => num(span.attributes[ATTR.costUsd])
const tokensOf = (span: SpanData) => {
  const input = num(span.attributes[ATTR.usageInputTokens])
  const output = num(span.attributes[ATTR.usageOutputTokens])
  return input === undefined && output === undefined ? undefined : (input ?? 0) + (output ?? 0)
}

/** Sums up a trace for the keep rules. */
export function summarize(
  traceId: string,
  spans: readonly SpanData[],
  rootSpanId: string | undefined,
): TraceSummary {
  let root: SpanData | undefined
  let error = false
  let cancelledLlmCall = false
  let start = Number.POSITIVE_INFINITY
  let end = Number.NEGATIVE_INFINITY
  for (const span of spans) {
    if (span.spanId === rootSpanId) root = span
    if (span.status === 'error') error = true
    else if (
      span.status === 'cancelled' &&
      (span.kind === 'llm' || span.attributes[ATTR.operationName] !== undefined)
    )
      cancelledLlmCall = true
    if (span.startTime < start) start = span.startTime
    if (span.endTime > end) end = span.endTime
  }
  return {
    traceId,
    root,
    spans,
    durationMs: root ? root.endTime - root.startTime : spans.length > 0 ? end - start : 0,
    error,
    cancelledLlmCall,
    costUsd: innermostSum(spans, costOf),
    tokens: innermostSum(spans, tokensOf),
  }
}

/** Applies the keep rules in order, then the probability `rate` (`byRate`: the trace falls within it). */
export function decide(
  summary: TraceSummary,
  rules: ResolvedSampling,
  byRate: boolean,
  onPredicateError: (error: unknown) => void,
): SamplingReason {
  if (rules.keepErrors && summary.error) return 'error'
  if (rules.keepCancelled && summary.cancelledLlmCall) return 'cancelled'
  if (rules.slowerThanMs !== undefined && summary.durationMs > rules.slowerThanMs) return 'slow'
  if (rules.costAboveUsd !== undefined && summary.costUsd > rules.costAboveUsd) return 'cost'
  if (rules.tokensAbove !== undefined && summary.tokens > rules.tokensAbove) return 'tokens'
  if (rules.keep) {
    try {
      if (rules.keep(summary) === true) return 'keep'
    } catch (error) {
      onPredicateError(error)
    }
  }
  return byRate ? 'rate' : 'not_sampled'
}
