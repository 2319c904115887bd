import type { MetricsSnapshot } from '../metrics.js'
import type { Attributes, AttributeValue } from '../types.js'
import { msToNanos, SCOPE_NAME, SCOPE_VERSION } from './otlp-json.js'

function anyValue(value: AttributeValue): unknown {
  switch (typeof value) {
    case 'string':
      return { stringValue: value }
    case 'boolean':
      return { boolValue: value }
    case 'number':
      return Number.isSafeInteger(value) ? { intValue: String(value) } : { doubleValue: value }
  }
  return { arrayValue: { values: value.map((v) => anyValue(v as AttributeValue)) } }
}

function keyValues(attributes: Attributes) {
  return Object.entries(attributes).map(([key, value]) => ({ key, value: anyValue(value) }))
}

const CUMULATIVE = 2

/** Encodes a metrics snapshot as an OTLP/HTTP JSON `ExportMetricsServiceRequest` body (cumulative). */
export function encodeOtlpMetrics(snapshot: MetricsSnapshot): string {
  const startTimeUnixNano = msToNanos(snapshot.startTime)
  const timeUnixNano = msToNanos(snapshot.time)
  const metrics = snapshot.metrics.map((metric) => {
    const common = { name: metric.name, description: metric.description, unit: metric.unit }
    if (metric.type === 'histogram') {
      return {
        ...common,
        histogram: {
          aggregationTemporality: CUMULATIVE,
          dataPoints: metric.points.map((p) => ({
            attributes: keyValues(p.attributes),
            startTimeUnixNano,
            timeUnixNano,
            count: String(p.count),
            sum: p.sum,
            min: p.min,
            max: p.max,
            bucketCounts: p.bucketCounts.map(String),
            explicitBounds: metric.boundaries,
          })),
        },
      }
    }
    return {
      ...common,
      sum: {
        aggregationTemporality: CUMULATIVE,
        isMonotonic: metric.isMonotonic !== false,
        dataPoints: metric.points.map((p) => ({
          attributes: keyValues(p.attributes),
          startTimeUnixNano,
          timeUnixNano,
          ...(metric.isInteger ? { asInt: String(p.value) } : { asDouble: p.value }),
        })),
      },
    }
  })
  return JSON.stringify({
    resourceMetrics: [
      {
        resource: {
          attributes: keyValues({
            'service.name': snapshot.resource.serviceName,
            ...snapshot.resource.attributes,
          }),
          droppedAttributesCount: 0,
        },
        scopeMetrics: [{ scope: { name: SCOPE_NAME, version: SCOPE_VERSION }, metrics }],
      },
    ],
  })
}
