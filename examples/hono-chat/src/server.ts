import { serve } from '@hono/node-server'
import { createTracer, otlpExporter } from '@tokentrail/core'
import { startMockOpenAI } from '@tokentrail/mock-openai'
import { createApp } from './app.js'
import { chatModel } from './model.js'

// Node entry: real OpenAI when OPENAI_API_KEY is set, else the local mock on a free port.
const env = process.env
let baseURL = env.OPENAI_BASE_URL
let mock: Awaited<ReturnType<typeof startMockOpenAI>> | undefined
if (!env.OPENAI_API_KEY && !baseURL) {
  mock = await startMockOpenAI({ firstChunkDelayMs: 100, chunkDelayMs: 15 })
  baseURL = mock.url
}

// Spans go to OTEL_EXPORTER_OTLP_ENDPOINT, by default `tokentrail dev` on localhost:4318.
const tracer = createTracer({
  serviceName: env.OTEL_SERVICE_NAME ?? 'hono-chat',
  exporters: [otlpExporter()],
})
const app = createApp({
  model: chatModel({ ...env, OPENAI_BASE_URL: baseURL }, tracer),
  tracer,
  tracing: { skip: ['/api/health'] },
})

const server = serve(
  { fetch: app.fetch, port: Number(env.PORT ?? 3000), hostname: env.HOST ?? '127.0.0.1' },
  (info) => {
    console.log(`hono-chat listening on http://${info.address}:${info.port}`)
    console.log(`model: ${mock ? `local mock at ${mock.url}` : baseURL ? baseURL : 'OpenAI'}`)
  },
)

async function stop() {
  server.close()
  await tracer.shutdown({ timeoutMs: 2000 })
  await mock?.close()
  process.exit(0)
}
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
