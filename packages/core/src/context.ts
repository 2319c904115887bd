import type { SpanContext } from './types.js'

/** What the active context holds: a live span of this process, or a parent from another one. */
export interface ContextSpan {
  spanContext(): SpanContext
}

interface Storage<T> {
  getStore(): T | undefined
  run<R>(store: T | undefined, fn: () => R): R
}

// Without AsyncLocalStorage the value is only known synchronously inside `run`.
class StackStorage<T> implements Storage<T> {
  private current: T | undefined
  getStore() {
    return this.current
  }
  run<R>(store: T | undefined, fn: () => R): R {
    const previous = this.current
    this.current = store
    try {
      return fn()
    } finally {
      this.current = previous
    }
  }
}

function findAsyncLocalStorage(): (new () => Storage<never>) | undefined {
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

/** A value that follows async work, like the active span; see `createAsyncStorage`. */
export interface AsyncStorage<T> {
  get(): T | undefined
  run<R>(value: T | undefined, fn: () => R): R
  /** True when the value follows `await` (AsyncLocalStorage exists), not only synchronous calls. */
  readonly isAsync: boolean
}

/**
 * A process-wide async-context slot named `name`, shared by every copy of the package that asks
 * for the same name. Uses AsyncLocalStorage found at run time (no static `node:` import).
 */
export function createAsyncStorage<T>(name: string): AsyncStorage<T> {
  const key = Symbol.for(name)
  let storage: Storage<T> | undefined
  const get = (): Storage<T> => {
    if (storage) return storage
    const g = globalThis as any
    storage = g[key]
    if (!storage) {
      const Als = findAsyncLocalStorage()
      storage = Als ? (new Als() as Storage<T>) : new StackStorage<T>()
      Object.defineProperty(g, key, { value: storage, enumerable: false, configurable: true })
    }
    return storage
  }
  return {
    get: () => get().getStore(),
    run: (value, fn) => get().run(value, fn),
    get isAsync() {
      return !(get() instanceof StackStorage)
    },
  }
}

const spans = createAsyncStorage<ContextSpan>('tokentrail.context.storage')

/** The span active in the current async context, if any. */
export function getActiveContextSpan(): ContextSpan | undefined {
  return spans.get()
}

/** Runs `fn` with `span` as the active span; it follows `await`, timers and streams where AsyncLocalStorage exists. */
export function runWithSpan<R>(span: ContextSpan | undefined, fn: () => R): R {
  return spans.run(span, fn)
}

/** True when the runtime gives async context propagation (AsyncLocalStorage). */
export function hasAsyncContext(): boolean {
  return spans.isAsync
}
