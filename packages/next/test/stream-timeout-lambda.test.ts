// `streamTimeoutMs` on a host known to freeze (AWS Lambda, as under OpenNext): after() hands the
// flush to a function that may freeze, so a body that never ends is bounded. The host is read once
// per process, so this case has its own file (the others are in stream-timeout-hosts.test.ts).
import { describe, expect, it, vi } from 'vitest'

// Read once per process, when first asked: set before the adapter is loaded.
process.env.AWS_LAMBDA_FUNCTION_NAME = 'chat'
vi.mock('next/server.js', async () => (await import('./stream-timeout.js')).nextServer)
const { streamPast, afterTasks } = await import('./stream-timeout.js')
const { createTracer } = await import('@tokentrail/core')
const { memoryExporter, memoryMetricExporter } = await import('@tokentrail/core/testing')
const { withTracing } = await import('../src/index.js')

describe('withTracing: streamTimeoutMs on AWS Lambda', () => {
  it('after() on a host that freezes (AWS Lambda): the span ends cancelled at the bound', async () => {
    const root = await streamPast(20, 80)
    expect(root.attributes['tokentrail.flush.via']).toBe('after')
    expect(root.status).toBe('cancelled')
    expect(root.attributes['tokentrail.stream_timeout']).toBe(true)
  })

  it('after() on a host that freezes: the flush of each request sends the metrics too', async () => {
    // The function may freeze once the response is out, so the metrics' own interval may never
    // come: as with Vercel's waitUntil, they go with the flush handed to after().
    const metrics = memoryMetricExporter()
    const tracer = createTracer({
      serviceName: 'lambda-metrics',
      exporters: [memoryExporter()],
      flushIntervalMs: 600_000,
      metrics: { exporters: [metrics], exportIntervalMs: 600_000 },
    })
    const POST = withTracing(
      async () => {
        tracer
          .startSpan('chat gpt-4o-mini', {
            kind: 'llm',
            attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o-mini' },
          })
          .end()
        return new Response('ok')
      },
      { tracer },
    )
    for (let i = 0; i < 3; i++) {
      const response = await POST(new Request('http://localhost/api/chat', { method: 'POST' }))
      await response.text()
      await Promise.all(afterTasks)
      afterTasks.length = 0
    }
    expect(metrics.snapshots).toHaveLength(3)
    await tracer.shutdown()
  })
})
