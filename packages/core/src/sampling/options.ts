import { envBoolean, readEnv } from '../env.js'
import { TokentrailError } from '../errors.js'
import { checkOptionKeys, shareOf } from '../options.js'
import type { SpanData } from '../types.js'

/** What a trace-complete sampling rule sees: the whole trace, once its root span has ended. */
export interface TraceSummary {
  readonly traceId: string
  /** The local root span (the request span), when it has ended. */
  readonly root: SpanData | undefined
  readonly spans: readonly SpanData[]
  /** Root duration, or the span extent when decided before the root ended. */
  readonly durationMs: number
  /** Some span ended with status `error`. */
  readonly error: boolean
  /** Some LLM call ended with status `cancelled` (client went away, stream aborted). */
  readonly cancelledLlmCall: boolean
  /** Estimated cost of the trace's model calls, USD (`tokentrail.cost.usd`, innermost spans). */
  readonly costUsd: number
  /** Input plus output tokens of the trace's model calls (innermost spans). */
  readonly tokens: number
}

/** Keeps the traces that matter, decided once the whole trace is known; see `createTracer({ sampling })`. */
export interface SamplingOptions {
  /** Keep every trace with an error. @default true (TOKENTRAIL_SAMPLING_KEEP_ERRORS) */
  keepErrors?: boolean | undefined
  /** Keep every trace with a cancelled LLM call. @default true (TOKENTRAIL_SAMPLING_KEEP_CANCELLED) */
  keepCancelled?: boolean | undefined
  /** Keep traces whose root took longer; `false` turns the rule off. @default 15000 (TOKENTRAIL_SAMPLING_SLOWER_THAN_MS) */
  slowerThanMs?: number | false | undefined
  /** Keep traces whose model calls cost more (USD); `false` turns the rule off. @default 0.1 (TOKENTRAIL_SAMPLING_COST_ABOVE_USD) */
  costAboveUsd?: number | false | undefined
  /** Keep traces that used more tokens (input + output); `false` turns the rule off. @default 50000 (TOKENTRAIL_SAMPLING_TOKENS_ABOVE) */
  tokensAbove?: number | false | undefined
  /** Keep traces this returns true for; a throw counts as false and is reported once. @default none */
  keep?: ((trace: TraceSummary) => boolean) | undefined
  /** Spans buffered per trace; later ones are dropped and counted. @default 1000 (TOKENTRAIL_SAMPLING_MAX_SPANS_PER_TRACE) */
  maxSpansPerTrace?: number | undefined
  /** Spans buffered across all open traces; past it the oldest traces are decided early and new ones at their start. @default 20000 (TOKENTRAIL_SAMPLING_MAX_BUFFERED_SPANS) */
  maxBufferedSpans?: number | undefined
  /** Estimated bytes buffered across all open traces, with the same fallback. @default 33554432 (TOKENTRAIL_SAMPLING_MAX_BUFFERED_BYTES) */
  maxBufferedBytes?: number | undefined
  /**
   * Record prompt and output text for only some kept traces (their numbers are always kept):
   * `rate` is the share, `errors` keeps text of every trace with an error.
   * @default { rate: 1, errors: true } (TOKENTRAIL_TEXT_SAMPLE_RATE, TOKENTRAIL_TEXT_SAMPLE_ERRORS)
   */
  text?: { rate?: number | undefined; errors?: boolean | undefined } | undefined
}

export interface ResolvedSampling {
  keepErrors: boolean
  keepCancelled: boolean
  slowerThanMs: number | undefined
  costAboveUsd: number | undefined
  tokensAbove: number | undefined
  keep: ((trace: TraceSummary) => boolean) | undefined
  maxSpansPerTrace: number
  maxBufferedSpans: number
  maxBufferedBytes: number
  textRate: number
  textErrors: boolean
}

/** Throws for an unknown key, naming the closest valid one (`where` is `sampling`, `redaction.detectors`…). */
export function checkKeys(options: object, valid: readonly string[], where: string): void {
  checkOptionKeys(options, valid, `createTracer({ ${where} })`)
}

// Each numeric option's env variable: `slowerThanMs` → TOKENTRAIL_SAMPLING_SLOWER_THAN_MS.
const envOf = (key: string) => `TOKENTRAIL_SAMPLING_${key.replace(/[A-Z]/g, '_$&').toUpperCase()}`

// Thresholds of the keep rules: a number ≥ 0, or off (`false` in code, `off`/`false`/`none` in env).
const THRESHOLDS = { slowerThanMs: 15_000, costAboveUsd: 0.1, tokensAbove: 50_000 }
// Buffer bounds: a whole number ≥ 1.
const BOUNDS = {
  maxSpansPerTrace: 1000,
  maxBufferedSpans: 20_000,
  maxBufferedBytes: 32 * 1024 * 1024,
}
const KEYS = [
  'keepErrors',
  'keepCancelled',
  ...Object.keys(THRESHOLDS),
  'keep',
  ...Object.keys(BOUNDS),
  'text',
]

// A threshold (`bound` false) or a bound (`bound` true): the option, else its env variable, else `fallback`.
function numberOf(
  o: SamplingOptions,
  key: keyof typeof THRESHOLDS | keyof typeof BOUNDS,
  fallback: number,
  bound: boolean,
): number | undefined {
  const name = `sampling.${key}`
  let source = name
  let value: unknown = o[key]
  let shown = value
  if (value === undefined) {
    source = envOf(key)
    const raw = readEnv(source)
    if (raw === undefined) return fallback
    if (!bound && ['off', 'false', 'none'].includes(raw.toLowerCase())) return undefined
    value = Number(raw)
    shown = raw
  }
  if (!bound && value === false) return undefined
  if (
    typeof value !== 'number' ||
    (bound ? !Number.isInteger(value) || value < 1 : !Number.isFinite(value) || value < 0)
  )
    throw new TokentrailError(
      bound
        ? `${source} must be a whole number ≥ 1, got ${JSON.stringify(shown)}`
        : `${source} must be a number ≥ 0, or ${source === name ? 'false' : '"off"'} to turn the rule off; got ${JSON.stringify(shown)}`,
    )
  return value
}

/**
 * Resolves `sampling` over env. Trace-complete sampling is on when the option is an object, or
 * when it is not given and TOKENTRAIL_TRACES_SAMPLER=trace_complete; `false` or `head` keeps the
 * decision at the start of the trace.
 */
export function resolveSampling(option: unknown): ResolvedSampling | undefined {
  if (option === false) return undefined
  if (option === undefined) {
    const sampler = readEnv('TOKENTRAIL_TRACES_SAMPLER')?.toLowerCase()
    if (sampler === undefined || sampler === 'head') return undefined
    if (sampler !== 'trace_complete')
      throw new TokentrailError(
        `TOKENTRAIL_TRACES_SAMPLER must be trace_complete or head, got "${sampler}"`,
      )
    option = {}
  }
  if (option === null || typeof option !== 'object' || Array.isArray(option))
    throw new TokentrailError(
      'sampling must be false or an options object such as { slowerThanMs: 10000 }',
    )
  const o = option as SamplingOptions
  checkKeys(o, KEYS, 'sampling')
  for (const key of ['keepErrors', 'keepCancelled'] as const)
    if (o[key] !== undefined && typeof o[key] !== 'boolean')
      throw new TokentrailError(`sampling.${key} must be true or false`)
  if (o.keep !== undefined && typeof o.keep !== 'function')
    throw new TokentrailError('sampling.keep must be a function (trace) => boolean')
  const text = o.text
  if (text !== undefined) {
    if (text === null || typeof text !== 'object')
      throw new TokentrailError('sampling.text must be an object such as { rate: 0.1 }')
    checkKeys(text, ['rate', 'errors'], 'sampling.text')
    if (text.errors !== undefined && typeof text.errors !== 'boolean')
      throw new TokentrailError('sampling.text.errors must be true or false')
  }
  const resolved = { keep: o.keep } as Record<string, unknown>
  for (const key of ['keepErrors', 'keepCancelled'] as const)
    resolved[key] = o[key] ?? envBoolean(envOf(key)) ?? true
  for (const [key, fallback] of Object.entries(THRESHOLDS))
    resolved[key] = numberOf(o, key as keyof typeof THRESHOLDS, fallback, false)
  for (const [key, fallback] of Object.entries(BOUNDS))
    resolved[key] = numberOf(o, key as keyof typeof BOUNDS, fallback, true)
  const textRateEnv = readEnv('TOKENTRAIL_TEXT_SAMPLE_RATE')
  resolved.textRate =
    text?.rate !== undefined
      ? shareOf(text.rate, 'sampling.text.rate', 'traces with text')
      : textRateEnv !== undefined
        ? shareOf(textRateEnv, 'TOKENTRAIL_TEXT_SAMPLE_RATE', 'traces with text')
        : 1
  resolved.textErrors = text?.errors ?? envBoolean('TOKENTRAIL_TEXT_SAMPLE_ERRORS') ?? true
  return resolved as unknown as ResolvedSampling
}
