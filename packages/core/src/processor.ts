import type { DeliveryLog } from './delivery-log.js'
import { ExportError } from './exporters/export-error.js'
import { lazy } from './lazy.js'
import type { ExportResult, SpanData, SpanExporter } from './types.js'

/** Retry policy for failed exports (network errors, 429, 502, 503, 504). */
export interface RetryOptions {
  /** @default 5 */
  maxRetries?: number
  /** @default 1000 */
  initialBackoffMs?: number
  /** @default 5000 */
  maxBackoffMs?: number
  /** @default 1.5 */
  multiplier?: number
  /** Longest `Retry-After` honoured. @default 30000 */
  maxRetryAfterMs?: number
}

export interface ProcessorOptions {
  maxQueueSize: number
  maxBatchSize: number
  flushIntervalMs: number
  exportTimeoutMs: number
  retry: Required<RetryOptions>
  onError(where: string, error: unknown): void
  /**
   * Says when spans stop (and start again) reaching the exporter's destination. A method may
   * return a promise (the messages loading): it is awaited before the batch settles.
   */
  log?: {
    readonly target: string
    readonly reason: string | undefined
    attemptFailed(...args: Parameters<DeliveryLog['attemptFailed']>): void | Promise<void>
    attemptSucceeded(...args: Parameters<DeliveryLog['attemptSucceeded']>): void | Promise<void>
    flushTimedOut(...args: Parameters<DeliveryLog['flushTimedOut']>): void | Promise<void>
  }
}

/** What one flush of one processor found. */
export interface FlushOutcome {
  ok: boolean
  /** Why not ok: the flush timed out, or spans it waited for failed or were rejected. */
  reason?: string
}

/** Per-exporter delivery counters. */
export interface ExporterStats {
  exported: number
  /** Spans retried, counted once per retry attempt. */
  retried: number
  /** Spans given up on after the retry budget or a non-retryable answer. */
  failed: number
  /** `failed` by `error.type`: HTTP status, `timeout`, network code, `_OTHER`. */
  failedBy: Record<string, number>
  /** Spans the receiver rejected in a partial success answer. */
  rejected: number
  dropped: { queueFull: number; shutdown: number }
  queued: number
  /** Flushes that hit their time bound with spans still pending. */
  flushTimeouts: number
  /** Spans handed to the exporter whose export (retries included) has not finished. */
  inflight: number
  /**
   * Export operations (one batch, retries included) as a histogram in seconds, by outcome: key
   * `''` for success, else the `error.type`. Bucket bounds: `EXPORT_DURATION_BUCKETS`.
   */
  operations: Record<string, ExportDurations>
}

/** One series of export durations, in seconds. */
export interface ExportDurations {
  count: number
  sum: number
  min: number
  max: number
  bucketCounts: number[]
  /** The HTTP status of the last answer, when the receiver answered one. */
  status?: number
}

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

const sleep = (ms: number) =>
  new Promise<void>((resolve) => {
    unref(setTimeout(resolve, ms))
  })

function unref(timer: unknown) {
  ;(timer as { unref?: () => void })?.unref?.()
}

// Timers and abort controllers are made per call, never kept from construction: on Workers a
// tracer lives across requests, and I/O objects of one request cannot be touched from another.
function later(fn: () => void, ms: number): ReturnType<typeof setTimeout> | undefined {
  try {
    const timer = setTimeout(fn, ms)
    unref(timer)
    return timer
  } catch {
    return undefined
  }
}

function cancel(timer: ReturnType<typeof setTimeout> | undefined) {
  try {
    if (timer !== undefined) clearTimeout(timer)
  } catch {}
}

// How failures are explained and classified: loaded when an export first fails.
const failureText = lazy(() => import('./exporters/describe-failure.js'))

/** Why an export failed, as a warning says it, and its `error.type`. Never rejects. */
async function explain(error: unknown, url?: string): Promise<{ reason: string; type: string }> {
  try {
    const { describeExportFailure, exportErrorType } = await failureText()
    return { reason: describeExportFailure(error, url), type: exportErrorType(error) }
  } catch {
    return { reason: String((error as Error)?.message ?? error), type: '_OTHER' }
  }
}

const RESULT_CODES = ['success', 'retryable', 'failed']

// A custom exporter's answer that is not an ExportResult fails its batch (retrying the same code
// gives the same answer) with a reason that says what it returned; an error-less retryable or
// failed answer says so too, instead of "undefined".
function checkedResult(result: unknown, name: string): ExportResult {
  const code = (result as { code?: unknown } | null)?.code
  if (typeof result !== 'object' || result === null || !RESULT_CODES.includes(code as string)) {
    let shown: string
    try {
      shown = JSON.stringify(result) ?? String(result)
    } catch {
      shown = String(result)
    }
    return {
      code: 'failed',
      error: new Error(
        `the ${name} exporter's export() resolved to ${shown.slice(0, 80)}, not { code: 'success' | 'retryable' | 'failed' }`,
      ),
    }
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
 * Queues finished spans for one exporter and sends them in batches, by size or interval, with
 * retries. Bounded: a full queue drops and counts. Never throws into the caller.
 */
export class BatchProcessor {
  readonly stats: ExporterStats = {
    exported: 0,
    retried: 0,
    failed: 0,
    failedBy: {},
    rejected: 0,
    dropped: { queueFull: 0, shutdown: 0 },
    queued: 0,
    flushTimeouts: 0,
    inflight: 0,
    operations: {},
  }
  private queue: SpanData[] = []
  private timer: ReturnType<typeof setTimeout> | undefined
  private sending: Promise<void> | undefined
  // Spans are sent in order, so a flush waits for the spans queued before it — not for a queue
  // that other requests keep filling — by comparing counts.
  private enqueued = 0
  private settled = 0
  private flushWaiters: { target: number; resolve: () => void }[] = []
  private isShutdown = false
  private stopped = false
  private attempt: AbortController | undefined
  private attemptStartedAt: number | undefined
  // Settle positions of spans that failed, newest last (bounded), so a flush can tell whether the
  // spans it waited for arrived.
  private failures: { from: number; to: number; count: number; reason: string }[] = []
  private flushedUpTo = 0

  constructor(
    readonly exporter: SpanExporter,
    private readonly options: ProcessorOptions,
  ) {}

  onEnd(span: SpanData): void {
    if (this.isShutdown) {
      this.stats.dropped.shutdown++
      return
    }
    if (this.queue.length >= this.options.maxQueueSize) {
      this.stats.dropped.queueFull++
      return
    }
    this.queue.push(span)
    this.enqueued++
    if (this.sending) return
    if (this.queue.length >= this.options.maxBatchSize) void this.kick()
    else if (this.timer === undefined)
      this.timer = later(() => void this.kick(), this.options.flushIntervalMs)
  }

  get pending(): number {
    return this.queue.length
  }

  private kick(): Promise<void> {
    cancel(this.timer)
    this.timer = undefined
    this.sending ??= this.drain().then(() => {
      this.sending = undefined
      if (this.queue.length > 0 && !this.stopped)
        this.timer = later(() => void this.kick(), this.options.flushIntervalMs)
    })
    return this.sending
  }

  private settle(count: number): void {
    this.settled += count
    if (this.flushWaiters.length === 0) return
    this.flushWaiters = this.flushWaiters.filter((waiter) => {
      if (waiter.target > this.settled) return true
      waiter.resolve()
      return false
    })
  }

  // Never rejects: a throw while sending fails (and counts) that batch, and the loop goes on.
  private async drain(): Promise<void> {
    while (this.queue.length > 0 && !this.stopped) {
      const batch = this.queue.splice(0, this.options.maxBatchSize)
      let failure: { count: number; reason: string } | undefined
      this.stats.inflight += batch.length
      try {
        failure = await this.sendWithRetry(batch)
      } catch (error) {
        const { reason, type } = await explain(error)
        this.stats.failed += batch.length
        this.countFailure(type, batch.length)
        failure = { count: batch.length, reason }
        this.options.onError(`${this.exporter.name} send loop`, error)
      } finally {
        this.stats.inflight -= batch.length
      }
      if (failure !== undefined) {
        this.failures.push({ from: this.settled, to: this.settled + batch.length, ...failure })
        if (this.failures.length > 32) this.failures.shift()
      }
      this.settle(batch.length)
    }
  }

  // Resolves to why the batch (or part of it) did not arrive, or undefined when it did.
  private async sendWithRetry(
    batch: SpanData[],
  ): Promise<{ count: number; reason: string } | undefined> {
    const { retry, log } = this.options
    const target = log?.target
    const operationStart = performance.now()
    const operation = (errorType: string, error?: unknown) =>
      recordDuration(
        this.stats.operations,
        errorType,
        (performance.now() - operationStart) / 1000,
        (error as ExportError | undefined)?.status,
      )
    for (let attempt = 0; ; attempt++) {
      const controller = new AbortController()
      this.attempt = controller
      const startedAt = performance.now()
      this.attemptStartedAt = startedAt
      const timeout = later(
        () =>
          controller.abort(
            new ExportError(
              `no answer within ${this.options.exportTimeoutMs} ms (exportTimeoutMs)`,
              { code: 'timeout' },
            ),
          ),
        this.options.exportTimeoutMs,
      )
      let result: Awaited<ReturnType<SpanExporter['export']>>
      try {
        result = await this.exporter.export(batch, controller.signal)
      } catch (error) {
        result = { code: 'retryable', error }
      } finally {
        cancel(timeout)
        this.attempt = undefined
        this.attemptStartedAt = undefined
      }
      result = checkedResult(result, this.exporter.name)
      if (result.code === 'success') {
        const rejected = Math.min(result.rejected ?? 0, batch.length)
        this.stats.exported += batch.length - rejected
        this.stats.rejected += rejected
        await log?.attemptSucceeded(
          batch.length,
          attempt,
          performance.now() - startedAt,
          rejected,
          result.message,
        )
        operation(rejected > 0 ? 'rejected' : '')
        if (rejected > 0) {
          this.options.onError(
            `${this.exporter.name} partial success`,
            new Error(`${rejected} spans rejected: ${result.message ?? ''}`),
          )
          return {
            count: rejected,
            reason: `partial success: the receiver rejected ${rejected} of ${batch.length} spans${result.message ? ` (${result.message})` : ''}`,
          }
        }
        return undefined
      }
      const { reason, type } = await explain(result.error, target)
      if (result.code === 'failed' || attempt >= retry.maxRetries || this.stopped) {
        this.stats.failed += batch.length
        this.countFailure(type, batch.length)
        operation(type, result.error)
        await log?.attemptFailed(batch.length, attempt, reason, undefined)
        this.options.onError(`${this.exporter.name} export`, result.error)
        return { count: batch.length, reason }
      }
      this.stats.retried += batch.length
      // Retry-After is a floor, not a replacement: a short one must not shrink the retry budget.
      const backoff = backoffDelay(attempt, retry)
      const delay =
        result.retryAfterMs !== undefined
          ? Math.max(backoff, Math.min(result.retryAfterMs, retry.maxRetryAfterMs))
          : backoff
      await log?.attemptFailed(batch.length, attempt, reason, delay)
      await sleep(delay)
    }
  }

  /**
   * Like `flush`, and says whether the spans it waited for (those queued since the previous flush
   * began) arrived, and if not, why.
   */
  async flushOutcome(timeoutMs: number): Promise<FlushOutcome> {
    const from = this.flushedUpTo
    const target = this.enqueued
    this.flushedUpTo = Math.max(this.flushedUpTo, target)
    const done = this.settled >= target || (await this.waitFor(target, timeoutMs))
    if (!done) {
      const pending = target - this.settled
      await this.options.log?.flushTimedOut(
        timeoutMs,
        pending,
        this.attemptStartedAt === undefined ? undefined : performance.now() - this.attemptStartedAt,
      )
      const last = this.options.log?.reason
      return {
        ok: false,
        reason: `flush timed out after ${timeoutMs} ms with ${pending} ${pending === 1 ? 'span' : 'spans'} not delivered${last ? ` (last failure: ${last})` : ''}`,
      }
    }
    let failed = 0
    let reason: string | undefined
    for (const failure of this.failures) {
      const overlap = Math.min(failure.to, target) - Math.max(failure.from, from)
      if (overlap > 0) {
        failed += Math.min(overlap, failure.count)
        reason = failure.reason
      }
    }
    return failed === 0
      ? { ok: true }
      : {
          ok: false,
          reason: `${failed} ${failed === 1 ? 'span' : 'spans'} not delivered: ${reason}`,
        }
  }

  private async waitFor(target: number, timeoutMs: number): Promise<boolean> {
    let timer: ReturnType<typeof setTimeout> | undefined
    const idle = new Promise<boolean>((resolve) => {
      this.flushWaiters.push({ target, resolve: () => resolve(true) })
    })
    void this.kick()
    // This timer is not unref'd: whoever awaits a flush (a script's last line) must see it settle,
    // not have Node exit under it while an export is backing off.
    const timedOut = new Promise<boolean>((resolve) => {
      try {
        timer = setTimeout(() => resolve(false), timeoutMs)
      } catch {}
    })
    try {
      const done = await Promise.race([idle, timedOut])
      if (!done) this.stats.flushTimeouts++
      return done
    } finally {
      cancel(timer)
    }
  }

  /** Flushes, then stops: later spans are dropped and counted, in-flight retries end. */
  async shutdown(timeoutMs: number): Promise<void> {
    if (this.isShutdown) return
    const target = this.enqueued
    const flushed = this.settled >= target || (await this.waitFor(target, timeoutMs))
    this.isShutdown = true
    this.stopped = true
    try {
      this.attempt?.abort(new Error('tracer shut down'))
    } catch {}
    cancel(this.timer)
    if (!flushed) {
      this.stats.dropped.shutdown += this.queue.length
      this.settle(this.queue.length)
      this.queue.length = 0
    }
    try {
      await this.exporter.shutdown?.()
    } catch (error) {
      this.options.onError(`${this.exporter.name} shutdown`, error)
    }
  }

  private countFailure(errorType: string, count: number) {
    const by = this.stats.failedBy
    const type = boundedKey(by, errorType)
    by[type] = (by[type] ?? 0) + count
  }

  snapshot(): ExporterStats {
    return {
      ...this.stats,
      failedBy: { ...this.stats.failedBy },
      dropped: { ...this.stats.dropped },
      operations: Object.fromEntries(
        Object.entries(this.stats.operations).map(([k, v]) => [
          k,
          { ...v, bucketCounts: [...v.bucketCounts] },
        ]),
      ),
      queued: this.queue.length,
    }
  }
}
