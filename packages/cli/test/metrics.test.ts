import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { ValueType } from '@opentelemetry/api'
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto'
import { ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer'
import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  AggregationTemporality,
  AggregationType,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics'
import {
  createTracer,
  type MetricExporter,
  type MetricsSnapshot,
  otlpMetricsExporter,
} from '@tokentrail/core'
import { DURATION_BUCKETS, TOKEN_BUCKETS } from '@tokentrail/core/metrics'
import { encodeOtlpMetrics } from '@tokentrail/core/otlp'
import { describe, expect, it } from 'vitest'
import { type Collector, type CollectorOptions, startCollector } from '../src/index.js'
import type { MetricSeries } from '../src/store/metric-store.js'
import type { MetricsSummary } from '../src/store/metrics-summary.js'
import { onCleanup, tempDir } from './helpers.js'
import { bucketOf, CALLS, type KnownCall, recordCalls } from './metrics-helpers.js'

async function collector(options: CollectorOptions = {}): Promise<Collector> {
  const c = await startCollector({ port: 0, db: join(tempDir(), 'traces.db'), ...options })
  onCleanup(() => c.close())
  return c
}

async function post(c: Collector, body: BodyInit, headers: Record<string, string>) {
  const response = await fetch(`${c.url}/v1/metrics`, { method: 'POST', body, headers })
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    body: new Uint8Array(await response.arrayBuffer()),
  }
}

const JSON_TYPE = { 'content-type': 'application/json' }
const text = (body: Uint8Array) => new TextDecoder().decode(body)

async function series(c: Collector, query = ''): Promise<MetricSeries[]> {
  return (
    (await (await fetch(`${c.url}/api/metrics?${query}`)).json()) as { series: MetricSeries[] }
  ).series
}

async function summary(c: Collector): Promise<MetricsSummary> {
  return ((await (await fetch(`${c.url}/api/stats`)).json()) as { metrics: MetricsSummary }).metrics
}

function find(list: MetricSeries[], name: string, attributes: Record<string, unknown> = {}) {
  return list.filter(
    (s) => s.name === name && Object.entries(attributes).every(([k, v]) => s.attributes[k] === v),
  )
}

/** Expected count, sum and bucket counts of a histogram over `values`. */
function histogram(values: number[], bounds: readonly number[]) {
  const bucketCounts = new Array(bounds.length + 1).fill(0)
  for (const v of values) bucketCounts[bucketOf(v, bounds)]++
  return { count: values.length, sum: values.reduce((n, v) => n + v, 0), bucketCounts }
}

/** A metric exporter that keeps each snapshot core's real tracer hands it. */
function capturing(): MetricExporter & { snapshots: MetricsSnapshot[] } {
  const snapshots: MetricsSnapshot[] = []
  return {
    name: 'capture',
    snapshots,
    async export(snapshot) {
      snapshots.push(snapshot)
      return { code: 'success' }
    },
  }
}

const gpt4o = (calls: readonly KnownCall[]) => calls.filter((c) => c.model === 'gpt-4o')

describe('collector /v1/metrics', () => {
  it('stores exactly what core’s tracer and otlpMetricsExporter send, and summarizes it by model', async () => {
    const c = await collector()
    const tracer = createTracer({
      serviceName: 'chat-api',
      exporters: [],
      metrics: { exporters: [otlpMetricsExporter({ url: `${c.url}/v1/metrics` })] },
    })
    recordCalls(tracer, CALLS)
    await tracer.flush()
    expect(tracer.stats().metrics).toEqual({ exports: 1, failures: 0 })

    const stored = await series(c)
    expect(new Set(stored.map((s) => s.service))).toEqual(new Set(['chat-api']))
    const calls = gpt4o(CALLS)
    const [input] = find(stored, 'gen_ai.client.token.usage', {
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.token.type': 'input',
    })
    expect(input).toMatchObject({
      type: 'histogram',
      temporality: 'cumulative',
      unit: '{token}',
      bounds: TOKEN_BUCKETS,
      runs: 1,
      ...histogram(
        calls.map((call) => call.input),
        TOKEN_BUCKETS,
      ),
    })
    const [ok] = find(stored, 'gen_ai.client.operation.duration', {
      'gen_ai.request.model': 'gpt-4o',
    }).filter((s) => s.attributes['error.type'] === undefined)
    const okDurations = calls.filter((call) => !call.fail).map((call) => call.ms / 1000)
    const expected = histogram(okDurations, DURATION_BUCKETS)
    expect(ok).toMatchObject({ count: expected.count, bucketCounts: expected.bucketCounts })
    expect(ok!.sum).toBeCloseTo(expected.sum, 9)
    expect(ok!.min).toBeCloseTo(Math.min(...okDurations), 9)
    expect(ok!.max).toBeCloseTo(Math.max(...okDurations), 9)
    const [failed] = find(stored, 'gen_ai.client.operation.duration', {
      'gen_ai.request.model': 'gpt-4o',
    }).filter((s) => s.attributes['error.type'] !== undefined)
    expect(failed).toMatchObject({ count: 1, attributes: { 'error.type': 'RateLimit' } })
    expect(find(stored, 'tokentrail.llm.calls', { 'gen_ai.request.model': 'gpt-4o' })).toEqual([
      expect.objectContaining({ type: 'sum', monotonic: true, value: 4 }),
    ])

    const metrics = await summary(c)
    expect(metrics.services).toEqual(['chat-api'])
    const [model4o, mini] = metrics.models
    expect(model4o).toMatchObject({
      model: 'gpt-4o',
      calls: 4,
      errors: 1,
      errorRate: 0.25,
      tokens: {
        input: calls.reduce((n, call) => n + call.input, 0),
        output: calls.reduce((n, call) => n + call.output, 0),
      },
    })
    expect(model4o!.costUsd).toBeCloseTo(0.016, 9)
    // Durations 50, 120, 400, 2500 ms: the median lies in the (80, 160] ms bucket, p95 in (1280, 2500].
    expect(model4o!.durationMs.p50).toBeGreaterThan(80)
    expect(model4o!.durationMs.p50).toBeLessThanOrEqual(160)
    expect(model4o!.durationMs.p95).toBeGreaterThan(1280)
    expect(model4o!.durationMs.p95).toBeLessThanOrEqual(2500)
    // TTFT 15, 90, 700 ms: the median in the (80, 160] bucket.
    expect(model4o!.ttftMs.p50).toBeGreaterThan(80)
    expect(model4o!.ttftMs.p50).toBeLessThanOrEqual(160)
    // One call in one bucket: min and max close the bucket, so the estimate is the value itself.
    expect(mini).toMatchObject({ model: 'mini', calls: 1, errors: 0 })
    expect(mini!.durationMs.p50).toBeCloseTo(30, 6)
    expect(metrics.tools).toEqual([
      expect.objectContaining({ tool: 'weather', calls: CALLS.length, errors: 0 }),
    ])

    // Cumulative: the next export carries the totals, which replace (not add to) the stored ones.
    recordCalls(tracer, calls.slice(0, 2))
    await tracer.flush()
    const again = (await summary(c)).models[0]!
    expect(again).toMatchObject({ model: 'gpt-4o', calls: 6, errors: 1 })
    expect(again.tokens.input).toBe(5064 + 5012)
    expect(c.stats()).toMatchObject({ metricPointsRejected: 0, staleMetricPoints: 0, rejected: {} })
    expect(c.stats().metricPointsStored).toBe(c.stats().metricPointsReceived)
  })

  it('keeps the newest cumulative point, ignores a late older one, and adds up a restarted producer’s runs', async () => {
    const c = await collector()
    const runA = capturing()
    const a = createTracer({
      serviceName: 'chat-api',
      exporters: [],
      metrics: { exporters: [runA] },
    })
    recordCalls(a, CALLS.slice(0, 2))
    await a.flush()
    recordCalls(a, CALLS.slice(2, 3))
    await a.flush()
    const [a1, a2] = runA.snapshots.map(encodeOtlpMetrics)
    expect((await post(c, a2!, JSON_TYPE)).status).toBe(200)
    // A retried older export arriving late must not roll the totals back.
    expect((await post(c, a1!, JSON_TYPE)).status).toBe(200)
    expect(c.stats().staleMetricPoints).toBeGreaterThan(0)
    expect((await summary(c)).models[0]).toMatchObject({ model: 'gpt-4o', calls: 3 })
    // The same export twice (a retry) counts once.
    expect((await post(c, a2!, JSON_TYPE)).status).toBe(200)
    expect((await summary(c)).models[0]).toMatchObject({ calls: 3 })

    // The process restarts: a new tracer starts its totals at zero with a new start time.
    await new Promise((resolve) => setTimeout(resolve, 5))
    const runB = capturing()
    const b = createTracer({
      serviceName: 'chat-api',
      exporters: [],
      metrics: { exporters: [runB] },
    })
    recordCalls(b, CALLS.slice(0, 1))
    await b.flush()
    expect(runB.snapshots[0]!.startTime).not.toBe(runA.snapshots[0]!.startTime)
    expect((await post(c, encodeOtlpMetrics(runB.snapshots[0]!), JSON_TYPE)).status).toBe(200)
    const after = (await summary(c)).models[0]!
    expect(after).toMatchObject({ model: 'gpt-4o', calls: 4 })
    expect(after.tokens.input).toBe(12 + 5000 + 12 + 12)
    const [calls] = find(await series(c), 'tokentrail.llm.calls', {
      'gen_ai.request.model': 'gpt-4o',
    })
    expect(calls).toMatchObject({ runs: 2, value: 4 })
  })

  it('receives protobuf from the OpenTelemetry SDK’s OTLP metric exporter, cumulative and delta', async () => {
    const c = await collector()
    const send = async (temporality: AggregationTemporality, service: string) => {
      const reader = new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter({
          url: `${c.url}/v1/metrics`,
          temporalityPreference: temporality as never,
        }) as never,
        exportIntervalMillis: 3_600_000,
      })
      const provider = new MeterProvider({
        resource: resourceFromAttributes({ 'service.name': service }) as never,
        readers: [reader],
        views: [
          {
            instrumentName: 'queue.wait',
            aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM },
          },
        ],
      })
      const meter = provider.getMeter('otel-test')
      const requests = meter.createCounter('gen_ai.requests', { valueType: ValueType.INT })
      const duration = meter.createHistogram('gen_ai.client.operation.duration', {
        unit: 's',
        advice: { explicitBucketBoundaries: DURATION_BUCKETS },
      })
      const wait = meter.createHistogram('queue.wait')
      const attributes = { 'gen_ai.request.model': 'gpt-4o', 'gen_ai.operation.name': 'chat' }
      requests.add(2, attributes)
      duration.record(0.3, attributes)
      wait.record(5)
      await provider.forceFlush()
      requests.add(3, attributes)
      duration.record(1.5, attributes)
      wait.record(7)
      await provider.forceFlush()
      await provider.shutdown()
    }
    await send(AggregationTemporality.CUMULATIVE, 'otel-cumulative')
    await send(AggregationTemporality.DELTA, 'otel-delta')
    for (const service of ['otel-cumulative', 'otel-delta']) {
      const stored = await series(c, `service=${service}`)
      expect(find(stored, 'gen_ai.requests'), service).toEqual([
        expect.objectContaining({ value: 5, type: 'sum' }),
      ])
      const [duration] = find(stored, 'gen_ai.client.operation.duration')
      expect(duration, service).toMatchObject({
        min: 0.3,
        max: 1.5,
        ...histogram([0.3, 1.5], DURATION_BUCKETS),
      })
      expect(find(stored, 'queue.wait'), service).toEqual([])
    }
    expect((await series(c, 'service=otel-delta'))[0]!.temporality).toBe('delta')
    // Exponential histogram points (one per export, shutdown included) are answered as rejected
    // in a partial success: every point received is accounted for.
    const stats = c.stats()
    expect(stats.metricPointsRejected).toBeGreaterThanOrEqual(4)
    expect(stats.metricPointsReceived).toBe(
      stats.metricPointsStored + stats.metricPointsRejected + stats.staleMetricPoints,
    )
    // Other SDKs send no call counter: the duration histogram's count stands in for calls.
    const models = (await summary(c)).models
    expect(models).toEqual([expect.objectContaining({ model: 'gpt-4o', calls: 4, errors: 0 })])
  })

  it('answers a partial success for points it does not keep, in JSON and protobuf', async () => {
    const c = await collector()
    const body = (value: string) => ({
      resourceMetrics: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
          scopeMetrics: [
            {
              metrics: [
                {
                  name: 'temperature',
                  gauge: {
                    dataPoints: [
                      { timeUnixNano: '1700000000000000000', asDouble: value },
                      { timeUnixNano: '1700000000000000000', asDouble: 21.5, attributes: [] },
                    ],
                  },
                },
                { name: 'latency', summary: { dataPoints: [{}, {}] } },
              ],
            },
          ],
        },
      ],
    })
    const answer = await post(c, JSON.stringify(body('NaN')), JSON_TYPE)
    expect(answer.status).toBe(200)
    expect(JSON.parse(text(answer.body))).toEqual({
      partialSuccess: {
        rejectedDataPoints: '3',
        errorMessage:
          '1 points with a non-finite value are not stored; 2 summary points are not stored',
      },
    })
    expect(find(await series(c), 'temperature')).toEqual([
      expect.objectContaining({ type: 'gauge', value: 21.5 }),
    ])
    // The same answer as an ExportMetricsServiceResponse, read by OpenTelemetry's own deserializer.
    const created = await fetch(`${c.url}/v1/metrics`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: new Uint8Array(
        ProtobufMetricsSerializer.serializeRequest(await sdkGaugeWithExponential())!,
      ),
    })
    expect(created.status).toBe(200)
    const response = ProtobufMetricsSerializer.deserializeResponse(
      new Uint8Array(await created.arrayBuffer()),
    )
    expect(Number(response.partialSuccess?.rejectedDataPoints)).toBe(1)
    expect(response.partialSuccess?.errorMessage).toBe(
      '1 exponentialHistogram points are not stored',
    )
  })

  it('rejects bad input whole with 400 naming the field, 415, 413 and 401, storing nothing', async () => {
    const c = await collector({ maxBodyBytes: 32 * 1024, token: 'metrics-token-1' })
    const auth = { ...JSON_TYPE, authorization: 'Bearer metrics-token-1' }
    const exporter = capturing()
    const tracer = createTracer({
      serviceName: 'x',
      exporters: [],
      metrics: { exporters: [exporter] },
    })
    recordCalls(tracer, CALLS)
    await tracer.flush()
    const good = encodeOtlpMetrics(exporter.snapshots[0]!)
    const parsed = () => JSON.parse(good)
    const histogramPoint = (request: any) =>
      request.resourceMetrics[0].scopeMetrics[0].metrics.find((m: any) => m.histogram).histogram
        .dataPoints[0]
    const cases: [string, BodyInit, Record<string, string>, number, RegExp][] = [
      ['no token', good, JSON_TYPE, 401, /missing or wrong token/],
      ['malformed JSON', '{"resourceMetrics": [', auth, 400, /not valid JSON/],
      [
        'bucket counts that do not match the bounds',
        JSON.stringify(
          (() => {
            const request = parsed()
            histogramPoint(request).bucketCounts.pop()
            return request
          })(),
        ),
        auth,
        400,
        /resourceMetrics\[0\]\.scopeMetrics\[0\]\.metrics\[0\]\.histogram\.dataPoints\[0\]\.bucketCounts: expected 15 counts for 14 explicitBounds, got 14/,
      ],
      [
        'a count that is not the sum of the buckets',
        JSON.stringify(
          (() => {
            const request = parsed()
            histogramPoint(request).count = '999'
            return request
          })(),
        ),
        auth,
        400,
        /dataPoints\[0\]\.count: is 999 but bucketCounts add up to \d+/,
      ],
      [
        'a metric without data',
        JSON.stringify({
          resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'x' }] }] }],
        }),
        auth,
        400,
        /metrics\[0\]: expected one of gauge, sum, histogram/,
      ],
      [
        'a bad timestamp',
        good.replace(/"timeUnixNano":"\d+"/, '"timeUnixNano":"soon"'),
        auth,
        400,
        /timeUnixNano: expected nanoseconds as a decimal string of at most 20 digits, got "soon"/,
      ],
      ['wrong content type', good, { ...auth, 'content-type': 'text/plain' }, 415, /\/v1\/metrics/],
      ['oversized body', 'x'.repeat(33 * 1024), auth, 413, /over the 32768-byte limit/],
      [
        'gzip bomb',
        gzipSync(Buffer.alloc(1024 * 1024, 32)),
        { ...auth, 'content-encoding': 'gzip' },
        413,
        /decompressed body is over/,
      ],
    ]
    for (const [name, body, headers, status, message] of cases) {
      const answer = await post(c, body, headers)
      expect(answer.status, name).toBe(status)
      expect(JSON.parse(text(answer.body)).message, name).toMatch(message)
    }
    // Protobuf errors come back as google.rpc.Status: code 3 (INVALID_ARGUMENT) and the message.
    const bad = await post(c, new Uint8Array([0x0a, 0x05, 0x01]), {
      ...auth,
      'content-type': 'application/x-protobuf',
    })
    expect(bad).toMatchObject({ status: 400, type: 'application/x-protobuf' })
    expect([bad.body[0], bad.body[1]]).toEqual([0x08, 3])
    expect(text(bad.body.subarray(4))).toMatch(/ExportMetricsServiceRequest.*runs past the end/)
    expect(c.store.metrics.count).toBe(0)
    expect(c.stats()).toMatchObject({
      metricPointsReceived: 0,
      rejected: { 400: 6, 401: 1, 413: 2, 415: 1 },
    })
    // Still serving, and core's exporter passes the token as a header.
    const withToken = createTracer({
      serviceName: 'chat-api',
      exporters: [],
      metrics: {
        exporters: [
          otlpMetricsExporter({
            url: `${c.url}/v1/metrics`,
            headers: { authorization: 'Bearer metrics-token-1' },
          }),
        ],
      },
    })
    recordCalls(withToken, CALLS.slice(0, 1))
    await withToken.flush()
    expect(withToken.stats().metrics).toEqual({ exports: 1, failures: 0 })
    expect(c.store.metrics.count).toBeGreaterThan(0)
    expect((await fetch(`${c.url}/api/metrics`)).status).toBe(401)
  })
})

/** A gauge and an exponential histogram collected by the OpenTelemetry SDK. */
async function sdkGaugeWithExponential() {
  const { MetricReader } = await import('@opentelemetry/sdk-metrics')
  class Reader extends MetricReader {
    protected async onForceFlush() {}
    protected async onShutdown() {}
  }
  const reader = new Reader()
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': 'sdk' }) as never,
    readers: [reader],
    views: [
      { instrumentName: 'exp', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } },
    ],
  })
  const meter = provider.getMeter('m')
  meter.createGauge('queue.depth').record(3)
  meter.createHistogram('exp').record(2)
  return (await reader.collect()).resourceMetrics
}
