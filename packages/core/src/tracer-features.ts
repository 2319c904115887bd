// A recording tracer's optional features — trace-complete sampling, redaction rules, GenAI
// metrics — loaded by `import()` when a tracer with any of them is made, so a tracer without them
// ships none of their code at start-up, and one with them does not parse it there. Each still
// loads its own machinery on first use (lazy-sampler.ts, lazy-redactor.ts, lazy-metrics.ts); what
// they would have seen before this module landed waits in the tracer (see `RecordingTracer.early`)
// and is handed to them in order.
import type { ResolvedConfig } from './config.js'
import { LazyMetrics } from './lazy-metrics.js'
import type { BatchProcessor } from './processor.js'
import type { FeatureHelpers } from './recording-tracer.js'
import { LazyRedactor } from './redaction/lazy-redactor.js'
import { LazySampler } from './sampling/lazy-sampler.js'
import type { TracerStats } from './tracer.js'
import type { Resource, SpanData } from './types.js'

/** What the features need of their tracer. */
export interface FeatureHost {
  readonly config: ResolvedConfig
  readonly resource: Resource
  readonly processors: readonly BatchProcessor[]
  readonly counts: { started: number; ended: number; notSampled: number; lateWrites: number }
  readonly drops: { redacted: number; redactError: number }
  /** The most spans held while lazily loaded code lands (maxQueueSize, at least 10,000). */
  readonly holdBound: number
  /** The export boundary: redaction, the `redact` hook, then every processor. */
  export(span: SpanData): void
  /**
   * Spans that could not be redacted: dropped, counted in `drops.redactError` (`drops.queueFull`
   * past the bound held while the redactor loads), and said once.
   */
  redactFailed(spans: number, why: 'redaction load' | 'redaction queueFull', error: unknown): void
  onInternalError(where: string, error: unknown): void
  stats(): TracerStats
}

export interface Features {
  sampler: LazySampler | undefined
  redactor: LazyRedactor | undefined
  metrics: LazyMetrics | undefined
}

/** Makes the features `host.config` turns on; `startTime` is when the tracer was made. */
export function startFeatures(
  host: FeatureHost,
  startTime: number,
  helpers: FeatureHelpers,
): Features {
  const { config } = host
  const onError = (where: string, error: unknown) => host.onInternalError(where, error)
  const { metrics } = config
  return {
    sampler: config.sampling
      ? new LazySampler(
          config.sampling,
          config.sampleRate,
          (span) => host.export(span),
          onError,
          helpers,
          config.warn,
        )
      : undefined,
    redactor: config.redaction
      ? new LazyRedactor(
          config.redaction,
          (span) => host.export(span),
          // Spans that could not be redacted must not leave unredacted.
          (spans, error, full) =>
            host.redactFailed(spans, full ? 'redaction queueFull' : 'redaction load', error),
          helpers.lazy,
          host.holdBound,
        )
      : undefined,
    metrics:
      metrics.exporters.length > 0
        ? new LazyMetrics(
            {
              // Read when the metrics code loads, at the first span: a tracer made where no
              // random value could be made has its service.instance.id by then.
              get resource() {
                return host.resource
              },
              startTime,
              exporters: metrics.exporters,
              exportIntervalMs: metrics.exportIntervalMs,
              cardinalityLimit: metrics.cardinalityLimit,
              exportTimeoutMs: config.exportTimeoutMs,
              onError,
              warn: config.warn,
              counts: () => ({
                ...host.counts,
                ...host.drops,
                sampledOut: host.stats().sampling?.droppedSpans,
                processors: host.processors.map((p) => ({
                  exporter: p.exporter.name,
                  url: p.exporter.url,
                  protocol: (p.exporter as { protocol?: string }).protocol,
                  capacity: config.maxQueueSize,
                  stats: p.snapshot(),
                })),
              }),
              pending: () => {
                const s = host.stats()
                return s.queued + s.inflight
              },
              losses: () => {
                const s = host.stats()
                return (
                  s.failed +
                  s.rejected +
                  s.dropped.queueFull +
                  s.dropped.shutdown +
                  s.dropped.redactError
                )
              },
            },
            helpers.lazy,
          )
        : undefined,
  }
}
