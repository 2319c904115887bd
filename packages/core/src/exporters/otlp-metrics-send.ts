import type { MetricsSnapshot } from '../metrics.js'
import type { ExportResult } from '../types.js'
import { gzip } from './gzip.js'
import { encodeOtlpMetrics } from './otlp-metrics-encode.js'
import { encodeOtlpMetricsProtobuf } from './otlp-protobuf.js'
import type { OtlpProtocol } from './otlp-wire.js'
import { partialSuccessReader } from './partial-success.js'
import { post } from './post.js'

/** The export-time part of `otlpMetricsExporter`, loaded on its first export. */
export function metricsSender(
  target: string,
  headers: Record<string, string>,
  wire: OtlpProtocol,
  gzipped: boolean,
): (snapshot: MetricsSnapshot, signal: AbortSignal) => Promise<ExportResult> {
  const readSuccess = partialSuccessReader(wire, 'rejectedDataPoints')
  return async function sendMetrics(snapshot, signal) {
    const body =
      wire === 'http/protobuf' ? encodeOtlpMetricsProtobuf(snapshot) : encodeOtlpMetrics(snapshot)
    return post(target, gzipped ? await gzip(body) : body, headers, signal, readSuccess)
  }
}
