import type { MetricsSnapshot } from '../metrics.js'
import type { ExportResult } from '../types.js'
import { gzipOrPlain, withoutEncoding } from './gzip.js'
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
  const plainHeaders = gzipped ? withoutEncoding(headers) : headers
  return async function sendMetrics(snapshot, signal) {
    const body =
      wire === 'http/protobuf' ? encodeOtlpMetricsProtobuf(snapshot) : encodeOtlpMetrics(snapshot)
    const sent = gzipped
      ? await gzipOrPlain(
          typeof body === 'string' ? new TextEncoder().encode(body) : body,
          headers,
          plainHeaders,
        )
      : { body, headers }
    return post(target, sent.body, sent.headers, signal, readSuccess)
  }
}
