import {
  freezingPlatform,
  requestFlushOptions,
  tracerNotice,
  vercelWaitUntil,
} from '@tokentrail/core/internal'

/** How a flush promise was kept alive past the response. */
export type KeepAliveVia = 'waitUntil' | 'after' | 'background'

type After = (task: () => unknown) => void

let after: After | undefined
let loading: Promise<void> | undefined
let settled = false

/**
 * Loads Next's `after()` once. Lazy so the package loads (and stays cheap) where `next/server`
 * is absent or cannot run, such as a test runner or a non-Next host.
 */
export function loadAfter(): Promise<void> {
  loading ??= import('next/server.js').then(
    (module) => {
      if (typeof module.after === 'function') after = module.after as After
      settled = true
    },
    () => {
      settled = true
    },
  )
  return loading
}

/** The pending load of `after()`, or undefined once it has settled (so callers skip an `await`). */
export function afterPending(): Promise<void> | undefined {
  return settled ? undefined : loadAfter()
}

/** True inside a Vercel invocation: its request context offers `waitUntil`. */
export function hasVercelContext(): boolean {
  return vercelWaitUntil() !== undefined
}

/**
 * Keeps `promise` alive past the response: the platform's `waitUntil` on Vercel, else Next's
 * `after()` inside a Next request, else a plain background promise (lost if the function freezes).
 * Must be called during the request. `promise` must never reject.
 */
export function keepAlive(promise: Promise<unknown>): KeepAliveVia {
  // The request context's own waitUntil, the one `@vercel/functions` looks up the same way.
  const waitUntil = vercelWaitUntil()
  if (waitUntil) {
    try {
      waitUntil(promise)
      return 'waitUntil'
    } catch {}
  }
  if (after) {
    try {
      // `after` throws outside a request scope (a test, a script): fall through.
      after(() => promise)
      return 'after'
    } catch {}
  }
  return 'background'
}

/**
 * Whether a request's flush also exports metrics: only where the function may freeze after the
 * response (`mayFreeze`: Vercel's `waitUntil`, or `after()` on AWS Lambda under OpenNext), as its
 * metrics interval may never come. Under `next start` (`after()`) or with no hook the process
 * lives on and the metrics pipeline exports on its interval; a snapshot per request would be one
 * `/v1/metrics` POST per request.
 */
export function sendsMetrics(via: KeepAliveVia | undefined): boolean {
  return mayFreeze(via)
}

/**
 * A request's flush options: metrics too where the function may freeze (`sendsMetrics`); on a
 * long-lived server (`next start`) a flush that does not wait out its bound while exports fail
 * and are retried (`requestFlushOptions`).
 */
export function flushOptions(timeoutMs: number, via: KeepAliveVia | undefined) {
  return requestFlushOptions(timeoutMs, !mayFreeze(via), sendsMetrics(via))
}

/**
 * Whether the function may freeze once the response is out, with the flush handed to what it
 * waits on: the Vercel request context's `waitUntil`, or `after()` on a host known to freeze (AWS
 * Lambda under OpenNext) or on Cloudflare Workers (OpenNext hands `after()` to the isolate's
 * `waitUntil`, which ends with it). Only there is a body that never ends bounded (`streamTimeoutMs`).
 */
export function mayFreeze(via: KeepAliveVia | undefined): boolean {
  return (
    via === 'waitUntil' || (via === 'after' && (freezingPlatform() !== undefined || onWorkers()))
  )
}

// workerd names itself in navigator.userAgent (no environment variable tells it).
function onWorkers(): boolean {
  try {
    return (
      (globalThis as { navigator?: { userAgent?: unknown } }).navigator?.userAgent ===
      'Cloudflare-Workers'
    )
  } catch {
    return false
  }
}

/**
 * A flush left in the background (no `waitUntil`, no `after()`) on a platform that freezes the
 * function after the response is lost with its spans: said once per tracer. Never throws.
 */
export function noticeBackground(tracer: unknown, via: KeepAliveVia, adapter: string): void {
  if (via !== 'background') return
  const platform = freezingPlatform()
  if (platform)
    tracerNotice(
      tracer,
      'flush in the background',
      `${adapter}: ${platform} freezes the function after the response, and neither a waitUntil nor Next's after() was found for this request: its flush runs in the background and its spans are lost when the function freezes. Run on Next 15 or later (after()), or await tracer.flush() before the response is returned.`,
    )
}

/**
 * `streamTimeoutMs` cut a request span while its body still streamed: the rest of the answer is
 * missing from the trace, and spans that end later wait for a flush the frozen function never
 * runs. Said once per tracer. Never throws.
 */
export function noticeStreamTimeout(tracer: unknown, adapter: string, timeoutMs: number): void {
  tracerNotice(
    tracer,
    'stream timeout',
    `${adapter}: a response body was still streaming after streamTimeoutMs (${timeoutMs} ms), so its request span was ended there (cancelled, tokentrail.stream_timeout) and flushed before the function may freeze: the rest of that answer is missing from its trace, and spans ending later are lost if the function freezes. If the platform lets the function run longer, raise streamTimeoutMs (below maxDuration, less flushTimeoutMs).`,
  )
}
