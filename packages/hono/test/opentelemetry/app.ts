// An app that already runs the OpenTelemetry JS SDK with its HTTP instrumentation, registered
// before anything else loads (as `node --import ./instrumentation.mjs` does), and Tokentrail's
// `tracing()` on a Hono app served by @hono/node-server. Started by ../opentelemetry.node.test.ts,
// which receives Tokentrail's OTLP export at HONO_OTEL_TEST_RECEIVER; prints one JSON line.
import { registerInstrumentations } from '@opentelemetry/instrumentation'
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http'
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node'

const otel = new InMemorySpanExporter()
new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(otel)] }).register()
registerInstrumentations({ instrumentations: [new HttpInstrumentation()] })

const { serve } = await import('@hono/node-server')
const { Hono } = await import('hono')
const { createTracer, otlpExporter } = await import('@tokentrail/core')
const { tracing } = await import('../../src/index.js')

const tracer = createTracer({
  serviceName: 'otel-app',
  exporters: [otlpExporter({ url: process.env.HONO_OTEL_TEST_RECEIVER! })],
  // Exports on the interval, from a timer armed inside a request, and on an explicit flush.
  flushIntervalMs: 50,
})
const app = new Hono()
app.use(tracing({ tracer }))
app.get('/chat/:n', async (c) => {
  await tracer.withSpan('answer', () => new Promise((resolve) => setTimeout(resolve, 5)))
  return c.text(`answer ${c.req.param('n')}`)
})
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' })
await new Promise<void>((resolve) => server.once('listening', () => resolve()))
const { port } = server.address() as { port: number }

const texts: string[] = []
for (let n = 0; n < 4; n++) {
  const response = await fetch(`http://127.0.0.1:${port}/chat/${n}`, {
    headers: { traceparent: `00-0af7651916cd43dd8448eb211c8031${n}c-b7ad6b7169203331-01` },
  })
  texts.push(await response.text())
  // Let the interval export run between requests, inside and outside their contexts.
  await new Promise((resolve) => setTimeout(resolve, 120))
}
const flushed = await tracer.flush({ timeoutMs: 5000 })
server.close()
console.log(
  JSON.stringify({
    texts,
    flushed,
    stats: tracer.stats(),
    otel: otel.getFinishedSpans().map((span) => ({
      name: span.name,
      kind: span.kind,
      traceId: span.spanContext().traceId,
      spanId: span.spanContext().spanId,
      parentSpanId: span.parentSpanContext?.spanId,
      path: span.attributes['url.path'] ?? span.attributes['http.target'],
    })),
  }),
)
