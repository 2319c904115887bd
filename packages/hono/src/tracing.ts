import type { Span, Tracer } from '@tokentrail/core'
import {
  ATTR,
  causedByAbort,
  checkOptionKeys,
  endOpenChildren,
  flushLateWork,
  freezingPlatform,
  getActiveSpan,
  getTracer,
  hasAsyncContext,
  httpRequestAttributes,
  MAX_TIMER_MS,
  NOOP_SPAN,
  now,
  requestFlushOptions,
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
import type { Context, MiddlewareHandler } from 'hono'
import { matchedRoutes } from 'hono/route'
import { scheduleFlush, watchWaitUntil } from './wait-until.js'

declare module 'hono' {
  interface ContextVariableMap {
    /** The request's root span, set by `tracing()`; a no-op span on skipped paths. */
    span: Span
    /** The request's trace id (32 hex), set by `tracing()`; empty when the request is not traced. */
    traceId: string
  }
}

/** Options of `tracing()`. */
export interface TracingOptions {
  /** The tracer to use. @default getTracer(), the process-wide tracer, read on each request */
  tracer?: Tracer | undefined
  /**
   * Requests to leave untraced, such as health checks: exact paths or patterns matched against
   * `c.req.path`, or a function whose truthy answer skips (as Hono's `except()` takes a
   * condition; it must answer at once, not with a promise). @default []
   */
  skip?: ReadonlyArray<string | RegExp> | ((c: Context) => unknown) | undefined
  /**
   * Names the root span once the handler has returned, when `routePath(c)` is known.
   * @default `${method} ${route}` (such as `POST /api/chat`), or just the method when no route matched
   */
  spanName?: ((c: Context) => string) | undefined
  /** Extra attributes for the root span, read when the request arrives. @default none */
  requestAttributes?: ((c: Context) => Record<string, unknown>) | undefined
  /** Response header that carries the trace id, such as `x-trace-id`; `false` adds none. @default false */
  traceIdHeader?: string | false | undefined
  /**
   * Flush the tracer after each request where the platform may freeze the function: through
   * `c.executionCtx.waitUntil` on Workers, the request context's `waitUntil` on Vercel, or the
   * `waitUntil` option. A long-lived server (Node, Bun) has none and needs none: its spans go out
   * in batches on the tracer's interval, which costs far less than one export per request.
   * @default true
   */
  flush?: boolean | undefined
  /** Bound on each flush, in milliseconds. @default 5000 */
  flushTimeoutMs?: number | undefined
  /**
   * Where the flush is handed to a `waitUntil`: longest wait for a response body to end, in
   * milliseconds. Past it (a body nobody reads, a stream that never ends) the span ends
   * `cancelled` with `tokentrail.stream_timeout` and is flushed, so the `waitUntil` promise settles
   * and the trace is not lost; the body itself is untouched. A long-lived server (no `waitUntil`)
   * has no such bound. @default 280000
   */
  streamTimeoutMs?: number | undefined
  /** Where to hand the flush promise, for platforms not detected on their own (Netlify, Deno Deploy…). @default detected */
  waitUntil?: ((promise: Promise<unknown>) => void) | undefined
}

// Typed against the interface, so an option added there without being listed here fails typecheck.
const OPTION_KEYS = Object.keys({
  tracer: true,
  skip: true,
  spanName: true,
  requestAttributes: true,
  traceIdHeader: true,
  flush: true,
  flushTimeoutMs: true,
  streamTimeoutMs: true,
  waitUntil: true,
} satisfies Record<keyof TracingOptions, true>)

const OWNED = Symbol.for('tokentrail.hono.traced')
// The request spans `tracing()` has open, with the request's method and path: `app.mount()` hands
// a sub-app a new Context and Request (its path without the mount's prefix), where OWNED is not.
const REQUESTS = new WeakMap<Span, { method: string; url?: URL; returned: boolean }>()

// The request span of an outer `tracing()` for this same request (an `app.mount()`ed sub-app's),
// when there is one: the active span, still in its handler, of a request with the same method,
// origin and query whose path ends with this one's (the mount took its prefix off; `/m` itself
// becomes `/`). An app calling another in-process (`backend.request('/users')`) asks from another
// origin (`http://localhost`): its request is its own.
function mountedIn(c: Context): Span | undefined {
  const active = getActiveSpan()
  const outer = active && REQUESTS.get(active)
  if (!outer?.url || outer.returned || outer.method !== c.req.method) return undefined
  const from = outer.url
  let url: URL
  try {
    url = new URL(c.req.url)
  } catch {
    return undefined
  }
  return url.origin === from.origin &&
    url.search === from.search &&
    (from.pathname.endsWith(url.pathname) || url.pathname === '/')
    ? active
    : undefined
}

// A second tracing() for one request does nothing but let the first record it: said once when it
// was given options, which it does not use.
function sayTracedTwice(tracer: Tracer, options: TracingOptions): void {
  const given = Object.keys(options).filter((key) => key !== 'tracer')
  if (given.length === 0) return
  tracerNotice(
    tracer,
    'traced twice',
    `tracing() ran a second time for one request (a sub-app's, or app.use(tracing()) twice): the first one records the request, and this one's options (${given.join(', ')}) are not used. Give them to the first tracing(), or drop the second.`,
  )
}
const DENO = typeof (globalThis as { Deno?: unknown }).Deno === 'object'
const BUN = typeof (globalThis as { Bun?: unknown }).Bun === 'object'
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

function validate(options: TracingOptions): void {
  if (options === null || typeof options !== 'object')
    throw new TokentrailError('tracing(options) takes an options object')
  checkOptionKeys(options, OPTION_KEYS, 'tracing', { ignore: 'skip' })
  const { tracer, skip, spanName, requestAttributes, traceIdHeader, flush } = options
  if (tracer !== undefined && typeof (tracer as Tracer)?.startSpan !== 'function')
    throw new TokentrailError('tracing({ tracer }) must be a tracer from createTracer()')
  if (skip !== undefined && typeof skip !== 'function') {
    if (!Array.isArray(skip))
      throw new TokentrailError(
        'tracing({ skip }) must be an array of paths or RegExps, or a function (c) => boolean',
      )
    for (const [i, entry] of skip.entries()) {
      if (typeof entry !== 'string' && !(entry instanceof RegExp))
        throw new TokentrailError(
          `tracing({ skip }) entry ${i} must be a path string or a RegExp, got ${typeof entry}`,
        )
      // A request's path starts with "/": `'health'` matched none, and every request was traced.
      if (typeof entry === 'string' && !entry.startsWith('/'))
        throw new TokentrailError(
          `tracing({ skip }) entry ${i} must be a path starting with "/", such as "/health", got ${shownValue(entry)}`,
        )
      // `c.req.path` has no query string or fragment: `'/health?probe=1'` matched none.
      if (typeof entry === 'string' && /[?#]/.test(entry))
        throw new TokentrailError(
          `tracing({ skip }) entry ${i} has a query string or fragment, but skip strings are compared with the request's path, which has none; got ${shownValue(entry)}`,
        )
      // Hono's route patterns (`app.use('/api/*')`) are no request's path: `'/health/*'` and
      // `'/users/:id'` matched none, and every request was traced.
      if (typeof entry === 'string' && /[*]|\/:/.test(entry))
        throw new TokentrailError(
          `tracing({ skip }) entry ${i} is a route pattern, but skip strings are exact paths, got ${shownValue(entry)}; for a pattern give a RegExp, such as /^\\/health\\//`,
        )
    }
  }
  for (const [name, value] of [
    ['spanName', spanName],
    ['requestAttributes', requestAttributes],
    ['waitUntil', options.waitUntil],
  ] as const)
    if (value !== undefined && typeof value !== 'function')
      throw new TokentrailError(`tracing({ ${name} }) must be a function`)
  if (
    traceIdHeader !== undefined &&
    traceIdHeader !== false &&
    (typeof traceIdHeader !== 'string' || !HEADER_NAME.test(traceIdHeader))
  )
    throw new TokentrailError(
      `tracing({ traceIdHeader }) must be a header name such as 'x-trace-id', or false; got ${shownValue(traceIdHeader)}`,
    )
  const own = typeof traceIdHeader === 'string' ? responseOwnHeader(traceIdHeader) : undefined
  if (own) throw new TokentrailError(`tracing({ traceIdHeader }): ${own}`)
  if (flush !== undefined && typeof flush !== 'boolean')
    throw new TokentrailError('tracing({ flush }) must be true or false')
  for (const name of ['flushTimeoutMs', 'streamTimeoutMs'] as const) {
    const timeout = options[name]
    if (timeout !== undefined && (!Number.isInteger(timeout) || (timeout as number) < 1))
      throw new TokentrailError(
        `tracing({ ${name} }) must be a whole number of milliseconds ≥ 1, got ${shownValue(timeout)}`,
      )
    // Past a timer's limit, runtimes fire it at once (Node with a warning on stderr): the span
    // would end a millisecond into every streamed body.
    if ((timeout as number) > MAX_TIMER_MS)
      throw new TokentrailError(
        `tracing({ ${name} }) must be at most ${MAX_TIMER_MS} ms (about 24.8 days, the longest timer), got ${timeout}`,
      )
  }
}

// Set on a root span that `streamTimeoutMs` ended (as the Next adapter does).
const STREAM_TIMEOUT = 'tokentrail.stream_timeout'
// Set on a root span ended `streamTimeoutMs` after its client left while the handler had not
// returned (a handler that never settles).
const HANDLER_TIMEOUT = 'tokentrail.handler_timeout'

// A throwing option callback must not break the request: note it on the span and go on.
function noteOptionError(span: Span, name: string, error: unknown): void {
  span.addEvent('tokentrail.option_error', {
    option: name,
    message: error instanceof Error ? error.message : String(error),
  })
}

function callOption<T>(span: Span, name: string, fn: () => T): T | undefined {
  try {
    return fn()
  } catch (error) {
    noteOptionError(span, name, error)
    return undefined
  }
}

// A `skip` function that throws leaves the request traced; what it threw is noted on the span.
// What it returns is taken as a condition, as Hono's own `except()` takes one: `c.req.path.match()`
// skips on a match. A promise (an async function) cannot be waited for before the request goes
// on: noted as an error and traced, where its truthiness skipped every request.
const SKIP_PROMISE =
  'tracing({ skip }) returned a promise: it must decide at once (a truthy value skips), so its requests are traced'

function isSkipped(
  c: Context,
  skip: TracingOptions['skip'],
): boolean | { error: unknown; promise?: boolean } {
  if (!skip) return false
  if (typeof skip === 'function') {
    try {
      const result: unknown = skip(c)
      if (typeof (result as PromiseLike<unknown> | null)?.then === 'function') {
        // Dropped here: a rejection would be unhandled, which ends a Node process by default.
        try {
          ;(result as PromiseLike<unknown>).then(undefined, () => {})
        } catch {}
        return { error: new TypeError(SKIP_PROMISE), promise: true }
      }
      return Boolean(result)
    } catch (error) {
      return { error }
    }
  }
  const path = c.req.path
  // search(), not test(): a global or sticky RegExp (`/^\/health/g`) keeps its lastIndex between
  // test() calls, so every other request on a skipped path was traced.
  for (const entry of skip)
    if (typeof entry === 'string' ? entry === path : path.search(entry) !== -1) return true
  return false
}

/**
 * Hono middleware that traces each request: one `http` root span named after the matched route,
 * continuing an incoming `traceparent`, active while the handler runs so model spans nest, ended
 * when the response body ends or is cancelled, then flushed without delaying the response.
 *
 * @example
 * import { tracing } from '@tokentrail/hono'
 * app.use('/api/*', tracing())
 * app.post('/api/chat', (c) => {
 *   c.var.span.setAttribute('user.id', userId)
 *   return streamText({ model, prompt }).toUIMessageStreamResponse()
 * })
 */
export function tracing(options: TracingOptions = {}): MiddlewareHandler {
  validate(options)
  const {
    tracer: explicitTracer,
    skip,
    spanName,
    requestAttributes,
    traceIdHeader = false,
    flush = true,
    flushTimeoutMs = 5000,
    streamTimeoutMs = 280_000,
    waitUntil,
  } = options
  // A sticky RegExp matches only at the path's start, even through search(): read without its `y`,
  // as the flags change nothing (copies made once; the app's RegExps are left as they are).
  const skipping =
    Array.isArray(skip) && skip.some((entry) => entry instanceof RegExp && entry.sticky)
      ? skip.map((entry) =>
          entry instanceof RegExp && entry.sticky
            ? new RegExp(entry.source, entry.flags.replace('y', ''))
            : entry,
        )
      : skip

  return async function tracing(c, next) {
    // Mounted twice (app and sub-app): the outer one owns the request.
    if ((c as any)[OWNED]) {
      sayTracedTwice(explicitTracer ?? getTracer(), options)
      return next()
    }
    ;(c as any)[OWNED] = true
    const tracer = explicitTracer ?? getTracer()
    const outer = tracer.enabled ? mountedIn(c) : undefined
    if (outer) {
      sayTracedTwice(tracer, options)
      c.set('span', outer)
      c.set('traceId', outer.traceId)
      return next()
    }
    const skipped = tracer.enabled && isSkipped(c, skipping)
    if (!tracer.enabled || skipped === true) {
      if (!tracer.enabled) tracerSkipped(tracer)
      c.set('span', NOOP_SPAN)
      c.set('traceId', '')
      return next()
    }

    const request = c.req.raw
    const method = c.req.method
    const span = tracer.startSpan(method, {
      kind: 'http',
      parent: requestParent(request.headers),
    })
    c.set('span', span)
    c.set('traceId', span.isRecording ? span.traceId : '')
    if (!span.isRecording) return runWithSpan(span, next)
    if (!hasAsyncContext()) sayNoAsyncContext(tracer)

    span.setAttributes(httpRequestAttributes(request, c.req.path))
    let url: URL | undefined
    try {
      url = new URL(request.url)
    } catch {}
    const own = { method, url, returned: false }
    REQUESTS.set(span, own)
    if (typeof skipped === 'object') {
      noteOptionError(span, 'skip', skipped.error)
      if (skipped.promise) tracerNotice(tracer, 'skip promise', `${SKIP_PROMISE}.`)
    }
    if (requestAttributes) {
      const extra = callOption(span, 'requestAttributes', () => requestAttributes(c))
      const unset = setCallbackAttributes(tracer, span, extra, 'tracing({ requestAttributes })')
      if (unset) noteOptionError(span, 'requestAttributes', unset)
    }

    let resolveEnded!: () => void
    const ended = new Promise<void>((resolve) => (resolveEnded = resolve))
    let status: 'ok' | 'error' | 'cancelled' = 'ok'
    // Deno.serve (2.x) tells a disconnect by cancelling the body, and prints a warning on the
    // app's stderr the first time anything reads request.signal (it aborts even on success there).
    const signal = DENO ? undefined : (request.signal as AbortSignal | undefined)
    let handedOver = false
    // The client went away. Once the body is handed over this ends the span: a host that drops a
    // disconnected client's body without cancelling it says so only through the signal (an older
    // workerd did; 1.20261123 cancels the body too, see test/workerd.node.test.ts).
    // What the body has sent so far: a client gone mid-body, or a body cut at streamTimeoutMs,
    // ends the span before the body does.
    const sent = { bytes: 0 }
    const onAbort = () => {
      span.addEvent('http.request.aborted')
      if (status === 'ok') status = 'cancelled'
      if (handedOver) finish(sent.bytes)
      else if (!own.returned) {
        // The handler is still at work for nobody (it may finish a model call that ignores the
        // signal): it gets streamTimeoutMs to return. One that never does (a promise that never
        // settles) held its request span, and every span under it, open for good: never sent.
        // Named after its route, which dispatch has matched by now.
        abandoned = setTimeout(() => {
          nameSpan(span, c, ownIndex, method, spanName)
          finish(undefined, true)
        }, streamTimeoutMs)
        ;(abandoned as { unref?: () => void }).unref?.()
      }
    }
    let abandoned: ReturnType<typeof setTimeout> | undefined
    // Gone already (a middleware before this one outlasted the client): the event has passed.
    if (signal?.aborted) onAbort()
    else signal?.addEventListener?.('abort', onAbort)

    let timer: ReturnType<typeof setTimeout> | undefined
    const finish = (bytes?: number, handlerHung = false) => {
      if (span.ended) return
      if (timer !== undefined) clearTimeout(timer)
      if (abandoned !== undefined) clearTimeout(abandoned)
      if (handlerHung) span.setAttribute(HANDLER_TIMEOUT, true)
      signal?.removeEventListener?.('abort', onAbort)
      if (bytes !== undefined) span.setAttribute(ATTR.httpResponseBodySize, bytes)
      const background = backgroundWork?.()
      if (background === undefined) span.end({ status, endOpenChildren: true })
      else {
        // The handler handed work to c.executionCtx.waitUntil that is still running: its spans
        // are not a stream the response left behind, so they end as that work ends. What is still
        // open once it has settled (or after streamTimeoutMs) is closed as of the request's end,
        // and sent by a flush of its own: the request span goes out now, as the platform may cut
        // that work short (Workers: 30 s after the response).
        const endTime = now()
        span.end({ status, endTime })
        let bound: ReturnType<typeof setTimeout> | undefined
        const waited = new Promise<void>((resolve) => {
          bound = setTimeout(resolve, streamTimeoutMs)
          ;(bound as { unref?: () => void }).unref?.()
        })
        const closed = Promise.race([background, waited]).then(() => {
          clearTimeout(bound)
          endOpenChildren(span, endTime)
        })
        if (handedFlush)
          scheduleFlush(
            c,
            (longLived) =>
              closed.then(() => tracer.flush(requestFlushOptions(flushTimeoutMs, longLived))),
            waitUntil,
          )
      }
      resolveEnded()
      // Spans the request's work starts after this (handed to waitUntil, a promise not awaited)
      // would miss the flush the platform waits for: each group gets one of its own.
      if (handedFlush)
        flushLateWork(span, tracer, (promise) => scheduleFlush(c, () => promise, waitUntil), {
          flushTimeoutMs,
          boundMs: streamTimeoutMs,
        })
    }

    // Handed to a waitUntil: the platform waits for the flush, so a body that never ends must not
    // hold it (see streamTimeoutMs).
    const handedFlush =
      flush &&
      scheduleFlush(
        c,
        (longLived) =>
          ended.then(() => tracer.flush(requestFlushOptions(flushTimeoutMs, longLived))),
        waitUntil,
      )
    // After the flush was handed over, so that one is not taken for the handler's work.
    const backgroundWork = watchWaitUntil(c)
    if (flush && !handedFlush) {
      // No waitUntil: right on a long-lived server, a loss where the function freezes.
      const platform = freezingPlatform()
      if (onWorkers()) noticeWorkersWithoutContext(tracer)
      else if (platform)
        tracerNotice(
          tracer,
          'no waitUntil',
          `tracing(): ${platform} freezes the function after the response, and no waitUntil was found for this request: its spans wait for the tracer's interval and are lost when the function freezes. Pass tracing({ waitUntil }), or await tracer.flush() before the response is returned.`,
        )
    }

    const ownIndex = c.req.routeIndex
    try {
      await runWithSpan(span, next)
    } catch (error) {
      own.returned = true
      if (!span.ended) nameSpan(span, c, ownIndex, method, spanName)
      // Only non-Error throws reach here (Hono's compose turns Errors into c.error): record, rethrow.
      // Not a failure when it is the client's leaving (see below; @hono/node-server aborts the
      // signal with a string reason, which lands here).
      if (!causedByAbort(error, signal)) {
        span.recordError(error)
        span.setAttribute(ATTR.errorType, (error as Error)?.name || typeof error)
        status = 'error'
      }
      finish()
      throw error
    }

    own.returned = true
    if (abandoned !== undefined) clearTimeout(abandoned)
    // Past streamTimeoutMs after its client left: the span went out without it.
    if (span.ended) return
    nameSpan(span, c, ownIndex, method, spanName)

    if (!c.finalized) {
      // The handler returned no Response: once this middleware returns, Hono throws "Context is not
      // finalized" and answers through onError. A failure, with a status only onError knows; and
      // c.res must stay unset here, as setting it would finalize the context and answer 200.
      // The handler threw and the app's onError returned no Response either: what it threw is
      // the failure (Hono's own error then only says onError answered nothing).
      const error = c.error
      if (error && causedByAbort(error, signal)) status = 'cancelled'
      else {
        span.recordError(
          error ?? new Error('the handler returned no Response (Context is not finalized)'),
        )
        span.setAttribute(ATTR.errorType, error?.name || 'Error')
        status = 'error'
      }
      finish()
      return
    }

    const response = c.res
    // Headers before body: Bun (1.4) adds the Content-Type a body implies (a `Bun.file()`, a typed
    // Blob, FormData, URLSearchParams) when `headers` is first read, and drops it for good once
    // `body` has been: the re-streamed response below would go out without one.
    //
    // A handler that returned a value that is no Response (`return { ok: true }` for `c.json(…)`)
    // or `Response.error()` (a network error, status 0, which no server can send): Hono takes it
    // as the answer and the server fails on it (500 on @hono/node-server). A failure, left as is.
    const notResponse =
      typeof response?.headers?.get !== 'function' || typeof response.status !== 'number'
    if (notResponse || (response.status === 0 && !c.error)) {
      const got = notResponse
        ? `${response === null ? 'null' : typeof response}, not a Response`
        : 'Response.error() (a network error, status 0), which no server can send'
      span.recordError(new TypeError(`the handler returned ${got}`))
      span.setAttribute(ATTR.errorType, 'TypeError')
      status = 'error'
      finish()
      return
    }
    span.setAttribute(ATTR.httpResponseStatusCode, response.status)
    if (c.error) {
      // Unless the client went away and the work stopped with it (a model call or fetch given
      // `c.req.raw.signal` rejects with its reason): then no answer failed, the request was
      // cancelled (onAbort said so), as a client gone mid-body is.
      if (!causedByAbort(c.error, signal)) {
        span.recordError(c.error)
        span.setAttribute(ATTR.errorType, c.error.name || 'Error')
        status = 'error'
      }
    } else if (response.status >= 500) {
      span.setAttribute(ATTR.errorType, String(response.status))
      status = 'error'
    }
    span.addEvent('http.response.start', { [ATTR.httpResponseStatusCode]: response.status })

    // Read before its body is: @hono/node-server's own response forgets its body once it is, and
    // Bun's makes a Blob body a stream.
    const streamed = nodeServerStream(response)
    const bunBlob = BUN && !response.headers.has('content-type') ? bunBlobOf(response) : undefined
    // A header of that name the handler set is the app's: kept as it is.
    const idHeader = traceIdHeader && !response.headers.has(traceIdHeader) ? traceIdHeader : false

    // Bun names the type of a string or bytes body (`c.text('…')`, which Hono makes with
    // `new Response(text)`) only as it sends that body itself, and shows no Content-Type before:
    // re-streamed, it went out untyped and chunked. Such a body is all in memory already: the
    // response goes back as it is, its body never touched, and the span ends with its size. (Bun
    // sends such a response once only, so a trace id header set on it cannot stay for another.)
    if (bunBlob) {
      if (idHeader)
        try {
          response.headers.set(idHeader, span.traceId)
        } catch {}
      finish(bunBlob.bytes ?? (await bunBodySize(response)))
      return
    }

    // A WebSocket upgrade response must be handed back untouched; null and locked bodies end now,
    // and so does a HEAD answer's: Hono answers HEAD with the GET route's headers and drops its
    // body unread and uncancelled, so it would never end. Bun.serve answers a Range request itself
    // (206, Content-Range) when the body is a `Bun.file()` — a media player's seek, a resumed
    // download — and with the whole file once it is re-streamed: that response is not touched.
    if (
      request.method === 'HEAD' ||
      (BUN && request.headers.has('range')) ||
      !response.body ||
      response.body.locked ||
      response.status === 101 ||
      (response as any).webSocket
    ) {
      // A body read or locked already (one Response object answered to every request) is one the
      // server cannot send: it fails the request (500 on @hono/node-server).
      if (
        response.body?.locked &&
        request.method !== 'HEAD' &&
        response.status !== 101 &&
        !(response as any).webSocket
      ) {
        const error = new TypeError(
          "the handler's Response has a body that was already read or is locked (one Response object answered twice?), which the server cannot send",
        )
        span.recordError(error)
        span.setAttribute(ATTR.errorType, 'TypeError')
        status = 'error'
      }
      if (idHeader) setHeader(c, idHeader, span.traceId)
      finish()
      return
    }

    try {
      const copy = new Response(
        keepLength(
          response,
          watchBody(
            response.body,
            (body) => {
              // The client went away: the request's signal ended the span first (see onAbort).
              if (span.ended) return
              if (body.reason === 'error') {
                // As for a thrown error: `error.type` holds one for every failure.
                span.recordError(body.error)
                span.setAttribute(ATTR.errorType, (body.error as Error)?.name || typeof body.error)
                status = 'error'
              } else if (body.reason === 'cancelled') {
                span.addEvent('http.response.cancelled')
                if (status === 'ok') status = 'cancelled'
              }
              finish(body.bytes)
            },
            span,
            sent,
          ),
        ),
        streamed ? headOf(response) : response,
      )
      // A stream @hono/node-server would send headers first: so is its copy (see headOf). Any
      // other body it reads ahead of the head, counting a short one's length: so it does the copy's.
      if (streamed) replaceResponse(c, copy)
      else c.res = copy
      if (idHeader) c.res.headers.set(idHeader, span.traceId)
      handedOver = true
      // A body that never ends (nobody reads it) must not hold the span, and the flush handed to
      // waitUntil, for good. Without a waitUntil (a long-lived server) nothing waits on it, and an
      // event stream open for hours is not cut short in the trace.
      if (handedFlush) {
        timer = setTimeout(() => {
          span.setAttribute(STREAM_TIMEOUT, true)
          // The rest of the answer is missing from the trace, and spans ending later wait for a
          // flush the frozen function never runs: said once per tracer.
          tracerNotice(
            tracer,
            'stream timeout',
            `tracing(): a response body was still streaming after streamTimeoutMs (${streamTimeoutMs} ms), so its request span was ended there (cancelled, tokentrail.stream_timeout) and flushed before the function may freeze: the rest of that answer is missing from its trace, and spans ending later are lost if the function freezes. If the platform lets the function run longer, raise streamTimeoutMs.`,
          )
          if (status === 'ok') status = 'cancelled'
          finish(sent.bytes)
        }, streamTimeoutMs)
        ;(timer as { unref?: () => void }).unref?.()
      }
    } catch {
      // Should the host's Response refuse the stream, telemetry steps aside.
      finish()
    }
  }
}

const NO_ASYNC_CONTEXT_SAID = Symbol.for('tokentrail.hono.no-async-context')

// Without AsyncLocalStorage the request span is active only until the handler's first await: the
// AI SDK middleware's spans start traces of their own, which nothing else would say. Once for the
// isolate or process, as a Worker may make a tracer per request.
function sayNoAsyncContext(tracer: Tracer): void {
  const g = globalThis as Record<symbol, unknown>
  if (g[NO_ASYNC_CONTEXT_SAID]) return
  g[NO_ASYNC_CONTEXT_SAID] = true
  tracerNotice(
    tracer,
    'no async context',
    'tracing(): this runtime has no AsyncLocalStorage, so spans started after an await in the handler or while the body streams (the AI SDK middleware\'s) do not nest under the request span: each starts a trace of its own. On Node use 20.16 or later; on Cloudflare Workers set compatibility_date to 2026-08-04 or later, or add "nodejs_compat" to compatibility_flags ("nodejs_als" alone is not enough); see @tokentrail/hono\'s README.',
  )
}

/**
 * The watched body, of the original's length where workerd would send it otherwise: workerd
 * sends a stream it did not make chunked, without its `Content-Length` (c.text, c.json, a proxied
 * fetch), so there the body goes through a `FixedLengthStream` of that length, as Workers
 * advise. Elsewhere the watched body as it is: Node and Bun keep the header; Deno, like workerd,
 * sends a body it measured itself chunked (there is no FixedLengthStream there).
 */
function keepLength(response: Response, body: ReadableStream): ReadableStream {
  const Fixed = (globalThis as { FixedLengthStream?: new (length: number) => TransformStream })
    .FixedLengthStream
  const length = response.headers.get('content-length')
  if (!Fixed || length === null || !/^\d{1,15}$/.test(length)) return body
  try {
    const fixed = new Fixed(Number(length))
    // The client going away cancels `fixed.readable`, which cancels the watched body (its span
    // ends cancelled); a failing source errors both.
    body.pipeTo(fixed.writable).catch(() => {})
    return fixed.readable
  } catch {
    return body
  }
}

// workerd says who it is; its env has none of the variables freezingPlatform() reads.
function onWorkers(): boolean {
  try {
    return (globalThis as any).navigator?.userAgent === 'Cloudflare-Workers'
  } catch {
    return false
  }
}

let saidWorkersWithoutContext = false

// A Worker may make a tracer per request, so "once per tracer" could be once per
// request: this is said once per isolate.
function noticeWorkersWithoutContext(tracer: Tracer): void {
  if (saidWorkersWithoutContext) return
  saidWorkersWithoutContext = true
  tracerNotice(
    tracer,
    'workers without executionCtx',
    "tracing(): this Cloudflare Workers request reached Hono without its execution context (app.fetch(request) instead of app.fetch(request, env, ctx)), so there is no waitUntil to keep its flush alive. In a Worker's fetch handler its spans are lost when the request ends: pass env and ctx on to app.fetch, or export the app itself as the Worker's fetch handler. (A Durable Object lives on after its requests, so there the flush goes on without one.)",
  )
}

// A Response's body on Bun when it is a Blob in memory (a string, bytes, a Blob), which Bun sends
// whole, typed and measured, as it sends it; only Bun.inspect shows it ("Blob (5 bytes)").
function bunBlobOf(response: Response): { bytes?: number } | undefined {
  try {
    const inspect = (globalThis as { Bun?: { inspect?: (value: unknown) => string } }).Bun?.inspect
    const blob =
      typeof inspect === 'function' && /\bBlob \((?:(\d+) bytes)?/.exec(inspect(response))
    if (!blob) return undefined
    return blob[1] === undefined ? {} : { bytes: Number(blob[1]) }
  } catch {
    return undefined
  }
}

// The size of a Blob body Bun.inspect shows in KB (a clone's Blob shares the bytes; the response
// itself stays as it is), or undefined.
async function bunBodySize(response: Response): Promise<number | undefined> {
  try {
    return (await response.clone().blob()).size
  } catch {
    return undefined
  }
}

// Names the request span after the route that answered, once the handler has returned or thrown.
function nameSpan(
  span: Span,
  c: Context,
  ownIndex: number,
  method: string,
  spanName: TracingOptions['spanName'],
): void {
  const route = routeOf(c, ownIndex)
  if (route !== undefined) span.setAttribute(ATTR.httpRoute, route)
  let named: unknown = spanName && callOption(span, 'spanName', () => spanName(c))
  if (named !== undefined && (typeof named !== 'string' || named.trim() === '')) {
    // An async function's promise (its rejection unhandled would end a Node process), a number,
    // an empty name: noted, and the default name is used.
    const promise = typeof (named as PromiseLike<unknown> | null)?.then === 'function'
    if (promise)
      try {
        ;(named as PromiseLike<unknown>).then(undefined, () => {})
      } catch {}
    noteOptionError(
      span,
      'spanName',
      new TypeError(
        promise
          ? 'tracing({ spanName }) returned a promise: it must return the name at once, so the default name was used'
          : `tracing({ spanName }) must return a non-empty string, got ${shownValue(named)}; the default name was used`,
      ),
    )
    named = undefined
  }
  span.updateName(
    typeof named === 'string' ? named : route !== undefined ? `${method} ${route}` : method,
  )
}

// The route that answered: the last handler Hono dispatched after this middleware.
function routeOf(c: Context, ownIndex: number): string | undefined {
  if (c.req.routeIndex <= ownIndex) return undefined
  let routes: { path: string }[]
  try {
    routes = matchedRoutes(c)
  } catch {
    // The app's Hono is another copy than the one this package imports — a CommonJS app gets
    // Hono's CommonJS build, this package its ES build — and the helper reads the request through
    // a symbol of its own copy. The request's own (deprecated) getter works with any copy.
    try {
      routes = (c.req as unknown as { matchedRoutes: { path: string }[] }).matchedRoutes
    } catch {
      return undefined
    }
  }
  return routes?.[c.req.routeIndex]?.path
}

// @hono/node-server sends a response of its own made with a stream body headers first, then the
// body, and any other by reading up to three chunks ahead of the head (to count a short body's
// length), where a body failing at once becomes a 500 carrying the error's message. Whether the
// handler's response is such a stream, read before its body is (reading it makes the server
// forget that): its own `Symbol(cache)` holds `[status, body, headers]`.
function nodeServerStream(response: Response): boolean {
  try {
    for (const key of Object.getOwnPropertySymbols(response))
      if (key.description === 'cache')
        return typeof (response as any)[key]?.[1]?.getReader === 'function'
  } catch {}
  return false
}

// The status and headers of a response, copied (the app's response may be one object shared
// between requests), for a copy of it with another body: a plain object, so @hono/node-server
// takes the copy for a stream of its own too (a copy made with the response as its init is not).
function headOf(response: Response): ResponseInit {
  return {
    status: response.status,
    statusText: response.statusText,
    headers: new Headers(response.headers),
  }
}

// Puts `copy` (made from `c.res`, its headers included) in place of `c.res` as it is: Hono's setter
// would copy it once more, with the copy as its init (see headOf). Unset first, there is nothing
// to merge into it.
function replaceResponse(c: Context, copy: Response): void {
  c.res = undefined
  c.res = copy
}

// The handler's response may be one object it answers every request with (a module-level
// `new Response(null, { status: 204 })`): the trace id goes on a copy, never on that shared object,
// where it would stay for the next request, traced or not. An upgrade response (101, a Workers
// `webSocket`) is not copied: the copy would lose its socket.
function setHeader(c: Context, name: string, value: string): void {
  const response = c.res
  try {
    if (response.status === 101 || (response as any).webSocket) response.headers.set(name, value)
    else {
      c.res = new Response(response.body, response)
      c.res.headers.set(name, value)
    }
  } catch {}
}
