// Issue 17: under `next start` every request's flush exported a full metrics snapshot (~1,100
// `/v1/metrics` POSTs for 1,100 requests) and left a timeout timer pending for each.
import { createTracer } from '@tokentrail/core'
import { memoryExporter, memoryMetricExporter } from '@tokentrail/core/testing'
import { describe, expect, it } from 'vitest'
import { withTracing } from '../src/index.js'
import { fakeVercelContext } from './helpers.js'

function setup() {
  const spans = memoryExporter()
  const metrics = memoryMetricExporter()
  const tracer = createTracer({
    serviceName: 'next-metrics',
    exporters: [spans],
    flushIntervalMs: 600_000,
    metrics: { exporters: [metrics], exportIntervalMs: 600_000 },
  })
  const POST = withTracing(
    async () => {
      const llm = tracer.startSpan('chat gpt-4o-mini', {
        kind: 'llm',
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': 'gpt-4o-mini',
          'gen_ai.usage.input_tokens': 10,
          'gen_ai.usage.output_tokens': 5,
        },
      })
      llm.end()
      return new Response('ok')
    },
    { tracer },
  )
  return { tracer, spans, metrics, POST }
}

const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length

describe('withTracing on a long-lived server', () => {
  it('flushes spans per request but leaves metrics to their interval: 1,100 requests, 0 snapshots', async () => {
    const { tracer, spans, metrics, POST } = setup()
    const before = timers()
    for (let i = 0; i < 1100; i++) {
      const response = await POST(new Request('http://localhost/api/chat', { method: 'POST' }))
      await response.text()
    }
    // Each request's background flush delivers its spans.
    await tracer.flush({ timeoutMs: 5000, metrics: false })
    expect(spans.spans.filter((s) => s.kind === 'http')).toHaveLength(1100)
    expect(metrics.snapshots).toHaveLength(0)
    // No timer per request is left pending (the snapshot exports each held a 10 s timeout).
    expect(timers() - before).toBeLessThan(20)
    // The metrics are all there for the interval's export (or the final flush).
    await tracer.flush()
    expect(metrics.snapshots).toHaveLength(1)
    const calls = metrics.metric('gen_ai.client.operation.duration')
    expect(calls).toBeDefined()
    await tracer.shutdown()
  })

  it('still sends metrics with each flush where the function may freeze (Vercel waitUntil)', async () => {
    const vercel = fakeVercelContext()
    try {
      const { tracer, metrics, POST } = setup()
      for (let i = 0; i < 3; i++) {
        const response = await POST(new Request('http://localhost/api/chat', { method: 'POST' }))
        await response.text()
        await vercel.settle()
      }
      expect(metrics.snapshots).toHaveLength(3)
      await tracer.shutdown()
    } finally {
      vercel.uninstall()
    }
  })
})
