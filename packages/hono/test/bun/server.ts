// Runs under Bun (spawned by bun.node.test.ts): a real Bun.serve() server with tracing(), a streamed
// body whose chunks are produced lazily inside the request span, and a model-like child span.
import { createTracer, hasAsyncContext } from '@tokentrail/core'
import { memoryExporter } from '@tokentrail/core/testing'
import { Hono } from 'hono'
import { tracing } from '../../src/index.js'

// Bun's own types are not installed; this file only runs under Bun.
declare const Bun: any

const exporter = memoryExporter()
const tracer = createTracer({
  serviceName: 'bun-test',
  exporters: [exporter],
  flushIntervalMs: 60_000,
})
const app = new Hono()
app.use('/api/*', tracing({ tracer, traceIdHeader: 'x-trace-id' }))
app.post('/api/chat', () => {
  let i = 0
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (i === 0) {
          const llm = tracer.startSpan('chat mock', { kind: 'llm' })
          await new Promise((resolve) => setTimeout(resolve, 5))
          llm.end()
        }
        if (i < 3) controller.enqueue(new TextEncoder().encode(`chunk ${i++}\n`))
        else controller.close()
      },
    },
    { highWaterMark: 0 },
  )
  return new Response(body, { headers: { 'content-type': 'text/plain' } })
})

const server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: app.fetch })
const response = await fetch(`http://127.0.0.1:${server.port}/api/chat`, {
  method: 'POST',
  headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
})
const text = await response.text()
await tracer.flush()
server.stop(true)
console.log(
  JSON.stringify({
    runtime: `bun ${Bun.version}`,
    asyncContext: hasAsyncContext(),
    text,
    traceIdHeader: response.headers.get('x-trace-id'),
    spans: exporter.spans.map((s) => ({
      name: s.name,
      spanId: s.spanId,
      parentSpanId: s.parentSpanId,
      traceId: s.traceId,
      status: s.status,
      kind: s.kind,
      bodySize: s.attributes['http.response.body.size'],
    })),
  }),
)
