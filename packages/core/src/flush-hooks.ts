import type { Tracer } from './tracer.js'

// Process-wide, shared by every copy of core: an adapter package may hold work that must end
// before a flush sends spans out (an AI SDK call span waiting for a step that will not come).
const KEY = Symbol.for('tokentrail.flush.hooks')

/** Run at the start of every `tracer.flush()`, with the tracer flushing. */
export type FlushHook = (tracer: Tracer) => void

function hooks(): Set<FlushHook> {
  const g = globalThis as Record<symbol, Set<FlushHook> | undefined>
  let set = g[KEY]
  if (!set) {
    set = new Set()
    Object.defineProperty(g, KEY, { value: set, enumerable: false, configurable: true })
  }
  return set
}

/**
 * Registers `hook` to run at the start of every `tracer.flush()`, before spans are sent: the
 * place to end spans that are only waiting for something that may never come. Returns a function
 * that removes it. Hooks must not throw; if one does, the flush goes on.
 */
export function addFlushHook(hook: FlushHook): () => void {
  hooks().add(hook)
  return () => {
    hooks().delete(hook)
  }
}

/** Runs every flush hook for `tracer`; never throws. */
export function runFlushHooks(tracer: Tracer): void {
  for (const hook of hooks()) {
    try {
      hook(tracer)
    } catch {}
  }
}
