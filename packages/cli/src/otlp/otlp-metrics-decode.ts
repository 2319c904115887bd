import type { Attributes } from '@tokentrail/core'
import {
  fail,
  isObject,
  list,
  nanosToMs,
  type OtlpKeyValue,
  readAttributes,
  readResource,
} from './otlp-decode.js'

/** An OTLP `NumberDataPoint` or `HistogramDataPoint`, as OTLP/JSON writes it or the protobuf decoder returns it. */
export interface OtlpDataPoint {
  attributes?: OtlpKeyValue[]
  startTimeUnixNano?: string | number | bigint
  timeUnixNano?: string | number | bigint
  asInt?: string | number | bigint
  asDouble?: number | string
  count?: string | number | bigint
  sum?: number | string
  min?: number | string
  max?: number | string
  bucketCounts?: (string | number | bigint)[]
  explicitBounds?: (number | string)[]
  flags?: number
}

/** An OTLP `Metric`. */
export interface OtlpMetric {
  name?: string
  description?: string
  unit?: string
  gauge?: { dataPoints?: OtlpDataPoint[] }
  sum?: {
    dataPoints?: OtlpDataPoint[]
    aggregationTemporality?: number | string
    isMonotonic?: boolean
  }
  histogram?: { dataPoints?: OtlpDataPoint[]; aggregationTemporality?: number | string }
  exponentialHistogram?: { dataPoints?: unknown[] }
  summary?: { dataPoints?: unknown[] }
}

/** An OTLP `ExportMetricsServiceRequest` in its JSON shape. */
export interface OtlpMetricsRequest {
  resourceMetrics?: {
    resource?: { attributes?: OtlpKeyValue[] }
    scopeMetrics?: { scope?: { name?: string; version?: string }; metrics?: OtlpMetric[] }[]
  }[]
}

/** One data point as the collector stores it: what the point says plus the metric it belongs to. */
export interface MetricPoint {
  service: string
  /** Resource attributes other than `service.name`. */
  resource: Attributes
  scope: string
  name: string
  description: string
  unit: string
  type: 'sum' | 'gauge' | 'histogram'
  temporality: 'cumulative' | 'delta' | 'unspecified'
  monotonic: boolean
  attributes: Attributes
  /** Epoch milliseconds; 0 when the sender gave none. */
  startTime: number
  time: number
  /** Sums and gauges. */
  value?: number
  /** Histograms. */
  count?: number
  sum?: number
  min?: number
  max?: number
  bucketCounts?: number[]
  bounds?: number[]
}

/** Points read from a request, and those left out with the reason (OTLP partial success). */
export interface DecodedMetrics {
  points: MetricPoint[]
  rejected: number
  reasons: string[]
}

const TEMPORALITY: Record<string, MetricPoint['temporality']> = {
  0: 'unspecified',
  1: 'delta',
  2: 'cumulative',
  AGGREGATION_TEMPORALITY_UNSPECIFIED: 'unspecified',
  AGGREGATION_TEMPORALITY_DELTA: 'delta',
  AGGREGATION_TEMPORALITY_CUMULATIVE: 'cumulative',
}

// A point flagged "no recorded value" marks a series that went stale; it carries no data.
const NO_RECORDED_VALUE = 1

/** A non-negative whole number from a uint64 field (decimal string, number or bigint). */
function readCount(value: unknown, path: string): number {
  if (typeof value === 'bigint') {
    if (value < 0n) fail(path, 'must not be negative')
    return Number(value)
  }
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value
  if (typeof value === 'string' && /^\d{1,20}$/.test(value)) return Number(value)
  return fail(path, `expected a whole number ≥ 0, got ${JSON.stringify(value) ?? 'nothing'}`)
}

/** A double: a JSON number, or the proto3 JSON strings `NaN`, `Infinity`, `-Infinity`. */
function readDouble(value: unknown, path: string): number {
  if (typeof value === 'number') return value
  if (value === 'NaN') return Number.NaN
  if (value === 'Infinity') return Number.POSITIVE_INFINITY
  if (value === '-Infinity') return Number.NEGATIVE_INFINITY
  if (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value)))
    return Number(value)
  return fail(path, `expected a number, got ${JSON.stringify(value) ?? 'nothing'}`)
}

function readInt64(value: unknown, path: string): number {
  if (typeof value === 'bigint') return Number(value)
  if (typeof value === 'number' && Number.isInteger(value)) return value
  if (typeof value === 'string' && /^-?\d{1,20}$/.test(value)) return Number(value)
  return fail(path, `expected an integer, got ${JSON.stringify(value) ?? 'nothing'}`)
}

function optionalDouble(value: unknown, path: string): number | undefined {
  // Core writes an unset min/max (Infinity) as null through JSON.stringify.
  if (value === undefined || value === null) return undefined
  return readDouble(value, path)
}

function readTimes(point: OtlpDataPoint, path: string): { startTime: number; time: number } {
  if (point.timeUnixNano === undefined || point.timeUnixNano === null)
    fail(`${path}.timeUnixNano`, 'is required')
  const time = nanosToMs(point.timeUnixNano, `${path}.timeUnixNano`)
  if (time === 0) fail(`${path}.timeUnixNano`, 'must not be 0')
  const startTime =
    point.startTimeUnixNano === undefined || point.startTimeUnixNano === null
      ? 0
      : nanosToMs(point.startTimeUnixNano, `${path}.startTimeUnixNano`)
  if (startTime > time) fail(`${path}.startTimeUnixNano`, 'is after timeUnixNano')
  return { startTime, time }
}

/**
 * Turns an OTLP `ExportMetricsServiceRequest` (the JSON shape, or what `decodeOtlpMetricsProtobuf`
 * returns) into points. A malformed field throws a `TokentrailError` naming it, so the whole
 * request is refused; points the collector does not keep (exponential histograms, summaries,
 * non-finite values) are counted in `rejected` with a reason. Secrets in attributes are redacted.
 */
export function otlpToMetricPoints(request: unknown): DecodedMetrics {
  if (!isObject(request)) fail('body', 'expected an ExportMetricsServiceRequest object')
  const points: MetricPoint[] = []
  const skipped = new Map<string, number>()
  const skip = (reason: string, n = 1) => skipped.set(reason, (skipped.get(reason) ?? 0) + n)
  const resourceMetrics = list<any>(request.resourceMetrics, 'resourceMetrics')
  for (let r = 0; r < resourceMetrics.length; r++) {
    const entry = resourceMetrics[r]
    const rPath = `resourceMetrics[${r}]`
    if (!isObject(entry)) fail(rPath, 'expected an object')
    const resource = readResource(entry.resource, `${rPath}.resource`)
    const scopeMetrics = list<any>(entry.scopeMetrics, `${rPath}.scopeMetrics`)
    for (let s = 0; s < scopeMetrics.length; s++) {
      const scopeEntry = scopeMetrics[s]
      const sPath = `${rPath}.scopeMetrics[${s}]`
      if (!isObject(scopeEntry)) fail(sPath, 'expected an object')
      if (
        scopeEntry.scope !== undefined &&
        scopeEntry.scope !== null &&
        !isObject(scopeEntry.scope)
      )
        fail(`${sPath}.scope`, 'expected an object')
      const scope = typeof scopeEntry.scope?.name === 'string' ? scopeEntry.scope.name : ''
      const metrics = list<any>(scopeEntry.metrics, `${sPath}.metrics`)
      for (let m = 0; m < metrics.length; m++) {
        const metric = metrics[m]
        const mPath = `${sPath}.metrics[${m}]`
        if (!isObject(metric)) fail(mPath, 'expected an object')
        if (typeof metric.name !== 'string' || metric.name === '')
          fail(`${mPath}.name`, 'expected a non-empty string')
        for (const key of ['description', 'unit'] as const)
          if (metric[key] !== undefined && typeof metric[key] !== 'string')
            fail(`${mPath}.${key}`, 'expected a string')
        const base = {
          service: resource.serviceName,
          resource: resource.attributes,
          scope,
          name: metric.name as string,
          description: (metric.description as string | undefined) ?? '',
          unit: (metric.unit as string | undefined) ?? '',
        }
        if (metric.exponentialHistogram !== undefined || metric.summary !== undefined) {
          const kind =
            metric.exponentialHistogram !== undefined ? 'exponentialHistogram' : 'summary'
          const n = list(metric[kind]?.dataPoints, `${mPath}.${kind}.dataPoints`).length
          skip(`${kind} points are not stored`, n)
          continue
        }
        const data = metric.histogram ?? metric.sum ?? metric.gauge
        const type: MetricPoint['type'] | undefined =
          metric.histogram !== undefined
            ? 'histogram'
            : metric.sum !== undefined
              ? 'sum'
              : metric.gauge !== undefined
                ? 'gauge'
                : undefined
        if (!type || !isObject(data))
          fail(mPath, 'expected one of gauge, sum, histogram, exponentialHistogram or summary')
        const temporality =
          type === 'gauge' ? 'unspecified' : TEMPORALITY[String(data.aggregationTemporality ?? 0)]
        if (temporality === undefined)
          fail(
            `${mPath}.${type}.aggregationTemporality`,
            `expected 1 (delta) or 2 (cumulative), got ${JSON.stringify(data.aggregationTemporality)}`,
          )
        if (data.isMonotonic !== undefined && typeof data.isMonotonic !== 'boolean')
          fail(`${mPath}.sum.isMonotonic`, 'expected a boolean')
        const monotonic = type === 'histogram' || data.isMonotonic === true
        const dataPoints = list<OtlpDataPoint>(data.dataPoints, `${mPath}.${type}.dataPoints`)
        for (let p = 0; p < dataPoints.length; p++) {
          const point = dataPoints[p]
          const pPath = `${mPath}.${type}.dataPoints[${p}]`
          if (!isObject(point)) fail(pPath, 'expected an object')
          const attributes = readAttributes(point.attributes, `${pPath}.attributes`)
          const { startTime, time } = readTimes(point, pPath)
          if ((Number(point.flags ?? 0) & NO_RECORDED_VALUE) !== 0) continue
          const out: MetricPoint = {
            ...base,
            type,
            temporality,
            monotonic,
            attributes,
            startTime,
            time,
          }
          if (type === 'histogram') {
            if (point.count === undefined || point.count === null)
              fail(`${pPath}.count`, 'is required')
            out.count = readCount(point.count, `${pPath}.count`)
            const sum = optionalDouble(point.sum, `${pPath}.sum`)
            const min = optionalDouble(point.min, `${pPath}.min`)
            const max = optionalDouble(point.max, `${pPath}.max`)
            const bounds = list<unknown>(point.explicitBounds, `${pPath}.explicitBounds`).map(
              (b, i) => readDouble(b, `${pPath}.explicitBounds[${i}]`),
            )
            for (let i = 0; i < bounds.length; i++)
              if (!Number.isFinite(bounds[i]!) || (i > 0 && bounds[i]! <= bounds[i - 1]!))
                fail(`${pPath}.explicitBounds[${i}]`, 'bounds must be finite and increasing')
            const counts = list<unknown>(point.bucketCounts, `${pPath}.bucketCounts`).map((c, i) =>
              readCount(c, `${pPath}.bucketCounts[${i}]`),
            )
            if (counts.length > 0 && counts.length !== bounds.length + 1)
              fail(
                `${pPath}.bucketCounts`,
                `expected ${bounds.length + 1} counts for ${bounds.length} explicitBounds, got ${counts.length}`,
              )
            const inBuckets = counts.reduce((n, c) => n + c, 0)
            if (counts.length > 0 && inBuckets !== out.count)
              fail(`${pPath}.count`, `is ${out.count} but bucketCounts add up to ${inBuckets}`)
            if ([sum, min, max].some((v) => v !== undefined && !Number.isFinite(v))) {
              skip('points with a non-finite sum, min or max are not stored')
              continue
            }
            if (sum !== undefined) out.sum = sum
            if (min !== undefined) out.min = min
            if (max !== undefined) out.max = max
            out.bucketCounts = counts
            out.bounds = bounds
          } else {
            let value: number
            if (point.asInt !== undefined && point.asInt !== null)
              value = readInt64(point.asInt, `${pPath}.asInt`)
            else if (point.asDouble !== undefined && point.asDouble !== null)
              value = readDouble(point.asDouble, `${pPath}.asDouble`)
            else return fail(pPath, 'expected asInt or asDouble')
            if (!Number.isFinite(value)) {
              skip('points with a non-finite value are not stored')
              continue
            }
            out.value = value
          }
          points.push(out)
        }
      }
    }
  }
  let rejected = 0
  const reasons: string[] = []
  for (const [reason, n] of skipped) {
    rejected += n
    reasons.push(`${n} ${reason}`)
  }
  return { points, rejected, reasons }
}
