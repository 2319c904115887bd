import type { DeliveryLog, DeliverySinks } from './delivery-log.js'
import type { lazy } from './lazy.js'

type Call =
  | ['attemptFailed', ...Parameters<DeliveryLog['attemptFailed']>]
  | ['attemptSucceeded', ...Parameters<DeliveryLog['attemptSucceeded']>]
  | ['flushTimedOut', ...Parameters<DeliveryLog['flushTimedOut']>]
  | ['batchSplit', ...Parameters<DeliveryLog['batchSplit']>]
  | ['tooLarge', ...Parameters<DeliveryLog['tooLarge']>]
  | ['dropped', ...Parameters<DeliveryLog['dropped']>]

/**
 * The delivery log with its messages loaded by `import()` the first time there is something to
 * say: a failure, a timed-out flush, or any attempt in debug mode. A healthy app without debug
 * never loads it. Calls made while it loads are replayed in order once it lands; each call returns
 * that landing for the processor to await, so a warning is out before the flush that caused it
 * resolves (a function may freeze right after).
 */
export class LazyDeliveryLog {
  private real: DeliveryLog | undefined
  private held: Call[] = []
  private lastReason: string | undefined
  private failing = false
  private unloadedSaid = false
  private readonly load: () => Promise<DeliveryLog>

  constructor(
    readonly target: string,
    private readonly sinks: DeliverySinks,
    maxRetries: number,
    // From processor.ts, not imported: see `SendHelpers`.
    lazyLoad: typeof lazy,
  ) {
    this.load = lazyLoad(() =>
      import('./delivery-log.js').then((m) => new m.DeliveryLog(target, sinks, maxRetries)),
    )
  }

  /** The newest reason spans failed, if any. */
  get reason(): string | undefined {
    return this.real?.reason ?? this.lastReason
  }

  attemptFailed(...args: Parameters<DeliveryLog['attemptFailed']>): Promise<void> | undefined {
    this.lastReason = args[2]
    this.failing = true
    return this.call(['attemptFailed', ...args])
  }

  attemptSucceeded(
    ...args: Parameters<DeliveryLog['attemptSucceeded']>
  ): Promise<void> | undefined {
    // Nothing to say about a plain success unless debugging, or recovering from failures, or the
    // receiver warned (a message with nothing rejected).
    if (!this.real && !this.failing && args[3] === 0 && !args[4] && !this.sinks.debug)
      return undefined
    if (args[3] > 0) this.failing = true
    return this.call(['attemptSucceeded', ...args])
  }

  flushTimedOut(...args: Parameters<DeliveryLog['flushTimedOut']>): Promise<void> | undefined {
    return this.call(['flushTimedOut', ...args])
  }

  batchSplit(...args: Parameters<DeliveryLog['batchSplit']>): Promise<void> | undefined {
    return this.call(['batchSplit', ...args])
  }

  tooLarge(...args: Parameters<DeliveryLog['tooLarge']>): Promise<void> | undefined {
    this.lastReason = args[1]
    return this.call(['tooLarge', ...args])
  }

  dropped(...args: Parameters<DeliveryLog['dropped']>): Promise<void> | undefined {
    return this.call(['dropped', ...args])
  }

  /** Only the loaded log can have anything left to say (a drop or failure loads it). */
  closing(maxQueueSize: number): void {
    try {
      this.real?.closing(maxQueueSize)
    } catch {}
  }

  private call(call: Call): Promise<void> | undefined {
    if (this.real) {
      this.apply(this.real, call)
      return undefined
    }
    if (this.held.length < 1000) this.held.push(call)
    return this.load().then(
      (real) => {
        this.real ??= real
        const held = this.held
        this.held = []
        for (const c of held) this.apply(real, c)
      },
      (error) => {
        // The messages' code could not load (a chunk the app's host no longer serves): a failure
        // or drop is still said, once, plainly; the counts and flush results hold the rest.
        if (this.unloadedSaid || call[0] === 'attemptSucceeded' || call[0] === 'batchSplit') return
        this.unloadedSaid = true
        try {
          this.sinks.warn?.(
            `spans not delivered to ${this.target}${this.lastReason ? `: ${this.lastReason}` : ''}. The code that says more could not load (${String((error as Error)?.message ?? error).slice(0, 200)}), so later problems are not said; tracer.stats() counts every span and flush() resolves ok: false for those lost.`,
          )
        } catch {}
      },
    )
  }

  private apply(real: DeliveryLog, [method, ...args]: Call) {
    try {
      ;(real[method] as (...a: unknown[]) => void)(...args)
    } catch {}
  }
}
