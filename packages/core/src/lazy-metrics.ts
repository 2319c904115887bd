import type { lazy } from './lazy.js'
import type { MetricsPipeline } from './metrics-pipeline.js'
import type { MetricsSetup } from './metrics-runtime.js'
import type { SpanData } from './types.js'

// Spans held while the metrics code loads. A local chunk loads in milliseconds; this bound only
// matters if loading fails again and again.
const MAX_HELD = 10_000

/**
 * A tracer's GenAI metrics, with the recorder, the instruments and the encoders loaded by
 * `import()` when the first span ends, so an app that never records pays nothing at start-up.
 * Spans that end before the load lands are held (by reference) and recorded as soon as it does;
 * an export or flush waits for the load, so nothing recorded is missing from it.
 */
export class LazyMetrics {
  private pipeline: MetricsPipeline | undefined
  private held: SpanData[] = []
  private loading: Promise<MetricsPipeline | undefined> | undefined
  private stopped = false
  private readonly load: () => Promise<MetricsPipeline>

  // `setup.startTime` is when the tracer was made: cumulative totals start with it, not with the
  // load. `lazy` comes from the tracer (tracer-features.ts), not imported: see `FeatureHelpers`.
  constructor(
    private readonly setup: MetricsSetup,
    lazyLoad: typeof lazy,
  ) {
    this.load = lazyLoad(() =>
      import('./metrics-runtime.js').then((m) => m.createMetricsPipeline(setup)),
    )
  }

  get stats(): { exports: number; failures: number } {
    return this.pipeline?.stats ?? { exports: 0, failures: 0 }
  }

  record(span: SpanData): void {
    if (this.pipeline) {
      this.pipeline.record(span)
      return
    }
    if (this.held.length < MAX_HELD) this.held.push(span)
    else this.setup.onError('metrics (held while loading)', new Error('too many spans held'))
    void this.ready()
  }

  // Resolves to the pipeline once loaded (the held spans recorded), or undefined if the load failed.
  private ready(): Promise<MetricsPipeline | undefined> {
    this.loading ??= this.load().then(
      (pipeline) => {
        this.pipeline = pipeline
        const held = this.held
        this.held = []
        for (const span of held) {
          try {
            pipeline.record(span)
          } catch (error) {
            this.setup.onError('metrics', error)
          }
        }
        if (this.stopped) pipeline.stop()
        return pipeline
      },
      (error) => {
        // Tried again by the next span or export; the held spans wait for it.
        this.loading = undefined
        this.setup.onError('metrics load', error)
        return undefined
      },
    )
    return this.loading
  }

  /** Sends the current totals if anything changed; never rejects. */
  async export(timeoutMs: number): Promise<boolean> {
    // Nothing recorded yet: nothing to send, and no reason to load.
    if (!this.pipeline && this.held.length === 0 && !this.loading) return true
    const pipeline = this.pipeline ?? (await this.ready())
    return pipeline ? pipeline.export(timeoutMs) : false
  }

  /**
   * Sends the metrics once `spans` (a flush's or shutdown's exports) have settled, so the tracer's
   * own delivery counts (otel.sdk.*) riding with them count those spans (sent side by side, a
   * script's one flush reported none exported); at half the bound if the spans have not settled by
   * then, so a receiver that hangs does not keep the metrics from theirs. Within what is left of
   * the bound. 'late' when none is left (cumulative: the next export carries them). `began`: when
   * the flush or shutdown began (it may have waited for the span-end code before).
   */
  async exportAfter(
    spans: Promise<unknown>,
    timeoutMs: number,
    began = Date.now(),
  ): Promise<boolean | 'late'> {
    let timer: ReturnType<typeof setTimeout> | undefined
    await Promise.race([
      spans,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, Math.max(0, timeoutMs / 2 - (Date.now() - began)))
        ;(timer as { unref?: () => void }).unref?.()
      }),
    ]).catch(() => {})
    clearTimeout(timer)
    const left = Math.floor(timeoutMs - (Date.now() - began))
    return left >= 1 ? this.export(left) : 'late'
  }

  stop(): void {
    this.stopped = true
    this.pipeline?.stop()
  }
}
