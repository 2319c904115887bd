import type { Span, SpanStatus, Tracer } from '@tokentrail/core'
import {
  causedByAbort,
  checkOptionKeys,
  flushLateWork,
  getTracer,
  httpRequestAttributes,
  MAX_TIMER_MS,
  requestParent,
  responseOwnHeader,
  runWithSpan,
  setCallbackAttributes,
  shownValue,
  TokentrailError,
  tracerNotice,
  tracerSkipped,
  watchBody,
} from '@tokentrail/core/internal'
import * as ATTR from './attr.js'
import { controlFlowStatus } from './control-flow.js'
import {
  afterPending,
  flushOptions,
  hasVercelContext,
  type KeepAliveVia,
  keepAlive,
  loadAfter,
  mayFreeze,
  noticeBackground,
  noticeStreamTimeout,
} from './keep-alive.js'
import { inferRoute } from './route.js'
import { NEXT_ATTR } from './semconv.js'

/** Any App Router route handler: `(request, { params })` returning a `Response`. */
export type RouteHandler = (request: any, ...rest: any[]) => unknown

/**
 * The wrapped handler: the same parameters (a handler that declares none still takes the request and
 * context Next passes), always async.
 */
export type TracedRouteHandler<H extends RouteHandler> = (
  ...args: Parameters<H> extends [] ? [request: Request, context?: unknown] : Parameters<H>
) => Promise<Awaited<ReturnType<H>>>

/** Options of `withTracing`. */
export interface WithTracingOptions {
  /** The tracer to record with. @default getTracer(), the process-wide tracer (from env unless set with setTracer) */
  tracer?: Tracer | undefined
  /**
   * The route pattern for `http.route` and the span name, such as `/api/chat/[id]`.
   * @default inferred from the path and the resolved `params`
   */
  route?: string | undefined
  /**
   * A response header that carries the trace id, so a client or a bug report can point at the trace.
   * @default undefined (no header)
   */
  traceIdHeader?: string | false | undefined
  /** Longest wait for the export once the body has ended. @default 5000 */
  flushTimeoutMs?: number | undefined
  /**
   * Where the flush is handed to a function that may freeze (the Vercel request context's
   * `waitUntil`, or `after()` on a host known to freeze): longest wait for a body to end; past it
   * the span ends `cancelled` (with `tokentrail.stream_timeout`) and is flushed, before the
   * platform's own time limit kills the function. The body itself is untouched. A long-lived server
   * (`next start`) has no such bound: a stream open for an hour is recorded whole. Everywhere: a
   * handler that has not returned this long after its client left has its span (and the spans
   * still open under it) ended there, `cancelled` with `tokentrail.handler_timeout`.
   * @default 280000
   */
  streamTimeoutMs?: number | undefined
  /**
   * Extra attributes from the request, such as a user id from a header or cookie (do not read the
   * body here: the handler needs it). A throw inside is ignored.
   */
  attributes?: ((request: Request) => Record<string, unknown> | undefined) | undefined
}

// Typed against the interface, so an option added there without being listed here fails typecheck.
const OPTION_KEYS = Object.keys({
  tracer: true,
  route: true,
  traceIdHeader: true,
  flushTimeoutMs: true,
  streamTimeoutMs: true,
  attributes: true,
} satisfies Record<keyof WithTracingOptions, true>)

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

function positiveInteger(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
    throw new TokentrailError(
      `withTracing: ${name} must be a whole number of milliseconds ≥ 1, got ${shownValue(value)}`,
    )
  // Past a timer's limit, runtimes fire it at once (Node with a warning on stderr).
  if (value > MAX_TIMER_MS)
    throw new TokentrailError(
      `withTracing: ${name} must be at most ${MAX_TIMER_MS} ms (about 24.8 days, the longest timer), got ${value}`,
    )
  return value
}

function validate(handler: unknown, options: WithTracingOptions) {
  if (typeof handler !== 'function')
    throw new TokentrailError(
      `withTracing(handler) takes the route handler function, got ${handler === null ? 'null' : typeof handler}`,
    )
  if (options === null || typeof options !== 'object')
    throw new TokentrailError('withTracing(handler, options): options must be an object')
  checkOptionKeys(options, OPTION_KEYS, 'withTracing')
  const { tracer, route, traceIdHeader, attributes } = options
  if (tracer !== undefined && typeof tracer?.startSpan !== 'function')
    throw new TokentrailError('withTracing: tracer must be a tracer from createTracer()')
  if (route !== undefined && (typeof route !== 'string' || !route.startsWith('/')))
    throw new TokentrailError(
      `withTracing: route must be a path pattern starting with "/", such as "/api/chat/[id]", got ${shownValue(route)}`,
    )
  if (
    traceIdHeader !== undefined &&
    traceIdHeader !== false &&
    (typeof traceIdHeader !== 'string' || !HEADER_NAME.test(traceIdHeader))
  )
    throw new TokentrailError(
      `withTracing: traceIdHeader must be a valid header name such as "x-trace-id", or false; got ${shownValue(traceIdHeader)}`,
    )
  const own = typeof traceIdHeader === 'string' ? responseOwnHeader(traceIdHeader) : undefined
  if (own) throw new TokentrailError(`withTracing: traceIdHeader ${own}`)
  if (attributes !== undefined && typeof attributes !== 'function')
    throw new TokentrailError('withTracing: attributes must be a function (request) => object')
  return {
    flushTimeoutMs: positiveInteger(options.flushTimeoutMs ?? 5000, 'flushTimeoutMs'),
    streamTimeoutMs: positiveInteger(options.streamTimeoutMs ?? 280_000, 'streamTimeoutMs'),
  }
}

// Runs a function in the async context of the moment it was made (Next puts AsyncLocalStorage on
// globalThis in both runtimes; its snapshot() carries every store, Next's request store
// included), for callbacks that run from outside it; as they are, where there is none.
function requestContext(): (fn: () => void) => void {
  try {
    const snapshot = (
      globalThis as { AsyncLocalStorage?: { snapshot?: () => (fn: () => void) => void } }
    ).AsyncLocalStorage?.snapshot?.()
    if (typeof snapshot === 'function') return snapshot
  } catch {}
  return (fn) => fn()
}

// `next build` calls the GET handlers of static routes (and each `generateStaticParams` entry) to
// prerender them: no one made those requests, so they get no trace, no export and no notice.
let building: boolean | undefined

function isNextBuild(): boolean {
  if (building === undefined) {
    try {
      building = (globalThis as any).process?.env?.NEXT_PHASE === 'phase-production-build'
    } catch {
      building = false
    }
  }
  return building
}

function isRequest(value: unknown): value is Request {
  return (
    typeof (value as Request)?.url === 'string' &&
    typeof (value as Request)?.method === 'string' &&
    typeof (value as Request)?.headers?.get === 'function'
  )
}

// Reads `headers`, and must stay before anything takes a reader of `body`: Bun (1.4) keeps the
// Content-Type a `Bun.file()`, typed Blob, FormData or URLSearchParams body implies only if
// `headers` was read before (checked on Bun.serve; @tokentrail/hono lost it that way).
function isResponse(value: unknown): value is Response {
  return (
    typeof (value as Response)?.status === 'number' &&
    typeof (value as Response)?.headers?.get === 'function' &&
    'body' in (value as Response)
  )
}

// The events @tokentrail/hono records when a client goes away, by the same names.
const EVENT_REQUEST_ABORTED = 'http.request.aborted'
const EVENT_RESPONSE_CANCELLED = 'http.response.cancelled'

// A copy with a new body, of the same class where it takes (body, init) as Response does, e.g.
// NextResponse. A subclass with a constructor of its own (`new JsonResponse(data, init)`) made
// another answer from those: the body `{}` (the stream, stringified), its status and headers lost.
function withBody(response: Response, body: ReadableStream | null): Response {
  const Class = response.constructor as typeof Response
  if (Class !== Response && typeof Class === 'function') {
    try {
      const copy = new Class(body, response)
      if (copy instanceof Response) {
        if (copy.body === body && sameHead(copy, response)) return copy
        // It took the stream into a body of its own: the stream cannot go to another copy.
        if (body?.locked) return copy
      }
    } catch {}
  }
  return new Response(body, response)
}

function sameHead(copy: Response, response: Response): boolean {
  if (copy.status !== response.status || copy.statusText !== response.statusText) return false
  const a = [...copy.headers]
  const b = [...response.headers]
  return a.length === b.length && a.every(([k, v], i) => b[i]![0] === k && b[i]![1] === v)
}

// The handler's response may be one object it answers every request with (a module-level
// `new Response(null, { status: 204 })`): the trace id goes on a copy, never on that shared object,
// where a concurrent request would overwrite it before Next reads it.
function withHeader(
  response: Response,
  body: ReadableStream | null,
  name: string,
  value: string,
): Response {
  // A header of that name the handler set is the app's: kept as it is.
  try {
    if (response.headers.has(name)) return response
  } catch {}
  let copy: Response
  try {
    copy = withBody(response, body)
  } catch {
    // A locked body cannot be handed to a copy: add the header in place, if it is mutable.
    try {
      response.headers.set(name, value)
    } catch {}
    return response
  }
  copy.headers.set(name, value)
  return copy
}

function startRouteSpan(
  tracer: Tracer,
  request: Request,
  route: string | undefined,
  attributes: WithTracingOptions['attributes'],
): { span: Span; path: string } {
  const http = httpRequestAttributes(request)
  const path = http[ATTR.urlPath] ?? '/'
  const span = tracer.startSpan(`${request.method} ${route ?? path}`, {
    kind: 'http',
    parent: requestParent(request.headers),
    attributes: route ? { ...http, [ATTR.httpRoute]: route } : http,
  })
  if (attributes) {
    try {
      setCallbackAttributes(tracer, span, attributes(request), 'withTracing({ attributes })')
    } catch {}
  }
  return { span, path }
}

/**
 * Traces an App Router route handler: one `http` span per request (continuing an incoming
 * `traceparent`), active inside the handler so model spans nest under it, ended when a streamed body
 * ends or is cancelled, then flushed with `waitUntil` (Vercel), `after()` (Next) or in the background.
 * The handler's result, errors and stream are passed through unchanged.
 *
 * @example
 * import { withTracing } from '@tokentrail/next'
 *
 * export const POST = withTracing(async (request: Request) => {
 *   const { messages } = await request.json()
 *   return streamText({ model, messages: await convertToModelMessages(messages) }).toUIMessageStreamResponse()
 * })
 */
export function withTracing<H extends RouteHandler>(
  handler: H,
  options: WithTracingOptions = {},
): TracedRouteHandler<H> {
  const { flushTimeoutMs, streamTimeoutMs } = validate(handler, options)
  const { tracer: explicitTracer, route, traceIdHeader, attributes } = options
  void loadAfter()

  return async function tracedRoute(this: unknown, ...args: [request: any, ...rest: any[]]) {
    // `next build` prerendering a static route: no one made the request, so it gets no span. A
    // model call the handler made is traced on its own: flushed before the build moves on, as a
    // build worker ends without the exit the tracer would send it at.
    if (isNextBuild()) {
      const result = await handler.apply(this, args)
      const tracer = explicitTracer ?? getTracer()
      if (tracer.enabled) await tracer.flush({ timeoutMs: flushTimeoutMs })
      return result as any
    }
    const request = args[0]
    const tracer = explicitTracer ?? getTracer()
    if (!tracer.enabled) {
      tracerSkipped(tracer)
      return handler.apply(this, args) as any
    }
    if (!isRequest(request)) {
      tracerNotice(
        tracer,
        'withTracing without a Request',
        "withTracing(): the handler was called without a Web Request as its first argument (a Pages Router API route gets Node's req and res), so its requests are not traced. withTracing traces App Router route handlers (app/**/route.ts); move the route there, or trace inside it with tracer.withSpan().",
      )
      return handler.apply(this, args) as any
    }

    let started: ReturnType<typeof startRouteSpan>
    try {
      started = startRouteSpan(tracer, request, route, attributes)
    } catch {
      return handler.apply(this, args) as any
    }
    const { span, path } = started
    if (!span.isRecording) return runWithSpan(span, () => handler.apply(this, args)) as any

    // Name by the route pattern once params resolve; never awaited, so the handler is not delayed.
    if (!route) {
      const params = (args[1] as { params?: unknown } | undefined)?.params
      if (params !== undefined) {
        Promise.resolve(params).then(
          (resolved) => {
            if (span.ended) return
            const pattern = inferRoute(path, resolved)
            span.setAttribute(ATTR.httpRoute, pattern)
            span.updateName(`${request.method} ${pattern}`)
          },
          () => {},
        )
      } else span.setAttribute(ATTR.httpRoute, path)
    }

    let bodyDone!: () => void
    const ended = new Promise<void>((resolve) => {
      bodyDone = resolve
    })
    let via: KeepAliveVia | undefined
    // Never rejects: flush() resolves within its bound whatever the exporters do. Set before the
    // body can end, `via` tells a function that may freeze (send metrics too) from a long-lived
    // server (spans only: metrics go out on their own interval, not one snapshot per request).
    const flushed = ended
      .then(() => tracer.flush(flushOptions(flushTimeoutMs, via)))
      .then(
        () => {},
        () => {},
      )
    const schedule = async (): Promise<KeepAliveVia> => {
      // Only off Vercel is `after()` needed; its first load is the only wait, once per process.
      const pending = hasVercelContext() ? undefined : afterPending()
      if (pending) await pending
      via = keepAlive(flushed)
      noticeBackground(tracer, via, 'withTracing()')
      span.setAttribute(NEXT_ATTR.flushVia, via)
      // Spans the request's work starts after the span ended (in after(), in a promise handed to
      // waitUntil or not awaited) would miss that flush where the function freezes: each group
      // gets one of its own. A long-lived server sends them on its interval.
      if (mayFreeze(via))
        flushLateWork(span, tracer, keepAlive, {
          flushTimeoutMs,
          boundMs: streamTimeoutMs,
          metrics: true,
        })
      return via
    }

    // The client left while the handler is still at work for nobody (it may finish a model call
    // that ignores the signal): it gets streamTimeoutMs to return. One that never does (a promise
    // that never settles) held its request span, and every span under it, open for good.
    let abandoned: ReturnType<typeof setTimeout> | undefined
    let timedOut = false
    // Why a span is cancelled, as @tokentrail/hono says it (and `tokentrail trace --export` reads):
    // the request's signal aborted (the client went away), once.
    let leftSaid = false
    const sayLeft = () => {
      if (leftSaid || span.ended) return
      leftSaid = true
      span.addEvent(EVENT_REQUEST_ABORTED)
    }
    // The signal's listener, and so its timer, runs outside the request's async context, where
    // Next's after() throws: its flush went to the background, with a notice that blamed Next's
    // version. Run in the request's context, taken now.
    const inRequest = requestContext()
    const onLeft = () => {
      sayLeft()
      abandoned = setTimeout(
        () =>
          inRequest(() => {
            timedOut = true
            void schedule().then(() => {
              if (span.ended) return
              span.setAttribute(NEXT_ATTR.handlerTimeout, true)
              span.end({ status: 'cancelled', endOpenChildren: true })
              bodyDone()
            })
          }),
        streamTimeoutMs,
      )
      ;(abandoned as { unref?: () => void }).unref?.()
    }
    const left: AbortSignal | undefined = request.signal
    if (left?.aborted) onLeft()
    else left?.addEventListener?.('abort', onLeft, { once: true })
    const returned = () => {
      left?.removeEventListener?.('abort', onLeft)
      if (abandoned !== undefined) clearTimeout(abandoned)
      return timedOut
    }

    let result: unknown
    try {
      result = await runWithSpan(span, () => handler.apply(this, args))
    } catch (error) {
      // Past streamTimeoutMs after its client left: the span went out without it.
      if (returned()) throw error
      const status = controlFlowStatus(error)
      if (status !== undefined) {
        span.setAttribute(ATTR.httpResponseStatusCode, status)
        await schedule()
        span.end({ status: 'ok', endOpenChildren: true })
      } else if (causedByAbort(error, request.signal)) {
        // The client went away, and the work stopped with it (a model call or fetch given
        // `request.signal` rejects with its reason): no answer failed, as a client gone mid-body
        // is not a failure either.
        sayLeft()
        await schedule()
        span.end({ status: 'cancelled', endOpenChildren: true })
      } else {
        // Next answers a throw with 500 (as every fetch-style server does): the status the client
        // got, for anything that counts answers by status code.
        span.recordError(error)
        span.setAttribute(ATTR.errorType, (error as Error)?.name || typeof error)
        span.setAttribute(ATTR.httpResponseStatusCode, 500)
        await schedule()
        span.end({ status: 'error', endOpenChildren: true })
      }
      bodyDone()
      throw error
    }

    if (returned()) return result as any
    await schedule()
    // Next answers 500 for anything but a Response ("No response is returned from route handler")
    // and for `Response.error()` (a network error, status 0, which no server can send): a failure,
    // not a success without a status. The value itself is handed back unchanged.
    const networkError = isResponse(result) && result.status === 0
    if (!isResponse(result) || networkError) {
      const got = networkError
        ? 'Response.error() (a network error, status 0), answered with 500'
        : `${result === null ? 'null' : typeof result}, not a Response`
      span.recordError(new TypeError(`the route handler returned ${got}`))
      span.setAttribute(ATTR.errorType, 'TypeError')
      span.setAttribute(ATTR.httpResponseStatusCode, 500)
      span.end({ status: 'error', endOpenChildren: true })
      bodyDone()
      return result as any
    }

    const response: Response = result
    const code = response.status
    span.setAttribute(ATTR.httpResponseStatusCode, code)
    if (code >= 500) span.setAttribute(ATTR.errorType, String(code))
    const finalStatus: SpanStatus = code >= 500 ? 'error' : 'ok'

    // A HEAD answer's body is never sent nor cancelled (Next drops it): it would hold the span open
    // for good, and the flush with it.
    if (response.body === null || response.body.locked || request.method === 'HEAD') {
      span.end({ status: finalStatus, endOpenChildren: true })
      bodyDone()
      return (
        traceIdHeader ? withHeader(response, response.body, traceIdHeader, span.traceId) : response
      ) as any
    }

    let timer: ReturnType<typeof setTimeout> | undefined
    const signal: AbortSignal | undefined = request.signal
    const onAbort = () => {
      sayLeft()
      finish('cancelled')
    }
    const finish = (status: SpanStatus, failed?: { error: unknown }) => {
      if (span.ended) return
      if (timer !== undefined) clearTimeout(timer)
      signal?.removeEventListener?.('abort', onAbort)
      if (failed) {
        const { error } = failed
        // The body's stream failed: its type, as for a thrown error (`error.type` holds one for
        // every failure, so failures group by it).
        span.recordError(error)
        span.setAttribute(ATTR.errorType, (error as Error)?.name || typeof error)
      }
      span.end({ status, endOpenChildren: true })
      bodyDone()
    }
    let body: ReadableStream
    try {
      // A failing source and a reader that went away are told apart by the stream itself.
      body = watchBody(response.body, (end) => {
        if (end.reason === 'done') finish(finalStatus)
        else if (end.reason === 'cancelled') {
          // Its reader went away (Next cancels the body when the client leaves mid-answer).
          if (!span.ended) span.addEvent(EVENT_RESPONSE_CANCELLED)
          finish('cancelled')
        }
        // In a box: a stream may fail with `undefined` (`controller.error()`), a failure still.
        else finish('error', { error: end.error })
      })
    } catch {
      span.end({ status: finalStatus, endOpenChildren: true })
      bodyDone()
      return (
        traceIdHeader ? withHeader(response, response.body, traceIdHeader, span.traceId) : response
      ) as any
    }
    // Next aborts the request signal when the client goes away; also covers runtimes whose
    // TransformStream ignores `cancel`.
    if (signal?.aborted) onAbort()
    else signal?.addEventListener?.('abort', onAbort, { once: true })
    // Only a flush the platform waits on (a function that may freeze) must not be held by a body
    // that never ends; on a long-lived server nothing waits on it, and an event stream open for
    // hours is not cut short in its trace.
    if (mayFreeze(via)) {
      timer = setTimeout(() => {
        span.setAttribute(NEXT_ATTR.streamTimeout, true)
        noticeStreamTimeout(tracer, 'withTracing()', streamTimeoutMs)
        finish('cancelled')
      }, streamTimeoutMs)
      ;(timer as { unref?: () => void }).unref?.()
    }
    return (
      traceIdHeader
        ? withHeader(response, body, traceIdHeader, span.traceId)
        : withBody(response, body)
    ) as any
  } as TracedRouteHandler<H>
}
