import { NOOP_SPAN, type Span } from './span.js'
import type { FlushResult, StartSpanOptions, Tracer, TracerStats } from './tracer.js'

export const EMPTY_STATS = (): TracerStats => ({
  started: 0,
  ended: 0,
  notSampled: 0,
  exported: 0,
  retried: 0,
  failed: 0,
  rejected: 0,
  dropped: { queueFull: 0, shutdown: 0, redacted: 0, redactError: 0 },
  queued: 0,
  inflight: 0,
  flushTimeouts: 0,
  lateWrites: 0,
  limits: { attributesDropped: 0, eventsDropped: 0 },
  metrics: { exports: 0, failures: 0 },
})

const SKIPPED = Symbol.for('tokentrail.tracer.skipped')

/**
 * An adapter passes a request or call through untraced, as `tracer` records nothing: a tracer that
 * is on with nowhere to send spans says so, once, as its `startSpan` would. Never throws.
 */
export function tracerSkipped(tracer: Tracer): void {
  try {
    ;(tracer as unknown as Record<symbol, (() => void) | undefined>)[SKIPPED]?.()
  } catch {}
}

/** The tracer used when tracing is off or nothing would receive spans: costs next to nothing. */
export class NoopTracer implements Tracer {
  readonly enabled = false
  readonly recordInputs = false
  readonly recordOutputs = false
  constructor(
    readonly serviceName: string,
    // Said on first use rather than at creation, so a build step that only imports the app stays quiet.
    private notice?: () => void,
  ) {}
  startSpan(): Span {
    if (this.notice) this.sayNotice()
    return NOOP_SPAN
  }
  // Adapters check `enabled` and skip startSpan: see `tracerSkipped`.
  [SKIPPED](): void {
    if (this.notice) this.sayNotice()
  }
  private sayNotice() {
    const notice = this.notice
    this.notice = undefined
    try {
      notice?.()
    } catch {}
  }
  withSpan<T>(
    _name: string,
    optionsOrFn: StartSpanOptions | ((span: Span) => T),
    maybeFn?: (span: Span) => T,
  ): T {
    const fn = typeof optionsOrFn === 'function' ? optionsOrFn : maybeFn!
    if (this.notice) this.sayNotice()
    return fn(NOOP_SPAN)
  }
  getActiveSpan(): Span | undefined {
    return undefined
  }
  runInSpan<T>(_span: Span, fn: () => T): T {
    return fn()
  }
  async flush(): Promise<FlushResult> {
    return { ok: true, pending: 0 }
  }
  async shutdown(): Promise<void> {}
  stats(): TracerStats {
    return EMPTY_STATS()
  }
}
