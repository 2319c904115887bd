import { vercelWaitUntil } from '@tokentrail/core/internal'
import type { Context } from 'hono'

type WaitUntil = (promise: Promise<unknown>) => void

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
  flush: () => Promise<unknown>,
  explicit?: WaitUntil,
): boolean {
  const candidates = [explicit, executionCtxWaitUntil(c), vercelWaitUntil()]
  for (const waitUntil of candidates) {
    if (!waitUntil) continue
    try {
      waitUntil(flush().catch(() => {}))
      return true
    } catch {}
  }
  return false
}
