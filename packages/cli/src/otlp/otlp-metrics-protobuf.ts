import type { OtlpKeyValue } from './otlp-decode.js'
import type { OtlpDataPoint, OtlpMetric, OtlpMetricsRequest } from './otlp-metrics-decode.js'
import { attributeList, I64, LEN, Reader, VARINT } from './otlp-protobuf.js'

// Field numbers from opentelemetry-proto: collector/metrics/v1/metrics_service.proto and
// metrics/v1/metrics.proto (Metric: gauge 5, sum 7, histogram 9, exponential_histogram 10,
// summary 11; NumberDataPoint attributes 7; HistogramDataPoint attributes 9).

/** Reads a repeated fixed64 or double field, packed (one LEN field) or not (one I64 per item). */
function repeated64<T>(r: Reader, wire: number, name: string, read: (r: Reader) => T): T[] {
  if (wire === I64) return [read(r)]
  r.expect(LEN, wire, name)
  const inner = r.child(`${r.path}.${name}`)
  if ((inner.end - inner.pos) % 8 !== 0)
    inner.fail(`packed ${name} is ${inner.end - inner.pos} bytes, not a multiple of 8`)
  const out: T[] = []
  while (inner.pos < inner.end) out.push(read(inner))
  return out
}

function numberPoint(r: Reader): OtlpDataPoint {
  const out: OtlpDataPoint = { attributes: [] }
  while (r.pos < r.end) {
    const [field, wire] = r.tag()
    switch (field) {
      case 7:
        attributeList(r, out.attributes as OtlpKeyValue[], 'attributes', wire)
        break
      case 2:
        r.expect(I64, wire, 'start_time_unix_nano')
        out.startTimeUnixNano = r.fixed64()
        break
      case 3:
        r.expect(I64, wire, 'time_unix_nano')
        out.timeUnixNano = r.fixed64()
        break
      case 4:
        r.expect(I64, wire, 'as_double')
        out.asDouble = r.double()
        break
      case 6:
        r.expect(I64, wire, 'as_int')
        out.asInt = BigInt.asIntN(64, r.fixed64())
        break
      case 8:
        r.expect(VARINT, wire, 'flags')
        out.flags = r.varint()
        break
      default:
        r.skip(wire)
    }
  }
  return out
}

function histogramPoint(r: Reader): OtlpDataPoint {
  const out: OtlpDataPoint = { attributes: [], bucketCounts: [], explicitBounds: [] }
  while (r.pos < r.end) {
    const [field, wire] = r.tag()
    switch (field) {
      case 9:
        attributeList(r, out.attributes as OtlpKeyValue[], 'attributes', wire)
        break
      case 2:
        r.expect(I64, wire, 'start_time_unix_nano')
        out.startTimeUnixNano = r.fixed64()
        break
      case 3:
        r.expect(I64, wire, 'time_unix_nano')
        out.timeUnixNano = r.fixed64()
        break
      case 4:
        r.expect(I64, wire, 'count')
        out.count = r.fixed64()
        break
      case 5:
        r.expect(I64, wire, 'sum')
        out.sum = r.double()
        break
      case 6:
        out.bucketCounts!.push(...repeated64(r, wire, 'bucket_counts', (x) => x.fixed64()))
        break
      case 7:
        out.explicitBounds!.push(...repeated64(r, wire, 'explicit_bounds', (x) => x.double()))
        break
      case 10:
        r.expect(VARINT, wire, 'flags')
        out.flags = r.varint()
        break
      case 11:
        r.expect(I64, wire, 'min')
        out.min = r.double()
        break
      case 12:
        r.expect(I64, wire, 'max')
        out.max = r.double()
        break
      default:
        r.skip(wire)
    }
  }
  return out
}

/** Counts the data points of an exponential histogram or summary without decoding them. */
function countPoints(r: Reader): unknown[] {
  const points: unknown[] = []
  while (r.pos < r.end) {
    const [field, wire] = r.tag()
    if (field === 1) {
      r.expect(LEN, wire, 'data_points')
      points.push(undefined)
    }
    r.skip(wire)
  }
  return points
}

function metric(r: Reader): OtlpMetric {
  const out: OtlpMetric = {}
  while (r.pos < r.end) {
    const [field, wire] = r.tag()
    switch (field) {
      case 1:
        r.expect(LEN, wire, 'name')
        out.name = r.string()
        break
      case 2:
        r.expect(LEN, wire, 'description')
        out.description = r.string()
        break
      case 3:
        r.expect(LEN, wire, 'unit')
        out.unit = r.string()
        break
      case 5:
      case 7:
      case 9: {
        const name = field === 5 ? 'gauge' : field === 7 ? 'sum' : 'histogram'
        r.expect(LEN, wire, name)
        const inner = r.child(`${r.path}.${name}`)
        const data: NonNullable<OtlpMetric['sum']> = { dataPoints: [] }
        while (inner.pos < inner.end) {
          const [f, w] = inner.tag()
          if (f === 1) {
            inner.expect(LEN, w, 'data_points')
            const child = inner.child(`${inner.path}.dataPoints[${data.dataPoints!.length}]`)
            data.dataPoints!.push(field === 9 ? histogramPoint(child) : numberPoint(child))
          } else if (f === 2 && field !== 5) {
            inner.expect(VARINT, w, 'aggregation_temporality')
            data.aggregationTemporality = inner.varint()
          } else if (f === 3 && field === 7) {
            inner.expect(VARINT, w, 'is_monotonic')
            data.isMonotonic = inner.varint() !== 0
          } else inner.skip(w)
        }
        out[name] = data
        break
      }
      case 10:
      case 11: {
        const name = field === 10 ? 'exponentialHistogram' : 'summary'
        r.expect(LEN, wire, name)
        out[name] = { dataPoints: countPoints(r.child(`${r.path}.${name}`)) }
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
  const root = new Reader(body, 0, body.length, 'ExportMetricsServiceRequest')
  const resourceMetrics: NonNullable<OtlpMetricsRequest['resourceMetrics']> = []
  while (root.pos < root.end) {
    const [field, wire] = root.tag()
    if (field !== 1) {
      root.skip(wire)
      continue
    }
    root.expect(LEN, wire, 'resource_metrics')
    const rm = root.child(`resourceMetrics[${resourceMetrics.length}]`)
    const entry: NonNullable<OtlpMetricsRequest['resourceMetrics']>[number] = {
      scopeMetrics: [],
    }
    while (rm.pos < rm.end) {
      const [f, w] = rm.tag()
      if (f === 1) {
        rm.expect(LEN, w, 'resource')
        const res = rm.child(`${rm.path}.resource`)
        const attributes: OtlpKeyValue[] = []
        while (res.pos < res.end) {
          const [rf, rw] = res.tag()
          if (rf === 1) attributeList(res, attributes, 'attributes', rw)
          else res.skip(rw)
        }
        entry.resource = { attributes }
      } else if (f === 2) {
        rm.expect(LEN, w, 'scope_metrics')
        const sm = rm.child(`${rm.path}.scopeMetrics[${entry.scopeMetrics!.length}]`)
        const scope: { name?: string; version?: string } = {}
        const metrics: OtlpMetric[] = []
        while (sm.pos < sm.end) {
          const [sf, sw] = sm.tag()
          if (sf === 1) {
            sm.expect(LEN, sw, 'scope')
            const sc = sm.child(`${sm.path}.scope`)
            while (sc.pos < sc.end) {
              const [cf, cw] = sc.tag()
              if (cf === 1 || cf === 2) {
                sc.expect(LEN, cw, cf === 1 ? 'name' : 'version')
                scope[cf === 1 ? 'name' : 'version'] = sc.string()
              } else sc.skip(cw)
            }
          } else if (sf === 2) {
            sm.expect(LEN, sw, 'metrics')
            metrics.push(metric(sm.child(`${sm.path}.metrics[${metrics.length}]`)))
          } else sm.skip(sw)
        }
        entry.scopeMetrics!.push({ scope, metrics })
      } else rm.skip(w)
    }
    resourceMetrics.push(entry)
  }
  return { resourceMetrics }
}

function varintBytes(value: number): number[] {
  const out: number[] = []
  while (value >= 0x80) {
    out.push((value % 0x80) | 0x80)
    value = Math.floor(value / 0x80)
  }
  out.push(value)
  return out
}

/**
 * Encodes an `ExportMetricsServiceResponse`: empty for full success, else `partial_success` with
 * `rejected_data_points` and `error_message`.
 */
export function encodeMetricsResponse(rejected: number, message: string): Uint8Array {
  if (rejected === 0 && message === '') return new Uint8Array(0)
  const text = Buffer.from(message, 'utf8')
  const inner = [
    ...(rejected > 0 ? [0x08, ...varintBytes(rejected)] : []),
    ...(text.length > 0 ? [0x12, ...varintBytes(text.length)] : []),
  ]
  const innerLength = inner.length + text.length
  return Buffer.concat([Buffer.from([0x0a, ...varintBytes(innerLength), ...inner]), text])
}
