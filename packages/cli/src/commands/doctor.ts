import { lookup } from 'node:dns/promises'
import { connect } from 'node:net'
import { resolve } from 'node:path'
import { connect as tlsConnect } from 'node:tls'
import { pathToFileURL } from 'node:url'
import {
  createTracer,
  describeExportFailure,
  describeTracer,
  getTracer,
  type SpanData,
  type SpanExporter,
  TokentrailError,
  type Tracer,
  type TracerDescription,
} from '@tokentrail/core'
import { type Palette, safeText } from '../format.js'

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
    metrics: { name: string; url?: string }[]
  }
  /** Environment variables the SDK reads that are set; header values are replaced by their names. */
  env: Record<string, string>
  exporters: ExporterReport[]
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
  'OTEL_TRACES_SAMPLER_ARG',
  'OTEL_RESOURCE_ATTRIBUTES',
  'OTEL_METRICS_EXPORTER',
  'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT',
  'OTEL_EXPORTER_OTLP_METRICS_HEADERS',
  'TOKENTRAIL_METRICS',
  'TOKENTRAIL_DEBUG',
  'TOKENTRAIL_WARNINGS',
  'TOKENTRAIL_RECORD_INPUTS',
  'TOKENTRAIL_RECORD_OUTPUTS',
]

// Header lists hold credentials: only their names are shown.
function shownEnv(env: DoctorOptions['env']): Record<string, string> {
  const shown: Record<string, string> = {}
  for (const name of ENV_READ) {
    const value = env[name]?.trim()
    if (!value) continue
    shown[name] = name.endsWith('_HEADERS')
      ? `(set: ${value
          .split(',')
          .map((part) => part.split('=')[0]!.trim())
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
    throw new TokentrailError(`cannot load --config ${file}: ${(error as Error)?.message}`, {
      cause: error,
    })
  }
  if (isTracer(module.default)) return module.default
  if (isTracer(module.tracer)) return module.tracer
  return getTracer()
}

function userHeaders(exporter: { headerNames?: readonly string[] }): string[] {
  return (exporter.headerNames ?? []).filter((name) => name.toLowerCase() !== 'content-type')
}

async function testSpan(serviceName: string): Promise<SpanData> {
  const spans: SpanData[] = []
  const tracer = createTracer({
    serviceName,
    warnings: false,
    exporters: [
      {
        name: 'doctor',
        async export(batch) {
          spans.push(...batch)
          return { code: 'success' }
        },
      },
    ],
  })
  tracer.withSpan('tokentrail doctor', { attributes: { 'tokentrail.doctor': true } }, () => {})
  await tracer.flush({ timeoutMs: 1000 })
  return spans[0]!
}

function codeOf(error: unknown): string {
  const e = error as { code?: string; message?: string }
  return e?.code ?? e?.message ?? String(error)
}

function timeoutError(ms: number) {
  return Object.assign(new Error(`no answer within ${ms} ms`), {
    code: `no answer within ${ms} ms`,
  })
}

function tcpCheck(host: string, port: number, timeoutMs: number): Promise<number> {
  return new Promise((done, fail) => {
    const started = performance.now()
    const socket = connect({ host, port })
    socket.setTimeout(timeoutMs, () => {
      socket.destroy()
      fail(timeoutError(timeoutMs))
    })
    socket.once('connect', () => {
      socket.destroy()
      done(performance.now() - started)
    })
    socket.once('error', fail)
  })
}

function tlsCheck(host: string, port: number, servername: string, timeoutMs: number) {
  return new Promise<string>((done, fail) => {
    const socket = tlsConnect({ host, port, servername, ALPNProtocols: ['http/1.1'] })
    socket.setTimeout(timeoutMs, () => {
      socket.destroy()
      fail(timeoutError(timeoutMs))
    })
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate()
      const protocol = socket.getProtocol()
      socket.destroy()
      done(`${protocol ?? 'TLS'}, certificate for ${cert?.subject?.CN ?? 'unknown subject'}`)
    })
    socket.once('error', fail)
  })
}

// A `tokentrail dev` collector answers /health with its version and serves the trace back.
async function confirmArrival(
  url: URL,
  traceId: string,
  token: string | undefined,
  timeoutMs: number,
): Promise<DoctorCheck | undefined> {
  let version: string
  try {
    const health = await fetch(new URL('/health', url), { signal: AbortSignal.timeout(timeoutMs) })
    const body = (await health.json()) as { status?: string; version?: string }
    if (body?.status !== 'ok' || typeof body.version !== 'string') return undefined
    version = body.version
  } catch {
    return undefined
  }
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {}
  const deadline = performance.now() + timeoutMs
  for (;;) {
    let status = 0
    try {
      const response = await fetch(new URL(`/api/traces/${traceId}`, url), {
        headers,
        signal: AbortSignal.timeout(timeoutMs),
      })
      status = response.status
      await response.arrayBuffer()
    } catch {}
    if (status === 200)
      return {
        name: 'arrived',
        ok: true,
        detail: `the tokentrail dev collector (${version}) stored test trace ${traceId}`,
      }
    if (status === 401)
      return {
        name: 'arrived',
        ok: null,
        detail: `cannot read the trace back from tokentrail dev ${version} without its token (--token or TOKENTRAIL_TOKEN)`,
      }
    if (performance.now() > deadline)
      return {
        name: 'arrived',
        ok: false,
        detail: `tokentrail dev ${version} accepted the export but trace ${traceId} is not there`,
      }
    await new Promise((r) => setTimeout(r, 50))
  }
}

async function checkExporter(
  exporter: SpanExporter,
  span: SpanData,
  options: { timeoutMs: number; token: string | undefined },
): Promise<ExporterReport> {
  const report: ExporterReport = {
    name: exporter.name,
    ...(exporter.url ? { url: exporter.url } : {}),
    headers: userHeaders(exporter),
    checks: [],
    ok: false,
  }
  const { checks } = report
  const { timeoutMs } = options
  if (!exporter.url) {
    // A console or custom exporter: sending the test span would print into doctor's own output.
    checks.push({
      name: 'destination',
      ok: null,
      detail: `the ${exporter.name} exporter has no URL to check; spans go wherever it writes them`,
    })
    report.ok = exporter.name === 'console'
    return report
  }
  const url = new URL(exporter.url)
  const secure = url.protocol === 'https:'
  const port = Number(url.port || (secure ? 443 : 80))
  const host = url.hostname.replace(/^\[|\]$/g, '')
  let address: string
  try {
    const addresses = await lookup(host, { all: true })
    address = addresses[0]!.address
    checks.push({ name: 'DNS', ok: true, detail: addresses.map((a) => a.address).join(', ') })
  } catch (error) {
    checks.push({ name: 'DNS', ok: false, detail: `cannot resolve ${host} (${codeOf(error)})` })
    return report
  }
  try {
    const ms = await tcpCheck(address, port, timeoutMs)
    checks.push({ name: 'connect', ok: true, detail: `${address}:${port} in ${Math.round(ms)} ms` })
  } catch (error) {
    const code = codeOf(error)
    checks.push({
      name: 'connect',
      ok: false,
      detail: `${address}:${port}: ${code === 'ECONNREFUSED' ? 'connection refused, nothing listens there' : code}${
        url.hostname === '127.0.0.1' || url.hostname === 'localhost'
          ? ' (start the collector: npx tokentrail dev)'
          : ''
      }`,
    })
    return report
  }
  if (secure) {
    try {
      checks.push({
        name: 'TLS',
        ok: true,
        detail: await tlsCheck(address, port, host, timeoutMs),
      })
    } catch (error) {
      checks.push({ name: 'TLS', ok: false, detail: `handshake failed (${codeOf(error)})` })
      return report
    }
  }
  const started = performance.now()
  let result: Awaited<ReturnType<SpanExporter['export']>>
  try {
    result = await exporter.export([span], AbortSignal.timeout(timeoutMs))
  } catch (error) {
    result = { code: 'failed', error }
  }
  const ms = Math.round(performance.now() - started)
  if (result.code !== 'success') {
    checks.push({
      name: 'test export',
      ok: false,
      detail: describeExportFailure(result.error, exporter.url),
    })
    return report
  }
  if ((result.rejected ?? 0) > 0) {
    checks.push({
      name: 'test export',
      ok: false,
      detail: `partial success: the receiver rejected the test span${result.message ? ` (${result.message})` : ''}`,
    })
    return report
  }
  checks.push({
    name: 'test export',
    ok: true,
    detail: `1 span accepted in ${ms} ms (trace ${span.traceId})`,
  })
  const arrived = await confirmArrival(url, span.traceId, options.token, timeoutMs)
  if (arrived) checks.push(arrived)
  report.ok = arrived?.ok !== false
  return report
}

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
    `measured, that adds about 2.2 ms to each traced Hono request (bench, issue 18). ` +
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
    report.verdict = `the SDK would turn tracing off: ${TokentrailError.isInstance(error) ? error.message : String((error as Error)?.message ?? error)}`
    return report
  }
  const { exporters, metricExporters, ...rest } = description
  report.config = {
    ...rest,
    exporters: exporters.map((e) => ({
      name: e.name,
      ...(e.url ? { url: e.url } : {}),
      headers: userHeaders(e),
    })),
    metrics: metricExporters.map((e) => ({ name: e.name, ...(e.url ? { url: e.url } : {}) })),
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
  const failed = report.exporters.filter((e) => !e.ok)
  report.ok = failed.length === 0 && description.sampleRate > 0
  report.verdict = report.ok
    ? `spans reach ${exporters.length === 1 ? 'their destination' : `all ${exporters.length} destinations`}`
    : failed.length > 0
      ? `spans would not arrive at ${failed.map((e) => e.url ?? e.name).join(', ')}: ${failed
          .map((e) => e.checks.find((c) => c.ok === false)?.detail ?? 'not checked')
          .join('; ')}`
      : 'no trace would be recorded (sampleRate 0)'
  return report
}

function mark(ok: boolean | null, p: Palette): string {
  return ok === true ? p.green('✓') : ok === false ? p.red('✗') : p.dim('–')
}

/** The report for people. Captured text goes through the one escape function. */
export function formatDoctorReport(report: DoctorReport, version: string, p: Palette): string {
  const lines: string[] = [
    `${p.bold('tokentrail doctor')} ${version} (Node ${report.node})`,
    '',
    `config (${report.source === 'env' ? 'from the environment' : `from ${safeText(report.source)}`})`,
  ]
  const row = (label: string, value: string) => lines.push(`  ${label.padEnd(14)} ${value}`)
  const c = report.config
  if (c) {
    row('tracing', c.enabled ? 'on' : `off: ${c.why}`)
    row('service', safeText(c.serviceName))
    row('sampling', `${Math.round(c.sampleRate * 1000) / 10} % of traces`)
    row(
      'recording',
      `inputs ${c.recordInputs ? 'yes' : 'no'}, outputs ${c.recordOutputs ? 'yes' : 'no'}`,
    )
    row('warnings', `${c.warnings ? 'on' : 'off'}${c.debug ? ', debug on' : ''}`)
    if (c.exporters.length === 0) row('exporters', 'none')
    for (const [i, e] of c.exporters.entries()) {
      row(i === 0 ? 'exporters' : '', `${e.name}${e.url ? ` → ${safeText(e.url)}` : ''}`)
      if (e.headers.length > 0)
        row('', p.dim(`headers: ${e.headers.map(safeText).join(', ')} (values not shown)`))
    }
    row(
      'metrics',
      c.metrics.length === 0
        ? 'off'
        : c.metrics.map((m) => `${m.name}${m.url ? ` → ${safeText(m.url)}` : ''}`).join(', '),
    )
  }
  const env = Object.entries(report.env)
  if (env.length > 0) {
    lines.push('', 'environment')
    for (const [name, value] of env) lines.push(`  ${name}=${safeText(value)}`)
  }
  for (const exporter of report.exporters) {
    lines.push('', `${exporter.name}${exporter.url ? ` → ${safeText(exporter.url)}` : ''}`)
    for (const check of exporter.checks)
      lines.push(`  ${mark(check.ok, p)} ${check.name.padEnd(12)} ${safeText(check.detail)}`)
  }
  for (const note of report.notes) lines.push('', `${p.yellow('note')} ${note}`)
  lines.push('', `${mark(report.ok, p)} ${safeText(report.verdict)}`)
  return `${lines.join('\n')}\n`
}
