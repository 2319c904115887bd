import { formatTime, oneLine, type Palette, table } from './commands/format.js'
import type { MetricSeries } from './store/metric-store.js'

/** One service's delivery health, from the `otel.sdk.*` metrics its tracer sends. */
export interface DeliveryHealth {
  service: string
  /** Spans recorded (sampled in). */
  started: number
  /** Spans the receivers accepted, over all of the service's exporters. */
  exported: number
  /** Spans given up on after the retry budget or a non-retryable answer. */
  failed: number
  /** Spans a receiver rejected in a partial success. */
  rejected: number
  /** Spans dropped before export: full queue, shut down, redact hook. */
  dropped: number
  /** Spans of traces sampled out at their end (trace-complete sampling): left out on purpose. */
  sampledOut: number
  /** Spans waiting in the service's queues at its last report. */
  queued: number
  /** Newest report, epoch ms. */
  updatedAt: number
  /** The newest failure reported: its `error.type` (an HTTP status, `timeout`, `ECONNREFUSED`…) and where to. */
  lastError?: { type: string; target?: string; at: number }
}

/** Delivery health per service, from stored `otel.sdk.*` series; services that send none are left out. */
export function summarizeDelivery(series: readonly MetricSeries[]): DeliveryHealth[] {
  const byService = new Map<string, DeliveryHealth>()
  for (const s of series) {
    if (!s.name.startsWith('otel.sdk.') && !s.name.startsWith('tokentrail.sdk.')) continue
    let health = byService.get(s.service)
    if (!health)
      byService.set(
        s.service,
        (health = {
          service: s.service,
          started: 0,
          exported: 0,
          failed: 0,
          rejected: 0,
          dropped: 0,
          sampledOut: 0,
          queued: 0,
          updatedAt: 0,
        }),
      )
    health.updatedAt = Math.max(health.updatedAt, s.time)
    const value = s.value ?? 0
    const error = s.attributes['error.type']
    if (s.name === 'otel.sdk.span.started') {
      if (s.attributes['otel.span.sampling_result'] !== 'DROP') health.started += value
    } else if (s.name === 'otel.sdk.exporter.span.exported') {
      if (error === undefined) health.exported += value
      else if (error === 'rejected') health.rejected += value
      else {
        health.failed += value
        if (value > 0 && (!health.lastError || s.time >= health.lastError.at)) {
          const address = s.attributes['server.address']
          const port = s.attributes['server.port']
          health.lastError = {
            type: String(error),
            at: s.time,
            ...(typeof address === 'string'
              ? { target: port === undefined ? address : `${address}:${port}` }
              : {}),
          }
        }
      }
    } else if (s.name === 'otel.sdk.processor.span.processed') {
      if (error !== undefined) health.dropped += value
    } else if (s.name === 'tokentrail.sdk.span.dropped') {
      if (s.attributes.reason === 'sampled_out') health.sampledOut += value
      else health.dropped += value
    } else if (s.name === 'otel.sdk.processor.span.queue.size') health.queued += value
  }
  return [...byService.values()].sort((a, b) => a.service.localeCompare(b.service))
}

/** The delivery table `tokentrail stats` prints: one row per service, problems in red. */
export function formatDelivery(health: readonly DeliveryHealth[], p: Palette): string {
  // Spans left out by trace-complete sampling: a column only where a service samples so.
  const sampling = health.some((h) => h.sampledOut > 0)
  const rows = [
    [
      'SERVICE',
      'STARTED',
      'EXPORTED',
      'FAILED',
      'REJECTED',
      'DROPPED',
      ...(sampling ? ['SAMPLED OUT'] : []),
      'QUEUED',
      'UPDATED',
      'LAST ERROR',
    ].map(p.dim),
    ...health.map((h) => [
      oneLine(h.service, 32),
      String(h.started),
      String(h.exported),
      h.failed > 0 ? p.red(String(h.failed)) : '0',
      h.rejected > 0 ? p.red(String(h.rejected)) : '0',
      h.dropped > 0 ? p.red(String(h.dropped)) : '0',
      ...(sampling ? [String(h.sampledOut)] : []),
      String(h.queued),
      formatTime(h.updatedAt).slice(11, 19),
      h.lastError
        ? p.red(
            oneLine(
              `${h.lastError.type}${h.lastError.target ? ` from ${h.lastError.target}` : ''}`,
              60,
            ),
          )
        : '-',
    ]),
  ]
  return [
    `${p.bold('delivery')} ${p.dim('from each tracer’s otel.sdk.* metrics (totals since it started, all its exporters)')}`,
    table(rows, new Set(sampling ? [1, 2, 3, 4, 5, 6, 7] : [1, 2, 3, 4, 5, 6])),
  ].join('\n')
}
