import { type MetricExporter, MetricsRecorder } from './metrics.js'
import { MetricsPipeline } from './metrics-pipeline.js'
import { type SdkCounts, sdkMetrics } from './sdk-metrics.js'
import type { Resource } from './types.js'

// What `LazyMetrics` loads the first time a span ends on a tracer with metrics on.

/** What a tracer's metrics need to start. */
export interface MetricsSetup {
  resource: Resource
  startTime: number
  exporters: readonly MetricExporter[]
  exportIntervalMs: number
  cardinalityLimit: number
  exportTimeoutMs: number
  onError(where: string, error: unknown): void
  /** Where the one warning per failing metrics destination goes. */
  warn: ((message: string) => void) | undefined
  /** The tracer's own counters, for the `otel.sdk.*` metrics. */
  counts(): SdkCounts
  /** Spans lost so far (failed, rejected, dropped): a change forces an export. */
  losses(): number
  /** Spans queued or on the wire now. */
  pending(): number
}

/** The recorder and its export loop, with the tracer's own metrics riding along. */
export function createMetricsPipeline(setup: MetricsSetup): MetricsPipeline {
  return new MetricsPipeline(
    new MetricsRecorder(setup.resource, setup.cardinalityLimit, setup.startTime),
    setup.exporters,
    setup.exportIntervalMs,
    setup.exportTimeoutMs,
    setup.onError,
    { metrics: () => sdkMetrics(setup.counts()), losses: setup.losses, pending: setup.pending },
    setup.warn,
  )
}
