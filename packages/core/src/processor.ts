import type { DeliveryLog, DeliverySinks, DropKind } from './delivery-log.js'
import { lazy } from './lazy.js'
import type { SpanData, SpanExporter } from './types.js'

/** Retry policy for failed exports (network errors, 429, 502, 503, 504). */
export interface RetryOptions {
  /** @default 5 */
  maxRetries?: number | undefined
  /** @default 1000 */
  initialBackoffMs?: number | undefined
  /** @default 5000 */
  maxBackoffMs?: number | undefined
  /** @default 1.5 */
  multiplier?: number | undefined
  /** Longest `Retry-After` honoured. @default 30000 */
  maxRetryAfterMs?: number | undefined
}

export interface ProcessorOptions {
  maxQueueSize: number
  maxBatchSize: number
  flushIntervalMs: number
  exportTimeoutMs: number
  retry: Required<RetryOptions>
  onError(where: string, error: unknown): void
  /**
   * Who hears when spans stop (and start again) reaching the exporter's destination: `log` is
   * made from it when the send loop loads.
   */
  delivery?: { target: string; sinks: DeliverySinks }
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
    batchSplit(...args: Parameters<DeliveryLog['batchSplit']>): void | Promise<void>
    tooLarge(...args: Parameters<DeliveryLog['tooLarge']>): void | Promise<void>
    dropped(...args: Parameters<DeliveryLog['dropped']>): void | Promise<void>
    closing?(maxQueueSize: number): void
  }
}

/** What one flush of one processor found. */
/**
 * How a flush waits: `always` for its spans or its bound (a plain `flush()`); `not-while-failing`,
 * a long-lived server's request flush, returns at once while exports fail (the send loop goes on
 * retrying); `before-freeze`, a request's flush on a platform that may freeze the function once it
 * settles, waits as `always`, and spans still waiting at its bound are said lost.
 */
export type FlushWait = 'always' | 'not-while-failing' | 'before-freeze'

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

// A flush (or shutdown, or sendAll) waiting for the spans up to `target` to settle. `untilFailing`:
// a long-lived server's request flush, which stops waiting once an export fails and is retried
// (see flushOutcome and `failed`). `over`: how the wait ended (its spans settled, it stopped for
// a failing export, its time bound). `wake`: the one promise its sending (BatchProcessor.drive)
// waits on, told why; `parked` while in line for a turn.
interface Waiter {
  target: number
  untilFailing?: boolean
  over?: 'settled' | 'failing' | 'timeout'
  wake?: ((why: Wake) => void) | undefined
  parked?: boolean
  // When its drive looks at the loop again (see `drive`); none past its own bound.
  lateAt?: number | undefined
  // A flush's: when its bound ends (performance.now()), and how long it was from the send loop's
  // next retry when it stopped waiting because that retry comes after its bound (see `backingOff`).
  deadline?: number
  retryInMs?: number
}

type Wake = 'over' | 'ended' | 'turn' | 'late'

function wake(waiter: Waiter, why: Wake): void {
  const woken = waiter.wake
  waiter.wake = undefined
  woken?.(why)
}

function end(waiter: Waiter, how: NonNullable<Waiter['over']>): void {
  if (waiter.over) return
  waiter.over = how
  wake(waiter, 'over')
}

// Ends a flush's wait whose bound passes before the send loop's next attempt at `at`: a 'timeout'
// (its spans cannot arrive in time), said with how long that attempt is away. Whether it did.
function retryPastBound(waiter: Waiter, at: number): boolean {
  if (waiter.over || waiter.deadline === undefined || at <= waiter.deadline) return false
  waiter.retryInMs = at - performance.now()
  end(waiter, 'timeout')
  return true
}

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

// The send loop (the export call, retries, backoff, durations, failure counts) and the delivery
// log (lazy-delivery-log.ts) load at the first export: see processor-send.ts. They get these helpers from here rather
// than importing them: a module that both start-up and lazy code import is split into a chunk of
// its own, which an app fetches (and gzip compresses) apart from the entry (−0.35 KB min+gzip on
// each size row).
const sendLoop = lazy(() => import('./processor-send.js'))
type SendCode = typeof import('./processor-send.js')
const deliveryLog = lazy(() => import('./lazy-delivery-log.js'))
const flushReport = lazy(() => import('./processor-flush.js'))
const SEND_HELPERS = { later, cancel, unref, lazy }
export type SendHelpers = typeof SEND_HELPERS

// How late past its own bound (an export's exportTimeoutMs, a backoff) the send loop must be
// before a new batch or flush gives it up: far past any late timer of a busy event loop.
const STALLED_AFTER_MS = 2000

// Spans held while the send loop loads (see `held`), as the other features loaded on first use
// hold theirs.
const MAX_HELD_WHILE_LOADING = 10_000

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
  // Read and taken from by the send loop too (topUp in processor-send.ts), as are `held` and `current`.
  queue: SpanData[] = []
  private timer: ReturnType<typeof setTimeout> | undefined
  // The send loop under way; read by the shutdown (processor-flush.ts) too.
  sending: Promise<void> | undefined
  // The send loop's code, once loaded.
  private sendCode: SendCode | undefined
  // While the send loop loads, what is queued moves here at the end of each tick, as an export
  // under way would have taken it off the queue by then: a synchronous burst meets `maxQueueSize`
  // as before, and spans of later ticks are not dropped for the load's sake. Sent first, in order.
  held: SpanData[] = []
  private moving = false
  // Spans are sent in order, so a flush waits for the spans queued before it — not for a queue
  // that other requests keep filling — by comparing counts.
  private enqueued = 0
  // Read by the flush report (processor-flush.ts) too, as are `failures` and `makeLog`.
  settled = 0
  private flushWaiters: Waiter[] = []
  // Flushes waiting for the loop under way to end, first come first: one is woken per loop end
  // (waking them all at every loop end cost 8,000 flushes waiting at once ~3-4× the CPU).
  private parked: Waiter[] = []
  // The flush whose loop is under way (none for the interval's or a full queue's).
  private loopOwner: Waiter | undefined
  private isShutdown = false
  private logUnloaded = false
  // Read and set by the send loop (processor-send.ts) too.
  stopped = false
  attempt: AbortController | undefined
  attemptStartedAt: number | undefined
  // The send loop under way (its number, bumped when it is given up; the batch it holds), and the
  // time (performance.now()) by which what it waits for is over: an export's time bound or a
  // retry's backoff. Set by the send loop too. See `stalled`.
  loop = 0
  current: SpanData[] | undefined
  // How many of `current`'s spans the send loop has counted (exported, rejected or failed): a
  // batch split after a 413 goes in parts, first to last, so those are its first spans.
  currentDone = 0
  // The attempt the send loop is on (set by it), and the one the next batch starts at: a batch put
  // back by `restart` keeps the retries it used, so a loop given up again and again (a Worker
  // whose every request ends before the backoff does) does not retry it from 0 for ever.
  currentAttempt = 0
  // Set by `restart` (processor-send.ts) too.
  resumeAt = 0
  busyUntil: number | undefined
  // When the send loop's next attempt starts (performance.now()), while it backs off to retry.
  retryAt: number | undefined
  // The last export attempt failed (it is backing off to retry, or gave its batch up) and none has
  // succeeded since: set by the send loop. A long-lived server's per-request flush does not wait
  // on such a loop (see flushOutcome).
  failing = false
  // Settle positions of spans that failed, newest last (bounded), so a flush can tell whether the
  // spans it waited for arrived.
  failures: { from: number; to: number; count: number; reason: string }[] = []
  private flushedUpTo = 0
  // The flushes still waiting: where each one's spans began, and the queue-full count then.
  private openFlushes: { from: number; queueFullAt: number }[] = []
  // `stats.dropped.queueFull` when the last flush began: a flush is not ok when spans were dropped
  // for a full queue since (they never reached it to be waited for).
  private queueFullAtFlush = 0
  // Spans dropped before an export and not yet said, by why, and the saying under way (both
  // also read and set by `sayDrops` in processor-flush.ts): a flush or shutdown awaits it, so the
  // line is out before a function freezes.
  unsaid: Partial<Record<DropKind, number>> | undefined
  saying: Promise<void> | undefined
  shutdownTimeoutMs = 0

  // A batch is full at maxBatchSize, or at maxQueueSize when the queue is smaller: a queue that
  // can never reach maxBatchSize would otherwise wait for the interval every round and drop.
  private readonly fullAt: number

  constructor(
    readonly exporter: SpanExporter,
    readonly options: ProcessorOptions,
  ) {
    this.fullAt = Math.max(1, Math.min(options.maxBatchSize, options.maxQueueSize))
  }

  onEnd(span: SpanData): void {
    if (this.isShutdown) {
      this.stats.dropped.shutdown++
      this.dropped('afterShutdown', 1)
      return
    }
    // Once the send loop has loaded, spans it still holds from its load wait as the queue's do.
    const waiting = this.sendCode ? this.queue.length + this.held.length : this.queue.length
    if (waiting >= this.options.maxQueueSize) {
      this.stats.dropped.queueFull++
      this.dropped('queueFull', 1)
      // A full queue with nothing sending it (its timer gone with a Worker's request) starts a loop.
      if (!this.sending) void this.kick()
      return
    }
    this.queue.push(span)
    this.enqueued++
    if (this.sending && !this.sendCode && !this.moving) {
      this.moving = true
      queueMicrotask(() => {
        this.moving = false
        if (this.sendCode) return
        const room = MAX_HELD_WHILE_LOADING - this.held.length
        if (room > 0) this.held.push(...this.queue.splice(0, room))
      })
    }
    if (this.sending) return
    if (this.queue.length >= this.fullAt) void this.kick()
    else if (this.timer === undefined)
      this.timer = later(() => void this.kick(), this.options.flushIntervalMs)
  }

  // The send loop, with the delivery log made the first time (from `options.delivery`). A log that
  // cannot load costs its messages only (tried again with the next batch), never the batch.
  private async loadLater() {
    const [loop] = await Promise.all([sendLoop(), this.makeLog().catch(() => {})])
    return loop
  }

  async makeLog(): Promise<void> {
    const { delivery, retry } = this.options
    if (!delivery || this.options.log) return
    let LazyDeliveryLog: typeof import('./lazy-delivery-log.js').LazyDeliveryLog
    try {
      ;({ LazyDeliveryLog } = await deliveryLog())
    } catch (error) {
      // A chunk the app's host no longer serves: nothing could say a failure later. Said once.
      if (!this.logUnloaded) {
        this.logUnloaded = true
        try {
          delivery.sinks.warn?.(
            `problems delivering spans to ${delivery.target} cannot be said: the code that says them could not load (${String((error as Error)?.message ?? error).slice(0, 200)}). tracer.stats() counts every span and flush() resolves ok: false for those lost.`,
          )
        } catch {}
      }
      throw error
    }
    this.options.log ??= new LazyDeliveryLog(
      delivery.target,
      delivery.sinks,
      retry.maxRetries,
      lazy,
    )
  }

  // Counted already; said by code loaded for it (processor-flush.ts), at a microtask at the
  // earliest, so a synchronous burst of drops makes one line.
  private dropped(kind: DropKind, spans: number): void {
    const unsaid = (this.unsaid ??= {})
    unsaid[kind] = (unsaid[kind] ?? 0) + spans
    this.saying ??= flushReport().then(
      (m) => m.sayDrops(this),
      (error) => {
        this.saying = undefined
        this.options.onError(`${this.exporter.name} drop report`, error)
      },
    )
  }

  /** Spans not delivered yet: queued, or in an export under way or waiting for its retry. */
  get undelivered(): number {
    return this.held.length + this.queue.length + this.stats.inflight
  }

  // `owner`: the flush (or sendAll) that starts the loop, which goes on for as long as it waits.
  private kick(owner?: Waiter): Promise<void> {
    cancel(this.timer)
    this.timer = undefined
    // Only the send loop sets `busyUntil`, so a stalled loop means its code has loaded.
    if (this.sending && this.stalled()) {
      const former = this.loopOwner
      this.sendCode?.restart(this)
      // The flush that started the given-up loop, still waiting: in line for a turn.
      if (former && former !== owner && !former.over) this.park(former)
    }
    if (this.sending) return this.sending
    this.loopOwner = owner
    const sending: Promise<void> = this.drain(owner).then(() => {
      if (this.sending !== sending) return
      this.sending = undefined
      this.loopOwner = undefined
      this.busyUntil = undefined
      this.retryAt = undefined
      if (owner) wake(owner, 'ended')
      this.wakeNext()
      if (this.stopped) return
      // Given-back spans go at once (a loop a flush started stops when that flush is done: see
      // drain); the rest waits for the interval.
      if (this.held.length > 0) this.timer = later(() => void this.kick(), 0)
      else if (this.queue.length > 0)
        this.timer = later(() => void this.kick(), this.options.flushIntervalMs)
    })
    this.sending = sending
    return sending
  }

  // The send loop still waits well past its own bound: the timer that was to wake it will never
  // fire. Workers end a request's timers and fetches with the request (its waitUntil settled), so
  // a tracer kept for the isolate, whose export failed or hung in one request, sent nothing again.
  private stalled(): boolean {
    return this.busyUntil !== undefined && performance.now() > this.busyUntil + STALLED_AFTER_MS
  }

  /**
   * An export attempt failed and is being retried or given up (the send loop): flushes that do not
   * wait while exports fail stop waiting now, as one started after this would not have waited.
   */
  failed(): void {
    this.failing = true
    if (!this.flushWaiters.some((waiter) => waiter.untilFailing)) return
    this.flushWaiters = this.flushWaiters.filter((waiter) => {
      if (!waiter.untilFailing) return true
      end(waiter, 'failing')
      return false
    })
  }

  // Also called by `restart` (processor-send.ts).
  settle(count: number): void {
    this.settled += count
    if (this.flushWaiters.length === 0) return
    this.flushWaiters = this.flushWaiters.filter((waiter) => {
      if (waiter.target > this.settled) return true
      end(waiter, 'settled')
      return false
    })
  }

  // Never rejects: a throw while sending fails (and counts) that batch, and the loop goes on.
  private async drain(owner?: Waiter): Promise<void> {
    const mine = this.loop
    while ((this.held.length > 0 || this.queue.length > 0) && !this.stopped) {
      const batch = (this.held.length > 0 ? this.held : this.queue).splice(
        0,
        this.options.maxBatchSize,
      )
      let failure: { count: number; reason: string } | undefined
      this.stats.inflight += batch.length
      this.current = batch
      this.currentDone = 0
      const from = this.resumeAt
      this.resumeAt = 0
      try {
        const loop = await this.loadLater()
        this.sendCode = loop
        failure = await loop.sendBatch(this, batch, SEND_HELPERS, from)
      } catch (error) {
        // Only a failed load of the send loop lands here (it never rejects once loaded): the
        // batch fails and counts, and the next batch tries the load again.
        this.stats.failed += batch.length
        this.stats.failedBy._OTHER = (this.stats.failedBy._OTHER ?? 0) + batch.length
        this.currentDone = batch.length
        failure = {
          count: batch.length,
          reason: `the export code could not load (${String((error as Error)?.message ?? error)})`,
        }
        this.options.onError(`${this.exporter.name} send loop`, error)
        // Said as any failed export is, before the batch settles (a flush waits for that).
        try {
          await this.makeLog()
          await this.options.log?.attemptFailed(batch.length, 0, failure.reason, undefined)
        } catch {}
      } finally {
        if (mine === this.loop) this.stats.inflight -= batch.length
      }
      // Given up while it waited (see `restart`): its batch is back in line.
      if (mine !== this.loop) return
      this.current = undefined
      if (failure !== undefined) {
        this.failures.push({ from: this.settled, to: this.settled + batch.length, ...failure })
        if (this.failures.length > 32) this.failures.shift()
      }
      this.settle(batch.length)
      // A loop a flush started goes on while that flush waits, and stops when it is done: other
      // flushes waiting meanwhile take turns to start their own as loops end (see `drive`). On
      // Workers a loop runs in the request that started it, and workerd ends that request's
      // fetches and timers once its flush is done: an export started there for another request's
      // spans never settled, and every later flush of a tracer kept for the isolate waited
      // behind it (4 requests at a time delivered 12-25 % of their spans).
      if (owner && !owner.over) continue
      if (this.flushWaiters.length > 0) break
      // Spans a failed batch gave back (or held while the send loop loaded) go first, at once:
      // after a loop a flush started, from a timer (see kick).
      if (this.held.length > 0) {
        if (owner) break
        continue
      }
      // What queued while this batch was out goes at once only as a full batch; less waits for
      // the interval (kick sets the timer). Sending it at once made one small POST per round trip
      // under steady load (~110 spans each, not 512), and each POST costs its own request, headers
      // and socket writes. (A full queue stopped for a timer dropped the spans that came first.)
      if (this.queue.length < this.fullAt) break
    }
  }

  /**
   * Sends until `waiter`'s spans are settled (or it stops waiting): starts a loop of its own, or,
   * while another loop is under way, waits its turn (see `parked`), then starts one. Resolves
   * when the wait is over. One promise per wake-up, which settles, failures and the time bound
   * resolve too: a flush costs no more than when it only waited.
   */
  private async drive(waiter: Waiter, deadline = Infinity): Promise<void> {
    // A loop that stalls never ends (on Workers, its request ended with its export or backoff
    // under way): looked at again once it is late, and kick restarts it. One timer at a time,
    // made again when it fires (early is harmless) or the point comes sooner; none when the
    // flush is over before (the defaults: a 5 s flush, a 10 s export).
    let timer: ReturnType<typeof setTimeout> | undefined
    let driving = true
    try {
      while (!waiter.over) {
        const before = this.settled
        if (driving) {
          this.kick(waiter)
          if (this.loopOwner !== waiter) this.park(waiter)
          // A loop still loading has no bound yet: it has one an export's bound from now at
          // most. Made again when the point comes sooner (a backoff shorter than that bound).
          const lateAt =
            (this.busyUntil ?? performance.now() + this.options.exportTimeoutMs) + STALLED_AFTER_MS
          if (lateAt < deadline && (timer === undefined || lateAt < (waiter.lateAt ?? Infinity))) {
            cancel(timer)
            waiter.lateAt = lateAt
            timer = later(
              () => {
                timer = undefined
                waiter.lateAt = undefined
                wake(waiter, 'late')
              },
              Math.max(0, lateAt - performance.now()) + 1,
            )
          }
        }
        // Over already: kick's restart of a stalled loop settles what it had delivered.
        const why = await new Promise<Wake>((resolve) => {
          if (waiter.over) resolve('over')
          else waiter.wake = resolve
        })
        if (why === 'turn' || why === 'late') driving = true
        else if (why === 'ended' && this.settled === before && !this.sending) {
          // Its own loop ended having sent nothing, with no other under way: it waits for its
          // spans or its bound, the turn passed on (never a loop of microtasks).
          driving = false
          this.wakeNext()
        }
      }
    } finally {
      cancel(timer)
      waiter.wake = undefined
      // Its turn, if it had it, goes to the next flush waiting.
      if (!this.sending) this.wakeNext()
    }
  }

  private park(waiter: Waiter): void {
    if (waiter.parked) return
    waiter.parked = true
    this.parked.push(waiter)
  }

  /**
   * The send loop waits for less than it did (a backoff shorter than the export's bound: set by
   * processor-send.ts): flushes in line whose look at it comes later look again now, so that one
   * whose bound ends before the old point still sees the loop stall, if it does, in time.
   */
  sooner(): void {
    if (this.busyUntil === undefined) return
    const at = this.busyUntil + STALLED_AFTER_MS
    for (const waiter of this.parked)
      if (!waiter.over && (waiter.lateAt ?? Infinity) > at) wake(waiter, 'late')
  }

  /**
   * The send loop backs off until `at` (set by processor-send.ts): nothing settles before then, so
   * a flush whose bound ends first stops waiting now rather than hold its caller (a request kept
   * open, a function billed) for a bound that can only pass.
   */
  backingOff(at: number): void {
    this.retryAt = at
    for (const waiter of this.flushWaiters) retryPastBound(waiter, at)
  }

  // The loop ended (or a flush left without starting one): the next flush still waiting starts
  // one of its own. Those that stopped waiting leave the line here.
  private wakeNext(): void {
    let next: Waiter | undefined
    while ((next = this.parked.shift()) !== undefined) {
      next.parked = false
      if (next.over) continue
      wake(next, 'turn')
      return
    }
  }

  /**
   * Like `flush`, and says whether the spans it waited for (those queued since the previous flush
   * began, and those of any flush still waiting) arrived, and if not, why.
   */
  async flushOutcome(
    timeoutMs: number,
    wait: FlushWait = 'always',
    startedAt?: number,
  ): Promise<FlushOutcome> {
    const waitWhileFailing = wait !== 'not-while-failing'
    // A flush that begins while another still waits (an adapter's `waitUntil(flush())` beside the
    // app's own) waits for that one's spans too, so it reports on them as well.
    const mine = { from: this.flushedUpTo, queueFullAt: this.queueFullAtFlush }
    let from = mine.from
    let queueFullAt = mine.queueFullAt
    for (const open of this.openFlushes) {
      from = Math.min(from, open.from)
      queueFullAt = Math.min(queueFullAt, open.queueFullAt)
    }
    const target = this.enqueued
    this.flushedUpTo = Math.max(this.flushedUpTo, target)
    const queueFull = this.stats.dropped.queueFull - queueFullAt
    this.queueFullAtFlush = this.stats.dropped.queueFull
    this.openFlushes.push(mine)
    try {
      return await this.flushWindow(timeoutMs, wait, startedAt, from, target, queueFull)
    } finally {
      this.openFlushes.splice(this.openFlushes.indexOf(mine), 1)
    }
  }

  private async flushWindow(
    timeoutMs: number,
    wait: FlushWait,
    startedAt: number | undefined,
    from: number,
    target: number,
    queueFull: number,
  ): Promise<FlushOutcome> {
    const waitWhileFailing = wait !== 'not-while-failing'
    // A request's flush on a long-lived server, while exports fail: the spans go out (or are
    // dropped, counted and said) on the send loop's own retries and interval, as they would
    // without the flush, which only starts the loop. Waiting out its bound held each request's
    // flush, and what it keeps alive, for flushTimeoutMs (thousands at once under load).
    let skip = !waitWhileFailing && this.failing && this.settled < target
    if (skip) void this.kick()
    // `startedAt`: when the tracer's flush began (it may have waited for the span-end code), so
    // the whole flush keeps to `timeoutMs`, which its messages still name.
    const left = startedAt === undefined ? timeoutMs : timeoutMs - (Date.now() - startedAt)
    const waiter: Waiter = { target, untilFailing: !waitWhileFailing }
    let done =
      !skip && (this.settled >= target || (await this.waitFor(waiter, Math.max(0, left), true)))
    // An export failed while it waited: the same as finding it failing (see above).
    if (!done && !skip && !waitWhileFailing && this.failing && this.settled < target) skip = true
    done ||= this.settled >= target
    if (this.saying) await this.saying
    // Everything it waited for arrived, and nothing has failed since the tracer was made: said
    // without loading the code that explains timeouts and failures (processor-flush.ts).
    if (done && this.failures.length === 0 && queueFull === 0) return { ok: true }
    const pending = done ? 0 : target - this.settled
    try {
      const outcome = await (await flushReport()).flushReport(
        this,
        pending,
        from,
        target,
        timeoutMs,
        skip,
        wait === 'before-freeze',
        waiter.retryInMs,
      )
      if (queueFull === 0) return outcome
      const dropped = `${queueFull} ${queueFull === 1 ? 'span' : 'spans'} dropped since the last flush: the queue was full (maxQueueSize ${this.options.maxQueueSize})`
      return { ok: false, reason: outcome.ok ? dropped : `${dropped}; ${outcome.reason}` }
    } catch (error) {
      this.options.onError(`${this.exporter.name} flush`, error)
      return { ok: false, reason: `could not load the flush report: ${String(error)}` }
    }
  }

  /**
   * Sends everything queued now, as a flush does, with no timer of its own: the flush when a Node
   * process runs out of work (exit-watch.ts), which must not hold the process for a receiver that
   * is down. An export under way keeps it alive by its socket, up to exportTimeoutMs.
   */
  sendAll(): void {
    const target = this.enqueued
    if (this.settled >= target || this.isShutdown) return
    const waiter: Waiter = { target }
    this.flushWaiters.push(waiter)
    void this.drive(waiter)
  }

  // `flush`: a flush's wait, which stops early when the next retry comes after its bound (a
  // shutdown's waits it out: it aborts that wait when its bound passes).
  private async waitFor(waiter: Waiter, timeoutMs: number, flush = false): Promise<boolean> {
    if (flush) {
      waiter.deadline = performance.now() + timeoutMs
      if (this.retryAt !== undefined && retryPastBound(waiter, this.retryAt)) {
        this.stats.flushTimeouts++
        return false
      }
    }
    this.flushWaiters.push(waiter)
    // This timer is not unref'd: whoever awaits a flush (a script's last line) must see it settle,
    // not have Node exit under it while an export is backing off.
    let timer: ReturnType<typeof setTimeout> | undefined
    try {
      timer = setTimeout(() => end(waiter, 'timeout'), timeoutMs)
    } catch {}
    try {
      await this.drive(waiter, performance.now() + timeoutMs)
    } catch (error) {
      // Never rejects: a flush resolves, saying what it found.
      this.options.onError(`${this.exporter.name} flush`, error)
    } finally {
      cancel(timer)
    }
    if (waiter.over === undefined) this.flushWaiters = this.flushWaiters.filter((w) => w !== waiter)
    if (waiter.over === 'timeout') {
      this.stats.flushTimeouts++
      // Not resolved later from elsewhere: on Workers the flush's request is over by then, and
      // workerd warns of (and cancels) a promise resolved from another request.
      this.flushWaiters = this.flushWaiters.filter((w) => w !== waiter)
    }
    return waiter.over === 'settled'
  }

  /**
   * Flushes, then stops: later spans are dropped and counted, in-flight retries end. `startedAt`:
   * when the tracer's shutdown began, so the whole of it keeps to `timeoutMs`.
   */
  async shutdown(timeoutMs: number, startedAt = Date.now()): Promise<void> {
    if (this.isShutdown) return
    const target = this.enqueued
    const flushed =
      this.settled >= target ||
      (await this.waitFor({ target }, Math.max(0, timeoutMs - (Date.now() - startedAt))))
    this.isShutdown = true
    // The rest (an export still under way, what is left, the exporter's own shutdown) loads with
    // processor-flush.ts, as rare as a shutdown. If it cannot load, sending stops all the same
    // and what is left is dropped and counted; one that never arrives does not hold the shutdown
    // past its bound (given at least the grace an aborted export gets).
    let timer: ReturnType<typeof setTimeout> | undefined
    try {
      const code = await Promise.race([
        flushReport(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error('processor-flush.js did not load in time')),
            Math.max(250, timeoutMs - (Date.now() - startedAt)),
          )
        }),
      ])
      cancel(timer)
      await code.closeProcessor(this, flushed, timeoutMs, startedAt)
    } catch (error) {
      cancel(timer)
      this.options.onError(`${this.exporter.name} shutdown`, error)
      this.stopSending()
      this.dropLeft(flushed, timeoutMs)
      // The exporter's own shutdown still runs (a user's exporter may close a file or a socket
      // there).
      await this.closeExporter(timeoutMs, startedAt)
    }
  }

  /**
   * Last of a shutdown: the exporter's own, given what is left of the bound. One that never
   * settles must not hold the app's shutdown (every span is settled by then, so none is lost to
   * it); its failure or time-out is said.
   */
  async closeExporter(timeoutMs: number, startedAt: number): Promise<void> {
    const { options, exporter } = this
    let timer: ReturnType<typeof setTimeout> | undefined
    try {
      const closing = exporter.shutdown?.()
      if (closing)
        await Promise.race([
          closing,
          new Promise<void>((resolve) => {
            timer = setTimeout(
              () => {
                options.onError(`${exporter.name} shutdown`, new Error('timed out'))
                resolve()
              },
              Math.max(0, timeoutMs - (Date.now() - startedAt)),
            )
          }),
        ])
    } catch (error) {
      options.onError(`${exporter.name} shutdown`, error)
    } finally {
      cancel(timer)
    }
  }

  /**
   * Made after its tracer's shutdown, which closed the exporter itself (the span-end code landed
   * late): shut without closing it again. Spans that reach it are dropped and counted.
   */
  shutClosed(): void {
    this.isShutdown = true
    this.stopSending()
  }

  /** At shutdown (see processor-flush.ts): no more sends. */
  stopSending(): void {
    this.stopped = true
    cancel(this.timer)
  }

  /**
   * At shutdown, once the export under way was waited for or aborted: what is left never goes,
   * spans queued before the shutdown when it ran out of time (not `flushed`), or else spans that
   * ended while it waited (it waits for those queued before it, as a flush does).
   */
  dropLeft(flushed: boolean, timeoutMs: number): void {
    try {
      this.attempt?.abort(new Error('tracer shut down'))
    } catch {}
    const left = this.held.length + this.queue.length
    if (left > 0) {
      this.stats.dropped.shutdown += left
      this.settle(left)
      this.held.length = 0
      this.queue.length = 0
      if (flushed) this.dropped('afterShutdown', left)
      else {
        this.shutdownTimeoutMs = timeoutMs
        this.dropped('shutdown', left)
      }
    }
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
      queued: this.held.length + this.queue.length,
    }
  }
}
