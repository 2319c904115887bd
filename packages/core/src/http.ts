import { type ContextSpan, runWithSpan } from './context.js'
import { isNextBuild, readEnv } from './env.js'
import { extractTraceContext } from './propagation.js'
import { localParentOf, type Span } from './span.js'
import { getActiveSpan } from './tracer.js'
import type { SpanContext } from './types.js'

// The HTTP server convention names, as in `ATTR` (semconv-names.test.ts checks): not read from the
// table, which would ship whole at start-up with every adapter that records requests.
const METHOD = 'http.request.method'
const PATH = 'url.path'
const SCHEME = 'url.scheme'
const HOST = 'server.address'
const USER_AGENT = 'user_agent.original'

/**
 * The parent of a request span: the request's `traceparent`, unless the active span, or a span it
 * was started under in this process, continued this very one already. Then the handler runs inside
 * another adapter's span for the same request (a Hono app served from a Next route traced by
 * `withTracing`, or a traced handler calling another, also through spans of the app's own between
 * them) and nests under the active span, not beside the outer request span as a second child of
 * the caller. A `traceparent` made for this call (an in-process call to another service) is its own.
 */
export function requestParent(headers: Headers): Span | SpanContext | undefined {
  const incoming = extractTraceContext(headers)
  const active = incoming && getActiveSpan()
  if (!active || active.traceId !== incoming.traceId) return incoming
  for (let at: Span | undefined = active; at; at = localParentOf(at))
    if (at.parentSpanId === incoming.spanId) return active
  return incoming
}

/**
 * Whether what a request's handler threw is its client's leaving, not a failure: the request's
 * signal aborted, and the error is that signal's reason (what `fetch` and the AI SDK reject with) or
 * names itself an abort (`AbortError`, Next's `ResponseAborted`, the OpenAI and Anthropic SDKs'
 * `APIUserAbortError`, whose `name` is `Error`), or is Node's `aborted` for a request body the
 * client stopped sending.
 */
export function causedByAbort(error: unknown, signal: AbortSignal | undefined): boolean {
  if (!signal?.aborted) return false
  if (error === signal.reason) return true
  try {
    const name = (error as Error | null)?.name
    return (
      name === 'AbortError' ||
      name === 'ResponseAborted' ||
      (error as object | null)?.constructor?.name === 'APIUserAbortError' ||
      // Node's request body cut short by the client leaving mid-upload (`await request.json()`).
      ((error as { code?: unknown } | null)?.code === 'ECONNRESET' &&
        (error as Error).message === 'aborted')
    )
  } catch {
    return false
  }
}

/**
 * The HTTP server convention attributes of an incoming request (method, path, scheme, host, user
 * agent), as the framework adapters record them on their root span. The host and scheme are the
 * ones the client used, as OpenTelemetry's HTTP conventions read them: a proxy's `Forwarded`
 * (`host=`, `proto=`), else `X-Forwarded-Host` / `X-Forwarded-Proto`, else `Host`, else the
 * request's URL (which a server such as `next start` builds from its own bind address). Never
 * throws.
 */
export function httpRequestAttributes(request: Request, path?: string): Record<string, string> {
  const attributes: Record<string, string> = { [METHOD]: request.method }
  const headers = request.headers
  try {
    const url = new URL(request.url)
    attributes[PATH] = path ?? url.pathname
    const scheme =
      schemeOf(forwarded(headers, 'proto')) ??
      schemeOf(firstOf(headers.get('x-forwarded-proto'))) ??
      url.protocol.replace(/:$/, '')
    attributes[SCHEME] = scheme
    const host =
      hostOf(forwarded(headers, 'host')) ??
      hostOf(firstOf(headers.get('x-forwarded-host'))) ??
      hostOf(headers.get('host')) ??
      (url.hostname || undefined)
    if (host) attributes[HOST] = host
  } catch {
    if (path) attributes[PATH] = path
  }
  const userAgent = headers.get('user-agent')
  if (userAgent) attributes[USER_AGENT] = userAgent
  return attributes
}

// The first value of a header a chain of proxies appends to (`a, b`): the client's side.
function firstOf(value: string | null): string | undefined {
  if (!value) return undefined
  const comma = value.indexOf(',')
  return (comma < 0 ? value : value.slice(0, comma)).trim() || undefined
}

// A parameter of the first element of `Forwarded` (RFC 7239): `for=…;host=app.example;proto=https`.
function forwarded(headers: Headers, name: 'host' | 'proto'): string | undefined {
  const first = firstOf(headers.get('forwarded'))
  if (!first) return undefined
  for (const pair of first.split(';')) {
    const eq = pair.indexOf('=')
    if (eq > 0 && pair.slice(0, eq).trim().toLowerCase() === name) {
      const value = pair.slice(eq + 1).trim()
      return (
        (value.length > 1 && value[0] === '"' && value.endsWith('"')
          ? value.slice(1, -1)
          : value) || undefined
      )
    }
  }
  return undefined
}

// A host header value (`app.example:8443`, `[::1]:3000`) as a URL reads its name; else undefined.
function hostOf(value: string | null | undefined): string | undefined {
  if (!value || value.length > 255) return undefined
  try {
    const url = new URL(`http://${value}`)
    // Only a host and port: `a/b`, `a?b` or `user@a` are not a host header.
    if (url.pathname !== '/' || url.search || url.username || url.password) return undefined
    return url.hostname || undefined
  } catch {
    return undefined
  }
}

function schemeOf(value: string | undefined): string | undefined {
  if (!value || value.length > 16) return undefined
  const scheme = value.toLowerCase()
  return /^[a-z][a-z0-9+.-]*$/.test(scheme) ? scheme : undefined
}

/** How a watched body ended: read to the end, cancelled by its reader, or failed at the source. */
export interface BodyEnd {
  reason: 'done' | 'cancelled' | 'error'
  /** The source's error, or the cancel reason. */
  error?: unknown
  /** Bytes (or chunks, for non-byte streams) passed through. */
  bytes: number
}

/**
 * Passes a response body through untouched — same chunks, one read per pull, no read-ahead — and
 * calls `onEnd` once when it ends, so a request span can end with its body. Each read runs in
 * `context`'s async context, so spans made while a lazy body is pulled nest under it.
 * Measured cheaper per chunk than `pipeThrough(new TransformStream())`, and it tells a failing
 * source (read rejects) from a reader that went away (cancel).
 */
export function watchBody<T>(
  source: ReadableStream<T>,
  onEnd: (end: BodyEnd) => void,
  context?: ContextSpan,
  /** Kept at the bytes passed through so far, for a span that ends before its body does. */
  sent: { bytes: number } = { bytes: 0 },
): ReadableStream<T> {
  const reader = source.getReader()
  let ended = false
  const end = (result: BodyEnd) => {
    if (ended) return
    ended = true
    try {
      onEnd(result)
    } catch {}
  }
  const read = () => reader.read()
  return new ReadableStream<T>(
    {
      async pull(controller) {
        let result: ReadableStreamReadResult<T>
        try {
          result = await (context ? runWithSpan(context, read) : read())
        } catch (error) {
          end({ reason: 'error', error, bytes: sent.bytes })
          controller.error(error)
          return
        }
        if (result.done) {
          end({ reason: 'done', bytes: sent.bytes })
          controller.close()
          return
        }
        const chunk = result.value
        sent.bytes += (chunk as { byteLength?: number })?.byteLength ?? 1
        controller.enqueue(chunk)
      },
      cancel(reason) {
        end({ reason: 'cancelled', error: reason, bytes: sent.bytes })
        return reader.cancel(reason)
      },
    },
    { highWaterMark: 0 },
  )
}

const VERCEL_CONTEXT = Symbol.for('@vercel/request-context')

/**
 * The `waitUntil` of the current Vercel invocation — the same lookup `@vercel/functions` does —
 * or undefined off Vercel (including `next start`). Never throws.
 */
export function vercelWaitUntil(): ((promise: Promise<unknown>) => void) | undefined {
  try {
    const context = (globalThis as any)[VERCEL_CONTEXT]?.get?.()
    if (typeof context?.waitUntil === 'function') return (promise) => context.waitUntil(promise)
  } catch {}
  return undefined
}

const WAIT_WHILE_FAILING = Symbol.for('tokentrail.flush.waitWhileFailing')
const BEFORE_FREEZE = Symbol.for('tokentrail.flush.beforeFreeze')

/**
 * The options of a request's flush. On a long-lived server (`longLived`) the flush only hurries
 * the spans out: while exports fail and are retried it returns at once instead of waiting out
 * its bound (the send loop goes on retrying; spans it cannot deliver are counted and said as
 * ever). Where the function may freeze after the response it waits as any flush does, and spans
 * still waiting at its bound are said lost (their retries stop with the function).
 */
export function requestFlushOptions(
  timeoutMs: number,
  longLived: boolean,
  metrics?: boolean,
): { timeoutMs: number; metrics?: boolean } {
  const options: { timeoutMs: number; metrics?: boolean } =
    metrics === undefined ? { timeoutMs } : { timeoutMs, metrics }
  if (longLived) (options as Record<symbol, unknown>)[WAIT_WHILE_FAILING] = false
  else (options as Record<symbol, unknown>)[BEFORE_FREEZE] = true
  return options
}

let freezing: string | null | undefined

/**
 * The serverless platform this process runs on, when it freezes (or ends) the function right
 * after the response, from its environment: a flush left to the tracer's interval never runs
 * there. Undefined elsewhere (a long-lived server). Read once. Never throws.
 */
export function freezingPlatform(): string | undefined {
  if (freezing === undefined) freezing = platformFromEnv()
  return freezing ?? undefined
}

function platformFromEnv(): string | null {
  const env = (name: string) => readEnv(name) !== undefined
  // `next build` prerendering route handlers (on Vercel too) is no function.
  if (isNextBuild()) return null
  if (env('AWS_LAMBDA_FUNCTION_NAME')) return 'AWS Lambda'
  // Not `vercel dev`, nor `next dev` with the env files `vercel env pull` writes (VERCEL=1 in them).
  if (env('VERCEL') && readEnv('VERCEL_ENV') !== 'development') return 'Vercel'
  if (env('FUNCTION_TARGET') && env('K_SERVICE')) return 'Google Cloud Functions'
  // Set only in Azure itself, not under a local `func start` (which sets the worker runtime too).
  if (env('FUNCTIONS_WORKER_RUNTIME') && env('WEBSITE_INSTANCE_ID')) return 'Azure Functions'
  return null
}

const NOTICE = Symbol.for('tokentrail.tracer.notice')

/**
 * Says `message` once per tracer and `key` through the tracer's warnings (an adapter has no other
 * way to reach them); nothing for a tracer that records nothing. Never throws.
 */
export function tracerNotice(tracer: unknown, key: string, message: string): void {
  try {
    ;(tracer as Record<symbol, ((key: string, message: string) => void) | undefined>)[NOTICE]?.(
      key,
      message,
    )
  } catch {}
}

function describeThrown(error: unknown): string {
  try {
    return error instanceof Error ? `${error.name}: ${error.message}` : String(error)
  } catch {
    return 'an error'
  }
}

/**
 * Sets what an adapter's attributes callback returned (`requestAttributes`, `attributes`) on the
 * request span. A promise (an async callback) cannot be waited for before the request goes on, and
 * a promise has no attributes to set: it is said once per tracer (`option` names it) and its
 * rejection caught, never an unhandled one. Returns the error to note on the span for a promise,
 * or for a value that throws when read (a revoked Proxy). Never throws.
 */
export function setCallbackAttributes(
  tracer: unknown,
  span: Span,
  given: unknown,
  option: string,
): TypeError | undefined {
  // Nothing to set; anything else that is not attributes is said by setAttributes, as before.
  if (!given) return undefined
  let promise: boolean
  try {
    promise = typeof (given as PromiseLike<unknown>).then === 'function'
  } catch (error) {
    // A value that throws when looked at (a revoked Proxy): nothing can be read from it.
    return new TypeError(
      `${option} returned a value that throws when read (${describeThrown(error)}), so none were set for this request`,
    )
  }
  if (promise) {
    try {
      ;(given as PromiseLike<unknown>).then(undefined, () => {})
    } catch {}
    const message = `${option} returned a promise: it must return the attributes at once (an async function's are never set), so none were set for this request`
    tracerNotice(
      tracer,
      `${option} promise`,
      `${message}. Set attributes you must wait for from the handler: getActiveSpan()?.setAttributes({ … }).`,
    )
    return new TypeError(message)
  }
  // A list or a text is no object of attributes: said as this option's, not as a setAttributes()
  // call the app never made.
  if (typeof given !== 'object' || Array.isArray(given) || given instanceof Map) {
    const got = Array.isArray(given)
      ? `an array of ${given.length}`
      : given instanceof Map
        ? `a Map of ${given.size}`
        : typeof given
    const message = `${option} must return an object of attributes, got ${got}, so none were set for this request`
    tracerNotice(tracer, `${option} not attributes`, `${message}.`)
    return new TypeError(message)
  }
  try {
    span.setAttributes(given as Record<string, unknown>)
  } catch {}
  return undefined
}

// Headers a response's meaning rests on: a trace id written over one of them breaks the answer
// (`content-type` became the trace id, `set-cookie` replaced the app's cookies).
const RESPONSE_OWN =
  /^(?:content-.*|set-cookie|transfer-encoding|connection|keep-alive|upgrade|trailer|location|vary|cache-control|expires|etag|last-modified|age|date|server|retry-after|www-authenticate|proxy-authenticate|strict-transport-security|access-control-.*|link|refresh|alt-svc)$/i
// Request headers, which a response does not carry (a bare trace id is no `traceparent`).
const REQUEST_SIDE =
  /^(?:authorization|proxy-authorization|cookie|host|traceparent|tracestate|baggage)$/i

/**
 * Why `name` cannot be an adapter's `traceIdHeader`: a header the response itself uses, which the
 * trace id would replace, or a request header. Undefined when it can be.
 */
export function responseOwnHeader(name: string): string | undefined {
  const why = RESPONSE_OWN.test(name)
    ? 'a header the response itself uses, which the trace id would replace'
    : REQUEST_SIDE.test(name)
      ? 'a request header, which a response does not carry'
      : undefined
  return why && `"${name}" is ${why}; give a header of its own, such as "x-trace-id"`
}
