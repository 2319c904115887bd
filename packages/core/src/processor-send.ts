// The processor's send loop: the export call with its time bound, retries with backoff, the
// durations and failure counts, and the delivery log's calls. Loaded by `import()` when the first
// batch goes out, so an app pays for it at its first export, not at start-up; the queue, the
// batching and the flush bookkeeping stay in processor.ts, so spans queue exactly as before.
import { ExportError } from './exporters/export-error.js'
import type { BatchProcessor, ExportDurations, RetryOptions, SendHelpers } from './processor.js'
import type { ExportResult, SpanData, SpanExporter } from './types.js'

/** Buckets for `otel.sdk.exporter.operation.duration`, in seconds. */
export const EXPORT_DURATION_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
]

/** Past a handful of kinds, new ones share `_OTHER`, so a map keyed by error kind stays small. */
function boundedKey(by: Record<string, unknown>, key: string): string {
  return key in by || Object.keys(by).length < 16 ? key : '_OTHER'
}

function recordDuration(
  by: Record<string, ExportDurations>,
  key: string,
  seconds: number,
  status: number | undefined,
): void {
  key = boundedKey(by, key)
  let series = by[key]
  if (!series) {
    series = {
      count: 0,
      sum: 0,
      min: seconds,
      max: seconds,
      bucketCounts: new Array(EXPORT_DURATION_BUCKETS.length + 1).fill(0),
    }
    by[key] = series
  }
  series.count++
  series.sum += seconds
  if (seconds < series.min) series.min = seconds
  if (seconds > series.max) series.max = seconds
  let i = 0
  while (i < EXPORT_DURATION_BUCKETS.length && seconds > EXPORT_DURATION_BUCKETS[i]!) i++
  series.bucketCounts[i]!++
  if (status !== undefined) series.status = status
}

// The wait before a retry; a shutdown ends it early through `signal` (the batch is then not tried
// again, see sendWithRetry).
const sleep = (ms: number, { unref }: SendHelpers, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms)
    unref(timer)
    signal.addEventListener('abort', done, { once: true })
    function done() {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
  })

// How failures are explained and classified: loaded when an export first fails.
let failureText: (() => Promise<typeof import('./exporters/describe-failure.js')>) | undefined

/** Why an export failed, as a warning says it, and its `error.type`. Never rejects. */
async function explain(
  error: unknown,
  { lazy }: SendHelpers,
  url?: string,
  exporter?: string,
): Promise<{ reason: string; type: string }> {
  try {
    failureText ??= lazy(() => import('./exporters/describe-failure.js'))
    const { describeExportFailure, exportErrorType } = await failureText()
    return {
      reason: describeExportFailure(error, url, 'traces', exporter),
      type: exportErrorType(error),
    }
  } catch {
    return { reason: String((error as Error)?.message ?? error), type: '_OTHER' }
  }
}

const RESULT_CODES = ['success', 'retryable', 'failed']

// A custom exporter's answer that is not an ExportResult fails its batch (retrying the same code
// gives the same answer) with a reason that says what it returned; an error-less retryable or
// failed answer says so too, instead of "undefined".
function shown(value: unknown): string {
  try {
    return (JSON.stringify(value) ?? String(value)).slice(0, 80)
  } catch {
    return String(value).slice(0, 80)
  }
}

function checkedResult(result: unknown, name: string): ExportResult {
  const code = (result as { code?: unknown } | null)?.code
  if (typeof result !== 'object' || result === null || !RESULT_CODES.includes(code as string))
    return {
      code: 'failed',
      error: new Error(
        `the ${name} exporter's export() resolved to ${shown(result)}, not { code: 'success' | 'retryable' | 'failed' }`,
      ),
    }
  const answer = result as ExportResult
  if (answer.code !== 'success' && answer.error === undefined)
    return {
      ...answer,
      error: new Error(`the ${name} exporter answered ${answer.code}, without an error`),
    }
  return answer
}

/** Exponential backoff with ±20 % jitter. */
export function backoffDelay(attempt: number, retry: Required<RetryOptions>): number {
  const base = Math.min(retry.maxBackoffMs, retry.initialBackoffMs * retry.multiplier ** attempt)
  return Math.round(base * (0.8 + Math.random() * 0.4))
}

/**
 * Sends one batch with retries and counts how it went. Never rejects: a throw while sending fails
 * (and counts) the batch. Resolves to why the batch (or part of it) did not arrive, if it did not.
 */
export async function sendBatch(
  processor: BatchProcessor,
  batch: SpanData[],
  helpers: SendHelpers,
  from = 0,
): Promise<{ count: number; reason: string } | undefined> {
  const loop = processor.loop
  try {
    const split = { requests: MAX_SPLIT_REQUESTS, loop }
    return await sendWithRetry(processor, batch, helpers, split, from, true)
  } catch (error) {
    const { reason, type } = await explain(error, helpers)
    if (processor.loop !== loop) return undefined
    processor.stats.failed += batch.length
    countFailure(processor, type, batch.length)
    processor.options.onError(`${processor.exporter.name} send loop`, error)
    return { count: batch.length, reason }
  }
}

// Requests one batch may add by going again in halves after 413s: a 13 MB batch against a 1 MB
// limit needs 31; a batch of spans each too large alone would otherwise cost 2n − 1.
const MAX_SPLIT_REQUESTS = 64

// How long an export may go on after its signal aborted (exportTimeoutMs, or a shutdown) before
// the attempt is given up: under the 250 ms a shutdown out of time waits for it.
const ABANDON_AFTER_MS = 200

/**
 * The export's answer; or, when its signal aborts and the exporter has not answered
 * `ABANDON_AFTER_MS` later (a custom exporter that ignores its signal), the abort's reason, so
 * the attempt fails as a timeout and the processor goes on: one stuck export held every later
 * span of that exporter for good. The abandoned promise settles on its own, unobserved.
 */
function abandonable<T>(
  work: T | Promise<T>,
  signal: AbortSignal,
  { later, cancel }: SendHelpers,
): Promise<T> {
  if (typeof (work as Promise<T>)?.then !== 'function') return Promise.resolve(work)
  return new Promise<T>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined
    const onAbort = () => {
      timer = later(() => reject(signal.reason), ABANDON_AFTER_MS)
    }
    // Aborted already (a shutdown): the exporter may still answer as it would, within the grace.
    if (signal.aborted) onAbort()
    else signal.addEventListener('abort', onAbort, { once: true })
    const done = () => {
      signal.removeEventListener('abort', onAbort)
      cancel(timer)
    }
    ;(work as Promise<T>).then(
      (value) => {
        done()
        resolve(value)
      },
      (error) => {
        done()
        reject(error)
      },
    )
  })
}

// Resolves to why the batch (or part of it) did not arrive, or undefined when it did. `split`
// is what is left of the batch's budget of extra requests for 413s, shared by its parts.
async function sendWithRetry(
  processor: BatchProcessor,
  batch: SpanData[],
  helpers: SendHelpers,
  split: { requests: number; loop: number },
  from = 0,
  whole = false,
): Promise<{ count: number; reason: string } | undefined> {
  const { retry, log } = processor.options
  const { later, cancel } = helpers
  const target = log?.target
  const operationStart = performance.now()
  const operation = (errorType: string, error?: unknown) =>
    recordDuration(
      processor.stats.operations,
      errorType,
      (performance.now() - operationStart) / 1000,
      (error as ExportError | undefined)?.status,
    )
  // Why a shutdown ended the wait for a retry (see below).
  let stopped: unknown
  // The processor gave this loop up (it stalled: see BatchProcessor.restart) while it waited:
  // what it had not counted of its batch went back in line, so nothing more is sent, counted or
  // said here. Checked after every wait; the loop's number is the whole batch's, split or not.
  const givenUp = () => processor.loop !== split.loop
  // The spans the batch had at its first attempt here; those after them joined on a retry.
  const original = batch.length
  for (let attempt = from; ; attempt++) {
    processor.currentAttempt = attempt
    const controller = new AbortController()
    // Shut down while this code loaded (before, the first attempt was under way by then, and
    // shutdown aborted it): the attempt starts aborted, so the exporter answers as it would have.
    if (processor.stopped) controller.abort(stopped ?? new Error('tracer shut down'))
    processor.attempt = controller
    const startedAt = performance.now()
    processor.attemptStartedAt = startedAt
    processor.busyUntil = startedAt + processor.options.exportTimeoutMs + ABANDON_AFTER_MS
    const timeout = later(
      () =>
        controller.abort(
          new ExportError(
            `no answer within ${processor.options.exportTimeoutMs} ms (exportTimeoutMs)`,
            {
              code: 'timeout',
            },
          ),
        ),
      processor.options.exportTimeoutMs,
    )
    let result: Awaited<ReturnType<SpanExporter['export']>>
    try {
      // A shutdown ended the wait for this retry: the batch fails without going out again (an
      // exporter that ignores its signal would send it after the shutdown gave up on it).
      result =
        stopped !== undefined
          ? { code: 'retryable', error: stopped }
          : await abandonable(
              processor.exporter.export(batch, controller.signal),
              controller.signal,
              helpers,
            )
    } catch (error) {
      // A rejection with no Error (undefined, a string, a plain object) still says what came.
      result = {
        code: 'retryable',
        error:
          error instanceof Error || typeof error === 'string'
            ? error
            : new Error(
                `the ${processor.exporter.name} exporter's export() threw or rejected with ${shown(error)}`,
              ),
      }
    } finally {
      cancel(timeout)
      if (!givenUp()) {
        processor.attempt = undefined
        processor.attemptStartedAt = undefined
      }
    }
    if (givenUp()) return undefined
    result = checkedResult(result, processor.exporter.name)
    if (result.code === 'success') {
      processor.failing = false
      // An exporter's count taken on trust only as a whole number from 0 to the batch: NaN or a
      // negative count would corrupt stats().exported and rejected for good.
      const rejected = Math.min(Math.max(0, Math.floor(Number(result.rejected)) || 0), batch.length)
      processor.stats.exported += batch.length - rejected
      processor.stats.rejected += rejected
      processor.currentDone += batch.length
      await log?.attemptSucceeded(
        batch.length,
        attempt,
        performance.now() - startedAt,
        rejected,
        result.message,
      )
      operation(rejected > 0 ? 'rejected' : '')
      if (rejected > 0) {
        processor.options.onError(
          `${processor.exporter.name} partial success`,
          new Error(`${rejected} spans rejected: ${result.message ?? ''}`),
        )
        return {
          count: rejected,
          reason: `partial success: the receiver rejected ${rejected} of ${batch.length} spans${result.message ? ` (${result.message})` : ''}`,
        }
      }
      return undefined
    }
    // The OTLP path hint only for OTLP: httpExporter posts to whatever ingest path it was given.
    const otlp = processor.exporter.name === 'otlp'
    let { reason, type } = await explain(
      result.error,
      helpers,
      otlp ? target : undefined,
      processor.exporter.name,
    )
    if (givenUp()) return undefined
    // Too large for the receiver (413): the batch goes again in halves, down to single spans, so
    // long prompts in a full batch do not cost the whole batch. Only a span too large alone fails.
    const tooLarge = isTooLarge(result.error)
    if (tooLarge && batch.length > 1 && split.requests >= 2 && !processor.stopped) {
      operation(type, result.error)
      processor.stats.retried += batch.length
      await log?.batchSplit(batch.length, reason)
      if (givenUp()) return undefined
      split.requests -= 2
      const half = Math.ceil(batch.length / 2)
      const first = await sendWithRetry(processor, batch.slice(0, half), helpers, split)
      if (givenUp()) return undefined
      const second = await sendWithRetry(processor, batch.slice(half), helpers, split)
      if (!first || !second) return first ?? second
      return { count: first.count + second.count, reason: second.reason }
    }
    // What helps depends on what could not go: one span, or a batch past its budget of parts.
    if (tooLarge)
      reason = `${reason}: ${
        batch.length === 1
          ? "this span alone is over the receiver's body limit (lower limits.maxStringLength, or raise the limit)"
          : `${split.requests < 2 ? `given up after ${MAX_SPLIT_REQUESTS} more requests in smaller parts; ` : ''}a lower maxBatchSize avoids it`
      }`
    if (!tooLarge) processor.failed()
    if (result.code === 'failed' || attempt >= retry.maxRetries || processor.stopped) {
      // Spans that joined on a retry (topUp) had fewer tries than their own batch gives them, or
      // met another span's failure: they go back first in line, as they would have waited there
      // without the top-up. (Dropping them lost spans a short outage would have let through.)
      if (whole && batch.length > original && !processor.stopped)
        giveBack(processor, batch, original)
      processor.stats.failed += batch.length
      processor.currentDone += batch.length
      countFailure(processor, type, batch.length)
      operation(type, result.error)
      if (tooLarge && batch.length === 1) await log?.tooLarge(1, reason)
      else await log?.attemptFailed(batch.length, attempt, reason, undefined)
      processor.options.onError(`${processor.exporter.name} export`, result.error)
      return { count: batch.length, reason }
    }
    processor.stats.retried += batch.length
    // Retry-After is a floor, not a replacement: a short one must not shrink the retry budget.
    const backoff = backoffDelay(attempt, retry)
    const delay =
      result.retryAfterMs !== undefined
        ? Math.max(backoff, Math.min(result.retryAfterMs, retry.maxRetryAfterMs))
        : backoff
    await log?.attemptFailed(batch.length, attempt, reason, delay)
    if (givenUp()) return undefined
    // A shutdown aborts `processor.attempt`: here, the wait.
    const wait = new AbortController()
    processor.attempt = wait
    processor.busyUntil = performance.now() + delay
    processor.sooner()
    processor.backingOff(processor.busyUntil)
    await sleep(delay, helpers, wait.signal)
    if (givenUp()) return undefined
    processor.retryAt = undefined
    if (processor.attempt === wait) processor.attempt = undefined
    if (wait.signal.aborted) stopped = wait.signal.reason
    // The whole batch (not a part of one split after a 413) takes what queued while it waited.
    else if (whole) topUp(processor, batch)
  }
}

/**
 * Before a retry of the batch under way (`batch`, the processor's current one): fills it up to
 * maxBatchSize with what queued meanwhile, next in line after it. A batch of one span that a
 * flush sent held the loop for its whole backoff (~13 s) in an outage while the queue filled and
 * dropped; each retry now carries what waits, and one that succeeds delivers it.
 */
function topUp(processor: BatchProcessor, batch: SpanData[]): void {
  if (batch !== processor.current) return
  let room = processor.options.maxBatchSize - batch.length
  for (const from of [processor.held, processor.queue]) {
    if (room <= 0 || from.length === 0) continue
    const taken = from.splice(0, room)
    for (const span of taken) batch.push(span)
    processor.stats.inflight += taken.length
    room -= taken.length
  }
}

/** Takes the spans past `original` off the batch and puts them back first in line, uncounted. */
function giveBack(processor: BatchProcessor, batch: SpanData[], original: number): void {
  if (batch !== processor.current) return
  const late = batch.splice(original)
  processor.held.unshift(...late)
  processor.stats.inflight -= late.length
}

// A body too large for the receiver: a 413, the OpenTelemetry Collector's 400 "request body too
// large", or a body the exporter would not send (over 16 MB, see otlp-send.ts).
function isTooLarge(error: unknown): boolean {
  const e = error as ExportError | undefined
  if (e?.status === 413 || e?.code === 'body_too_large') return true
  return e?.status === 400 && /body too large/i.test(e.message)
}

function countFailure(processor: BatchProcessor, errorType: string, count: number) {
  const by = processor.stats.failedBy
  const type = boundedKey(by, errorType)
  by[type] = (by[type] ?? 0) + count
}

/**
 * Gives a stalled loop up (should it ever wake, it stops without counting anything) and puts what
 * it had not counted of its batch back first in line, for a loop started from the current
 * request. Parts of a split batch it delivered settle here: sent again, they arrived twice and
 * were counted twice. Here rather than in processor.ts: only this code sets `busyUntil`, so a loop
 * is found stalled only once it has loaded.
 */
export function restart(processor: BatchProcessor): void {
  processor.loop++
  const batch = processor.current
  const done = Math.min(processor.currentDone, batch?.length ?? 0)
  processor.current = undefined
  processor.currentDone = 0
  if (batch) {
    if (done < batch.length)
      processor.resumeAt = Math.min(
        processor.currentAttempt + 1,
        processor.options.retry.maxRetries,
      )
    processor.held.unshift(...batch.slice(done))
    processor.stats.inflight -= batch.length
    if (done > 0) processor.settle(done)
  }
  processor.sending = undefined
  processor.busyUntil = undefined
  processor.retryAt = undefined
  processor.attempt = undefined
  processor.attemptStartedAt = undefined
}
