import { freezingPlatform, vercelWaitUntil } from '@tokentrail/core/internal'
import type { Context } from 'hono'

type WaitUntil = (promise: Promise<unknown>) => void

// The flushes this package hands over: not the handler's work (see watchWaitUntil).
const ours = new WeakSet<Promise<unknown>>()
const noop = () => {}

// On Node and Bun `c.executionCtx` throws; on Workers it holds `waitUntil`.
function executionCtxWaitUntil(c: Context): WaitUntil | undefined {
  try {
    const context = c.executionCtx
    if (typeof context?.waitUntil === 'function') return (p) => context.waitUntil(p)
  } catch {}
  return undefined
}

/**
 * Hands the flush to the platform so it outlives the response: an explicit `waitUntil`, the
 * Workers execution context, or Vercel's request context. Where there is none (a long-lived Node
 * or Bun server) there is nothing to do: the batch processor exports on its interval. Never throws,
 * never delays the response.
 */
export function scheduleFlush(
  c: Context,
  flush: (longLived: boolean) => Promise<unknown>,
  explicit?: WaitUntil,
): boolean {
  const candidates = [explicit, executionCtxWaitUntil(c), vercelWaitUntil()]
  for (const waitUntil of candidates) {
    if (!waitUntil) continue
    try {
      const promise = flush(waitUntil === explicit && longLivedServer()).catch(noop)
      ours.add(promise)
      waitUntil(promise)
      return true
    } catch {}
  }
  return false
}

// A `waitUntil` given on Node or Bun, off the platforms that freeze a function after its
// response: the process lives on, so the flush only hurries spans out (see requestFlushOptions).
// Workers and Deno (Deno Deploy) may end the isolate.
function longLivedServer(): boolean {
  const g = globalThis as { Deno?: unknown; navigator?: { userAgent?: unknown } }
  try {
    if (typeof g.Deno === 'object' || g.navigator?.userAgent === 'Cloudflare-Workers') return false
  } catch {
    return false
  }
  return freezingPlatform() === undefined
}

/**
 * Watches the promises the handler hands to `c.executionCtx.waitUntil` (work it lets run on after
 * the response, such as a model call that saves a summary), by putting a wrapper of the execution
 * context on `c`: everything else reaches the platform's object as before. Returns a function that
 * gives a promise settling once every watched promise has settled (`undefined` when none is
 * pending); `undefined` where there is no execution context (Node, Bun). Never throws.
 */
export function watchWaitUntil(c: Context): (() => Promise<void> | undefined) | undefined {
  let context: Context['executionCtx']
  try {
    context = c.executionCtx
  } catch {
    return undefined
  }
  if (typeof context?.waitUntil !== 'function') return undefined
  const pending = new Set<Promise<void>>()
  const waitUntil = (promise: Promise<unknown>) => {
    if (!ours.has(promise)) {
      const settled: Promise<void> = Promise.resolve(promise).then(
        () => void pending.delete(settled),
        () => void pending.delete(settled),
      )
      pending.add(settled)
    }
    return context.waitUntil(promise)
  }
  // The target is an empty object inheriting from the context, not the context: a Proxy must
  // answer a read-only property of its target (a frozen context's `waitUntil`) with that very value.
  const wrapped = new Proxy(Object.create(context) as typeof context, {
    get(_, key) {
      if (key === 'waitUntil') return waitUntil
      const value = Reflect.get(context, key)
      return typeof value === 'function' ? value.bind(context) : value
    },
  })
  try {
    Object.defineProperty(c, 'executionCtx', { value: wrapped, configurable: true })
  } catch {
    return undefined
  }
  return () => (pending.size === 0 ? undefined : settleAll(pending))
}

// Also what is handed over while it waits.
async function settleAll(pending: Set<Promise<void>>): Promise<void> {
  while (pending.size > 0) await Promise.all(pending)
}
