import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { createTracer, type MetricData, otlpExporter } from '../src/index.js'
import { encodeOtlpMetrics } from '../src/otlp.js'
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
  // The interval sent the counts while the spans were still on the wire; the flush that followed
  // found no GenAI series changed and sent nothing, so `tokentrail stats` showed them queued for
  // good (a function frozen after its flush sends no more).
  // Protobuf was named `otlp_http_json_span_exporter` as JSON is.
  it('name an OTLP exporter by its encoding, as the conventions do', async () => {
    const url = await closedPortUrl()
    const types = []
    for (const protocol of ['http/json', 'http/protobuf'] as const) {
      const metrics = memoryMetricExporter()
      const tracer = createTracer({
        warnings: false,
        retry: { maxRetries: 0 },
        exporters: [otlpExporter({ url, protocol })],
        metrics: { exporters: [metrics] },
      })
      tracer
        .startSpan('chat', { kind: 'llm', attributes: { 'gen_ai.operation.name': 'chat' } })
        .end()
      await tracer.flush({ timeoutMs: 3000 })
      const metric = metrics.metric('otel.sdk.exporter.span.exported')
      types.push(
        metric?.type === 'sum' ? metric.points[0]!.attributes['otel.component.type'] : undefined,
      )
      await tracer.shutdown()
    }
    expect(types).toEqual(['otlp_http_json_span_exporter', 'otlp_http_span_exporter'])
  })

  it('a flush sends the delivery counts again when the last export showed spans pending', async () => {
    const metrics = memoryMetricExporter()
    let release!: () => void
    const released = new Promise<void>((resolve) => (release = resolve))
    const slow = {
      name: 'slow',
      export: async () => {
        await released
        return { code: 'success' as const }
      },
    }
    const tracer = createTracer({
      serviceName: 'sdk-metrics',
      warnings: false,
      flushIntervalMs: 10,
      exporters: [slow],
      metrics: { exporters: [metrics], exportIntervalMs: 50 },
    })
    tracer
      .startSpan('chat gpt-4o', { kind: 'llm', attributes: { 'gen_ai.operation.name': 'chat' } })
      .end()
    const exported = () =>
      points(metrics.metric('otel.sdk.exporter.span.exported'))?.reduce((n, p) => n + p.value, 0) ??
      0
    await expect.poll(() => metrics.snapshots.length, { timeout: 5000 }).toBeGreaterThan(0)
    expect(exported()).toBe(0)
    release()
    expect(await tracer.flush({ timeoutMs: 3000 })).toEqual({ ok: true, pending: 0 })
    expect(exported()).toBe(1)
    // Once settled, a flush with nothing new sends nothing more.
    const sent = metrics.snapshots.length
    await tracer.flush({ timeoutMs: 3000 })
    expect(metrics.snapshots.length).toBe(sent)
    await tracer.shutdown()
  })

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
    // One flush: its metrics go once its spans have settled, so they count them already (a
    // script that flushes once and exits reported none).
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

  it("count a flush's spans in the metrics that flush sends, through a real OTLP receiver", async () => {
    const server = createServer((request, response) => {
      request.resume()
      request.on('end', () =>
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}'),
      )
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const { port } = server.address() as AddressInfo
      const metrics = memoryMetricExporter()
      const tracer = createTracer({
        serviceName: 'one-flush',
        warnings: false,
        exporters: [otlpExporter({ url: `http://127.0.0.1:${port}/v1/traces` })],
        metrics: { exporters: [metrics] },
      })
      for (let i = 0; i < 3; i++)
        tracer
          .startSpan('chat gpt-4o', {
            kind: 'llm',
            attributes: { 'gen_ai.operation.name': 'chat' },
          })
          .end()
      expect(await tracer.flush({ timeoutMs: 3000 })).toEqual({ ok: true, pending: 0 })
      expect(metrics.snapshots).toHaveLength(1)
      expect(points(metrics.metric('otel.sdk.exporter.span.exported'))).toEqual([
        {
          'otel.component.type': 'otlp_http_json_span_exporter',
          'otel.component.name': 'otlp/0',
          'server.address': '127.0.0.1',
          'server.port': port,
          value: 3,
        },
      ])
      expect(points(metrics.metric('otel.sdk.exporter.span.inflight'))).toEqual([
        expect.objectContaining({ value: 0 }),
      ])
    } finally {
      server.close()
    }
  })

  it('go out at half the bound when a receiver holds the spans, not held hostage by it', async () => {
    // A receiver that takes the request and never answers.
    const server = createServer((request) => request.resume())
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const { port } = server.address() as AddressInfo
      const metrics = memoryMetricExporter()
      const tracer = createTracer({
        serviceName: 'slow-receiver',
        warnings: false,
        exporters: [otlpExporter({ url: `http://127.0.0.1:${port}/v1/traces` })],
        metrics: { exporters: [metrics] },
      })
      tracer
        .startSpan('chat gpt-4o', { kind: 'llm', attributes: { 'gen_ai.operation.name': 'chat' } })
        .end()
      const started = performance.now()
      const result = await tracer.flush({ timeoutMs: 400 })
      expect(performance.now() - started).toBeLessThan(1000)
      expect(result.ok).toBe(false)
      expect(result.reason).toMatch(/timed out/)
      expect(result.reason).not.toMatch(/metrics/)
      expect(metrics.snapshots).toHaveLength(1)
      expect(points(metrics.metric('tokentrail.llm.calls'))).toEqual([
        expect.objectContaining({ value: 1 }),
      ])
      // Shutdown too: its last metrics go while the receiver still holds the span.
      tracer
        .startSpan('chat gpt-4o', { kind: 'llm', attributes: { 'gen_ai.operation.name': 'chat' } })
        .end()
      await tracer.shutdown({ timeoutMs: 400 })
      expect(metrics.snapshots).toHaveLength(2)
      expect(points(metrics.metric('tokentrail.llm.calls'))).toEqual([
        expect.objectContaining({ value: 2 }),
      ])
    } finally {
      server.closeAllConnections()
      server.close()
    }
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

describe('otel.sdk.exporter.span.inflight and otel.sdk.exporter.operation.duration', () => {
  it('count spans in an export under way, and time each export by outcome and HTTP status', async () => {
    // A receiver that holds the first POST until told, then answers 404 to the second.
    let release!: () => void
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    let posts = 0
    const server = createServer((req, res) => {
      req.resume()
      req.on('end', async () => {
        posts++
        if (posts === 1) {
          await held
          res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
        } else res.writeHead(404).end('no such path')
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    try {
      const metrics = memoryMetricExporter()
      const tracer = createTracer({
        serviceName: 'inflight',
        warnings: false,
        retry: { maxRetries: 0 },
        exporters: [otlpExporter({ url: `http://127.0.0.1:${port}/v1/traces` })],
        metrics: { exporters: [metrics] },
      })
      for (let i = 0; i < 3; i++) tracer.startSpan(`span ${i}`).end()
      const first = tracer.flush({ timeoutMs: 5000, metrics: false })
      await new Promise<void>((resolve) => {
        const poll = () => (posts >= 1 ? resolve() : setTimeout(poll, 5))
        poll()
      })
      expect(tracer.stats().inflight).toBe(3)
      release()
      expect((await first).ok).toBe(true)
      expect(tracer.stats().inflight).toBe(0)

      tracer.startSpan('lost').end()
      const second = await tracer.flush({ timeoutMs: 5000 })
      expect(second.ok).toBe(false)
      // The flush that carried the failure; the next one reports it.
      await tracer.flush({ timeoutMs: 5000 })

      const inflight = metrics.metric('otel.sdk.exporter.span.inflight')
      expect(points(inflight)).toEqual([
        {
          'otel.component.type': 'otlp_http_json_span_exporter',
          'otel.component.name': 'otlp/0',
          'server.address': '127.0.0.1',
          'server.port': port,
          value: 0,
        },
      ])
      const duration = metrics.metric('otel.sdk.exporter.operation.duration')
      expect(duration?.type).toBe('histogram')
      if (duration?.type !== 'histogram') return
      expect(duration.unit).toBe('s')
      const series = [...duration.points]
        .sort((a, b) =>
          String(a.attributes['error.type'] ?? '').localeCompare(
            String(b.attributes['error.type'] ?? ''),
          ),
        )
        .map((p) => ({
          errorType: p.attributes['error.type'],
          status: p.attributes['http.response.status_code'],
          count: p.count,
          buckets: p.bucketCounts.reduce((a, b) => a + b, 0),
        }))
      expect(series).toEqual([
        { errorType: undefined, status: undefined, count: 1, buckets: 1 },
        { errorType: '404', status: 404, count: 1, buckets: 1 },
      ])
      for (const p of duration.points) expect(p.sum).toBeGreaterThan(0)
    } finally {
      server.close()
    }
  }, 20_000)
})
