import { ValueType } from '@opentelemetry/api'
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics'
import { createTracer, type MetricsSnapshot } from '@tokentrail/core'
import { encodeOtlpMetrics } from '@tokentrail/core/otlp'
import { describe, expect, it } from 'vitest'
import { otlpToMetricPoints } from '../src/otlp/otlp-metrics-decode.js'
import { decodeOtlpMetricsProtobuf } from '../src/otlp/otlp-metrics-protobuf.js'
import { histogramQuantile } from '../src/store/metrics-summary.js'
import { CALLS, recordCalls } from './metrics-helpers.js'

class CollectingReader extends MetricReader {
  protected async onForceFlush() {}
  protected async onShutdown() {}
}

async function sdkMetrics() {
  const reader = new CollectingReader()
  const provider = new MeterProvider({
    resource: resourceFromAttributes({
      'service.name': 'otel-app',
      'deployment.environment': 'test',
      api_key: 'sk-proj-abcdefghijklmnopqrstuvwx',
    }) as never,
    readers: [reader],
  })
  const meter = provider.getMeter('scope-a', '1.0.0')
  const attributes = { 'gen_ai.request.model': 'gpt-4o', 'gen_ai.token.type': 'input' }
  const tokens = meter.createHistogram('gen_ai.client.token.usage', {
    unit: '{token}',
    advice: { explicitBucketBoundaries: [1, 4, 16, 64, 256] },
  })
  for (const value of [3, 10, 10, 300]) tokens.record(value, attributes)
  meter.createCounter('calls', { valueType: ValueType.INT }).add(7, { route: '/chat' })
  meter.createCounter('cost', { unit: 'USD' }).add(0.25)
  meter.createUpDownCounter('in_flight', { valueType: ValueType.INT }).add(-2)
  meter.createGauge('queue.depth').record(4.5, { queue: 'a' })
  return (await reader.collect()).resourceMetrics
}

describe('OTLP metrics decoding', () => {
  it('reads the same points from the official JSON and protobuf serializers', async () => {
    const data = await sdkMetrics()
    const json = otlpToMetricPoints(
      JSON.parse(new TextDecoder().decode(JsonMetricsSerializer.serializeRequest(data))),
    )
    const proto = otlpToMetricPoints(
      decodeOtlpMetricsProtobuf(ProtobufMetricsSerializer.serializeRequest(data)!),
    )
    expect(proto).toEqual(json)
    expect(json.rejected).toBe(0)
    const byName = Object.fromEntries(json.points.map((p) => [p.name, p]))
    expect(byName['gen_ai.client.token.usage']).toMatchObject({
      service: 'otel-app',
      resource: { 'deployment.environment': 'test', api_key: '[REDACTED]' },
      scope: 'scope-a',
      type: 'histogram',
      temporality: 'cumulative',
      monotonic: true,
      unit: '{token}',
      attributes: { 'gen_ai.request.model': 'gpt-4o', 'gen_ai.token.type': 'input' },
      count: 4,
      sum: 323,
      min: 3,
      max: 300,
      bounds: [1, 4, 16, 64, 256],
      bucketCounts: [0, 1, 2, 0, 0, 1],
    })
    expect(byName.calls).toMatchObject({ type: 'sum', monotonic: true, value: 7 })
    expect(byName.cost).toMatchObject({ type: 'sum', unit: 'USD', value: 0.25 })
    expect(byName.in_flight).toMatchObject({ type: 'sum', monotonic: false, value: -2 })
    expect(byName['queue.depth']).toMatchObject({
      type: 'gauge',
      temporality: 'unspecified',
      value: 4.5,
      attributes: { queue: 'a' },
    })
    expect(byName.calls!.startTime).toBeGreaterThan(1.7e12)
    expect(byName.calls!.time).toBeGreaterThanOrEqual(byName.calls!.startTime)
  })

  it('reads core’s encoder output back to the numbers core aggregated', async () => {
    let snapshot: MetricsSnapshot | undefined
    const tracer = createTracer({
      serviceName: 'chat-api',
      exporters: [],
      metrics: {
        exporters: [
          {
            name: 'keep',
            async export(s) {
              snapshot = s
              return { code: 'success' }
            },
          },
        ],
      },
    })
    recordCalls(tracer, CALLS)
    await tracer.flush()
    const { points } = otlpToMetricPoints(JSON.parse(encodeOtlpMetrics(snapshot!)))
    const flat = snapshot!.metrics.flatMap((m) => m.points.map((p) => ({ name: m.name, p })))
    expect(points).toHaveLength(flat.length)
    for (const { name, p } of flat) {
      const found = points.find(
        (q) => q.name === name && JSON.stringify(q.attributes) === JSON.stringify(p.attributes),
      )
      expect(found, name).toBeDefined()
      if ('bucketCounts' in p)
        expect(found).toMatchObject({ count: p.count, sum: p.sum, bucketCounts: p.bucketCounts })
      else expect(found!.value).toBe(p.value)
      expect(found!.startTime).toBeCloseTo(snapshot!.startTime, 3)
    }
  })

  it('names the field of malformed input', () => {
    const point = (extra: Record<string, unknown>) => ({
      resourceMetrics: [
        {
          scopeMetrics: [
            {
              metrics: [
                {
                  name: 'h',
                  histogram: {
                    aggregationTemporality: 2,
                    dataPoints: [
                      {
                        timeUnixNano: '2000',
                        count: '1',
                        bucketCounts: ['0', '1'],
                        explicitBounds: [1],
                        ...extra,
                      },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
    })
    const path = 'resourceMetrics[0].scopeMetrics[0].metrics[0].histogram.dataPoints[0]'
    expect(() => otlpToMetricPoints(point({ explicitBounds: [2, 1] }))).toThrow(
      `${path}.explicitBounds[1]: bounds must be finite and increasing`,
    )
    expect(() => otlpToMetricPoints(point({ startTimeUnixNano: '3000' }))).toThrow(
      `${path}.startTimeUnixNano: is after timeUnixNano`,
    )
    expect(() => otlpToMetricPoints(point({ count: -1 }))).toThrow(
      `${path}.count: expected a whole number ≥ 0, got -1`,
    )
    expect(() => otlpToMetricPoints(point({ timeUnixNano: undefined }))).toThrow(
      `${path}.timeUnixNano: is required`,
    )
    expect(() => otlpToMetricPoints({ resourceMetrics: {} })).toThrow(
      'resourceMetrics: expected an array',
    )
    expect(() =>
      otlpToMetricPoints({
        resourceMetrics: [
          { scopeMetrics: [{ metrics: [{ name: 's', sum: { aggregationTemporality: 7 } }] }] },
        ],
      }),
    ).toThrow('metrics[0].sum.aggregationTemporality: expected 1 (delta) or 2 (cumulative), got 7')
    // A point flagged "no recorded value" is a staleness marker, not data.
    expect(otlpToMetricPoints(point({ flags: 1 })).points).toEqual([])
  })
})

describe('histogramQuantile', () => {
  const bounds = [10, 20, 40]
  it('interpolates inside the bucket that holds the rank', () => {
    // 10 values in (10, 20]: the median is half-way through that bucket.
    expect(histogramQuantile(0.5, bounds, [0, 10, 0, 0])).toBe(15)
    expect(histogramQuantile(0.95, bounds, [0, 10, 0, 0])).toBe(19.5)
    // 4 below 10, 4 in (10, 20], 2 in (20, 40]: p50 = rank 5, the first of the second bucket.
    expect(histogramQuantile(0.5, bounds, [4, 4, 2, 0])).toBe(12.5)
    expect(histogramQuantile(0.9, bounds, [4, 4, 2, 0])).toBe(30)
  })

  it('closes the first and the overflow bucket with the recorded min and max', () => {
    expect(histogramQuantile(0.5, bounds, [2, 0, 0, 0], 4, 6)).toBe(5)
    expect(histogramQuantile(0.5, bounds, [0, 0, 0, 2], 50, 70)).toBe(60)
    expect(histogramQuantile(1, bounds, [0, 0, 0, 2], 50, 70)).toBe(70)
    // Without a max the overflow bucket can only say "at least the last bound".
    expect(histogramQuantile(0.5, bounds, [0, 0, 0, 2])).toBe(40)
    expect(histogramQuantile(0.5, bounds, [0, 0, 0, 0])).toBeNull()
  })
})
