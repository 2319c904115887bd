// A child process the suite drives: the hono-chat example's own app (createApp + chatModel), traced
// or not, on @hono/node-server, plus two untraced routes that report what the app went through.
// Env: TRACING=on|off, FLUSH=off, OTEL_EXPORTER_OTLP_ENDPOINT, OPENAI_BASE_URL, OPENAI_API_KEY, OTEL_SERVICE_NAME.
import { serve } from '@hono/node-server'
import { createTracer, otlpExporter } from '@tokentrail/core'
import { createApp } from '../../examples/hono-chat/src/app.js'
import { chatModel } from '../../examples/hono-chat/src/model.js'

const env = process.env
const exceptions = { uncaught: 0, unhandled: 0, messages: [] as string[] }
const note = (kind: 'uncaught' | 'unhandled', error: unknown) => {
  exceptions[kind]++
  if (exceptions.messages.length < 20)
    exceptions.messages.push(`${kind}: ${error instanceof Error ? error.stack : String(error)}`)
}
// Anything that reaches here would have crashed a default Node process: count it instead.
process.on('uncaughtException', (error) => note('uncaught', error))
process.on('unhandledRejection', (error) => note('unhandled', error))

const internalErrors: string[] = []
const tracer = createTracer({
  serviceName: env.OTEL_SERVICE_NAME ?? 'reliability',
  enabled: env.TRACING !== 'off',
  exporters: [otlpExporter()],
  metrics: false,
  debug: (message) => {
    if (internalErrors.length < 50) internalErrors.push(message)
  },
})

// FLUSH=off: no flush per request; the batch processor sends by size and interval alone.
const app = createApp({
  model: chatModel(env, tracer),
  tracer,
  tracing: env.FLUSH === 'off' ? { flush: false } : {},
})
app.get('/__stats', (c) =>
  c.json({
    tracer: tracer.stats(),
    enabled: tracer.enabled,
    memory: process.memoryUsage(),
    exceptions,
    internalErrors,
  }),
)
app.post('/__flush', async (c) => {
  const timeoutMs = Number(c.req.query('timeoutMs') ?? 30_000)
  const started = performance.now()
  const result = await tracer.flush({ timeoutMs })
  return c.json({ ...result, ms: performance.now() - started, tracer: tracer.stats() })
})

const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${info.port}` })}\n`)
})

process.once('SIGTERM', () => {
  server.close()
  void tracer.shutdown({ timeoutMs: 1000 }).finally(() => process.exit(0))
})
