import { onLateChild, type Span } from './span.js'
import type { Tracer } from './tracer.js'

/** How `flushLateWork` bounds and sends. */
export interface LateWorkOptions {
  /** Bound on each flush, in milliseconds. */
  flushTimeoutMs: number
  /** Longest wait for late spans to end before what there is is sent, in milliseconds. */
  boundMs: number
  /** Send metrics with the flush too (a function that may freeze). */
  metrics?: boolean | undefined
}

/**
 * For a request span whose flush went to a platform's `waitUntil`: spans started under it after
 * it ended (work the handler handed to `waitUntil` or `after()`, a promise it did not await) end
 * after that flush, and were lost when the function froze. Each group of such spans open at once
 * hands one more promise to `handOver` (the same `waitUntil`), which flushes once they have all
 * ended, or after `boundMs`. Never throws; `handOver` must not either.
 */
export function flushLateWork(
  span: Span,
  tracer: Tracer,
  handOver: (promise: Promise<unknown>) => void,
  options: LateWorkOptions,
): void {
  let group: { open: number; release: () => void } | undefined
  onLateChild(span, (child) => {
    if (group === undefined) {
      let release!: () => void
      const ended = new Promise<void>((resolve) => (release = resolve))
      const current = { open: 0, release }
      group = current
      const timer = setTimeout(() => {
        if (group === current) group = undefined
        release()
      }, options.boundMs)
      ;(timer as { unref?: () => void }).unref?.()
      handOver(
        ended
          .then(() => {
            clearTimeout(timer)
            return tracer.flush({ timeoutMs: options.flushTimeoutMs, metrics: options.metrics })
          })
          .then(noop, noop),
      )
    }
    const current = group
    current.open++
    // Runs just before the child ends: the flush, a turn later, finds it queued.
    child.onEnding(() => {
      if (--current.open > 0) return
      if (group === current) group = undefined
      current.release()
    })
  })
}

const noop = () => {}
