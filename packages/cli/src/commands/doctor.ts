import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import {
  createTracer,
  describeTracer,
  getTracer,
  TokentrailError,
  type Tracer,
  type TracerDescription,
} from '@tokentrail/core'
import { maskedUrl } from '@tokentrail/core/otlp'
import {
  checkExporter,
  checkMetricExporter,
  shownHeaderName,
  testSpan,
  userHeaders,
} from './doctor-checks.js'

export { formatDoctorReport } from './doctor-format.js'

/** One check: passed (true), failed (false) or not run / for information (null). */
export interface DoctorCheck {
  name: string
  ok: boolean | null
  detail: string
}

/** What doctor found for one exporter. */
export interface ExporterReport {
  name: string
  url?: string
  /** Header names sent; values are never read into the report. */
  headers: string[]
  checks: DoctorCheck[]
  ok: boolean
}

/** The whole report, as `--json` prints it. */
export interface DoctorReport {
  ok: boolean
  verdict: string
  node: string
  /** `env`, or the config module that was loaded. */
  source: string
  config?: Omit<TracerDescription, 'exporters' | 'metricExporters'> & {
    exporters: { name: string; url?: string; headers: string[] }[]
    metrics: { name: string; url?: string; headers: string[] }[]
  }
  /** Environment variables the SDK reads that are set; header values are replaced by their names. */
  env: Record<string, string>
  exporters: ExporterReport[]
  /** The same checks for each metrics exporter, with a test metric instead of a test span. */
  metrics: ExporterReport[]
  notes: string[]
}

export interface DoctorOptions {
  env: Record<string, string | undefined>
  cwd: string
  /** A module that creates the app's tracer (default export, `tracer` export, or `setTracer`). */
  config?: string
  /** Bound on each network check. @default 5000 */
  timeoutMs?: number
  /** Token for reading back the test trace from a `tokentrail dev` collector. */
  token?: string
  /** The Node version and flags to judge; tests pass others. */
  node?: { version: string; execArgv: readonly string[] }
}

const ENV_READ = [
  'OTEL_SDK_DISABLED',
  'TOKENTRAIL_ENABLED',
  'OTEL_SERVICE_NAME',
  'OTEL_TRACES_EXPORTER',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_EXPORTER_OTLP_HEADERS',
  'OTEL_EXPORTER_OTLP_TRACES_HEADERS',
  'OTEL_EXPORTER_OTLP_PROTOCOL',
  'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
  'OTEL_EXPORTER_OTLP_COMPRESSION',
  'OTEL_EXPORTER_OTLP_TRACES_COMPRESSION',
  'OTEL_EXPORTER_OTLP_TIMEOUT',
  'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT',
  'OTEL_BSP_SCHEDULE_DELAY',
  'OTEL_BSP_MAX_QUEUE_SIZE',
  'OTEL_BSP_MAX_EXPORT_BATCH_SIZE',
  'OTEL_BSP_EXPORT_TIMEOUT',
  'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT',
  'OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT',
  'OTEL_TRACES_SAMPLER',
  'OTEL_TRACES_SAMPLER_ARG',
  'TOKENTRAIL_TRACES_SAMPLER',
  'TOKENTRAIL_TEXT_SAMPLE_RATE',
  'TOKENTRAIL_TEXT_SAMPLE_ERRORS',
  'OTEL_RESOURCE_ATTRIBUTES',
  'OTEL_METRICS_EXPORTER',
  'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT',
  'OTEL_EXPORTER_OTLP_METRICS_HEADERS',
  'OTEL_METRIC_EXPORT_INTERVAL',
  'TOKENTRAIL_METRICS',
  'TOKENTRAIL_DEBUG',
  'TOKENTRAIL_WARNINGS',
  'TOKENTRAIL_RECORD_INPUTS',
  'TOKENTRAIL_RECORD_OUTPUTS',
  'TOKENTRAIL_REDACT',
  'TOKENTRAIL_REDACT_PATHS',
  'TOKENTRAIL_REDACT_REPLACE',
  'TOKENTRAIL_REDACT_HASH_KEY',
  'TOKENTRAIL_OTLP_PROFILE',
]

// Header lists hold credentials: only their names are shown.
function shownEnv(env: DoctorOptions['env']): Record<string, string> {
  const shown: Record<string, string> = {}
  for (const name of ENV_READ) {
    const value = env[name]?.trim()
    if (!value) continue
    // A hash key is a secret: only that it is set.
    if (name === 'TOKENTRAIL_REDACT_HASH_KEY') {
      shown[name] = '(set; value not shown)'
      continue
    }
    // An endpoint may carry a password or a token in its query: masked, as in the SDK's warnings.
    if (name.endsWith('_ENDPOINT')) {
      shown[name] = maskedUrl(value)
      continue
    }
    shown[name] = name.endsWith('_HEADERS')
      ? `(set: ${value
          .split(',')
          .map((part) => {
            // Only a name that can be a header name is shown: an entry without `=` (a pasted
            // `Authorization: Bearer sk-…`, a bare key) is all value, and a name of other
            // characters than letters and dashes may be a key whose `=` padding ends it.
            const name = part.includes('=') ? part.split('=')[0]!.trim() : ''
            if (!name) return part.trim() ? '(malformed entry)' : ''
            return /^[\w!#$%&'*+.^`|~-]+$/.test(name) ? shownHeaderName(name) : '(malformed entry)'
          })
          .filter(Boolean)
          .join(', ')}; values not shown)`
      : value
  }
  return shown
}

// The SDK reads `process.env` when a tracer is made; doctor judges the environment it was given.
async function withEnv<T>(env: DoctorOptions['env'], fn: () => Promise<T>): Promise<T> {
  if (env === process.env) return fn()
  const saved = process.env
  process.env = { ...env } as NodeJS.ProcessEnv
  try {
    return await fn()
  } finally {
    process.env = saved
  }
}

function isTracer(value: unknown): value is Tracer {
  return typeof (value as Tracer)?.startSpan === 'function'
}

async function loadTracer(options: DoctorOptions): Promise<Tracer> {
  if (!options.config) return createTracer()
  const file = resolve(options.cwd, options.config)
  let module: Record<string, unknown>
  try {
    module = await import(pathToFileURL(file).href)
  } catch (error) {
    if (TokentrailError.isInstance(error)) throw error
    throw new ConfigError(`cannot load --config ${file}: ${(error as Error)?.message}`, {
      cause: error,
    })
  }
  if (isTracer(module.default)) return module.default
  if (isTracer(module.tracer)) return module.tracer
  // One it passed to setTracer(); else getTracer() would make one from env, and the report would
  // call that the module's.
  if (isTracer((globalThis as Record<symbol, unknown>)[Symbol.for('tokentrail.tracer.default')]))
    return getTracer()
  throw new ConfigError(
    `--config ${file} gives no tracer: export it (as its default export or \`tracer\`) or pass it to setTracer()`,
  )
}

// A --config that cannot be read: said as such, not as the SDK turning tracing off.
class ConfigError extends TokentrailError {}

// `Authorization: Bearer …` from OTEL_EXPORTER_OTLP_HEADERS, to read the test trace back.
function tokenFromHeaders(env: DoctorOptions['env']): string | undefined {
  for (const name of ['OTEL_EXPORTER_OTLP_TRACES_HEADERS', 'OTEL_EXPORTER_OTLP_HEADERS']) {
    for (const part of (env[name] ?? '').split(',')) {
      const index = part.indexOf('=')
      if (index <= 0 || part.slice(0, index).trim().toLowerCase() !== 'authorization') continue
      try {
        const value = decodeURIComponent(part.slice(index + 1).trim())
        const match = /^Bearer\s+(.+)$/i.exec(value)
        if (match) return match[1]
      } catch {}
    }
  }
  return undefined
}

/** The AsyncContextFrame note for Node 22, where it is off unless asked for. */
export function asyncContextNote(
  version: string,
  execArgv: readonly string[],
  nodeOptions: string | undefined,
): string | undefined {
  const major = Number(version.split('.')[0])
  const flag = '--experimental-async-context-frame'
  if (major !== 22 || execArgv.includes(flag) || (nodeOptions ?? '').includes(flag))
    return undefined
  return (
    `Node ${version} runs AsyncLocalStorage on promise hooks unless AsyncContextFrame is on; ` +
    `measured, that adds about 2.6 ms of CPU time to each traced Hono chat request (see "Node 22: turn on AsyncContextFrame" in Tokentrail's README). ` +
    `Set NODE_OPTIONS=${flag} in the app's environment, or move to Node 24, where it is the default.`
  )
}

/** Runs every check and builds the report; never throws for a bad setup (the report says it). */
export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const timeoutMs = options.timeoutMs ?? 5000
  const node = options.node ?? { version: process.versions.node, execArgv: process.execArgv }
  const report: DoctorReport = {
    ok: false,
    verdict: '',
    node: node.version,
    source: options.config ? resolve(options.cwd, options.config) : 'env',
    env: shownEnv(options.env),
    exporters: [],
    metrics: [],
    notes: [],
  }
  const note = asyncContextNote(node.version, node.execArgv, options.env.NODE_OPTIONS)
  if (note) report.notes.push(note)
  let description: TracerDescription | undefined
  try {
    const tracer = await withEnv(options.env, () => loadTracer(options))
    description = describeTracer(tracer)
    if (!description) {
      report.verdict = `the tracer from ${report.source} cannot be inspected (a @tokentrail/core older than doctor?)`
      return report
    }
  } catch (error) {
    const message = TokentrailError.isInstance(error)
      ? error.message
      : String((error as Error)?.message ?? error)
    report.verdict =
      error instanceof ConfigError ? message : `the SDK would turn tracing off: ${message}`
    return report
  }
  const { exporters, metricExporters, ...rest } = description
  report.config = {
    ...rest,
    exporters: exporters.map((e) => ({
      name: e.name,
      ...(e.url ? { url: maskedUrl(e.url) } : {}),
      headers: userHeaders(e),
    })),
    metrics: metricExporters.map((e) => ({
      name: e.name,
      ...(e.url ? { url: maskedUrl(e.url) } : {}),
      headers: userHeaders(e),
    })),
  }
  if (!description.enabled || exporters.length === 0) {
    report.verdict = `no span would leave the app: ${description.why ?? 'no span exporter (only metrics)'}`
    return report
  }
  if (description.sampleRate === 0)
    report.notes.push('sampleRate is 0: every trace is sampled out, none is recorded')
  const span = await testSpan(description.serviceName)
  const token = options.token ?? options.env.TOKENTRAIL_TOKEN ?? tokenFromHeaders(options.env)
  for (const exporter of exporters)
    report.exporters.push(await checkExporter(exporter, span, { timeoutMs, token }))
  for (const exporter of metricExporters)
    report.metrics.push(
      await checkMetricExporter(exporter, description.serviceName, { timeoutMs, token }),
    )
  const failed = report.exporters.filter((e) => !e.ok)
  const metricsFailed = report.metrics.filter((e) => !e.ok)
  report.ok = failed.length === 0 && metricsFailed.length === 0 && description.sampleRate > 0
  const reasons = (list: ExporterReport[]) =>
    `${list.map((e) => e.url ?? e.name).join(', ')}: ${list
      .map((e) => e.checks.find((c) => c.ok === false)?.detail ?? 'not checked')
      .join('; ')}`
  report.verdict = report.ok
    ? `spans reach ${exporters.length === 1 ? 'their destination' : `all ${exporters.length} destinations`}`
    : failed.length > 0
      ? `spans would not arrive at ${reasons(failed)}`
      : description.sampleRate === 0
        ? 'no trace would be recorded (sampleRate 0)'
        : `spans reach their destination, but metrics would not arrive at ${reasons(metricsFailed)}`
  return report
}
