import type { HistogramPoint, MetricData, SumPoint } from './metrics.js'
import type { ExporterStats } from './processor.js'
import { EXPORT_DURATION_BUCKETS } from './processor-send.js'
import type { Attributes } from './types.js'

/** What the tracer knows about itself, as `sdkMetrics` reads it. */
export interface SdkCounts {
  started: number
  notSampled: number
  ended: number
  lateWrites: number
  redacted: number
  redactError: number
  /** Spans of traces trace-complete sampling left out (`stats().sampling.droppedSpans`). */
  sampledOut?: number
  processors: readonly {
    exporter: string
    url?: string
    /** An OTLP exporter's `http/json` or `http/protobuf`. */
    protocol?: string
    capacity: number
    stats: ExporterStats
  }[]
}

function sum(
  name: string,
  description: string,
  points: SumPoint[],
  isMonotonic = true,
): MetricData | undefined {
  // A counter series that never moved is left out. An up-down counter keeps its zeros, so a queue
  // that drained reads 0 downstream, not its last non-zero value.
  const kept = isMonotonic ? points.filter((p) => p.value !== 0) : points
  if (kept.length === 0) return undefined
  return {
    type: 'sum',
    name,
    description,
    unit: '{span}',
    isInteger: true,
    isMonotonic,
    points: kept,
  }
}

function server(url: string | undefined): Attributes {
  if (!url) return {}
  try {
    const u = new URL(url)
    return {
      'server.address': u.hostname,
      'server.port': Number(u.port || (u.protocol === 'https:' ? 443 : 80)),
    }
  } catch {
    return {}
  }
}

/**
 * The tracer's own health as OpenTelemetry SDK self-observability metrics (`otel.sdk.*`, semconv
 * development names), plus `tokentrail.sdk.*` for what the conventions lack. Cumulative.
 */
export function sdkMetrics(counts: SdkCounts): MetricData[] {
  const metrics: (MetricData | undefined)[] = [
    sum('otel.sdk.span.started', 'Spans started', [
      { attributes: { 'otel.span.sampling_result': 'RECORD_AND_SAMPLE' }, value: counts.started },
      { attributes: { 'otel.span.sampling_result': 'DROP' }, value: counts.notSampled },
    ]),
    sum(
      'otel.sdk.span.live',
      'Recording spans started and not yet ended',
      [{ attributes: {}, value: Math.max(0, counts.started - counts.ended) }],
      false,
    ),
  ]
  const processed: SumPoint[] = []
  const queueSize: SumPoint[] = []
  const capacity: SumPoint[] = []
  const exported: SumPoint[] = []
  const inflight: SumPoint[] = []
  const durations: HistogramPoint[] = []
  counts.processors.forEach(({ exporter, url, protocol, capacity: max, stats }, i) => {
    const processor = {
      'otel.component.type': 'batching_span_processor',
      'otel.component.name': `batching_span_processor/${i}`,
    }
    processed.push(
      { attributes: processor, value: stats.exported + stats.failed + stats.rejected },
      { attributes: { ...processor, 'error.type': 'queue_full' }, value: stats.dropped.queueFull },
      {
        attributes: { ...processor, 'error.type': 'already_shutdown' },
        value: stats.dropped.shutdown,
      },
    )
    queueSize.push({ attributes: processor, value: stats.queued })
    capacity.push({ attributes: processor, value: max })
    const component = {
      // The conventions' names: OTLP/HTTP with protobuf is `otlp_http_span_exporter`.
      'otel.component.type':
        exporter !== 'otlp'
          ? exporter
          : protocol === 'http/protobuf'
            ? 'otlp_http_span_exporter'
            : 'otlp_http_json_span_exporter',
      'otel.component.name': `${exporter}/${i}`,
      ...server(url),
    }
    exported.push(
      { attributes: component, value: stats.exported },
      ...Object.entries(stats.failedBy).map(([type, value]) => ({
        attributes: { ...component, 'error.type': type },
        value,
      })),
      { attributes: { ...component, 'error.type': 'rejected' }, value: stats.rejected },
    )
    inflight.push({ attributes: component, value: stats.inflight })
    for (const [errorType, d] of Object.entries(stats.operations)) {
      durations.push({
        attributes: {
          ...component,
          ...(errorType ? { 'error.type': errorType } : {}),
          ...(d.status !== undefined ? { 'http.response.status_code': d.status } : {}),
        },
        count: d.count,
        sum: d.sum,
        min: d.min,
        max: d.max,
        bucketCounts: d.bucketCounts,
      })
    }
  })
  metrics.push(
    sum(
      'otel.sdk.processor.span.processed',
      'Spans handed to the exporter, or dropped by the processor (error.type)',
      processed,
    ),
    sum('otel.sdk.processor.span.queue.size', 'Spans waiting in the queue', queueSize, false),
    sum('otel.sdk.processor.span.queue.capacity', 'Most spans the queue holds', capacity, false),
    sum(
      'otel.sdk.exporter.span.exported',
      'Spans exported, or given up on (error.type), counted after the last retry',
      exported,
    ),
    sum(
      'otel.sdk.exporter.span.inflight',
      'Spans handed to the exporter and not yet exported or given up on (retries included)',
      inflight,
      false,
    ),
    durations.length === 0
      ? undefined
      : {
          type: 'histogram',
          name: 'otel.sdk.exporter.operation.duration',
          description: 'Duration of exporting one batch of spans, retries included',
          unit: 's',
          boundaries: EXPORT_DURATION_BUCKETS,
          points: durations,
        },
    sum(
      'tokentrail.sdk.span.dropped',
      'Spans dropped before export: by the redact hook, or sampled out at the end of their trace',
      [
        { attributes: { reason: 'redacted' }, value: counts.redacted },
        { attributes: { reason: 'redact_error' }, value: counts.redactError },
        ...(counts.sampledOut
          ? [{ attributes: { reason: 'sampled_out' }, value: counts.sampledOut }]
          : []),
      ],
    ),
    sum('tokentrail.sdk.span.late_writes', 'Writes to spans that had already ended', [
      { attributes: {}, value: counts.lateWrites },
    ]),
  )
  return metrics.filter((m): m is MetricData => m !== undefined)
}
