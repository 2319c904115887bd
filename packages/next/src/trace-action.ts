import type { Tracer } from '@tokentrail/core'
import {
  checkOptionKeys,
  getTracer,
  MAX_TIMER_MS,
  shownValue,
  TokentrailError,
  tracerSkipped,
} from '@tokentrail/core/internal'
import { controlFlow } from './control-flow.js'
import {
  afterPending,
  flushOptions,
  hasVercelContext,
  type KeepAliveVia,
  keepAlive,
  loadAfter,
  noticeBackground,
} from './keep-alive.js'
import { NEXT_ATTR } from './semconv.js'

/** Options of `traceAction`. */
export interface TraceActionOptions {
  /** The tracer to record with. @default getTracer() */
  tracer?: Tracer | undefined
  /** Longest wait for the export once the action has settled. @default 5000 */
  flushTimeoutMs?: number | undefined
}

/**
 * Traces a server action: one span `action {name}`, active while the action runs (so model spans
 * nest), ended when it settles, then flushed like `withTracing`. Results and errors pass through.
 *
 * @example
 * 'use server'
 * import { traceAction } from '@tokentrail/next'
 *
 * export const summarize = traceAction('summarize', async (text: string) => {
 *   return (await generateText({ model, prompt: `Summarize: ${text}` })).text
 * })
 */
export function traceAction<A extends (...args: any[]) => Promise<unknown>>(
  name: string,
  action: A,
  options: TraceActionOptions = {},
): A {
  if (typeof name !== 'string' || name === '')
    throw new TokentrailError('traceAction(name, action): name must be a non-empty string')
  if (typeof action !== 'function')
    throw new TokentrailError(
      `traceAction(name, action): action must be a function, got ${typeof action}`,
    )
  if (options === null || typeof options !== 'object')
    throw new TokentrailError('traceAction(name, action, options): options must be an object')
  checkOptionKeys(options, ['tracer', 'flushTimeoutMs'], 'traceAction')
  if (options.tracer !== undefined && typeof options.tracer?.withSpan !== 'function')
    throw new TokentrailError('traceAction: tracer must be a tracer from createTracer()')
  const flushTimeoutMs = options.flushTimeoutMs ?? 5000
  if (!Number.isInteger(flushTimeoutMs) || flushTimeoutMs < 1)
    throw new TokentrailError(
      `traceAction: flushTimeoutMs must be a whole number of milliseconds ≥ 1, got ${shownValue(flushTimeoutMs)}`,
    )
  // Past a timer's limit, runtimes fire it at once (Node with a warning on stderr).
  if (flushTimeoutMs > MAX_TIMER_MS)
    throw new TokentrailError(
      `traceAction: flushTimeoutMs must be at most ${MAX_TIMER_MS} ms (about 24.8 days, the longest timer), got ${flushTimeoutMs}`,
    )
  void loadAfter()

  return async function tracedAction(this: unknown, ...args: Parameters<A>) {
    const tracer = options.tracer ?? getTracer()
    if (!tracer.enabled) {
      tracerSkipped(tracer)
      return action.apply(this, args)
    }
    const pending = hasVercelContext() ? undefined : afterPending()
    if (pending) await pending
    const span = tracer.startSpan(`action ${name}`, {
      attributes: { [NEXT_ATTR.actionName]: name },
    })
    if (span.isRecording) {
      // Registered now, inside the request scope; it runs once the span has ended.
      let release!: () => void
      let via: KeepAliveVia | undefined
      const flushed = new Promise<void>((resolve) => {
        release = resolve
      })
        .then(() => tracer.flush(flushOptions(flushTimeoutMs, via)))
        .then(
          () => {},
          () => {},
        )
      span.onEnding(() => queueMicrotask(release))
      via = keepAlive(flushed)
      noticeBackground(tracer, via, 'traceAction()')
      span.setAttribute(NEXT_ATTR.flushVia, via)
    }
    let result: unknown
    try {
      result = await tracer.runInSpan(span, () => action.apply(this, args))
    } catch (error) {
      // `redirect()`, `notFound()`, `forbidden()` and `unauthorized()` end an action the way Next
      // means them to (a form action's usual end is a redirect): answers, not failures.
      const flow = controlFlow(error)
      if (flow !== undefined) {
        span.setAttribute(NEXT_ATTR.actionControlFlow, flow)
        span.end()
      } else {
        span.recordError(error)
        span.end({ status: 'error' })
      }
      throw error
    }
    span.end()
    return result
  } as A
}
