// What a flush says when the spans it waited for did not all arrive: the time bound passed, or
// some failed or were rejected. Loaded by `import()` the first time a flush has that to say, so
// an app whose flushes succeed never loads it; the wait itself stays in processor.ts.
import type { BatchProcessor, FlushOutcome } from './processor.js'

const spans = (n: number) => `${n} ${n === 1 ? 'span' : 'spans'}`

/**
 * The outcome of a flush of the spans from `from` up to `target` (settle positions), `pending` of
 * them still unsettled when its time bound passed.
 */
export async function flushReport(
  processor: BatchProcessor,
  pending: number,
  from: number,
  target: number,
  timeoutMs: number,
): Promise<FlushOutcome> {
  if (pending > 0) {
    // Said even when the send loop has not loaded yet (it may be what is slow).
    // (Made with the send loop; loaded here too in case the flush timed out before it.)
    await processor.makeLog().catch(() => {})
    const { log } = processor.options
    await log?.flushTimedOut(
      timeoutMs,
      pending,
      processor.attemptStartedAt === undefined
        ? undefined
        : performance.now() - processor.attemptStartedAt,
    )
    const last = log?.reason
    return {
      ok: false,
      reason: `flush timed out after ${timeoutMs} ms with ${spans(pending)} not delivered${last ? ` (last failure: ${last})` : ''}`,
    }
  }
  let failed = 0
  let reason: string | undefined
  for (const failure of processor.failures) {
    const overlap = Math.min(failure.to, target) - Math.max(failure.from, from)
    if (overlap > 0) {
      failed += Math.min(overlap, failure.count)
      reason = failure.reason
    }
  }
  return failed === 0
    ? { ok: true }
    : { ok: false, reason: `${spans(failed)} not delivered: ${reason}` }
}
