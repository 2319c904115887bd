import type { SpanContext } from './types.js'

/** What the active context holds: a live span of this process, or a parent from another one. */
export interface ContextSpan {
  spanContext(): SpanContext
}

interface Storage {
  getStore(): ContextSpan | undefined
  run<R>(store: ContextSpan | undefined, fn: () => R): R
}

// Without AsyncLocalStorage the active span is only known synchronously inside `run`.
class StackStorage implements Storage {
  private current: ContextSpan | undefined
  getStore() {
    return this.current
  }
  run<R>(store: ContextSpan | undefined, fn: () => R): R {
    const previous = this.current
    this.current = store
    try {
      return fn()
    } finally {
      this.current = previous
    }
  }
}

function findAsyncLocalStorage(): (new () => Storage) | undefined {
  const g = globalThis as any
  // Vercel Edge and Workers (nodejs_compat) expose it as a global.
  if (typeof g.AsyncLocalStorage === 'function') return g.AsyncLocalStorage
  try {
    // Node ≥ 20.16, Bun and Deno: reach the built-in without a static `node:` import.
    const builtin = g.process?.getBuiltinModule?.('node:async_hooks')
    if (typeof builtin?.AsyncLocalStorage === 'function') return builtin.AsyncLocalStorage
  } catch {}
  return undefined
}

const KEY = Symbol.for('tokentrail.context.storage')

// One storage per process, shared by every copy of this package that gets loaded.
function storage(): Storage {
  const g = globalThis as any
  let found: Storage | undefined = g[KEY]
  if (!found) {
    const Als = findAsyncLocalStorage()
    found = Als ? new Als() : new StackStorage()
    Object.defineProperty(g, KEY, { value: found, enumerable: false, configurable: true })
  }
  return found
}

let cached: Storage | undefined

/** The span active in the current async context, if any. */
export function getActiveContextSpan(): ContextSpan | undefined {
  return (cached ??= storage()).getStore()
}

/** Runs `fn` with `span` as the active span; it follows `await`, timers and streams where AsyncLocalStorage exists. */
export function runWithSpan<R>(span: ContextSpan | undefined, fn: () => R): R {
  return (cached ??= storage()).run(span, fn)
}

/** True when the runtime gives async context propagation (AsyncLocalStorage). */
export function hasAsyncContext(): boolean {
  return !((cached ??= storage()) instanceof StackStorage)
}
