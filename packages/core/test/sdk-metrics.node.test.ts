import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { createTracer, encodeOtlpMetrics, type MetricData, otlpExporter } from '../src/index.js'
import { memoryExporter, memoryMetricExporter } from '../src/testing.js'

async function closedPortUrl(): Promise<string> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return `http://127.0.0.1:${port}/v1/traces`
}

function points(metric: MetricData | undefined) {
  if (metric?.type !== 'sum') return undefined
  return metric.points.map((p) => ({ ...p.attributes, value: p.value }))
}

describe('otel.sdk.* self-observability metrics', () => {
  it('go out with the GenAI metrics and count started, exported and failed spans', async () => {
    const url = await closedPortUrl()
    const metrics = memoryMetricExporter()
    const tracer = createTracer({
      serviceName: 'sdk-metrics',
      warnings: false,
      retry: { maxRetries: 0 },
      sampleRate: 1,
      exporters: [memoryExporter(), otlpExporter({ url })],
      metrics: { exporters: [metrics] },
    })
    tracer
      .startSpan('chat gpt-4o', { kind: 'llm', attributes: { 'gen_ai.operation.name': 'chat' } })
      .end()
    tracer.startSpan('still open')
    await tracer.flush({ timeoutMs: 3000 })
    // The flush that carried the span failures; the next one reports them.
    await tracer.flush({ timeoutMs: 3000 })
    const port = Number(new URL(url).port)
    expect(points(metrics.metric('otel.sdk.span.started'))).toEqual([
      { 'otel.span.sampling_result': 'RECORD_AND_SAMPLE', value: 2 },
    ])
    expect(points(metrics.metric('otel.sdk.span.live'))).toEqual([{ value: 1 }])
    expect(points(metrics.metric('otel.sdk.exporter.span.exported'))).toEqual([
      { 'otel.component.type': 'memory', 'otel.component.name': 'memory/0', value: 1 },
      {
        'otel.component.type': 'otlp_http_json_span_exporter',
        'otel.component.name': 'otlp/1',
        'server.address': '127.0.0.1',
        'server.port': port,
        'error.type': 'ECONNREFUSED',
        value: 1,
      },
    ])
    expect(points(metrics.metric('otel.sdk.processor.span.queue.capacity'))).toEqual([
      {
        'otel.component.type': 'batching_span_processor',
        'otel.component.name': 'batching_span_processor/0',
        value: 2048,
      },
      {
        'otel.component.type': 'batching_span_processor',
        'otel.component.name': 'batching_span_processor/1',
        value: 2048,
      },
    ])
    const encoded = JSON.parse(encodeOtlpMetrics(metrics.snapshots.at(-1)!))
    const byName = Object.fromEntries(
      encoded.resourceMetrics[0].scopeMetrics[0].metrics.map((m: any) => [m.name, m]),
    )
    expect(byName['otel.sdk.span.live'].sum.isMonotonic).toBe(false)
    expect(byName['otel.sdk.span.started'].sum.isMonotonic).toBe(true)
    expect(byName['gen_ai.client.operation.duration']).toBeDefined()
  })

  it('a healthy app without model calls sends no metrics; a lost span makes it send', async () => {
    const metrics = memoryMetricExporter()
    const tracer = createTracer({
      warnings: false,
      exporters: [memoryExporter()],
      metrics: { exporters: [metrics] },
    })
    tracer.startSpan('GET /health').end()
    await tracer.flush()
    expect(metrics.snapshots).toHaveLength(0)
    const failing = createTracer({
      warnings: false,
      retry: { maxRetries: 0 },
      exporters: [otlpExporter({ url: await closedPortUrl() })],
      metrics: { exporters: [metrics] },
    })
    failing.startSpan('GET /health').end()
    await failing.flush({ timeoutMs: 3000 })
    await failing.flush({ timeoutMs: 3000 })
    expect(metrics.snapshots).toHaveLength(1)
    expect(points(metrics.metric('otel.sdk.exporter.span.exported'))).toEqual([
      expect.objectContaining({ 'error.type': 'ECONNREFUSED', value: 1 }),
    ])
  })
})
