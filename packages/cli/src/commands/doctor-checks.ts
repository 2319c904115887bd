import { lookup } from 'node:dns/promises'
import { connect } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import {
  createTracer,
  type MetricExporter,
  type MetricsSnapshot,
  type SpanData,
  type SpanExporter,
} from '@tokentrail/core'
import { describeExportFailure, maskedUrl } from '@tokentrail/core/otlp'
import type { DoctorCheck, ExporterReport } from './doctor.js'

// Words of letters, each followed by at most 4 digits, or numbers of at most 4 digits, joined by
// dashes or underscores: `x-api-key`, `x-api-key-2`, `DD_API_KEY`, `X-B3-TraceId`.
const HEADER_NAME = /^[A-Za-z]+\d{0,4}(?:[-_](?:[A-Za-z]+\d{0,4}|\d{1,4}))*$/

/**
 * A header name as doctor prints it: names of words (letters, a number after one, joined by dashes
 * or underscores: `x-api-key-2`, `DD_API_KEY`, `Authorization`) are shown; another may be a key
 * written without its name (a base64 key whose `=` padding reads as the name's end, `sk-…=`: its
 * digits fall among its letters), so it is replaced.
 */
export function shownHeaderName(name: string): string {
  return name.length <= 40 && (/^[A-Za-z-]+$/.test(name) || HEADER_NAME.test(name))
    ? name
    : '(a name not shown: it may hold a key)'
}

export function userHeaders(exporter: { headerNames?: readonly string[] }): string[] {
  return (exporter.headerNames ?? [])
    .filter((name) => name.toLowerCase() !== 'content-type')
    .map(shownHeaderName)
}

export async function testSpan(serviceName: string): Promise<SpanData> {
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

type ExportOutcome = Awaited<ReturnType<SpanExporter['export']>>

/** DNS, connect and (for https) TLS to `url`; pushes one check each, false at the first failure. */
async function checkReach(url: URL, checks: DoctorCheck[], timeoutMs: number): Promise<boolean> {
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
    return false
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
    return false
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
      return false
    }
  }
  return true
}

/** Sends one test export and pushes its check: the HTTP answer, explained when it is not a success. */
async function testExport(
  send: (signal: AbortSignal) => Promise<ExportOutcome>,
  url: string,
  what: string,
  signal: 'traces' | 'metrics',
  accepted: (ms: number) => string,
  checks: DoctorCheck[],
  timeoutMs: number,
): Promise<boolean> {
  const started = performance.now()
  const deadline = AbortSignal.timeout(timeoutMs)
  let result: ExportOutcome
  try {
    result = await send(deadline)
  } catch (error) {
    result = { code: 'failed', error }
  }
  const ms = Math.round(performance.now() - started)
  if (result.code !== 'success') {
    checks.push({
      name: 'test export',
      ok: false,
      // Doctor's own deadline passed: the exporter saw only an abort ("This operation was aborted").
      detail: deadline.aborted
        ? `no answer within ${timeoutMs} ms: the receiver accepted the connection but is slow or stalled (--timeout sets the wait)`
        : describeExportFailure(result.error, url, signal),
    })
    return false
  }
  if ((result.rejected ?? 0) > 0) {
    checks.push({
      name: 'test export',
      ok: false,
      detail: `partial success: the receiver rejected the test ${what}${result.message ? ` (${result.message})` : ''}`,
    })
    return false
  }
  checks.push({ name: 'test export', ok: true, detail: accepted(ms) })
  return true
}

/** What one exporter's checks need: how to send the test item and how to find it again. */
interface Destination {
  exporter: { name: string; url?: string; headerNames?: readonly string[] }
  signal: 'traces' | 'metrics'
  /** What the exporter carries, for the no-URL line. */
  carries: string
  /** Whether an exporter without a URL (console, custom) counts as passing. */
  passesWithoutUrl: boolean
  item: string
  send(signal: AbortSignal): Promise<ExportOutcome>
  accepted(ms: number): string
  confirm(url: URL): Promise<DoctorCheck | undefined>
}

// Reach, one test export, and arrival at `tokentrail dev`: the same steps for every signal.
async function checkDestination(d: Destination, timeoutMs: number): Promise<ExporterReport> {
  const { exporter } = d
  // What doctor prints (and `--json` holds) ends up in CI logs and bug reports: the URL with its
  // password and query values masked, as the SDK's own warnings show it. The checks use it whole.
  const report: ExporterReport = {
    name: exporter.name,
    ...(exporter.url ? { url: maskedUrl(exporter.url) } : {}),
    headers: userHeaders(exporter),
    checks: [],
    ok: false,
  }
  const { checks } = report
  if (!exporter.url) {
    // A console or custom exporter: sending the test item would print into doctor's own output.
    checks.push({
      name: 'destination',
      ok: null,
      detail: `the ${exporter.name} exporter has no URL to check; ${d.carries} go wherever it writes them`,
    })
    report.ok = d.passesWithoutUrl
    return report
  }
  const url = new URL(exporter.url)
  if (!(await checkReach(url, checks, timeoutMs))) return report
  const sent = await testExport(
    d.send,
    maskedUrl(exporter.url),
    d.item,
    d.signal,
    d.accepted,
    checks,
    timeoutMs,
  )
  if (!sent) return report
  const arrived = await d.confirm(url)
  if (arrived) checks.push(arrived)
  report.ok = arrived?.ok !== false
  return report
}

export function checkExporter(
  exporter: SpanExporter,
  span: SpanData,
  options: { timeoutMs: number; token: string | undefined },
): Promise<ExporterReport> {
  return checkDestination(
    {
      exporter,
      signal: 'traces',
      carries: 'spans',
      passesWithoutUrl: exporter.name === 'console',
      item: 'span',
      send: (signal) => exporter.export([span], signal),
      accepted: (ms) => `1 span accepted in ${ms} ms (trace ${span.traceId})`,
      confirm: (url) => confirmArrival(url, span.traceId, options.token, options.timeoutMs),
    },
    options.timeoutMs,
  )
}

/** The test metric doctor sends: one point, marked with this run's id so it can be found again. */
export function testMetrics(serviceName: string): { run: string; snapshot: MetricsSnapshot } {
  const run = crypto.randomUUID()
  const time = Date.now()
  return {
    run,
    snapshot: {
      resource: { serviceName, attributes: {} },
      startTime: time,
      time,
      metrics: [
        {
          type: 'sum',
          name: 'tokentrail.doctor.check',
          description: 'One point sent by tokentrail doctor to test the metrics endpoint',
          unit: '{check}',
          isInteger: true,
          points: [{ attributes: { 'tokentrail.doctor.run': run }, value: 1 }],
        },
      ],
    },
  }
}

// A `tokentrail dev` collector serves stored metric series back; find this run's point.
async function confirmMetricArrival(
  url: URL,
  run: string,
  token: string | undefined,
  timeoutMs: number,
): Promise<DoctorCheck | undefined> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {}
  const deadline = performance.now() + timeoutMs
  try {
    const health = await fetch(new URL('/health', url), { signal: AbortSignal.timeout(timeoutMs) })
    const body = (await health.json()) as { status?: string; version?: string }
    if (body?.status !== 'ok' || typeof body.version !== 'string') return undefined
  } catch {
    return undefined
  }
  for (;;) {
    let status = 0
    let found = false
    try {
      const response = await fetch(new URL('/api/metrics?name=tokentrail.doctor.check', url), {
        headers,
        signal: AbortSignal.timeout(timeoutMs),
      })
      status = response.status
      const body = (await response.json()) as {
        series?: { attributes?: Record<string, unknown> }[]
      }
      found = (body.series ?? []).some((s) => s.attributes?.['tokentrail.doctor.run'] === run)
    } catch {}
    if (found)
      return {
        name: 'arrived',
        ok: true,
        detail: 'the tokentrail dev collector stored the test metric',
      }
    if (status === 401)
      return {
        name: 'arrived',
        ok: null,
        detail:
          'cannot read the metric back from tokentrail dev without its token (--token or TOKENTRAIL_TOKEN)',
      }
    if (performance.now() > deadline)
      return {
        name: 'arrived',
        ok: false,
        detail: 'tokentrail dev accepted the metrics export but the test metric is not there',
      }
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** Like `checkExporter`, for a metrics exporter: reach, one test point, and arrival at `tokentrail dev`. */
export function checkMetricExporter(
  exporter: MetricExporter,
  serviceName: string,
  options: { timeoutMs: number; token: string | undefined },
): Promise<ExporterReport> {
  const { run, snapshot } = testMetrics(serviceName)
  return checkDestination(
    {
      exporter,
      signal: 'metrics',
      carries: 'metrics',
      passesWithoutUrl: true,
      item: 'metric',
      send: (signal) => exporter.export(snapshot, signal),
      accepted: (ms) => `1 metric point accepted in ${ms} ms (tokentrail.doctor.check)`,
      confirm: (url) => confirmMetricArrival(url, run, options.token, options.timeoutMs),
    },
    options.timeoutMs,
  )
}
