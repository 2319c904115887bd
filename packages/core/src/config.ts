import { type AttributeLimits, DEFAULT_LIMITS, type ResolvedLimits } from './attributes.js'
import { MAX_TIMER_MS } from './clock.js'
import { envBoolean, readEnv } from './env.js'
import { TokentrailError } from './errors.js'
import { consoleExporter } from './exporters/console.js'
import { otlpExporter } from './exporters/otlp.js'
import { consoleMetricsExporter, otlpMetricsExporter } from './exporters/otlp-metrics.js'
import { detectProfile, type OtlpProfile } from './exporters/otlp-profile.js'
import { otlpUrlFromEnv, parseHeaderList } from './exporters/otlp-wire.js'
import type { MetricExporter } from './metrics.js'
import {
  checkOptionKeys,
  checkOptionsObject,
  collectionName,
  shareOf,
  shownValue,
} from './options.js'
import type { RetryOptions } from './processor.js'
import {
  type RedactionOptions,
  type ResolvedRedaction,
  resolveRedaction,
} from './redaction/options.js'
import { type ResolvedSampling, resolveSampling, type SamplingOptions } from './sampling/options.js'
import type { SpanData, SpanExporter } from './types.js'

/** Options of `createTracer`. Every option falls back to env, then to its default; explicit options win. */
export interface TracerOptions {
  /** `service.name` of every span. @default OTEL_SERVICE_NAME, else "unknown_service" */
  serviceName?: string | undefined
  /**
   * Where spans go. @default from env: OTLP when OTEL_EXPORTER_OTLP_ENDPOINT (or
   * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set, `console`/`none` by OTEL_TRACES_EXPORTER; none otherwise
   */
  exporters?: readonly SpanExporter[] | undefined
  /**
   * Share of traces kept, from 0 to 1, decided once per trace. @default from OTEL_TRACES_SAMPLER
   * (always_on, always_off, traceidratio, or their parentbased_ forms) and OTEL_TRACES_SAMPLER_ARG, else 1
   */
  sampleRate?: number | undefined
  /** Off makes the tracer a no-op. @default true, unless OTEL_SDK_DISABLED=true or TOKENTRAIL_ENABLED=false */
  enabled?: boolean | undefined
  /**
   * Report telemetry failures (once per kind) and log every export attempt and retry: `true` for
   * console.warn, or a function. @default TOKENTRAIL_DEBUG
   */
  debug?: boolean | ((message: string, error?: unknown) => void) | undefined
  /**
   * Say when spans cannot be delivered (once, then at most one summary a minute) and when tracing
   * is on but nothing would receive spans: `true` for console.warn, a function, or `false`.
   * @default TOKENTRAIL_WARNINGS, else true
   */
  warnings?: boolean | ((message: string) => void) | undefined
  /** Last look at each finished span before export: return a changed copy, or `null` to drop it. */
  redact?: ((span: SpanData) => SpanData | null | undefined) | undefined
  /** Record prompts, system instructions and tool arguments. @default TOKENTRAIL_RECORD_INPUTS, else true */
  recordInputs?: boolean | undefined
  /** Record generated text, reasoning and tool results. @default TOKENTRAIL_RECORD_OUTPUTS, else true */
  recordOutputs?: boolean | undefined
  /** Extra resource attributes, merged over OTEL_RESOURCE_ATTRIBUTES. */
  resource?: Record<string, unknown> | undefined
  /**
   * Spans held waiting for export, per exporter; more are dropped and counted (while the export code
   * loads for the first export, spans of later ticks wait apart, up to 10,000).
   * @default OTEL_BSP_MAX_QUEUE_SIZE, else 2048
   */
  maxQueueSize?: number | undefined
  /** Spans per export request. @default OTEL_BSP_MAX_EXPORT_BATCH_SIZE, else 512 */
  maxBatchSize?: number | undefined
  /** Longest wait before a partial batch goes out. @default OTEL_BSP_SCHEDULE_DELAY, else 2000 */
  flushIntervalMs?: number | undefined
  /**
   * Bound on one export request. @default OTEL_EXPORTER_OTLP_TRACES_TIMEOUT, else
   * OTEL_EXPORTER_OTLP_TIMEOUT, else OTEL_BSP_EXPORT_TIMEOUT, else 10000
   */
  exportTimeoutMs?: number | undefined
  /** Retry policy. @default { maxRetries: 5, initialBackoffMs: 1000, multiplier: 1.5, maxBackoffMs: 5000 } */
  retry?: RetryOptions | undefined
  /**
   * GenAI metrics derived from finished LLM and tool spans (token usage, duration, time to first
   * chunk, calls, errors, cost), exported as OTLP metrics. `false` turns them off.
   * @default from env: OTLP when OTEL_EXPORTER_OTLP_ENDPOINT (or _METRICS_ENDPOINT) is set, unless
   * OTEL_METRICS_EXPORTER=none or TOKENTRAIL_METRICS=false
   */
  metrics?: false | MetricsOptions | undefined
  /**
   * Decide at the end of each trace, keeping every trace with an error, a cancelled LLM call, a
   * slow root, a high cost or many tokens, and `sampleRate` of the rest; metrics stay exact.
   * `false` decides at the start (head sampling). @default off, unless TOKENTRAIL_TRACES_SAMPLER=trace_complete
   */
  sampling?: false | SamplingOptions | undefined
  /**
   * Redaction rules applied once to every span before any exporter sees it (never to the app's
   * own values). @default off, unless TOKENTRAIL_REDACT or TOKENTRAIL_REDACT_PATHS is set
   */
  redaction?: false | RedactionOptions | undefined
  /** Attribute limits. @default { maxStringLength: 65536, maxAttributes: 256, maxArrayLength: 1000, maxDepth: 8 } */
  limits?: AttributeLimits | undefined
}

/** Options of GenAI metrics. */
export interface MetricsOptions {
  /** @default from env (OTEL_METRICS_EXPORTER: otlp, console, none) */
  exporters?: readonly MetricExporter[] | undefined
  /** @default OTEL_METRIC_EXPORT_INTERVAL, else 60000 */
  exportIntervalMs?: number | undefined
  /** Series per instrument; more collapse into one `otel.metric.overflow` series. @default 2000 */
  cardinalityLimit?: number | undefined
}

/** Why GenAI metrics env asks for are (partly) off: see `ResolvedConfig['metrics']['off']`. */
export type MetricsOff = { error: string } | { skipped: string[]; none: boolean }

export interface ResolvedConfig {
  serviceName: string
  exporters: SpanExporter[]
  sampleRate: number
  /**
   * Whether a remote parent's sampled flag decides (the default, and OpenTelemetry's
   * `parentbased_*` samplers), or `sampleRate` alone, as OpenTelemetry's plain `always_on`,
   * `always_off` and `traceidratio` decide.
   */
  parentBased: boolean
  /**
   * The OpenTelemetry variables passed over as unusable, as a list (`OTEL_BSP_SCHEDULE_DELAY=0, …`),
   * said once at creation (the words load with unread-env.ts).
   */
  envIgnored?: string
  enabled: boolean
  debug: ((message: string, error?: unknown) => void) | undefined
  warn: ((message: string) => void) | undefined
  redact: TracerOptions['redact']
  recordInputs: boolean
  recordOutputs: boolean
  resource: Record<string, unknown>
  maxQueueSize: number
  maxBatchSize: number
  flushIntervalMs: number
  exportTimeoutMs: number
  retry: Required<RetryOptions>
  limits: ResolvedLimits
  metrics: {
    exporters: MetricExporter[]
    exportIntervalMs: number
    cardinalityLimit: number
    /**
     * Why the metrics env asks for could not be sent, said once at creation (the words load with
     * unread-env.ts): the error of the metrics exporter env describes, or the exporter names
     * Tokentrail does not send to and whether that leaves none.
     */
    off?: MetricsOff
  }
  sampling: ResolvedSampling | undefined
  redaction: ResolvedRedaction | undefined
}

const shown = shownValue

function wholeNumber(value: unknown, name: string, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min)
    throw new TokentrailError(`${name} must be a whole number ≥ ${min}, got ${shown(value)}`)
  return value
}

// Tokentrail's own exporters of the other signal, by name: in the wrong list, each export failed on
// data it could not read (a TypeError retried and its spans dropped) instead of an error at creation.
const OTHER_SIGNAL: Record<string, Record<string, string>> = {
  spans: {
    'otlp-metrics': 'otlpMetricsExporter()',
    'console-metrics': 'consoleMetricsExporter()',
    'memory-metrics': 'memoryMetricExporter()',
  },
  snapshot: {
    otlp: 'otlpExporter()',
    http: 'httpExporter()',
    console: 'consoleExporter()',
    memory: 'memoryExporter()',
  },
}

function checkExporters(list: unknown, name: string, example: string, data: string): void {
  if (list !== undefined && !Array.isArray(list))
    throw new TokentrailError(`${name} must be an array of exporters, such as [${example}]`)
  for (const [i, exporter] of (list ?? []).entries()) {
    if (typeof exporter?.export !== 'function')
      throw new TokentrailError(
        `${name}[${i}] is not an exporter: it needs an export(${data}, signal) method`,
      )
    const other = Object.hasOwn(OTHER_SIGNAL[data]!, exporter.name)
      ? OTHER_SIGNAL[data]![exporter.name]
      : undefined
    if (other)
      throw new TokentrailError(
        data === 'spans'
          ? `${name}[${i}] is ${other}, which exports metrics: it goes in metrics.exporters`
          : `${name}[${i}] is ${other}, which exports spans: it goes in exporters`,
      )
  }
}

/**
 * An option, else the first of OpenTelemetry's variables set to a whole number from 1 up to `max`,
 * else the default; with the name a message gives. A variable set to what Tokentrail cannot use
 * (`0`, `lots`, a fraction; set for another OpenTelemetry SDK, which takes it or warns and goes on)
 * is passed over as OpenTelemetry says — treated as not set, never turning tracing off — and noted
 * in `ignored`, said once when the tracer is made.
 */
function optionOrEnv(
  option: unknown,
  optionName: string,
  names: readonly string[],
  fallback: number,
  ignored: string[],
  max = Number.MAX_SAFE_INTEGER,
): [unknown, string] {
  if (option !== undefined) return [option, optionName]
  for (const name of names) {
    const raw = readEnv(name)
    if (raw === undefined) continue
    const value = Number(raw)
    if (Number.isInteger(value) && value >= 1 && value <= max) return [value, name]
    ignored.push(`${setTo(name, raw)} (a whole number ≥ 1)`)
  }
  return [fallback, optionName]
}

/** A delay in ms for a timer: a number from `min` up to the longest timer. */
function timerMs(value: unknown, name: string, min: number, whole = true): number {
  if (whole) wholeNumber(value, name, min)
  else if (typeof value !== 'number' || !(value >= min))
    throw new TokentrailError(`${name} must be a number ≥ ${min}, got ${shown(value)}`)
  if ((value as number) > MAX_TIMER_MS)
    throw new TokentrailError(
      `${name} must be at most ${MAX_TIMER_MS} ms (the longest timer; a runtime fires a longer one at once), got ${value}`,
    )
  return value as number
}

// How an OpenTelemetry variable was set, for the list of those passed over (at most 100 characters).
const setTo = (name: string, raw: string) =>
  `${name}=${JSON.stringify(raw).slice(1, -1).slice(0, 100)}`

// The exporters OTEL_TRACES_EXPORTER lists, each once (`otlp,otlp` sent every span twice). A name
// Tokentrail has no exporter for (`zipkin`, `jaeger`, set for another SDK) is passed over and said,
// as OpenTelemetry says of unknown values.
function exportersFromEnv(ignored: string[]): SpanExporter[] {
  const names = new Set(
    (readEnv('OTEL_TRACES_EXPORTER') ?? (otlpUrlFromEnv('TRACES') ? 'otlp' : 'none'))
      .split(',')
      .map((n) => n.trim().toLowerCase()),
  )
  const exporters: SpanExporter[] = []
  for (const name of names) {
    if (name === 'otlp') exporters.push(otlpExporter())
    else if (name === 'console') exporters.push(consoleExporter())
    else if (name !== 'none' && name !== '')
      ignored.push(`${setTo('OTEL_TRACES_EXPORTER', name)} (Tokentrail sends to otlp or console)`)
  }
  return exporters
}

// OTEL_SDK_DISABLED as OpenTelemetry reads it: only `true` (in any case) disables; `false` or
// nothing does not, and any other value (`1`, `yes`) is passed over, said, tracing left on, as an
// OpenTelemetry SDK in the same process does.
function sdkDisabled(ignored: string[]): boolean {
  const raw = readEnv('OTEL_SDK_DISABLED')
  const value = raw?.trim().toLowerCase()
  if (value === 'true') return true
  if (raw !== undefined && value !== 'false' && value !== '')
    ignored.push(`${setTo('OTEL_SDK_DISABLED', raw)} (only true disables, as in OpenTelemetry)`)
  return false
}

// OTEL_RESOURCE_ATTRIBUTES; one that does not parse is discarded whole, as OpenTelemetry says.
function resourceFromEnv(ignored: string[]): Record<string, string> {
  try {
    return parseHeaderList(readEnv('OTEL_RESOURCE_ATTRIBUTES'), 'OTEL_RESOURCE_ATTRIBUTES')
  } catch (error) {
    if (!(error instanceof TokentrailError)) throw error
    ignored.push(
      `OTEL_RESOURCE_ATTRIBUTES (${error.message.replace(/^OTEL_RESOURCE_ATTRIBUTES:? ?/, '')})`,
    )
    return {}
  }
}

// Backends that take OTLP traces but no OTLP metrics: the endpoint set for them gets no
// `/v1/metrics` unless asked for (each export there would fail, said as a 404). By profile, and
// by host for those without one (LangSmith, Braintrust).
const TRACES_ONLY: readonly OtlpProfile[] = ['langfuse', 'phoenix']
const TRACES_ONLY_HOSTS = /(^|\.)(smith\.langchain\.com|braintrust\.dev)$/

function metricsFromEnvEndpoint(): boolean {
  const url = otlpUrlFromEnv('METRICS')
  if (!url) return false
  if (readEnv('OTEL_EXPORTER_OTLP_METRICS_ENDPOINT')) return true
  if (TRACES_ONLY.includes(detectProfile(url, {}))) return false
  try {
    return !TRACES_ONLY_HOSTS.test(new URL(url).hostname)
  } catch {
    return true
  }
}

/**
 * The metrics exporters env asks for. The variables are shared with OpenTelemetry SDKs that export
 * other metrics (`OTEL_METRICS_EXPORTER=prometheus`, `OTEL_EXPORTER_OTLP_PROTOCOL=grpc` for a
 * Collector's 4317), so what Tokentrail cannot send with turns the GenAI metrics off, told in
 * `off`, never the traces with them.
 */
function metricExportersFromEnv(): { exporters: MetricExporter[]; off?: MetricsOff } {
  if (envBoolean('TOKENTRAIL_METRICS') === false) return { exporters: [] }
  const exporters: MetricExporter[] = []
  const skipped: string[] = []
  try {
    const names = (readEnv('OTEL_METRICS_EXPORTER') ?? (metricsFromEnvEndpoint() ? 'otlp' : 'none'))
      .split(',')
      .map((n) => n.trim().toLowerCase())
    for (const name of names) {
      if (name === 'otlp') exporters.push(otlpMetricsExporter())
      else if (name === 'console') exporters.push(consoleMetricsExporter())
      else if (name !== 'none' && name !== '') skipped.push(name)
    }
  } catch (error) {
    if (!TokentrailError.isInstance(error)) throw error
    return { exporters: [], off: { error: error.message } }
  }
  if (skipped.length === 0) return { exporters }
  return { exporters, off: { skipped, none: exporters.length === 0 } }
}

function resolveMetrics(
  option: TracerOptions['metrics'],
  enabled: boolean,
  ignored: string[],
): ResolvedConfig['metrics'] {
  const options = option === false ? undefined : option
  if (options !== undefined && (options === null || typeof options !== 'object'))
    throw new TokentrailError(
      'metrics must be false or an options object such as { exporters: [otlpMetricsExporter()] }',
    )
  checkExporters(options?.exporters, 'metrics.exporters', 'otlpMetricsExporter()', 'snapshot')
  const fromEnv =
    option === false || !enabled || options?.exporters ? undefined : metricExportersFromEnv()
  return {
    // A copy: the list may be `as const`, or changed by the app later.
    exporters: option === false || !enabled ? [] : [...(options?.exporters ?? fromEnv!.exporters)],
    ...(fromEnv?.off ? { off: fromEnv.off } : {}),
    exportIntervalMs: timerMs(
      ...optionOrEnv(
        options?.exportIntervalMs,
        'metrics.exportIntervalMs',
        ['OTEL_METRIC_EXPORT_INTERVAL'],
        60_000,
        ignored,
        MAX_TIMER_MS,
      ),
      1,
    ),
    cardinalityLimit: wholeNumber(options?.cardinalityLimit ?? 2000, 'metrics.cardinalityLimit', 2),
  }
}

// Typed against the interface, so an option added there without being listed here fails typecheck.
const TRACER_KEYS = Object.keys({
  serviceName: true,
  exporters: true,
  sampleRate: true,
  enabled: true,
  debug: true,
  warnings: true,
  redact: true,
  recordInputs: true,
  recordOutputs: true,
  resource: true,
  maxQueueSize: true,
  maxBatchSize: true,
  flushIntervalMs: true,
  exportTimeoutMs: true,
  retry: true,
  metrics: true,
  sampling: true,
  redaction: true,
  limits: true,
} satisfies Record<keyof TracerOptions, true>)
const RETRY_KEYS = Object.keys({
  maxRetries: true,
  initialBackoffMs: true,
  maxBackoffMs: true,
  multiplier: true,
  maxRetryAfterMs: true,
} satisfies Record<keyof RetryOptions, true>)
const METRICS_KEYS = Object.keys({
  exporters: true,
  exportIntervalMs: true,
  cardinalityLimit: true,
} satisfies Record<keyof MetricsOptions, true>)
const LIMIT_KEYS = Object.keys(DEFAULT_LIMITS)
const BOOLEAN = 'true or false'
const OBJECT = 'an object'
// The type each option must have, as `typeof` says it ('object' excludes null and arrays).
const TRACER_TYPES: [keyof TracerOptions, string, string][] = [
  ['enabled', 'boolean', BOOLEAN],
  ['recordInputs', 'boolean', BOOLEAN],
  ['recordOutputs', 'boolean', BOOLEAN],
  ['debug', 'boolean function', 'true, false or a function (message, error?) => void'],
  ['warnings', 'boolean function', 'true, false or a function (message) => void'],
  ['redact', 'function', 'a function (span) => span | null'],
  ['resource', 'object', `${OBJECT} of attributes`],
  ['retry', 'object', `${OBJECT} such as { maxRetries: 0 }`],
  ['limits', 'object', `${OBJECT} such as { maxStringLength: 4096 }`],
]
const TRACER_ALIASES = {
  exporter: 'exporters',
  service: 'serviceName',
  name: 'serviceName',
  sampler: 'sampleRate',
  samplingRate: 'sampleRate',
  disabled: 'enabled',
}

// The entries of a nested options object that are set: `{ maxRetries: undefined }` (an env
// variable passed straight in) is the option left out, as at the top level; spread as it was, the
// undefined replaced the default and createTracer threw.
function given<T extends object>(options: T | undefined): Partial<T> | undefined {
  if (options === undefined || options === null || typeof options !== 'object') return options
  let set: Partial<T> | undefined
  for (const key in options)
    if (options[key] === undefined) {
      set ??= { ...options }
      delete set[key]
    }
  return set ?? options
}

/**
 * The app's own `warnings` / `debug` function, made safe to call: an async one that rejects is
 * caught, as a throw is where it is called, so the app's process never sees an unhandled
 * rejection from telemetry.
 */
function unrejected<A extends unknown[]>(fn: (...args: A) => unknown): (...args: A) => void {
  return (...args) => {
    const result = fn(...args)
    if (
      result !== null &&
      typeof result === 'object' &&
      typeof (result as Promise<unknown>).then === 'function'
    )
      try {
        ;(result as Promise<unknown>).then(undefined, () => {})
      } catch {}
  }
}

/** Resolves options over env over defaults, throwing a TokentrailError that names the bad option. */
export function resolveConfig(options: TracerOptions = {}): ResolvedConfig {
  checkOptionsObject(options, 'createTracer', "{ serviceName: 'chat' }")
  checkOptionKeys(options, TRACER_KEYS, 'createTracer', TRACER_ALIASES)
  for (const [key, types, form] of TRACER_TYPES) {
    const value = options[key]
    if (
      value !== undefined &&
      (!types.includes(typeof value) || value === null || Array.isArray(value))
    )
      throw new TokentrailError(`${key} must be ${form}, got ${shown(value)}`)
    // A Map of resource attributes has no own keys: they were left out without a word. (Nested
    // options objects are checked as options below, with their own message.)
    const collection = key === 'resource' && collectionName(value as object, true)
    if (collection) throw new TokentrailError(`${key} must be ${form}, got ${collection}`)
  }
  checkOptionKeys(options.retry, RETRY_KEYS, 'createTracer({ retry })')
  checkOptionKeys(options.limits, LIMIT_KEYS, 'createTracer({ limits })')
  if (options.metrics) checkOptionKeys(options.metrics, METRICS_KEYS, 'createTracer({ metrics })')
  // OpenTelemetry variables set to what Tokentrail cannot use (one set for another SDK, which takes
  // it or warns and goes on): passed over as OpenTelemetry says, treated as not set and said once
  // when the tracer is made, never turning tracing off.
  const ignored: string[] = []
  // TOKENTRAIL_ENABLED, Tokentrail's own, wins over OTEL_SDK_DISABLED, which may be set for the
  // OpenTelemetry SDK alone (`TOKENTRAIL_ENABLED=true` was ignored beside it, in silence).
  const enabled = options.enabled ?? envBoolean('TOKENTRAIL_ENABLED') ?? !sdkDisabled(ignored)
  // Off, the tracer reads no other variable, as OTEL_SDK_DISABLED=true means in OpenTelemetry: a
  // value set for another SDK (OTEL_TRACES_SAMPLER=xray) must not make createTracer({ enabled:
  // false }) throw. Options in code are still checked.
  const flag = (name: string) => (enabled ? envBoolean(name) : undefined)
  const debugOption = options.debug ?? flag('TOKENTRAIL_DEBUG') ?? false
  const debug =
    typeof debugOption === 'function'
      ? unrejected(debugOption)
      : debugOption
        ? (message: string, error?: unknown) =>
            error === undefined
              ? console.warn(`[tokentrail] ${message}`)
              : console.warn(`[tokentrail] ${message}`, error)
        : undefined
  const warningsOption = options.warnings ?? flag('TOKENTRAIL_WARNINGS') ?? true
  const warn =
    typeof warningsOption === 'function'
      ? unrejected(warningsOption)
      : warningsOption
        ? (message: string) => console.warn(`[tokentrail] ${message}`)
        : undefined
  const { sampleRate, parentBased } =
    options.sampleRate !== undefined
      ? { sampleRate: shareOf(options.sampleRate, 'sampleRate', 'traces kept'), parentBased: true }
      : enabled
        ? samplerFromEnv(ignored)
        : { sampleRate: 1, parentBased: true }
  checkExporters(options.exporters, 'exporters', 'otlpExporter()', 'spans')
  const envResource = enabled ? resourceFromEnv(ignored) : {}
  const resource = { ...envResource, ...options.resource }
  // Code wins over env: `serviceName`, then a `service.name` in the `resource` option; then, as in
  // OpenTelemetry, OTEL_SERVICE_NAME over one in OTEL_RESOURCE_ATTRIBUTES.
  const named = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined)
  const serviceName =
    options.serviceName ??
    named(options.resource?.['service.name']) ??
    readEnv('OTEL_SERVICE_NAME') ??
    named(envResource['service.name']) ??
    'unknown_service'
  if (typeof serviceName !== 'string' || serviceName.trim() === '')
    throw new TokentrailError('serviceName must be a non-empty string')
  const retry = {
    maxRetries: 5,
    initialBackoffMs: 1000,
    multiplier: 1.5,
    maxBackoffMs: 5000,
    maxRetryAfterMs: 30_000,
    ...given(options.retry),
  }
  wholeNumber(retry.maxRetries, 'retry.maxRetries', 0)
  for (const key of ['initialBackoffMs', 'maxBackoffMs', 'maxRetryAfterMs'] as const)
    timerMs(retry[key], `retry.${key}`, 0, false)
  if (typeof retry.multiplier !== 'number' || !(retry.multiplier >= 1))
    throw new TokentrailError(
      `retry.multiplier must be a number ≥ 1, got ${shown(retry.multiplier)}`,
    )
  // OpenTelemetry's attribute value length limit is ours for strings; its count limits are not (ours
  // bounds events too): those are said once by createTracer.
  const [maxStringLength, lengthName] = optionOrEnv(
    options.limits?.maxStringLength,
    'limits.maxStringLength',
    ['OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT', 'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT'],
    DEFAULT_LIMITS.maxStringLength,
    ignored,
  )
  const limits = { ...DEFAULT_LIMITS, ...given(options.limits), maxStringLength } as ResolvedLimits
  for (const [key, value] of Object.entries(limits))
    wholeNumber(value, key === 'maxStringLength' ? lengthName : `limits.${key}`, 1)
  const config: ResolvedConfig = {
    serviceName,
    exporters: options.exporters
      ? [...options.exporters]
      : enabled
        ? exportersFromEnv(ignored)
        : [],
    sampleRate,
    parentBased,
    enabled,
    debug,
    warn,
    redact: options.redact,
    recordInputs: options.recordInputs ?? flag('TOKENTRAIL_RECORD_INPUTS') ?? true,
    recordOutputs: options.recordOutputs ?? flag('TOKENTRAIL_RECORD_OUTPUTS') ?? true,
    resource,
    maxQueueSize: wholeNumber(
      ...optionOrEnv(
        options.maxQueueSize,
        'maxQueueSize',
        ['OTEL_BSP_MAX_QUEUE_SIZE'],
        2048,
        ignored,
      ),
      1,
    ),
    maxBatchSize: wholeNumber(
      ...optionOrEnv(
        options.maxBatchSize,
        'maxBatchSize',
        ['OTEL_BSP_MAX_EXPORT_BATCH_SIZE'],
        512,
        ignored,
      ),
      1,
    ),
    flushIntervalMs: timerMs(
      ...optionOrEnv(
        options.flushIntervalMs,
        'flushIntervalMs',
        ['OTEL_BSP_SCHEDULE_DELAY'],
        2000,
        ignored,
        MAX_TIMER_MS,
      ),
      1,
    ),
    exportTimeoutMs: timerMs(
      ...optionOrEnv(
        options.exportTimeoutMs,
        'exportTimeoutMs',
        [
          'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT',
          'OTEL_EXPORTER_OTLP_TIMEOUT',
          'OTEL_BSP_EXPORT_TIMEOUT',
        ],
        10_000,
        ignored,
        MAX_TIMER_MS,
      ),
      1,
    ),
    retry,
    limits,
    metrics: resolveMetrics(options.metrics, enabled, ignored),
    sampling: resolveSampling(enabled ? options.sampling : (options.sampling ?? false)),
    redaction: resolveRedaction(enabled ? options.redaction : (options.redaction ?? false)),
  }
  if (ignored.length > 0) config.envIgnored = ignored.join(', ')
  delete config.resource['service.name']
  return config
}

/**
 * The share of traces kept from OpenTelemetry's `OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG`:
 * `always_on` 1, `always_off` 0, `traceidratio` the argument (default 1). As in OpenTelemetry, the
 * `parentbased_` names (and no sampler named) follow a remote parent's sampled flag, while the plain
 * names decide by themselves: `always_off` records nothing, even under a sampled caller.
 * Without a sampler named, the argument alone sets the share.
 */
function samplerFromEnv(ignored: string[]): { sampleRate: number; parentBased: boolean } {
  const arg = readEnv('OTEL_TRACES_SAMPLER_ARG')
  const raw = readEnv('OTEL_TRACES_SAMPLER')
  const sampler = raw?.trim().toLowerCase()
  // An argument or a sampler Tokentrail cannot use (`10%`, `xray`, set for another SDK) is passed
  // over and said, as OpenTelemetry says: the default decides (keep all, following the parent).
  const ratio = () => {
    if (arg === undefined) return 1
    const share = Number(arg)
    if (arg.trim() !== '' && share >= 0 && share <= 1) return share
    ignored.push(`${setTo('OTEL_TRACES_SAMPLER_ARG', arg)} (a number from 0 to 1)`)
    return 1
  }
  if (sampler === undefined || sampler === '') return { sampleRate: ratio(), parentBased: true }
  const name = sampler.replace(/^parentbased_/, '')
  const parentBased = name !== sampler
  if (name === 'always_on') return { sampleRate: 1, parentBased }
  if (name === 'always_off') return { sampleRate: 0, parentBased }
  if (name === 'traceidratio') return { sampleRate: ratio(), parentBased }
  ignored.push(
    `${setTo('OTEL_TRACES_SAMPLER', raw!)} (Tokentrail has always_on, always_off and traceidratio, also as parentbased_…)`,
  )
  return { sampleRate: 1, parentBased: true }
}
