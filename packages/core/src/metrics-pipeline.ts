import { describeExportFailure } from './exporters/describe-failure.js'
import { maskedUrl } from './masked-url.js'
import type { MetricData, MetricExporter, MetricsRecorder } from './metrics.js'
import type { SpanData } from './types.js'

/** Exports a recorder's snapshot on an interval and on demand; a failed export is retried with the next one. */
export class MetricsPipeline {
  readonly stats = { exports: 0, failures: 0 }
  private dirty = false
  private timer: ReturnType<typeof setInterval> | undefined
  private stopped = false
  private lastLosses = 0
  // The last export's delivery counts had spans pending (see `export`).
  private sentPending = false
  // Exporters whose failure was already told; told again only after they delivered once more.
  private readonly failing = new Set<MetricExporter>()
  // Exporters whose receiver refused part of a snapshot (partial_success): told once each.
  private readonly refused = new Set<MetricExporter>()

  constructor(
    readonly recorder: MetricsRecorder,
    private readonly exporters: readonly MetricExporter[],
    private readonly intervalMs: number,
    private readonly timeoutMs: number,
    private readonly onError: (where: string, error: unknown) => void,
    /**
     * The tracer's own metrics (`otel.sdk.*`): they ride along with the GenAI ones, and force an
     * export of their own only when spans were lost since the last one, so healthy apps pay nothing.
     */
    private readonly sdk?: { metrics(): MetricData[]; losses(): number; pending?(): number },
    /** Where the one warning per failing destination goes (the tracer's `warn`, on by default). */
    private readonly warn?: (message: string) => void,
  ) {}

  private told(exporter: MetricExporter, error: unknown | undefined): void {
    // A password or query values in the URL are masked, as for spans (exporterTarget).
    const target =
      exporter.url === undefined ? `the ${exporter.name} metrics exporter` : maskedUrl(exporter.url)
    try {
      if (error === undefined) {
        if (this.failing.delete(exporter)) this.warn?.(`metrics delivered again to ${target}`)
        return
      }
      if (this.failing.has(exporter)) return
      this.failing.add(exporter)
      this.warn?.(
        `metrics not delivered to ${target}: ${describeExportFailure(error, exporter.url, 'metrics')}. Their totals go out with the next export; \`npx tokentrail doctor\` checks the setup.`,
      )
    } catch {}
  }

  // A 2xx with partial_success: the rest arrived, so it is no failed export (and, as OTLP says, not
  // sent again for it), but the refused points would otherwise be lost unsaid.
  private toldRefused(exporter: MetricExporter, count: number, message: string | undefined): void {
    try {
      const reason = `${count} data points${message ? ` (${message.slice(0, 200)})` : ''}`
      this.onError(`${exporter.name} export`, new Error(`the receiver rejected ${reason}`))
      if (this.refused.has(exporter)) return
      this.refused.add(exporter)
      const target =
        exporter.url === undefined
          ? `the ${exporter.name} metrics exporter`
          : maskedUrl(exporter.url)
      this.warn?.(
        `metrics partly rejected by ${target}: the receiver refused ${reason}; the rest were delivered. Later rejections are not said again (TOKENTRAIL_DEBUG=1 logs each).`,
      )
    } catch {}
  }

  record(span: SpanData): void {
    if (this.recorder.record(span)) this.dirty = true
    else if (!this.sdk) return
    // Started on first use, not at construction: on Workers timers belong to a request.
    if (this.timer === undefined && !this.stopped) {
      try {
        // Every series each interval, changed or not, as OpenTelemetry's periodic reader sends
        // cumulative ones: a receiver that has seen none for a while (Prometheus: 5 minutes)
        // marks a quiet series stale, and a dashboard shows a gap where nothing changed.
        this.timer = setInterval(() => void this.export(this.timeoutMs, true), this.intervalMs)
        ;(this.timer as { unref?: () => void }).unref?.()
      } catch {}
    }
  }

  /**
   * Sends the current totals if anything changed (a flush: a request's own flush sends no metrics
   * its calls did not change), or with `always` (the interval) whatever changed; resolves within
   * `timeoutMs`, never rejects.
   */
  async export(timeoutMs: number, always = false): Promise<boolean> {
    let losses = this.lastLosses
    try {
      losses = this.sdk?.losses() ?? 0
    } catch {}
    // The interval's last export went while spans were still queued or on the wire: its delivery
    // counts showed them pending, and stay so on a function that freezes, unless the next flush
    // sends them again once they have settled.
    if (!always && !this.dirty && losses === this.lastLosses && !this.sentPending) return true
    let pending = 0
    try {
      pending = this.sdk?.pending?.() ?? 0
    } catch {}
    let sdk: MetricData[] = []
    try {
      sdk = this.sdk?.metrics() ?? []
    } catch (error) {
      this.onError('sdk metrics', error)
    }
    this.dirty = false
    const recorded = this.recorder.snapshot()
    const snapshot =
      sdk.length > 0 ? { ...recorded, metrics: [...recorded.metrics, ...sdk] } : recorded
    if (always && snapshot.metrics.length === 0) return true
    const results = await Promise.all(
      this.exporters.map(async (exporter) => {
        try {
          const result = await exporter.export(
            snapshot,
            AbortSignal.timeout(Math.min(timeoutMs, this.timeoutMs)),
          )
          if (result.code === 'success') {
            this.told(exporter, undefined)
            if (result.rejected) this.toldRefused(exporter, result.rejected, result.message)
            return true
          }
          this.onError(`${exporter.name} export`, result.error)
          this.told(exporter, result.error ?? new Error('export failed'))
        } catch (error) {
          this.onError(`${exporter.name} export`, error)
          this.told(exporter, error)
        }
        return false
      }),
    )
    const ok = results.every(Boolean)
    if (ok) {
      this.stats.exports++
      this.lastLosses = losses
      // Sent again by one flush at most: a busy server's flushes always find some spans pending.
      this.sentPending = always && pending > 0
    } else {
      this.stats.failures++
      this.dirty = true
    }
    return ok
  }

  stop(): void {
    this.stopped = true
    try {
      if (this.timer !== undefined) clearInterval(this.timer)
    } catch {}
  }
}
