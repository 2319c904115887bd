// How exporters send a request, chosen at run time. On Node a keep-alive `node:http`/`node:https`
// request with a Buffer body costs about a third less per span than `fetch` (undici and its web
// streams); everywhere else (edge, workers, browsers, Bun, Deno) it is `fetch`. The Node modules
// are reached through `process.getBuiltinModule`, as the async context is: never a static `node:`
// import, so core still bundles for any runtime.

/**
 * `fetch`'s shape, so exporters call it as they would call `fetch`. On Node the answer implements
 * what exporters read — `type`, `status`, `ok`, `headers.get`, `body`, `text()`, `arrayBuffer()`,
 * `json()` — over the (capped) bytes already read.
 */
export type TransportFetch = (url: string, init: RequestInit) => Promise<Response>

/** Bytes of an answer's body kept by the Node transport; the rest is not read (the socket closes). */
export const MAX_RESPONSE_BYTES = 64 * 1024

// Structural types for the parts of node:http used here (core builds without Node's types).
interface NodeIncoming {
  statusCode?: number
  headers: Record<string, string | string[] | undefined>
  on(event: 'data', listener: (chunk: Uint8Array) => void): unknown
  on(event: 'end' | 'aborted' | 'close', listener: () => void): unknown
  on(event: 'error', listener: (error: unknown) => void): unknown
  destroy(): unknown
}
interface NodeRequest {
  reusedSocket: boolean
  /** The whole body was handed to the operating system. */
  writableFinished: boolean
  on(event: 'response', listener: (response: NodeIncoming) => void): unknown
  on(event: 'error', listener: (error: unknown) => void): unknown
  end(body: Uint8Array): unknown
  destroy(): unknown
}
interface NodeHttp {
  Agent: new (options: Record<string, unknown>) => unknown
  request(url: URL, options: Record<string, unknown>): NodeRequest
}
interface NodeBuffer {
  from(text: string, encoding: 'utf8'): Uint8Array
  concat(chunks: Uint8Array[], length: number): Uint8Array
}

const decoder = new TextDecoder()

/**
 * On the Node transport's answers: the bytes of the body already read (at most the transport's
 * cap), for a reader that would otherwise make a web stream over them (~25 µs an export).
 */
export const READ_BYTES: unique symbol = Symbol('tokentrail.readBytes')

class NodeResponse {
  readonly type = 'basic'
  readonly ok: boolean
  readonly headers: { get(name: string): string | null }
  constructor(
    readonly status: number,
    rawHeaders: NodeIncoming['headers'],
    private readonly bytes: Uint8Array,
  ) {
    this.ok = status >= 200 && status < 300
    this.headers = {
      get(name) {
        const value = rawHeaders[name.toLowerCase()]
        return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value
      },
    }
  }
  get [READ_BYTES](): Uint8Array {
    return this.bytes
  }
  // Built on demand: the exporters read READ_BYTES.
  get body(): ReadableStream<Uint8Array> {
    const bytes = this.bytes
    return new ReadableStream({
      start(controller) {
        if (bytes.byteLength > 0) controller.enqueue(bytes)
        controller.close()
      },
    })
  }
  text() {
    return Promise.resolve(decoder.decode(this.bytes))
  }
  arrayBuffer() {
    return Promise.resolve(this.bytes.slice().buffer)
  }
  async json() {
    return JSON.parse(await this.text())
  }
}

/**
 * A fetch-shaped POST over `node:http`/`node:https` with keep-alive agents: the body goes out as
 * one Buffer, a redirect is returned as it is (never followed), and at most `maxBytes` of the
 * answer are read. A request on a reused keep-alive socket that the server had just closed is sent
 * once more on a new one (Node's documented remedy; nothing reached the server).
 */
export function createNodeFetch(
  http: NodeHttp,
  https: NodeHttp,
  buffer: NodeBuffer,
  maxBytes = MAX_RESPONSE_BYTES,
): TransportFetch {
  const agents = {
    'http:': new http.Agent({ keepAlive: true }),
    'https:': new https.Agent({ keepAlive: true }),
  }
  // Each URL parsed once: an exporter posts to one or two URLs. Node is still given the URL, not
  // options made from it: it makes those with no prototype, where Node 20 and 22 copy plain
  // options into an object that reads whatever was set on Object.prototype (a `socketPath`).
  const targets = new Map<string, URL>()
  const targetOf = (url: string): URL => {
    let target = targets.get(url)
    if (target === undefined) {
      target = new URL(url)
      if (targets.size >= 16) targets.clear()
      targets.set(url, target)
    }
    return target
  }
  const send = (
    url: URL,
    init: RequestInit & { headers: Record<string, string> },
    body: Uint8Array,
    retried: boolean,
  ): Promise<Response> =>
    new Promise((resolve, reject) => {
      const protocol = url.protocol as 'http:' | 'https:'
      const request = (protocol === 'https:' ? https : http).request(url, {
        agent: agents[protocol],
        method: init.method,
        headers: { ...init.headers, 'content-length': String(body.byteLength) },
        signal: init.signal ?? undefined,
      })
      request.on('response', (response) => {
        const chunks: Uint8Array[] = []
        let size = 0
        let settled = false
        const finish = () => {
          if (settled) return
          settled = true
          // The receiver answered before it read the whole body: the rest, still queued on the
          // socket, goes with the connection, so the caller may write over the body's buffer.
          if (!request.writableFinished) request.destroy()
          const bytes = buffer.concat(chunks, size)
          resolve(new NodeResponse(response.statusCode ?? 0, response.headers, bytes) as never)
        }
        response.on('data', (chunk) => {
          if (settled) return
          const room = maxBytes - size
          chunks.push(chunk.byteLength > room ? chunk.subarray(0, room) : chunk)
          size += Math.min(chunk.byteLength, room)
          if (size >= maxBytes) {
            // Enough kept: drop the rest with the socket rather than read it.
            finish()
            response.destroy()
          }
        })
        response.on('end', finish)
        response.on('error', (error) => {
          if (!settled) reject(error)
          settled = true
        })
        response.on('aborted', () => {
          if (!settled) reject(new Error('the connection closed before the answer ended'))
          settled = true
        })
      })
      request.on('error', (error) => {
        if (
          !retried &&
          request.reusedSocket &&
          (error as { code?: string })?.code === 'ECONNRESET' &&
          !init.signal?.aborted
        )
          send(url, init, body, true).then(resolve, reject)
        else reject(init.signal?.aborted ? (init.signal.reason ?? error) : error)
      })
      request.end(body)
    })
  return function nodeFetch(url, init) {
    const { body, headers } = init
    const bytes =
      typeof body === 'string'
        ? buffer.from(body, 'utf8')
        : body instanceof Uint8Array
          ? body
          : null
    // Anything else than what exporters send (a stream body, a Headers object): fetch does it.
    if (!bytes || init.method !== 'POST' || !isRecord(headers) || init.redirect === 'follow')
      return webFetch(url, init)
    const target = targetOf(url)
    // Refused as Node refuses it (fetch would answer a `data:` URL: the POST would count as sent).
    if (target.protocol !== 'http:' && target.protocol !== 'https:')
      return Promise.reject(
        new TypeError(`Protocol "${target.protocol}" not supported. Expected "http:" or "https:"`),
      )
    return send(target, { ...init, headers }, bytes, false)
  }
}

const isRecord = (value: unknown): value is Record<string, string> =>
  typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype

/** `fetch`, with redirects returned rather than followed unless the caller says otherwise. */
export const webFetch: TransportFetch = (url, init) =>
  fetch(url, { ...init, redirect: init.redirect ?? 'manual' })

/**
 * The transport for this runtime: Node's own HTTP client where the runtime is Node (found through
 * `process.getBuiltinModule`), else `fetch`. `scope` is for tests.
 */
export function chooseTransport(scope: any = globalThis): TransportFetch {
  try {
    const http = nodeBuiltin('node:http', scope)
    const https = nodeBuiltin('node:https', scope)
    const buffer = nodeBuiltin('node:buffer', scope)?.Buffer
    if (http?.request && https?.request && buffer?.from) return createNodeFetch(http, https, buffer)
  } catch {}
  return webFetch
}

/**
 * A Node built-in module by name where the runtime is Node itself, else undefined; found through
 * `process.getBuiltinModule`, never a static `node:` import. Bun, Deno and workerd answer
 * getBuiltinModule too, with layers over their own APIs: no gain there, so only Node takes it.
 */
export function nodeBuiltin(name: string, scope: any = globalThis): any {
  try {
    const process = scope.process
    if (
      typeof process?.getBuiltinModule === 'function' &&
      process.release?.name === 'node' &&
      scope.Bun === undefined &&
      scope.Deno === undefined &&
      (scope.navigator?.userAgent ?? 'Node.js').startsWith('Node.js')
    )
      return process.getBuiltinModule(name)
  } catch {}
  return undefined
}

let chosen: TransportFetch | undefined

// The OpenTelemetry JS API's process-wide registry (its context manager sits under `context`), and
// the context key by which its SDK's exporters keep their own requests out of the traces
// (`suppressTracing` in @opentelemetry/core): both are Symbol.for names, so no package is needed.
const OTEL_API = Symbol.for('opentelemetry.js.api.1')
const SUPPRESS_TRACING = Symbol.for('OpenTelemetry SDK Context Key SUPPRESS_TRACING')

interface OtelContext {
  setValue(key: symbol, value: unknown): OtelContext
}
interface OtelContextManager {
  active(): OtelContext
  with<R>(context: OtelContext, fn: () => R): R
}

/**
 * Runs `send` with OpenTelemetry's tracing suppressed when the app also runs the OpenTelemetry SDK
 * (its HTTP or undici instrumentation would otherwise record each export as a client span in
 * whatever request's trace was active, and put a `traceparent` on it), as its own exporters do.
 */
function withoutOtelTracing<R>(send: () => R): R {
  let manager: OtelContextManager | undefined
  let suppressed: OtelContext | undefined
  try {
    manager = (globalThis as Record<symbol, { context?: OtelContextManager } | undefined>)[OTEL_API]
      ?.context
    if (typeof manager?.with === 'function')
      suppressed = manager.active().setValue(SUPPRESS_TRACING, true)
  } catch {}
  return suppressed === undefined ? send() : manager!.with(suppressed, send)
}

/** POSTs an exporter's request with the transport chosen for this runtime (on first use). */
export function transportFetch(url: string, init: RequestInit): Promise<Response> {
  const transport = (chosen ??= chooseTransport())
  return withoutOtelTracing(() => transport(url, init))
}
