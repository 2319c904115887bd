// What a flush says when the spans it waited for did not all arrive: the time bound passed, or
// some failed or were rejected; what a shutdown does once it has waited for the spans queued
// before it (the export under way, what is left, the exporter's own shutdown); and the words for
// spans dropped before an export. Loaded by `import()` the first time there is that
// to say, so an app whose flushes succeed never loads it; the waits stay in processor.ts.
import { type DropKind, flushEnd } from './delivery-log.js'
import type { BatchProcessor, FlushOutcome } from './processor.js'

const spans = (n: number) => `${n} ${n === 1 ? 'span' : 'spans'}`

/**
 * The outcome of a flush of the spans from `from` up to `target` (settle positions), `pending` of
 * them still unsettled when its time bound passed, or when it did not wait (`notWaited`).
 */
export async function flushReport(
  processor: BatchProcessor,
  pending: number,
  from: number,
  target: number,
  timeoutMs: number,
  notWaited = false,
  beforeFreeze = false,
  retryInMs?: number,
): Promise<FlushOutcome> {
  // A long-lived server's request flush that did not wait, exports failing (see flushOutcome).
  if (notWaited) {
    const last = processor.options.log?.reason
    return {
      ok: false,
      reason: `not waited for: exports are failing and being retried, ${spans(pending)} not delivered yet${last ? ` (last failure: ${last})` : ''}`,
    }
  }
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
      'flush',
      beforeFreeze,
      retryInMs,
    )
    const last = log?.reason
    return {
      ok: false,
      reason: `${flushEnd(timeoutMs, retryInMs)} with ${spans(pending)} not delivered${last ? ` (last failure: ${last})` : ''}`,
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

// Whether the sends under way end within `ms` (a timer not unref'd, as in the processor's
// waitFor: whoever awaits a shutdown must see it settle).
async function settles(processor: BatchProcessor, ms: number): Promise<boolean> {
  const sending = processor.sending
  if (!sending) return true
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    return await Promise.race([
      sending.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), Math.max(0, ms))
      }),
    ])
  } catch {
    return false
  } finally {
    cancel(timer)
  }
}

const cancel = (timer: ReturnType<typeof setTimeout> | undefined) => {
  try {
    if (timer !== undefined) clearTimeout(timer)
  } catch {}
}

// How long a shutdown out of time waits for the export it aborted to settle.
const ABORTED_EXPORT_GRACE_MS = 250

/**
 * A shutdown ran out of time with an export under way: aborts it and waits for it to settle,
 * briefly, so its failure is counted and said before the shutdown resolves (a script may call
 * process.exit() right after); a fetch settles at once. One still under way past that — an
 * exporter that ignores its signal, a batch waiting to retry — is said as such. Never rejects.
 */
export async function abortAtShutdown(processor: BatchProcessor, timeoutMs: number): Promise<void> {
  try {
    processor.attempt?.abort(
      new Error(
        `tracer.shutdown() ran out of time (${timeoutMs} ms) with this export under way; a longer shutdown({ timeoutMs }) waits more`,
      ),
    )
  } catch {}
  await settles(processor, ABORTED_EXPORT_GRACE_MS)
  const inflight = processor.stats.inflight
  if (inflight === 0) return
  try {
    await processor.makeLog()
    const startedAt = processor.attemptStartedAt
    await processor.options.log?.flushTimedOut(
      timeoutMs,
      inflight,
      startedAt === undefined ? undefined : performance.now() - startedAt,
      'tracer.shutdown()',
    )
  } catch {}
}

/**
 * The rest of a processor's shutdown, after it waited for the spans queued before it (`flushed`
 * when they all settled in time): an export that went out while it waited (a full batch of spans
 * that ended meanwhile) is given what is left of the bound — aborted at once, it failed a shutdown
 * that had time, and was counted and said after the shutdown resolved; one under way when time
 * ran out is aborted, counted and said before this resolves. Then what is left is dropped and
 * counted, and the exporter's own shutdown gets what is left of the bound: one that never settles
 * must not hold the app's shutdown (every span is settled by then, so none is lost to it).
 */
export async function closeProcessor(
  processor: BatchProcessor,
  flushed: boolean,
  timeoutMs: number,
  startedAt: number,
): Promise<void> {
  if (flushed && processor.sending)
    flushed = await settles(processor, timeoutMs - (Date.now() - startedAt))
  processor.stopSending()
  if (!flushed && processor.sending) await abortAtShutdown(processor, timeoutMs)
  processor.dropLeft(flushed, timeoutMs)
  if (processor.saying) await processor.saying
  processor.options.log?.closing?.(processor.options.maxQueueSize)
  await processor.closeExporter(timeoutMs, startedAt)
}

const DROP_KINDS: readonly DropKind[] = ['queueFull', 'shutdown', 'afterShutdown']

/**
 * Says the spans the processor dropped before an export and has not said yet (`unsaid`, taken),
 * through its delivery log; drops that come while it says are said in the same turn. Never
 * rejects; clears `saying` when done.
 */
export async function sayDrops(processor: BatchProcessor): Promise<void> {
  try {
    await processor.makeLog()
    let kind: DropKind | undefined
    while ((kind = DROP_KINDS.find((k) => (processor.unsaid?.[k] ?? 0) > 0)) !== undefined) {
      const spans = processor.unsaid![kind]!
      processor.unsaid![kind] = 0
      await processor.options.log?.dropped(
        kind,
        spans,
        kind === 'shutdown' ? processor.shutdownTimeoutMs : processor.options.maxQueueSize,
      )
    }
  } catch (error) {
    processor.options.onError(`${processor.exporter.name} drop report`, error)
  } finally {
    processor.saying = undefined
  }
}
