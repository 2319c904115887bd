import {
  type Field,
  HISTOGRAM_POINT,
  I64,
  METRIC,
  METRIC_DATA,
  METRICS_REQUEST,
  NUMBER_POINT,
  PARTIAL_SUCCESS,
  type ProtobufReader,
  RESPONSE,
  readAttribute,
  readEnvelope,
} from '@tokentrail/core/otlp-protobuf'
import { protobufTextFor } from '../utf8-text.js'
import type { OtlpKeyValue } from './otlp-decode.js'
import type { OtlpDataPoint, OtlpMetric, OtlpMetricsRequest } from './otlp-metrics-decode.js'
import { varintBytes } from './otlp-protobuf.js'

// Field numbers and wire types come from core's schema module (`@tokentrail/core/otlp-protobuf`).

/** Reads a repeated fixed64 or double field, packed (one LEN field) or not (one I64 per item). */
function repeated64<T>(
  r: ProtobufReader,
  wire: number,
  field: Field,
  read: (r: ProtobufReader) => T,
): T[] {
  if (wire === I64) return [read(r)]
  r.check(field, wire)
  const inner = r.field(field.name)
  if ((inner.end - inner.pos) % 8 !== 0)
    inner.fail(`packed ${field.name} is ${inner.end - inner.pos} bytes, not a multiple of 8`)
  const out: T[] = []
  while (inner.pos < inner.end) out.push(read(inner))
  return out
}

function numberPoint(r: ProtobufReader): OtlpDataPoint {
  const out: OtlpDataPoint = { attributes: [] }
  while (r.pos < r.end) {
    const no = r.next()
    const wire = r.wire
    switch (no) {
      case NUMBER_POINT.attributes.no:
        readAttribute(r, out.attributes as OtlpKeyValue[], NUMBER_POINT.attributes, wire)
        break
      case NUMBER_POINT.startTimeUnixNano.no:
        r.check(NUMBER_POINT.startTimeUnixNano, wire)
        out.startTimeUnixNano = r.fixed64()
        break
      case NUMBER_POINT.timeUnixNano.no:
        r.check(NUMBER_POINT.timeUnixNano, wire)
        out.timeUnixNano = r.fixed64()
        break
      case NUMBER_POINT.asDouble.no:
        r.check(NUMBER_POINT.asDouble, wire)
        out.asDouble = r.double()
        break
      case NUMBER_POINT.asInt.no:
        r.check(NUMBER_POINT.asInt, wire)
        out.asInt = BigInt.asIntN(64, r.fixed64())
        break
      case NUMBER_POINT.flags.no:
        r.check(NUMBER_POINT.flags, wire)
        out.flags = r.varint()
        break
      default:
        r.skip(wire)
    }
  }
  return out
}

function histogramPoint(r: ProtobufReader): OtlpDataPoint {
  const out: OtlpDataPoint = { attributes: [], bucketCounts: [], explicitBounds: [] }
  while (r.pos < r.end) {
    const no = r.next()
    const wire = r.wire
    switch (no) {
      case HISTOGRAM_POINT.attributes.no:
        readAttribute(r, out.attributes as OtlpKeyValue[], HISTOGRAM_POINT.attributes, wire)
        break
      case HISTOGRAM_POINT.startTimeUnixNano.no:
        r.check(HISTOGRAM_POINT.startTimeUnixNano, wire)
        out.startTimeUnixNano = r.fixed64()
        break
      case HISTOGRAM_POINT.timeUnixNano.no:
        r.check(HISTOGRAM_POINT.timeUnixNano, wire)
        out.timeUnixNano = r.fixed64()
        break
      case HISTOGRAM_POINT.count.no:
        r.check(HISTOGRAM_POINT.count, wire)
        out.count = r.fixed64()
        break
      case HISTOGRAM_POINT.sum.no:
        r.check(HISTOGRAM_POINT.sum, wire)
        out.sum = r.double()
        break
      case HISTOGRAM_POINT.bucketCounts.no:
        out.bucketCounts!.push(
          ...repeated64(r, wire, HISTOGRAM_POINT.bucketCounts, (x) => x.fixed64()),
        )
        break
      case HISTOGRAM_POINT.explicitBounds.no:
        out.explicitBounds!.push(
          ...repeated64(r, wire, HISTOGRAM_POINT.explicitBounds, (x) => x.double()),
        )
        break
      case HISTOGRAM_POINT.flags.no:
        r.check(HISTOGRAM_POINT.flags, wire)
        out.flags = r.varint()
        break
      case HISTOGRAM_POINT.min.no:
        r.check(HISTOGRAM_POINT.min, wire)
        out.min = r.double()
        break
      case HISTOGRAM_POINT.max.no:
        r.check(HISTOGRAM_POINT.max, wire)
        out.max = r.double()
        break
      default:
        r.skip(wire)
    }
  }
  return out
}

/** Counts the data points of an exponential histogram or summary without decoding them. */
function countPoints(r: ProtobufReader): unknown[] {
  const points: unknown[] = []
  while (r.pos < r.end) {
    const no = r.next()
    const wire = r.wire
    if (no === METRIC_DATA.dataPoints.no) {
      r.check(METRIC_DATA.dataPoints, wire)
      points.push(undefined)
    }
    r.skip(wire)
  }
  return points
}

const DATA_FIELDS = {
  [METRIC.gauge.no]: ['gauge', METRIC.gauge],
  [METRIC.sum.no]: ['sum', METRIC.sum],
  [METRIC.histogram.no]: ['histogram', METRIC.histogram],
} as Record<number, ['gauge' | 'sum' | 'histogram', Field]>

function metric(r: ProtobufReader): OtlpMetric {
  const out: OtlpMetric = {}
  while (r.pos < r.end) {
    const no = r.next()
    const wire = r.wire
    switch (no) {
      case METRIC.name.no:
        r.check(METRIC.name, wire)
        out.name = r.string()
        break
      case METRIC.description.no:
        r.check(METRIC.description, wire)
        out.description = r.string()
        break
      case METRIC.unit.no:
        r.check(METRIC.unit, wire)
        out.unit = r.string()
        break
      case METRIC.gauge.no:
      case METRIC.sum.no:
      case METRIC.histogram.no: {
        const [name, field] = DATA_FIELDS[no]!
        r.check(field, wire)
        const inner = r.field(name)
        const data: NonNullable<OtlpMetric['sum']> = { dataPoints: [] }
        while (inner.pos < inner.end) {
          const f = inner.next()
          const w = inner.wire
          if (f === METRIC_DATA.dataPoints.no) {
            inner.check(METRIC_DATA.dataPoints, w)
            const child = inner.field('dataPoints', data.dataPoints!.length)
            data.dataPoints!.push(name === 'histogram' ? histogramPoint(child) : numberPoint(child))
          } else if (f === METRIC_DATA.aggregationTemporality.no && name !== 'gauge') {
            inner.check(METRIC_DATA.aggregationTemporality, w)
            data.aggregationTemporality = inner.varint()
          } else if (f === METRIC_DATA.isMonotonic.no && name === 'sum') {
            inner.check(METRIC_DATA.isMonotonic, w)
            data.isMonotonic = inner.varint() !== 0
          } else inner.skip(w)
        }
        out[name] = data
        break
      }
      case METRIC.exponentialHistogram.no:
      case METRIC.summary.no: {
        const field = no === METRIC.summary.no ? METRIC.summary : METRIC.exponentialHistogram
        const name = no === METRIC.summary.no ? 'summary' : 'exponentialHistogram'
        r.check(field, wire)
        out[name] = { dataPoints: countPoints(r.field(name)) }
        break
      }
      default:
        r.skip(wire)
    }
  }
  return out
}

/**
 * Decodes an OTLP/HTTP protobuf `ExportMetricsServiceRequest` into its JSON shape, ready for
 * `otlpToMetricPoints`. Unknown fields are skipped; malformed input throws a `TokentrailError`
 * that names the field and byte offset.
 */
export function decodeOtlpMetricsProtobuf(body: Uint8Array): OtlpMetricsRequest {
  const entries = readEnvelope(
    body,
    'ExportMetricsServiceRequest',
    METRICS_REQUEST.resourceMetrics,
    { resource: 'resourceMetrics', scope: 'scopeMetrics', item: 'metrics' },
    metric,
    protobufTextFor(body),
  )
  return {
    resourceMetrics: entries.map((entry) => ({
      ...(entry.resource ? { resource: entry.resource } : {}),
      scopeMetrics: entry.scopes.map(({ scope, items }) => ({ scope, metrics: items })),
    })),
  }
}

/**
 * Encodes an `ExportMetricsServiceResponse`: empty for full success, else `partial_success` with
 * `rejected_data_points` and `error_message`.
 */
export function encodeMetricsResponse(rejected: number, message: string): Uint8Array {
  if (rejected === 0 && message === '') return new Uint8Array(0)
  const text = Buffer.from(message, 'utf8')
  const inner = [
    ...(rejected > 0 ? [PARTIAL_SUCCESS.rejected.tag, ...varintBytes(rejected)] : []),
    ...(text.length > 0 ? [PARTIAL_SUCCESS.errorMessage.tag, ...varintBytes(text.length)] : []),
  ]
  const innerLength = inner.length + text.length
  return Buffer.concat([
    Buffer.from([RESPONSE.partialSuccess.tag, ...varintBytes(innerLength), ...inner]),
    text,
  ])
}
