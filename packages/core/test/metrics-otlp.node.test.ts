import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { ValueType } from '@opentelemetry/api'
import { JsonMetricsSerializer } from '@opentelemetry/otlp-transformer'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ATTR, createTracer, type MetricsSnapshot } from '../src/index.js'
import { DURATION_BUCKETS, MetricsRecorder, TOKEN_BUCKETS } from '../src/metrics.js'
import { encodeOtlpMetrics } from '../src/otlp.js'

class CollectingReader extends MetricReader {
  protected async onForceFlush() {}
  protected async onShutdown() {}
}

// Comparable form: 64-bit numbers as numbers, no timestamps (each SDK stamps its own), sorted.
function normalize(value: unknown, key?: string): unknown {
  if (Array.isArray(value)) {
    const items = value.map((v) => normalize(v))
    return key === 'metrics' || key === 'dataPoints'
      ? items.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))
      : items
  }
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const k of Object.keys(value).sort()) {
      if (
        [
          'startTimeUnixNano',
          'timeUnixNano',
          'exemplars',
          'flags',
          'droppedAttributesCount',
          'schemaUrl',
        ].includes(k)
      )
        continue
      out[k] = normalize((value as Record<string, unknown>)[k], k)
    }
    return out
  }
  if (['count', 'asInt', 'intValue'].includes(key ?? '')) return Number(value)
  if (key === undefined && typeof value === 'string' && /^\d+$/.test(value)) return Number(value)
  return value
}

const base = {
  'gen_ai.operation.name': 'chat',
  'gen_ai.provider.name': 'openai',
  'gen_ai.request.model': 'gpt-4o',
  'gen_ai.response.model': 'gpt-4o-2024',
}
const calls = [
  { input: 12, output: 300, seconds: 0.4, cost: 0.0031 },
  { input: 5000, output: 20, seconds: 2.5, cost: 0.0127 },
  { input: 12, output: 3, seconds: 0.05, cost: 0.0002 },
]

describe('OTLP metrics JSON', () => {
  it('matches the official OpenTelemetry JS metrics serializer for the same data', async () => {
    // Ours: spans → recorder → snapshot → JSON.
    const recorder = new MetricsRecorder({ serviceName: 'chat-api', attributes: {} })
    for (const call of calls) {
      recorder.record({
        traceId: '0af7651916cd43dd8448eb211c80319c',
        spanId: 'b7ad6b7169203331',
        name: 'chat gpt-4o',
        kind: 'llm',
        startTime: 0,
        endTime: call.seconds * 1000,
        status: 'ok',
        attributes: {
          ...base,
          [ATTR.usageInputTokens]: call.input,
          [ATTR.usageOutputTokens]: call.output,
          [ATTR.costUsd]: call.cost,
        },
        events: [],
        resource: { serviceName: 'chat-api', attributes: {} },
      })
    }
    const snapshot: MetricsSnapshot = recorder.snapshot()
    const ours = JSON.parse(encodeOtlpMetrics(snapshot))

    // OpenTelemetry JS SDK: the same instruments, recorded by hand.
    const reader = new CollectingReader()
    const provider = new MeterProvider({
      resource: resourceFromAttributes({ 'service.name': 'chat-api' }) as never,
      readers: [reader],
    })
    const meter = provider.getMeter('@tokentrail/core', '0.1.0')
    const tokenUsage = meter.createHistogram('gen_ai.client.token.usage', {
      description: 'Number of tokens used per model call, by token type',
      unit: '{token}',
      advice: { explicitBucketBoundaries: TOKEN_BUCKETS },
    })
    const duration = meter.createHistogram('gen_ai.client.operation.duration', {
      description: 'Duration of model calls',
      unit: 's',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    })
    const callCount = meter.createCounter('tokentrail.llm.calls', {
      description: 'Model calls',
      unit: '{call}',
      valueType: ValueType.INT,
    })
    const cost = meter.createCounter('tokentrail.llm.cost', {
      description: 'Estimated cost of model calls',
      unit: 'USD',
      valueType: ValueType.DOUBLE,
    })
    for (const call of calls) {
      duration.record(call.seconds, base)
      callCount.add(1, base)
      tokenUsage.record(call.input, { ...base, 'gen_ai.token.type': 'input' })
      tokenUsage.record(call.output, { ...base, 'gen_ai.token.type': 'output' })
      cost.add(call.cost, base)
    }
    const { resourceMetrics } = await reader.collect()
    const theirs = JSON.parse(
      new TextDecoder().decode(JsonMetricsSerializer.serializeRequest(resourceMetrics)),
    )

    expect(normalize(ours)).toEqual(normalize(theirs))
  })

  describe('export', () => {
    afterEach(() => vi.unstubAllEnvs())

    it('goes to /v1/metrics from OTEL_EXPORTER_OTLP_ENDPOINT, flushed by tracer.flush()', async () => {
      const received: { url: string; body: any }[] = []
      const server = createServer((request, response) => {
        let body = ''
        request.on('data', (c) => (body += c))
        request.on('end', () => {
          received.push({ url: request.url!, body: JSON.parse(body) })
          response.end('{}')
        })
      })
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      try {
        vi.stubEnv(
          'OTEL_EXPORTER_OTLP_ENDPOINT',
          `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        )
        const tracer = createTracer({ serviceName: 'svc' })
        tracer
          .startSpan('chat gpt-4o', {
            kind: 'llm',
            attributes: { ...base, [ATTR.usageInputTokens]: 7 },
          })
          .end()
        expect((await tracer.flush()).ok).toBe(true)
        expect(received.map((r) => r.url).sort()).toEqual(['/v1/metrics', '/v1/traces'])
        const metrics = received.find((r) => r.url === '/v1/metrics')!.body.resourceMetrics[0]
          .scopeMetrics[0].metrics
        expect(metrics.map((m: any) => m.name)).toContain('gen_ai.client.token.usage')
        expect(tracer.stats().metrics).toEqual({ exports: 1, failures: 0 })
      } finally {
        server.close()
      }
    })

    it('a failed metrics export is counted and its totals go out with the next one', async () => {
      let fail = true
      const bodies: any[] = []
      const server = createServer((request, response) => {
        let body = ''
        request.on('data', (c) => (body += c))
        request.on('end', () => {
          if (request.url === '/v1/metrics') bodies.push(JSON.parse(body))
          response.statusCode = fail && request.url === '/v1/metrics' ? 503 : 200
          response.end('{}')
        })
      })
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      try {
        vi.stubEnv(
          'OTEL_EXPORTER_OTLP_ENDPOINT',
          `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        )
        const tracer = createTracer({ serviceName: 'svc', retry: { maxRetries: 0 } })
        tracer.startSpan('chat', { kind: 'llm', attributes: base }).end()
        // Its spans arrived: the flush is ok, the metrics' failure counted.
        expect((await tracer.flush()).ok).toBe(true)
        expect(tracer.stats().metrics).toEqual({ exports: 0, failures: 1 })
        fail = false
        tracer.startSpan('chat', { kind: 'llm', attributes: base }).end()
        expect((await tracer.flush()).ok).toBe(true)
        expect(tracer.stats().metrics).toEqual({ exports: 1, failures: 1 })
        const calls = bodies
          .at(-1)
          .resourceMetrics[0].scopeMetrics[0].metrics.find(
            (m: any) => m.name === 'tokentrail.llm.calls',
          )
        expect(calls.sum.dataPoints[0].asInt).toBe('2')
      } finally {
        server.close()
      }
    })

    for (const protocol of ['http/json', 'http/protobuf'] as const)
      it(`a partial_success that refuses data points is said once (${protocol})`, async () => {
        // As a Collector or backend answers when some points break its rules: 2xx, the count and why.
        const why =
          'metric name gen_ai.client.token.usage is over the tenant series limit — überschritten'
        const text = new TextEncoder().encode(why)
        const answer =
          protocol === 'http/json'
            ? new TextEncoder().encode(
                JSON.stringify({ partialSuccess: { rejectedDataPoints: '3', errorMessage: why } }),
              )
            : new Uint8Array([0x0a, text.length + 4, 0x08, 3, 0x12, text.length, ...text])
        const server = createServer((request, response) => {
          request.resume().on('end', () => response.end(answer))
        })
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
        try {
          vi.stubEnv(
            'OTEL_EXPORTER_OTLP_ENDPOINT',
            `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
          )
          vi.stubEnv('OTEL_EXPORTER_OTLP_METRICS_PROTOCOL', protocol)
          vi.stubEnv('OTEL_TRACES_EXPORTER', 'none')
          const warnings: string[] = []
          const tracer = createTracer({ serviceName: 'svc', warnings: (w) => warnings.push(w) })
          for (let i = 0; i < 2; i++) {
            tracer.startSpan('chat', { kind: 'llm', attributes: base }).end()
            await tracer.flush()
          }
          // Not a failed export (nothing to send again), but not unsaid either.
          expect(tracer.stats().metrics).toEqual({ exports: 2, failures: 0 })
          expect(warnings).toHaveLength(1)
          expect(warnings[0]).toContain('metrics partly rejected by http://127.0.0.1:')
          expect(warnings[0]).toContain(`refused 3 data points (${why})`)
          await tracer.shutdown()
        } finally {
          server.close()
        }
      })
  })
})
