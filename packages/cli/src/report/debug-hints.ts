import { ATTR, type SpanData } from '@tokentrail/core'
import { formatCost, formatDuration } from '../commands/format.js'
import { spanTtftMs } from '../store/store-schema.js'
import { clockSkews } from './clock-skew.js'
import { code, plain } from './markdown.js'

/** A finding read from a trace's data that points at the likely cause of a problem. */
export interface DebugHint {
  /** Stable name of the rule that found it. */
  id:
    | 'rate-limited'
    | 'client-went-away'
    | 'tool-threw'
    | 'stream-stalled'
    | 'near-max-tokens'
    | 'cost-outlier'
    | 'clock-skew'
  /** The span it is about. */
  spanId: string
  /** One sentence for a person or an assistant, numbers included. */
  message: string
}

/** What the store knows beyond one trace: the median cost of one call per model. */
export interface ModelBaseline {
  /** Median cost in US dollars of one LLM call of this model, and how many calls it is from. */
  [model: string]: { medianCostUsd: number; calls: number }
}

/** Gaps at least this long count as a stalled stream. */
export const STALL_MS = 5000
/** Output at this share of `max_tokens` or more counts as near the limit. */
export const NEAR_MAX_SHARE = 0.95
/** A call costing this many times its model's median counts as an outlier. */
export const COST_OUTLIER_FACTOR = 5
/** Fewest calls of a model before its median is trusted. */
export const MIN_BASELINE_CALLS = 5

const RATE_LIMIT = /\b429\b|rate.?limit|too many requests|quota exceeded/i
const CLIENT_GONE_EVENTS = new Set(['http.request.aborted', 'http.response.cancelled'])

const num = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined

/** The model an LLM span asked for (else the one that answered). */
export function modelOf(span: SpanData): string | undefined {
  const a = span.attributes
  const model = a[ATTR.requestModel] ?? a[ATTR.responseModel]
  return typeof model === 'string' ? model : undefined
}

function errorText(span: SpanData): string {
  return span.error ? `${span.error.type}: ${span.error.message}` : ''
}

function rateLimited(span: SpanData): boolean {
  if (span.status !== 'error') return false
  if (num(span.attributes[ATTR.httpResponseStatusCode]) === 429) return true
  if (num(span.attributes['http.status_code']) === 429) return true
  return RATE_LIMIT.test(errorText(span))
}

function ms(value: number): string {
  return formatDuration(value)
}

/** Reads debug hints from a trace's spans (sorted by start time). */
export function debugHints(spans: readonly SpanData[], baseline: ModelBaseline = {}): DebugHint[] {
  const hints: DebugHint[] = []
  const start = spans.reduce((min, s) => Math.min(min, s.startTime), Number.POSITIVE_INFINITY)

  // Provider 429s: the AI SDK retries a failed call as a new model call, so attempts are spans.
  const limited = spans.filter(rateLimited)
  if (limited.length > 0) {
    const first = limited[0]!
    const model = modelOf(first)
    const llmCalls = spans.filter((s) => s.kind === 'llm' && modelOf(s) === model)
    const lastCall = llmCalls[llmCalls.length - 1]
    const recovered = lastCall !== undefined && lastCall.status === 'ok'
    const attempts = limited.filter((s) => s.kind === 'llm').length || limited.length
    const waited = (lastCall ?? first).startTime - first.startTime
    hints.push({
      id: 'rate-limited',
      spanId: first.spanId,
      message:
        `the provider rate-limited ${model ? code(model, 60) : 'the call'} (429) ${attempts === 1 ? 'once' : `${attempts} times`}` +
        (recovered
          ? `; a retry succeeded ${ms(waited)} after the first attempt began`
          : llmCalls.length > 1
            ? `; ${llmCalls.length} attempts over ${ms(waited)} all failed`
            : '; it was not retried') +
        ` (first: ${plain(errorText(first), 120)})`,
    })
  }

  // The client went away: the request span saw an abort, or a call was cancelled by the caller.
  for (const span of spans) {
    if (span.status !== 'cancelled') continue
    const event = span.events.find((e) => CLIENT_GONE_EVENTS.has(e.name))
    const by = span.attributes[ATTR.cancelledBy]
    if (!event && by === undefined) continue
    const after = (event ? event.time : span.endTime) - start
    const cut = spans.filter(
      (s) => s.kind === 'llm' && s.status === 'cancelled' && s.spanId !== span.spanId,
    )
    hints.push({
      id: 'client-went-away',
      spanId: span.spanId,
      message:
        `the client went away after ${ms(after)} (${event ? plain(event.name, 60) : `cancelled by ${plain(String(by), 60)}`} on ${code(span.name, 60)})` +
        (cut.length
          ? `; ${cut.length} LLM call${cut.length === 1 ? ' was' : 's were'} cut short`
          : ''),
    })
    break
  }

  for (const span of spans) {
    const a = span.attributes
    if (span.status === 'error' && (span.kind === 'tool' || a[ATTR.toolName] !== undefined)) {
      const tool = typeof a[ATTR.toolName] === 'string' ? a[ATTR.toolName] : span.name
      const args = a[ATTR.toolCallArguments]
      hints.push({
        id: 'tool-threw',
        spanId: span.spanId,
        message:
          `tool ${code(String(tool), 60)} threw ${plain(errorText(span) || 'an error', 160)} after ${ms(span.endTime - span.startTime)}` +
          (typeof args === 'string' ? ` (arguments ${code(args, 120)})` : ''),
      })
    }
    if (span.kind !== 'llm') continue
    const duration = span.endTime - span.startTime
    const ttft = spanTtftMs(a)
    const last = num(a[ATTR.timeToLastChunkMs])
    const chunks = num(a[ATTR.chunkCount])
    if (ttft !== undefined && ttft >= STALL_MS)
      hints.push({
        id: 'stream-stalled',
        spanId: span.spanId,
        message: `${code(span.name, 60)} waited ${ms(ttft)} for its first token (of ${ms(duration)} in all)`,
      })
    else if (last !== undefined && duration - last >= STALL_MS)
      hints.push({
        id: 'stream-stalled',
        spanId: span.spanId,
        message:
          `${code(span.name, 60)} stream went quiet for ${ms(duration - last)} after its last chunk${chunks !== undefined ? ` (${chunks} chunks)` : ''} before it ended ${span.status === 'ok' ? '' : span.status}`.trimEnd(),
      })
    else if (
      ttft !== undefined &&
      last !== undefined &&
      chunks !== undefined &&
      chunks > 2 &&
      (last - ttft) / (chunks - 1) >= STALL_MS
    )
      hints.push({
        id: 'stream-stalled',
        spanId: span.spanId,
        message: `${code(span.name, 60)} streamed ${chunks} chunks ${ms((last - ttft) / (chunks - 1))} apart on average`,
      })
    const max = num(a[ATTR.requestMaxTokens])
    const output = num(a[ATTR.usageOutputTokens])
    const finish = a[ATTR.responseFinishReasons]
    const hitLength =
      (Array.isArray(finish) && (finish as unknown[]).includes('length')) ||
      a[ATTR.finishReasonRaw] === 'length' ||
      a[ATTR.finishReasonRaw] === 'max_tokens'
    if ((max !== undefined && output !== undefined && output >= max * NEAR_MAX_SHARE) || hitLength)
      hints.push({
        id: 'near-max-tokens',
        spanId: span.spanId,
        message:
          `${code(span.name, 60)} produced ${output ?? '?'} output tokens` +
          (max !== undefined ? ` of max_tokens ${max}` : '') +
          (hitLength ? ' and stopped for length' : '') +
          ': the answer is probably cut off (raise maxOutputTokens or shorten the prompt)',
      })
    const cost = num(a[ATTR.costUsd])
    const model = modelOf(span)
    const base = model ? baseline[model] : undefined
    if (
      cost !== undefined &&
      base &&
      base.calls >= MIN_BASELINE_CALLS &&
      base.medianCostUsd > 0 &&
      cost >= base.medianCostUsd * COST_OUTLIER_FACTOR
    )
      hints.push({
        id: 'cost-outlier',
        spanId: span.spanId,
        message: `${code(span.name, 60)} cost ${formatCost(cost)}, ${(cost / base.medianCostUsd).toFixed(1)}× the median ${formatCost(base.medianCostUsd)} of ${base.calls} ${code(model, 60)} calls (input ${num(a[ATTR.usageInputTokens]) ?? '?'} tokens)`,
      })
  }
  for (const { span, parent, earlyMs } of clockSkews(spans))
    hints.push({
      id: 'clock-skew',
      spanId: span.spanId,
      message: `${code(span.name, 60)} (service ${code(span.resource.serviceName, 40)}) starts ${ms(earlyMs)} before its parent ${code(parent.name, 60)} (service ${code(parent.resource.serviceName, 40)}): the two clocks differ by at least that, so the trace's duration and the offsets between the services are off by as much`,
    })
  return hints
}
