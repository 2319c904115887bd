import { createHash, timingSafeEqual } from 'node:crypto'
import { existsSync, rmdirSync, rmSync, statSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { type AddressInfo, isIPv6 } from 'node:net'
import { resolve as absolute, dirname } from 'node:path'
import { type SpanStatus, TokentrailError } from '@tokentrail/core'
import { checkOptionKeys } from '@tokentrail/core/internal'
import { summarizeDelivery } from '../delivery-health.js'
import { encodeMetricsResponse } from '../otlp/otlp-metrics-protobuf.js'
import { encodeRpcStatus } from '../otlp/otlp-protobuf.js'
import { lockDatabase, onDisk } from '../store/db-lock.js'
import { summarizeMetrics } from '../store/metrics-summary.js'
import { RETRY_AFTER_SECONDS, storageFailure } from '../store/storage-error.js'
import {
  MIN_MAX_BYTES,
  openTraceStore,
  type TraceDetail,
  type TracePageRequest,
  type TraceQuery,
  type TraceStore,
} from '../store/store.js'
import type { PreparedSpan } from '../store/store-schema.js'
import { VERSION } from '../version.js'
import { viewerAsset } from '../viewer/assets.js'
import { viewRoute } from './api-views.js'
import { BodyDecoder } from './body-decoder.js'
import { HttpError, sendBody, sendJson } from './http-error.js'
import { decodeMetricsBody, ingestFormat, mediaType, readBody } from './ingest.js'
import { LiveHub } from './live.js'
import { readIdentityQuery, readLimit, readTime, readTracePage } from './query-params.js'

/** Options of `startCollector`. */
export interface CollectorOptions {
  /**
   * Port to listen on; `0` picks a free one.
   * @default 4318
   */
  port?: number
  /**
   * Interface to bind. Loopback by default: traces hold prompts.
   * @default '127.0.0.1'
   */
  host?: string
  /**
   * Host names (the `Host` header, without port) the query API, live stream and viewer answer to,
   * besides `localhost` and IP addresses. Others are refused, so a page on another site cannot
   * read traces through DNS rebinding. Ingest endpoints answer any host.
   * @default []
   */
  allowedHosts?: readonly string[]
  /**
   * Web page origins (such as `https://app.example`), besides `http(s)://localhost` and loopback
   * IPs on any port, that may send to the ingest endpoints from a browser (CORS, as the
   * OpenTelemetry Collector's `cors.allowed_origins`); `'*'` allows every origin. A request whose
   * `Origin` is not allowed is refused with 403 and said once per origin through `log`. The query
   * API and viewer never answer other origins, whatever this holds: they return prompts.
   * @default []
   */
  corsOrigins?: readonly string[]
  /**
   * Most bytes queued to all live-stream clients together; past it the clients furthest behind
   * are disconnected (each one is also capped at 1 MB).
   * @default 33554432
   */
  maxLiveBufferBytes?: number
  /**
   * Where storage errors are reported with SQLite's own message (ingest answers 503 with
   * `Retry-After` meanwhile); repeats of one message are reported at most every 10 s.
   * @default a line on stderr
   */
  log?: (line: string) => void
  /**
   * SQLite file to store traces in (ignored when `store` is given).
   * @default '.tokentrail/traces.db'
   */
  db?: string
  /** An open store to use instead of opening `db`; the caller closes it. */
  store?: TraceStore
  /** When set, ingest and API calls need `Authorization: Bearer <token>` (or `?token=`). */
  token?: string
  /**
   * Most traces kept.
   * @default 100000
   */
  maxTraces?: number
  /**
   * Traces older than this many milliseconds are deleted; `0` keeps all.
   * @default 0
   */
  maxAgeMs?: number
  /**
   * Most metric series kept (each producer run counts once); the least recently updated go first.
   * @default 50000
   */
  maxMetricSeries?: number
  /**
   * Largest the database may grow, in bytes; past it the oldest traces are deleted. `0` keeps all;
   * else at least 1 MiB (see `TraceStoreOptions.maxBytes`).
   * @default 2147483648 (2 GiB)
   */
  maxDbBytes?: number
  /**
   * Largest request body, in bytes, after decompression.
   * @default 16777216
   */
  maxBodyBytes?: number
}

/** Counters of what the collector received and refused, so nothing is dropped silently. */
export interface CollectorStats {
  requests: number
  spansReceived: number
  spansStored: number
  duplicateSpans: number
  /** Rejected requests by HTTP status. */
  rejected: Record<string, number>
  liveClients: number
  slowLiveClientsDropped: number
  /** Bytes queued to live-stream clients and not yet sent (bounded by `maxLiveBufferBytes`). */
  liveBufferedBytes: number
  tracesDeletedByRetention: number
  /** Metric data points received at `/v1/metrics` in accepted requests. */
  metricPointsReceived: number
  metricPointsStored: number
  /** Points answered as rejected in an OTLP partial success (kinds not stored, non-finite values). */
  metricPointsRejected: number
  /** Cumulative points older than the one already stored for their series (late retries). */
  staleMetricPoints: number
  metricSeriesDeletedByRetention: number
}

/** A running collector. */
export interface Collector {
  /** Base URL, such as `http://127.0.0.1:4318`. */
  readonly url: string
  readonly port: number
  readonly store: TraceStore
  stats(): CollectorStats
  /** Stops listening, ends live streams and closes the store it opened. */
  close(): Promise<void>
}

const JSON_TYPE = 'application/json; charset=utf-8'
const YEAR_2000_MS = Date.UTC(2000, 0, 1)
const DAY_MS = 86_400_000
/** How long `close` waits for ingest requests under way to be stored and answered. */
const CLOSE_DRAIN_MS = 2_000
const STATUSES: ReadonlySet<string> = new Set(['ok', 'error', 'cancelled'])
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]'])
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/

const INGEST_PATHS: ReadonlySet<string> = new Set(['/v1/traces', '/v1/metrics', '/api/spans'])

/**
 * Whether a page's `Origin` is on this machine: `http(s)://localhost`, `127.x.x.x` or `[::1]`.
 * Not `*.localhost`: Chrome and Firefox resolve those names to this machine themselves, but
 * Safari asks DNS, so such a page may be served from anywhere a resolver points it.
 */
function loopbackOrigin(origin: string): boolean {
  let url: URL
  try {
    url = new URL(origin)
  } catch {
    return false
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false
  const name = url.hostname.toLowerCase()
  return name === 'localhost' || name === '[::1]' || isLoopbackHost(name)
}

/**
 * What is wrong with a `corsOrigins` entry, or undefined when it is `'*'` or an origin such as
 * `https://app.example`: said so that a user sees which part to change.
 */
export function corsOriginProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return `expected a string, got ${typeof value}`
  if (value === '*') return undefined
  const shown = JSON.stringify(value.slice(0, 100))
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value))
    return `${shown} has no scheme: an origin starts with http:// or https:// (such as http://${value.slice(0, 100) || 'app.example'})`
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return `${shown} is not a URL`
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return `${shown} is not a web page origin: only http:// and https:// pages export from a browser`
  const origin = url.origin
  if (url.username || url.password)
    return `${shown} has a user name or password: an origin is scheme, host and port only (${origin})`
  if (url.pathname !== '/' || url.search || url.hash || /[?#]/.test(value))
    return `${shown} has a path, query or fragment: an origin is scheme, host and port only (${origin})`
  return undefined
}

/** Normalises a `corsOrigins` entry: `'*'` or an origin; undefined when `corsOriginProblem` has one. */
export function readCorsOrigin(value: string): string | undefined {
  if (corsOriginProblem(value) !== undefined) return undefined
  return value === '*' ? value : new URL(value).origin
}

/** A host name or IP address to listen on (`127.0.0.1`, `0.0.0.0`, `::`, `devbox.local`). */
export function isListenHost(host: unknown): host is string {
  return typeof host === 'string' && /^[a-z0-9.:_-]+$/i.test(host)
}

/** True when `host` binds loopback only, so nothing off this machine can connect. */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.has(host) || /^127(\.\d{1,3}){3}$/.test(host)
}

// The Host header without its port; an IPv6 literal keeps its brackets. A header starting with `[`
// that is not an IPv6 literal (and an optional port) is kept whole: it is no host this answers to.
function hostName(header: string | undefined): string {
  const value = (header ?? '').toLowerCase()
  if (value.startsWith('[')) {
    const end = value.indexOf(']')
    return end > 0 && isIPv6(value.slice(1, end)) && /^(:\d*)?$/.test(value.slice(end + 1))
      ? value.slice(0, end + 1)
      : value
  }
  return value.replace(/:\d*$/, '')
}

// DNS rebinding needs a name the attacker controls: an IP literal or loopback name cannot be one.
function trustedHost(name: string, allowed: ReadonlySet<string>): boolean {
  return (
    LOOPBACK.has(name) ||
    IPV4.test(name) ||
    (name.startsWith('[') && name.endsWith(']') && isIPv6(name.slice(1, -1))) ||
    allowed.has(name)
  )
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest()
}

function readStatus(given: string | null): SpanStatus | undefined {
  if (given === null || given === '') return undefined
  const value = given.toLowerCase()
  if (!STATUSES.has(value))
    throw new HttpError(400, `status must be ok, error or cancelled, got "${given.slice(0, 40)}"`)
  return value as SpanStatus
}

function readQuery(params: URLSearchParams): TraceQuery {
  const query: TraceQuery = {}
  const status = readStatus(params.get('status'))
  if (status) query.status = status
  for (const key of ['model', 'service', 'text', 'cursor', 'user', 'session'] as const) {
    const value = params.get(key)
    if (value) query[key] = value
  }
  readIdentityQuery(params, query)
  for (const key of ['from', 'to'] as const) {
    const time = readTime(params, key)
    if (time !== undefined) query[key] = time
  }
  const limit = readLimit(params)
  if (limit !== undefined) query.limit = limit
  return query
}

const COLLECTOR_OPTIONS = [
  'port',
  'host',
  'db',
  'store',
  'token',
  'maxTraces',
  'maxAgeMs',
  'maxMetricSeries',
  'maxDbBytes',
  'maxBodyBytes',
  'allowedHosts',
  'corsOrigins',
  'maxLiveBufferBytes',
  'log',
]

/**
 * Starts the local collector: OTLP/HTTP (JSON and protobuf) at `/v1/traces` and `/v1/metrics`,
 * Tokentrail JSON at `/api/spans`, the query API under `/api`, live updates at `/api/live` and the
 * viewer at `/`.
 *
 * @example
 * const collector = await startCollector({ port: 4318, db: '.tokentrail/traces.db' })
 * console.log(`viewer at ${collector.url}`)
 */
export async function startCollector(options: CollectorOptions = {}): Promise<Collector> {
  if (options === null || typeof options !== 'object')
    throw new TokentrailError(
      `startCollector(options) takes an options object, got ${typeof options}`,
    )
  checkOptionKeys(options, COLLECTOR_OPTIONS, 'startCollector', {
    maxAge: 'maxAgeMs',
    maxBody: 'maxBodyBytes',
    path: 'db',
  })
  return start(options)
}

// What opening a store at `db` may create that is not there yet: the file, the files SQLite keeps
// beside it and the folders above it (nothing for ':memory:').
function newPaths(db: string): string[] {
  if (!onDisk(db)) return []
  const file = absolute(db)
  const paths = ['', '-wal', '-shm', '-journal', '-lock']
    .map((suffix) => file + suffix)
    .filter((path) => !existsSync(path))
  for (let folder = dirname(file); !existsSync(folder); folder = dirname(folder)) {
    paths.push(folder)
    if (dirname(folder) === folder) break
  }
  return paths
}

// Removes what `newPaths` listed, files first; a folder only if nothing else was put in it since.
function removeCreated(paths: readonly string[]) {
  for (const path of paths) {
    try {
      if (statSync(path).isDirectory()) rmdirSync(path)
      else rmSync(path)
    } catch {}
  }
}

// The collector itself, once its options are known to be an object of known keys.
async function start({
  port = 4318,
  host = '127.0.0.1',
  db = '.tokentrail/traces.db',
  store: givenStore,
  token,
  maxTraces,
  maxAgeMs,
  maxMetricSeries,
  maxDbBytes,
  maxBodyBytes = 16 * 1024 * 1024,
  allowedHosts = [],
  corsOrigins = [],
  maxLiveBufferBytes = 32 * 1024 * 1024,
  log = (line: string) => {
    process.stderr.write(`${line}\n`)
  },
}: CollectorOptions = {}): Promise<Collector> {
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new TokentrailError(`port must be a whole number from 0 to 65535, got ${port}`)
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 1)
    throw new TokentrailError(`maxBodyBytes must be a whole number ≥ 1, got ${maxBodyBytes}`)
  if (!isListenHost(host))
    throw new TokentrailError(
      `host must be a host name or IP address to listen on, such as "127.0.0.1" or "::", got ${JSON.stringify(host)}`,
    )
  if (token !== undefined && typeof token !== 'string')
    throw new TokentrailError(`token must be a string, got ${typeof token}`)
  if (token !== undefined && token.length < 8)
    throw new TokentrailError('token must be at least 8 characters long')
  if (
    maxDbBytes !== undefined &&
    (!Number.isInteger(maxDbBytes) || (maxDbBytes !== 0 && maxDbBytes < MIN_MAX_BYTES))
  )
    throw new TokentrailError(
      `maxDbBytes must be 0 (no limit) or a whole number of bytes ≥ ${MIN_MAX_BYTES} (1 MiB), got ${maxDbBytes}`,
    )
  if (typeof log !== 'function')
    throw new TokentrailError(`log must be a function that takes a line, got ${typeof log}`)
  if (givenStore === undefined && typeof db !== 'string')
    throw new TokentrailError(`db must be the path of a SQLite file, got ${typeof db}`)
  if (!Array.isArray(allowedHosts) || allowedHosts.some((h) => typeof h !== 'string' || !h))
    throw new TokentrailError('allowedHosts must be a list of host names such as ["devbox.local"]')
  if (!Number.isInteger(maxLiveBufferBytes) || maxLiveBufferBytes < 1)
    throw new TokentrailError(
      `maxLiveBufferBytes must be a whole number ≥ 1, got ${maxLiveBufferBytes}`,
    )
  if (!Array.isArray(corsOrigins))
    throw new TokentrailError(
      'corsOrigins must be a list of origins such as ["https://app.example", "http://myapp.test:3000"], or ["*"]',
    )
  corsOrigins.forEach((o, i) => {
    const problem = corsOriginProblem(o)
    if (problem) throw new TokentrailError(`corsOrigins[${i}]: ${problem}`)
  })
  const origins = new Set(corsOrigins.map((o) => readCorsOrigin(o)!))
  function originAllowed(origin: string): boolean {
    return origins.has('*') || origins.has(origin) || loopbackOrigin(origin)
  }
  const refusedOrigins = new Set<string>()
  const allowed = new Set(allowedHosts.map((h) => h.toLowerCase().replace(/:\d*$/, '')))
  // What opening the store creates, so that a start that then fails (the port is taken) leaves
  // no empty database behind.
  const created = givenStore === undefined ? newPaths(db) : []
  const unlock = givenStore === undefined ? lockDatabase(db) : undefined
  let store: TraceStore
  try {
    store =
      givenStore ??
      openTraceStore({
        path: db,
        maxTraces,
        maxAgeMs,
        maxMetricSeries,
        maxBytes: maxDbBytes,
      })
  } catch (error) {
    unlock?.()
    removeCreated(created)
    throw error
  }
  const live = new LiveHub({ maxTotalBytes: maxLiveBufferBytes })
  const decoder = new BodyDecoder((message) => report(message))
  // The connections that sent spans in the last second, with when they last did. With two or more
  // (several exporters, or one sending batches at once), a large body is decoded on the decode
  // thread, so the main thread stores one batch while the next is decoded. With one (an exporter
  // posting one batch at a time) nothing would overlap, and the hand-over only adds to its time:
  // it is decoded in place.
  const senders = new Map<object, number>()
  function severalSenders(request: IncomingMessage): boolean {
    const now = performance.now()
    senders.set(request.socket, now)
    if (senders.size < 2) return false
    for (const [socket, at] of senders) if (at < now - 1000) senders.delete(socket)
    return senders.size > 1
  }
  const expected = token === undefined ? undefined : digest(token)
  const logged = new Map<string, number>()
  function report(message: string) {
    const now = Date.now()
    if ((logged.get(message) ?? 0) > now - 10_000) return
    if (logged.size > 100) logged.clear()
    logged.set(message, now)
    try {
      log(message)
    } catch {}
  }
  const counters: Omit<
    CollectorStats,
    'liveClients' | 'slowLiveClientsDropped' | 'liveBufferedBytes'
  > = {
    requests: 0,
    spansReceived: 0,
    spansStored: 0,
    duplicateSpans: 0,
    rejected: {},
    tracesDeletedByRetention: store.sweep(),
    metricPointsReceived: 0,
    metricPointsStored: 0,
    metricPointsRejected: 0,
    staleMetricPoints: 0,
    metricSeriesDeletedByRetention: store.metrics.sweep(),
  }

  // Ingest requests under way, and whether `close` began: a body still being read, unzipped or
  // decoded when Ctrl-C came used to reach a closed store ("internal error: database is not open").
  let ingesting = 0
  let stopping = false
  let storeClosed = false
  let drained: (() => void) | undefined

  // Counted until its answer is out: a refused body (400, 413) is answered by the request
  // handler's catch after `task` settles, and closing must not cut that answer off.
  async function counted(response: ServerResponse, task: Promise<void>): Promise<void> {
    ingesting++
    try {
      await task
    } finally {
      const done = () => {
        ingesting--
        if (ingesting === 0) drained?.()
      }
      if (response.writableFinished || response.destroyed) done()
      else response.once('close', done)
    }
  }

  function authorized(request: IncomingMessage, url: URL): boolean {
    if (!expected) return true
    const header = request.headers.authorization
    // The scheme's name is case-insensitive (RFC 9110): `bearer` is Bearer.
    const given = /^bearer /i.test(header ?? '') ? header!.slice(7) : url.searchParams.get('token')
    return given !== null && given !== undefined && timingSafeEqual(digest(given), expected)
  }

  // Services already told that their span times look wrong: said once each, not per batch.
  const oddClocks = new Set<string>()
  /**
   * Says once per service when its spans start before 2000 or over a day ahead: an exporter that
   * writes milliseconds or microseconds where OTLP wants nanoseconds, or a machine's clock. They
   * are stored, but lists, `last` and time filters place them there, so they look lost.
   */
  function checkClock(spans: readonly PreparedSpan[]): void {
    const latest = Date.now() + DAY_MS
    for (const { summary } of spans) {
      const start = summary.startTime
      if (start >= YEAR_2000_MS && start <= latest) continue
      if (oddClocks.has(summary.service) || oddClocks.size >= 100) continue
      oddClocks.add(summary.service)
      // Past Date's range (±8.64e15 ms: nanoseconds sent as milliseconds) toISOString throws,
      // which failed the whole batch with an internal error instead of storing it.
      const date = new Date(start)
      const when = Number.isNaN(date.getTime())
        ? `${start.toExponential(3)} ms after 1970`
        : date.toISOString()
      report(
        start < YEAR_2000_MS
          ? `tokentrail: spans from service "${summary.service.slice(0, 100)}" start at ${when}: its exporter likely sends milliseconds or microseconds where OTLP wants nanoseconds (startTimeUnixNano); they are stored, but lists and time filters place them in ${new Date(start).getUTCFullYear()}`
          : `tokentrail: spans from service "${summary.service.slice(0, 100)}" start at ${when}, more than a day ahead: check the sending machine's clock; they are stored, but lists, \`tokentrail last\` and time filters place them there`,
      )
    }
  }

  async function ingest(
    request: IncomingMessage,
    response: ServerResponse,
    path: '/v1/traces' | '/api/spans',
  ): Promise<void> {
    const format = ingestFormat(path, mediaType(request))
    const body = await readBody(request, maxBodyBytes)
    const batch = await decoder.decode(format, body, severalSenders(request))
    // A body still unzipping when `close` gave up waiting: its sender was cut and sends it again.
    if (storeClosed) throw new HttpError(503, 'the collector is stopping; send the batch again')
    const spans = batch.spans
    counters.spansReceived += spans.length
    checkClock(spans)
    const result = spans.length ? store.insertPrepared(batch) : undefined
    if (result) {
      counters.spansStored += result.inserted
      counters.duplicateSpans += result.duplicates
      counters.tracesDeletedByRetention += store.sweep()
    }
    if (format === 'otlp-protobuf')
      // An empty ExportTraceServiceResponse: full success.
      sendBody(response, 200, 'application/x-protobuf', new Uint8Array(0))
    else if (format === 'otlp-json') sendJson(response, 200, { partialSuccess: {} })
    else
      sendJson(response, 200, {
        accepted: spans.length,
        stored: result?.inserted ?? 0,
        duplicates: result?.duplicates ?? 0,
      })
    // After the answer: the exporter does not wait for the live viewers (in order: one queue).
    if (result) setImmediate(() => live.publish(result.spans, result.traces))
  }

  async function ingestMetrics(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const format = ingestFormat('/v1/metrics', mediaType(request))
    const body = await readBody(request, maxBodyBytes)
    if (storeClosed) throw new HttpError(503, 'the collector is stopping; send the batch again')
    const { points, rejected, reasons } = decodeMetricsBody(format, body)
    counters.metricPointsReceived += points.length + rejected
    counters.metricPointsRejected += rejected
    if (points.length) {
      const result = store.metrics.record(points)
      counters.metricPointsStored += result.stored
      counters.staleMetricPoints += result.stale
      counters.metricSeriesDeletedByRetention += store.metrics.sweep()
    }
    const message = reasons.join('; ')
    if (format === 'otlp-protobuf')
      sendBody(response, 200, 'application/x-protobuf', encodeMetricsResponse(rejected, message))
    else
      sendJson(response, 200, {
        partialSuccess: rejected
          ? { rejectedDataPoints: String(rejected), errorMessage: message }
          : {},
      })
  }

  function traceDetail(id: string, page?: TracePageRequest) {
    const resolved = store.resolveTraceId(id)
    if (!resolved.found)
      throw resolved.reason === 'ambiguous'
        ? new HttpError(400, `trace id prefix "${id}" matches several traces; give more characters`)
        : new HttpError(404, `no trace with id "${id}"`)
    return store.getTraceAnswer(resolved.traceId, page)!
  }

  async function route(request: IncomingMessage, response: ServerResponse, url: URL) {
    const path = url.pathname
    const method = request.method ?? 'GET'
    const isRead = method === 'GET' || method === 'HEAD'
    // A web page's request (it has an Origin): only the ingest endpoints answer other origins, and
    // only the allowed ones. A page on any other site, or one reaching this port through DNS
    // rebinding (same-origin to the browser, with its own site as Origin), is refused here: it
    // could otherwise fill the store with made-up traces until retention deletes the real ones.
    const origin = request.headers.origin
    if (origin !== undefined && INGEST_PATHS.has(path)) {
      if (!originAllowed(origin)) {
        const shown = origin.slice(0, 200)
        // A page opened from a file (or sandboxed) sends `Origin: null`: only `*` admits it.
        const flag =
          readCorsOrigin(shown) === undefined ? `'*' (${shown} is not an http(s) origin)` : shown
        // Said once per origin: an exporter retries what the browser reports as a network failure.
        if (refusedOrigins.size < 100 && !refusedOrigins.has(shown)) {
          refusedOrigins.add(shown)
          report(
            `tokentrail: refused ${method === 'OPTIONS' ? 'a browser export' : `${method} ${path}`} from a web page at ${shown} (CORS); to accept exports from it, start tokentrail dev with --cors-origins ${flag}`,
          )
        }
        throw new HttpError(
          403,
          `origin ${shown} may not send to this collector; start tokentrail dev with --cors-origins ${flag}`,
        )
      }
      response.setHeader('access-control-allow-origin', origin)
      response.setHeader('vary', 'origin')
      // A 503's Retry-After (a full disk, a stopping collector) is what a browser exporter backs
      // off by: readable only when exposed.
      response.setHeader('access-control-expose-headers', 'retry-after')
      if (method === 'OPTIONS') {
        const asked = request.headers['access-control-request-headers']
        const headers: Record<string, string> = {
          'access-control-allow-methods': 'POST',
          'access-control-allow-headers':
            typeof asked === 'string' && /^[\w\-, ]{1,1000}$/.test(asked)
              ? asked
              : 'content-type, content-encoding, authorization',
          'access-control-max-age': '600',
        }
        // Chrome's Private Network Access: a public page asks before it may reach a local port.
        if (request.headers['access-control-request-private-network'] === 'true')
          headers['access-control-allow-private-network'] = 'true'
        response.writeHead(204, headers)
        response.end()
        return
      }
    }
    // The viewer and the query API answer their own page only: a browser sends a GET's Origin
    // only across origins (or a POST's, its own too), and they return prompts. Another page's
    // request was answered 200 with the data (the browser alone kept it from the page).
    if (
      origin !== undefined &&
      !INGEST_PATHS.has(path) &&
      origin !== `http://${request.headers.host}`
    )
      throw new HttpError(
        403,
        `the viewer and query API answer their own page only, not a page at ${origin.slice(0, 200)}`,
      )
    if (path === '/v1/traces' || path === '/api/spans') {
      if (method !== 'POST') throw new HttpError(405, `${path} accepts POST only`)
      if (!authorized(request, url))
        throw new HttpError(401, 'missing or wrong token: send Authorization: Bearer <token>')
      return counted(response, ingest(request, response, path))
    }
    if (path === '/v1/metrics') {
      if (method !== 'POST') throw new HttpError(405, `${path} accepts POST only`)
      if (!authorized(request, url))
        throw new HttpError(401, 'missing or wrong token: send Authorization: Bearer <token>')
      return counted(response, ingestMetrics(request, response))
    }
    if (path === '/health') {
      if (!isRead) throw new HttpError(405, `${path} accepts GET only`)
      return sendJson(response, 200, { status: 'ok', version: VERSION })
    }
    const name = hostName(request.headers.host)
    // Refuses other sites' pages reaching this port through DNS rebinding, whatever the bind.
    if (!trustedHost(name, allowed))
      throw new HttpError(
        403,
        /^[a-z0-9.-]+$/.test(name)
          ? `host "${name.slice(0, 100)}" is not allowed; use 127.0.0.1, localhost or an IP address, or start with --allowed-hosts ${name.slice(0, 100)}`
          : `host "${name.slice(0, 100)}" is not allowed: not a host name or IP address; use 127.0.0.1, localhost or an IP address`,
      )
    if (path.startsWith('/api/')) {
      if (!isRead) throw new HttpError(405, `${path} accepts GET only`)
      if (!authorized(request, url))
        throw new HttpError(401, 'missing or wrong token: send Authorization: Bearer <token>')
      const view = viewRoute(
        store,
        path,
        url.searchParams,
        (id) => JSON.parse(traceDetail(id).toString()) as TraceDetail,
      )
      if (view !== undefined) return sendJson(response, 200, view)
      if (path === '/api/traces')
        return sendJson(response, 200, store.listTraces(readQuery(url.searchParams)))
      const one = /^\/api\/traces\/([^/]+)\/spans\/([^/]+)$/.exec(path)
      if (one) {
        let ids: [string, string]
        try {
          ids = [decodeURIComponent(one[1]!), decodeURIComponent(one[2]!)]
        } catch {
          throw new HttpError(400, 'trace and span ids must be hex characters')
        }
        const resolved = store.resolveTraceId(ids[0])
        const span = resolved.found ? store.getSpanJson(resolved.traceId, ids[1]) : undefined
        if (!span)
          throw new HttpError(
            404,
            `no span "${ids[1].slice(0, 40)}" in trace "${ids[0].slice(0, 40)}"`,
          )
        return sendBody(response, 200, JSON_TYPE, span)
      }
      if (path.startsWith('/api/traces/')) {
        let id: string
        try {
          id = decodeURIComponent(path.slice(12))
        } catch {
          throw new HttpError(400, 'trace id must be hex characters, 6 to 32 of them')
        }
        return sendBody(response, 200, JSON_TYPE, traceDetail(id, readTracePage(url.searchParams)))
      }
      if (path === '/api/last' || path === '/api/last-error') {
        const detail = store.lastTraceAnswer(
          path === '/api/last' ? undefined : 'error',
          readTracePage(url.searchParams),
        )
        if (!detail)
          throw new HttpError(404, path === '/api/last' ? 'no traces yet' : 'no failed traces yet')
        return sendBody(response, 200, JSON_TYPE, detail)
      }
      if (path === '/api/stats') {
        const query = readQuery(url.searchParams)
        const series = store.metrics.series({ from: query.from })
        return sendJson(response, 200, {
          ...store.stats({ from: query.from, to: query.to }),
          metrics: summarizeMetrics(series),
          delivery: summarizeDelivery(series),
          collector: stats(),
        })
      }
      if (path === '/api/metrics') {
        const query = readQuery(url.searchParams)
        const name = url.searchParams.get('name') || undefined
        const series = store.metrics.series({ service: query.service, name, from: query.from })
        const limit = query.limit ?? 1000
        return sendJson(response, 200, {
          series: series.slice(0, limit),
          ...(series.length > limit ? { truncated: series.length } : {}),
          summary: summarizeMetrics(series),
        })
      }
      if (path === '/api/live') {
        const status = readStatus(url.searchParams.get('status'))
        const service = url.searchParams.get('service') || undefined
        const events = url.searchParams.get('events') || undefined
        if (events !== undefined && events !== 'traces')
          throw new HttpError(
            400,
            `events must be traces (or left out), got "${events.slice(0, 20)}"`,
          )
        return live.add(response, { status, service, tracesOnly: events === 'traces' })
      }
      throw new HttpError(404, `no API route ${path}`)
    }
    const asset = isRead ? await viewerAsset(path) : undefined
    if (asset) return sendBody(response, 200, asset.type, asset.body, asset.headers)
    throw new HttpError(404, `nothing at ${path}`)
  }

  function stats(): CollectorStats {
    return {
      ...counters,
      rejected: { ...counters.rejected },
      liveClients: live.size,
      slowLiveClientsDropped: live.slowClientsDropped,
      liveBufferedBytes: live.bufferedBytes,
    }
  }

  function reject(request: IncomingMessage, response: ServerResponse, error: HttpError) {
    counters.rejected[error.status] = (counters.rejected[error.status] ?? 0) + 1
    if (response.headersSent) {
      response.destroy()
      return
    }
    // A body we refused may still be arriving: answer, then close instead of reading it all.
    if (!request.complete) response.setHeader('connection', 'close')
    const otlp = request.url?.startsWith('/v1/traces') || request.url?.startsWith('/v1/metrics')
    // google.rpc.Status codes, the same in both encodings: INVALID_ARGUMENT, UNAUTHENTICATED, else
    // FAILED_PRECONDITION.
    const code = error.status === 400 ? 3 : error.status === 401 ? 16 : 9
    if (mediaType(request) === 'application/x-protobuf' && otlp)
      sendBody(
        response,
        error.status,
        'application/x-protobuf',
        encodeRpcStatus(code, error.message),
      )
    else if (otlp) sendJson(response, error.status, { code, message: error.message })
    else sendJson(response, error.status, { error: error.message })
    if (!request.complete) request.resume()
  }

  const server = createServer(async (request, response) => {
    counters.requests++
    let url: URL
    try {
      // A request on a kept-alive connection after Ctrl-C: not started, sent again after a restart.
      if (stopping) {
        response.setHeader('connection', 'close')
        throw new HttpError(503, 'the collector is stopping; send the batch again')
      }
      url = new URL(request.url ?? '/', 'http://collector.invalid')
      await route(request, response, url)
    } catch (error) {
      if (error instanceof HttpError) return reject(request, response, error)
      if (TokentrailError.isInstance(error))
        return reject(request, response, new HttpError(400, error.message))
      const failure = storageFailure(error)
      const retryAfter = failure && RETRY_AFTER_SECONDS[failure]
      if (retryAfter !== undefined) {
        // A transient storage failure (full disk, locked file): 503 is what OTLP exporters retry.
        report(`tokentrail: cannot store data in ${store.path}: ${(error as Error).message}`)
        response.setHeader('retry-after', String(retryAfter))
        return reject(
          request,
          response,
          new HttpError(
            503,
            `storage unavailable (${failure === 'full' ? 'disk full' : failure}): ${(error as Error).message}; retry later`,
          ),
        )
      }
      if (failure === 'corrupt' || failure === 'not-a-database') {
        // Not a bug to report with a stack: the file itself is damaged (a failing disk, a copy
        // taken mid-write), and only the user can move it away.
        report(
          `tokentrail: the trace database at ${store.path} is damaged (${(error as Error).message}); stop tokentrail dev and move the file away, or pass another --db path`,
        )
        return reject(
          request,
          response,
          new HttpError(500, `storage damaged: ${(error as Error).message}`),
        )
      }
      report(
        `tokentrail: internal error on ${request.method} ${request.url?.split('?')[0]}: ${(error as Error)?.stack ?? error}`,
      )
      reject(request, response, new HttpError(500, `internal error: ${(error as Error).message}`))
    }
  })
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n')
  })
  server.keepAliveTimeout = 5_000

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      if (!givenStore) {
        store.close()
        unlock?.()
        removeCreated(created)
      }
      live.close()
      if (error.code === 'EADDRINUSE')
        reject(
          new TokentrailError(
            `port ${port} on ${host} is in use (another tokentrail dev or OpenTelemetry collector?); pass --port`,
            { cause: error },
          ),
        )
      else
        reject(
          new TokentrailError(`cannot listen on ${host}:${port}: ${error.message}`, {
            cause: error,
          }),
        )
    }
    server.once('error', onError)
    server.listen(port, host, () => {
      server.off('error', onError)
      resolve()
    })
  })
  const sweeper = setInterval(() => {
    try {
      counters.tracesDeletedByRetention += store.sweep()
      counters.metricSeriesDeletedByRetention += store.metrics.sweep()
    } catch {}
  }, 60_000)
  sweeper.unref()

  const address = server.address() as AddressInfo
  const shownHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host
  let closing: Promise<void> | undefined
  return {
    url: `http://${shownHost}:${address.port}`,
    port: address.port,
    store,
    stats,
    close() {
      closing ??= new Promise<void>((resolve) => {
        stopping = true
        clearInterval(sweeper)
        live.close()
        server.close(() => {
          storeClosed = true
          if (!givenStore) store.close()
          unlock?.()
          resolve()
        })
        server.closeIdleConnections()
        // Bodies already arriving are stored and answered (an exporter need not send them again),
        // for at most CLOSE_DRAIN_MS; then whatever is left is cut and its sender retries.
        const finish = () => {
          clearTimeout(timer)
          drained = undefined
          decoder.close()
          server.closeAllConnections()
        }
        const timer = setTimeout(finish, CLOSE_DRAIN_MS)
        if (ingesting === 0) finish()
        else drained = finish
      })
      return closing
    },
  }
}
