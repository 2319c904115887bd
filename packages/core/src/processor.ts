import type { SpanData, SpanExporter } from './types.js'

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
}

/** Per-exporter delivery counters. */
export interface ExporterStats {
  exported: number
  /** Spans retried, counted once per retry attempt. */
  retried: number
  /** Spans given up on after the retry budget or a non-retryable answer. */
  failed: number
  /** Spans the receiver rejected in a partial success answer. */
  rejected: number
  dropped: { queueFull: number; shutdown: number }
  queued: number
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms)
    signal?.addEventListener('abort', () => {
      clearTimeout(timer)
      resolve()
    })
  })

function unref(timer: unknown) {
  ;(timer as { unref?: () => void })?.unref?.()
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
    rejected: 0,
    dropped: { queueFull: 0, shutdown: 0 },
    queued: 0,
  }
  private queue: SpanData[] = []
  private timer: ReturnType<typeof setTimeout> | undefined
  private sending: Promise<void> | undefined
  private idleWaiters: (() => void)[] = []
  private isShutdown = false
  private readonly stopSignal = new AbortController()

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
    if (this.sending) return
    if (this.queue.length >= this.options.maxBatchSize) this.kick()
    else if (this.timer === undefined) {
      this.timer = setTimeout(() => this.kick(), this.options.flushIntervalMs)
      unref(this.timer)
    }
  }

  get pending(): number {
    return this.queue.length
  }

  private kick(): Promise<void> {
    if (this.timer !== undefined) {
      clearTimeout(this.timer)
      this.timer = undefined
    }
    this.sending ??= this.drain().finally(() => {
      this.sending = undefined
      if (this.queue.length > 0 && !this.stopSignal.signal.aborted) {
        this.timer = setTimeout(() => this.kick(), this.options.flushIntervalMs)
        unref(this.timer)
      } else {
        for (const resolve of this.idleWaiters.splice(0)) resolve()
      }
    })
    return this.sending
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 && !this.stopSignal.signal.aborted) {
      const batch = this.queue.splice(0, this.options.maxBatchSize)
      await this.sendWithRetry(batch)
    }
  }

  private async sendWithRetry(batch: SpanData[]): Promise<void> {
    const { retry } = this.options
    for (let attempt = 0; ; attempt++) {
      const controller = new AbortController()
      const timeout = setTimeout(
        () =>
          controller.abort(new Error(`export timed out after ${this.options.exportTimeoutMs} ms`)),
        this.options.exportTimeoutMs,
      )
      unref(timeout)
      const onStop = () => controller.abort(new Error('tracer shut down'))
      this.stopSignal.signal.addEventListener('abort', onStop)
      let result: Awaited<ReturnType<SpanExporter['export']>>
      try {
        result = await this.exporter.export(batch, controller.signal)
      } catch (error) {
        result = { code: 'retryable', error }
      } finally {
        clearTimeout(timeout)
        this.stopSignal.signal.removeEventListener('abort', onStop)
      }
      if (result.code === 'success') {
        const rejected = Math.min(result.rejected ?? 0, batch.length)
        this.stats.exported += batch.length - rejected
        this.stats.rejected += rejected
        if (rejected > 0)
          this.options.onError(
            `${this.exporter.name} partial success`,
            new Error(`${rejected} spans rejected: ${result.message ?? ''}`),
          )
        return
      }
      if (
        result.code === 'failed' ||
        attempt >= retry.maxRetries ||
        this.stopSignal.signal.aborted
      ) {
        this.stats.failed += batch.length
        this.options.onError(`${this.exporter.name} export`, result.error)
        return
      }
      this.stats.retried += batch.length
      const delay =
        result.retryAfterMs !== undefined
          ? Math.min(result.retryAfterMs, retry.maxRetryAfterMs)
          : backoffDelay(attempt, retry)
      await sleep(delay, this.stopSignal.signal)
    }
  }

  /** Sends everything queued now; resolves when the queue is empty or `timeoutMs` passed. */
  async flush(timeoutMs: number): Promise<boolean> {
    if (this.queue.length === 0 && !this.sending) return true
    let timer: ReturnType<typeof setTimeout> | undefined
    const idle = new Promise<boolean>((resolve) => {
      this.idleWaiters.push(() => resolve(true))
    })
    void this.kick()
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs)
    })
    try {
      return await Promise.race([idle, timedOut])
    } finally {
      clearTimeout(timer)
    }
  }

  /** Flushes, then stops: later spans are dropped and counted, in-flight retries end. */
  async shutdown(timeoutMs: number): Promise<void> {
    if (this.isShutdown) return
    const flushed = await this.flush(timeoutMs)
    this.isShutdown = true
    this.stopSignal.abort()
    if (this.timer !== undefined) clearTimeout(this.timer)
    if (!flushed) {
      this.stats.dropped.shutdown += this.queue.length
      this.queue.length = 0
    }
    try {
      await this.exporter.shutdown?.()
    } catch (error) {
      this.options.onError(`${this.exporter.name} shutdown`, error)
    }
  }

  snapshot(): ExporterStats {
    return { ...this.stats, dropped: { ...this.stats.dropped }, queued: this.queue.length }
  }
}
