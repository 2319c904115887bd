import { type ResolvedConfig, resolveConfig, type TracerOptions } from './config.js'
import { getActiveContextSpan } from './context.js'
import { onWorkers, readEnv } from './env.js'
import { TokentrailError } from './errors.js'
import { lazy } from './lazy.js'
import type { MetricExporter } from './metrics.js'
import { NoopTracer } from './noop-tracer.js'
import { closestKey } from './options.js'
import { RecordingTracer } from './recording-tracer.js'
import type { SamplingStats } from './sampling/trace-sampler.js'
import type { Span } from './span.js'
import type { SpanContext, SpanExporter, SpanKind } from './types.js'

/** Options of `startSpan` and `withSpan`. */
export interface StartSpanOptions {
  /** Parent span or remote context; `null` starts a new trace. @default the active span */
  parent?: Span | SpanContext | null | undefined
  /** @default 'internal' */
  kind?: SpanKind | undefined
  attributes?: Record<string, unknown> | undefined
  /** Epoch milliseconds, or a Date. @default now */
  startTime?: number | Date | undefined
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
  /**
   * Spans waiting in queues now, with those ended in a fresh tracer's first milliseconds that wait
   * for the code that scrubs and queues them (loaded by `import()` as the tracer is made).
   */
  queued: number
  /** Spans in exports under way now (sent or backing off between retries). */
  inflight: number
  /** Flushes that hit their time bound with spans still pending. */
  flushTimeouts: number
  /** Writes (`setAttribute`, `addEvent`, …) to spans that had already ended, and so were ignored. */
  lateWrites: number
  /**
   * Attributes (new keys) and events refused because their span held `limits.maxAttributes` of them
   * already, counted as their spans end; exported spans carry them as `droppedAttributesCount` and
   * `droppedEventsCount`.
   */
  limits: { attributesDropped: number; eventsDropped: number }
  /** Metric snapshots sent, and sends that failed (their totals go out with the next one). */
  metrics: { exports: number; failures: number }
  /** Trace-complete sampling counters, when `sampling` is on. */
  sampling?: SamplingStats
  /** Replacements made by redaction rules, per rule, when `redaction` is on. */
  redaction?: Record<string, number>
}

/** The outcome of `flush`: whether every span it waited for arrived within the time bound. */
export interface FlushResult {
  /** False when the bound passed first, or when spans failed or were rejected by a receiver. */
  ok: boolean
  /**
   * Spans not delivered when the flush resolved: still queued, or in an export under way or
   * waiting for a retry (0 when everything arrived).
   */
  pending: number
  /** Why `ok` is false, such as "2 spans not delivered: 404 Not Found: wrong path?". */
  reason?: string
}

/** What a tracer would do with spans, for `tokentrail doctor`: no header values, no secrets. */
export interface TracerDescription {
  enabled: boolean
  /** Why the tracer records nothing, when it does not. */
  why?: string
  serviceName: string
  sampleRate: number
  recordInputs: boolean
  recordOutputs: boolean
  debug: boolean
  warnings: boolean
  exporters: readonly SpanExporter[]
  metricExporters: readonly MetricExporter[]
}

const DESCRIBE = Symbol.for('tokentrail.tracer.describe')

/**
 * What `tracer` would do: enabled or why not, exporters and their URLs, sampling, recording.
 * Works on a tracer from another installed copy of this package.
 */
export function describeTracer(tracer: Tracer): TracerDescription | undefined {
  try {
    return (tracer as unknown as Record<symbol, (() => TracerDescription) | undefined>)[
      DESCRIBE
    ]?.()
  } catch {
    return undefined
  }
}

/** Builds the description from resolved config; the tracers keep it behind a symbol. */
function descriptionOf(config: ResolvedConfig, why?: string): () => TracerDescription {
  return () => ({
    enabled: why === undefined,
    ...(why === undefined ? {} : { why }),
    serviceName: config.serviceName,
    sampleRate: config.sampleRate,
    recordInputs: config.recordInputs,
    recordOutputs: config.recordOutputs,
    debug: config.debug !== undefined,
    warnings: config.warn !== undefined,
    exporters: config.exporters,
    metricExporters: config.metrics.exporters,
  })
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
  /**
   * Sends everything queued; resolves (never rejects) within `timeoutMs`. `metrics: false` sends
   * the queued spans only, leaving metrics to their export interval (for a per-request flush on a
   * long-lived server, where a snapshot per request would be waste). A number is the timeout:
   * `flush(5000)` is `flush({ timeoutMs: 5000 })`.
   */
  flush(
    options?: { timeoutMs?: number | undefined; metrics?: boolean | undefined } | number,
  ): Promise<FlushResult>
  /** Flushes, then stops exporting. A number is the timeout, as for `flush`. */
  shutdown(options?: { timeoutMs?: number | undefined } | number): Promise<void>
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
  if (!config.enabled || config.exporters.length + config.metrics.exporters.length === 0) {
    // Nothing configured (as opposed to exporters: [] or OTEL_TRACES_EXPORTER=none) while on.
    const unconfigured =
      config.enabled &&
      options?.exporters === undefined &&
      readEnv('OTEL_TRACES_EXPORTER') === undefined &&
      config.warn !== undefined
    const tracer = new NoopTracer(
      config.serviceName,
      unconfigured ? () => sayNoExporterOnce(config.warn!) : undefined,
    )
    const why = !config.enabled
      ? 'tracing is off (enabled: false, TOKENTRAIL_ENABLED=false or OTEL_SDK_DISABLED=true)'
      : 'no exporter: pass exporters, or set OTEL_EXPORTER_OTLP_ENDPOINT'
    Object.defineProperty(tracer, DESCRIBE, { value: descriptionOf(config, why) })
    return tracer
  }
  const tracer = new RecordingTracer(config)
  Object.defineProperty(tracer, DESCRIBE, { value: descriptionOf(config) })
  // OpenTelemetry variables set but not read, or metrics env cannot send, are said once; the list
  // loads apart from start-up.
  const warn = config.warn
  if (warn)
    unreadEnv().then(
      (m) =>
        m.sayEnvNotices(
          warn,
          {
            metricsOff: config.metrics.off,
            envIgnored: config.envIgnored,
            exporters: [...config.exporters, ...config.metrics.exporters],
            sampling: config.sampling !== undefined,
            redaction: config.redaction !== undefined,
          },
          readEnv,
          closestKey,
        ),
      noop,
    )
  return tracer
}

const unreadEnv = lazy(() => import('./unread-env.js'))
const noop = () => {}

const NOTICE_KEY = Symbol.for('tokentrail.notice.no-exporter')

/**
 * The message a tracer left with nowhere to send spans prints, once per process: it is a no-op
 * (`enabled` false), as the adapters' READMEs count it, so the message says tracing is off.
 */
const NO_EXPORTER_MESSAGE =
  'tracing is off: no exporter was passed and OTEL_EXPORTER_OTLP_ENDPOINT is not set, so spans would go nowhere. ' +
  'Set OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 (for `npx tokentrail dev`) or pass exporters to createTracer(); ' +
  'TOKENTRAIL_ENABLED=false says it is off on purpose, and this message is not printed.'

// A Worker's vars and secrets reach process.env only with nodejs_compat: without it, an
// OTEL_EXPORTER_OTLP_ENDPOINT set in wrangler.toml is not seen, and "is not set" alone misleads.
const WORKERS_NO_ENV =
  " On Cloudflare Workers a Worker's vars reach process.env only with nodejs_compat (on by default from compatibility date 2026-08-04), which this Worker lacks: set it, or pass exporters built from fetch()'s env argument."

function workersWithoutEnv(): boolean {
  try {
    return (
      onWorkers() &&
      typeof (globalThis as { process?: { env?: unknown } }).process?.env !== 'object'
    )
  } catch {
    return false
  }
}

function sayNoExporterOnce(warn: (message: string) => void) {
  const g = globalThis as Record<symbol, boolean | undefined>
  if (g[NOTICE_KEY]) return
  g[NOTICE_KEY] = true
  warn(NO_EXPORTER_MESSAGE + (workersWithoutEnv() ? WORKERS_NO_ENV : ''))
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
  // `setTracer(createTracer)` would leave every adapter without a tracer, silently.
  if (tracer !== undefined && typeof (tracer as Partial<Tracer> | null)?.startSpan !== 'function')
    throw new TokentrailError(
      `setTracer() takes a tracer from createTracer({ … }) or undefined, got ${typeof tracer === 'object' && tracer ? 'an object without startSpan()' : typeof tracer}`,
    )
  ;(globalThis as Record<symbol, Tracer | undefined>)[DEFAULT_KEY] = tracer
}

/** The active span of the current async context, if any. */
export function getActiveSpan(): Span | undefined {
  const active = getActiveContextSpan()
  return active && 'setAttribute' in active ? (active as Span) : undefined
}
