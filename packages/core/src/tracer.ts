import { resolveConfig, type TracerOptions } from './config.js'
import { getActiveContextSpan } from './context.js'
import { TokentrailError } from './errors.js'
import { NoopTracer } from './noop-tracer.js'
import { RecordingTracer } from './recording-tracer.js'
import type { SamplingStats } from './sampling/trace-sampler.js'
import type { Span } from './span.js'
import type { SpanContext, SpanKind } from './types.js'

/** Options of `startSpan` and `withSpan`. */
export interface StartSpanOptions {
  /** Parent span or remote context; `null` starts a new trace. @default the active span */
  parent?: Span | SpanContext | null
  /** @default 'internal' */
  kind?: SpanKind
  attributes?: Record<string, unknown>
  /** Epoch milliseconds. @default now */
  startTime?: number
}

/** Delivery counters, so nothing is lost silently. */
export interface TracerStats {
  started: number
  ended: number
  /** Spans of sampled-out traces: not recorded (head sampling) or recorded and not exported (trace-complete). */
  notSampled: number
  exported: number
  /** Spans retried, once per retry attempt. */
  retried: number
  /** Spans given up on: retries exhausted or a non-retryable answer. */
  failed: number
  /** Spans a receiver rejected in a partial-success answer. */
  rejected: number
  dropped: { queueFull: number; shutdown: number; redacted: number; redactError: number }
  /** Spans waiting in queues now. */
  queued: number
  /** Flushes that hit their time bound with spans still pending. */
  flushTimeouts: number
  /** Metric snapshots sent, and sends that failed (their totals go out with the next one). */
  metrics: { exports: number; failures: number }
  /** Trace-complete sampling counters, when `sampling` is on. */
  sampling?: SamplingStats
  /** Replacements made by redaction rules, per rule, when `redaction` is on. */
  redaction?: Record<string, number>
}

/** The outcome of `flush`: whether every queue emptied within the time bound. */
export interface FlushResult {
  ok: boolean
  /** Spans still queued when the bound passed. */
  pending: number
}

/** Makes spans and sends them; see `createTracer`. */
export interface Tracer {
  /** False for a no-op tracer: disabled, or no exporter. */
  readonly enabled: boolean
  readonly serviceName: string
  readonly recordInputs: boolean
  readonly recordOutputs: boolean
  startSpan(name: string, options?: StartSpanOptions): Span
  /** Runs `fn` inside a new active span, ends it in `finally`, records and rethrows errors unchanged. */
  withSpan<T>(name: string, fn: (span: Span) => T): T
  withSpan<T>(name: string, options: StartSpanOptions, fn: (span: Span) => T): T
  getActiveSpan(): Span | undefined
  /** Runs `fn` with `span` active. */
  runInSpan<T>(span: Span, fn: () => T): T
  /** Sends everything queued; resolves (never rejects) within `timeoutMs`. */
  flush(options?: { timeoutMs?: number }): Promise<FlushResult>
  /** Flushes, then stops exporting. */
  shutdown(options?: { timeoutMs?: number }): Promise<void>
  stats(): TracerStats
}

/**
 * Creates a tracer. Options fall back to `OTEL_*` / `TOKENTRAIL_*` env, then to defaults; a bad
 * option throws a TokentrailError naming it. Disabled, or with no exporter, it is a no-op.
 *
 * @example
 * const tracer = createTracer({ serviceName: 'chat', exporters: [otlpExporter()] })
 * await tracer.withSpan('answer', async (span) => { span.setAttribute('user.id', id) })
 */
export function createTracer(options: TracerOptions = {}): Tracer {
  const config = resolveConfig(options)
  if (!config.enabled || config.exporters.length + config.metrics.exporters.length === 0)
    return new NoopTracer(config.serviceName)
  return new RecordingTracer(config)
}

const DEFAULT_KEY = Symbol.for('tokentrail.tracer.default')

/**
 * The process-wide tracer: the one set with `setTracer`, else one made from env on first use. A bad
 * env value is reported once on the console and gives a no-op tracer, never a throw into a request.
 */
export function getTracer(): Tracer {
  const g = globalThis as Record<symbol, Tracer | undefined>
  let tracer = g[DEFAULT_KEY]
  if (!tracer) {
    try {
      tracer = createTracer()
    } catch (error) {
      console.error(
        `[tokentrail] tracing is off: ${TokentrailError.isInstance(error) ? error.message : String(error)}`,
      )
      tracer = new NoopTracer('unknown_service')
    }
    g[DEFAULT_KEY] = tracer
  }
  return tracer
}

/** Sets the process-wide tracer that adapters use when none is passed to them. */
export function setTracer(tracer: Tracer | undefined): void {
  ;(globalThis as Record<symbol, Tracer | undefined>)[DEFAULT_KEY] = tracer
}

/** The active span of the current async context, if any. */
export function getActiveSpan(): Span | undefined {
  const active = getActiveContextSpan()
  return active && 'setAttribute' in active ? (active as Span) : undefined
}
