// Runs under Deno (spawned by deno.node.test.ts): a real Deno.serve() server with tracing() from
// the package's source, and the AI SDK (ai@7, @ai-sdk/openai, the tracing middleware) streaming from
// the test's mock OpenAI server; spans go by otlpExporter to the test's OTLP receiver. The script
// ends without a flush, as a script that shuts its server down and returns does. A second request
// reads one chunk of an endless body and goes away.
// Arguments: the receiver's /v1/traces URL, the mock's base URL.
import { createOpenAI } from '@ai-sdk/openai'
import { tracingMiddleware } from '@tokentrail/ai-sdk'
import { createTracer, hasAsyncContext, otlpExporter } from '@tokentrail/core'
import { streamText, wrapLanguageModel } from 'ai'
import { Hono } from 'hono'
import { upgradeWebSocket } from 'hono/deno'
import { tracing } from '../../src/index.js'

declare const Deno: any

const [url, baseURL] = Deno.args
const tracer = createTracer({ serviceName: 'deno-hono', exporters: [otlpExporter({ url })] })
const model = wrapLanguageModel({
  model: createOpenAI({ baseURL, apiKey: 'sk-test-not-a-real-key-0000000000' }).chat('gpt-4o'),
  middleware: tracingMiddleware({ tracer }),
})
const app = new Hono()
app.use('/api/*', tracing({ tracer, traceIdHeader: 'x-trace-id' }))
app.post('/api/chat', () => streamText({ model, prompt: 'Say hello' }).toTextStreamResponse())
// A body that goes on until the client goes away.
app.get('/api/endless', () => {
  let i = 0
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        await new Promise((resolve) => setTimeout(resolve, 20))
        controller.enqueue(new TextEncoder().encode(`chunk ${i++}\n`))
      },
    },
    { highWaterMark: 0 },
  )
  return new Response(body)
})

// A WebSocket route: the README says an upgrade (101) response is returned untouched.
app.get(
  '/api/ws',
  upgradeWebSocket(() => ({
    onMessage(event, ws) {
      ws.send(`echo ${event.data}`)
    },
  })),
)

const server = Deno.serve({ port: 0, hostname: '127.0.0.1', onListen() {} }, app.fetch)
const response = await fetch(`http://127.0.0.1:${server.addr.port}/api/chat`, {
  method: 'POST',
  headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
})
const text = await response.text()
// The client reads one chunk of an endless body, then goes away.
const controller = new AbortController()
const endless = await fetch(`http://127.0.0.1:${server.addr.port}/api/endless`, {
  signal: controller.signal,
})
const reader = endless.body!.getReader()
await reader.read()
controller.abort()
await reader.closed.catch(() => {})
// A WebSocket through the traced route: it opens, and a message comes back.
const wsEcho = await new Promise<string>((resolve, reject) => {
  const ws = new WebSocket(`ws://127.0.0.1:${server.addr.port}/api/ws`)
  ws.onopen = () => ws.send('ping')
  ws.onmessage = (event) => {
    resolve(String(event.data))
    ws.close()
  }
  ws.onerror = () => reject(new Error('the WebSocket failed'))
})
await new Promise((resolve) => setTimeout(resolve, 200))
await server.shutdown()
console.log(
  JSON.stringify({
    runtime: `deno ${Deno.version.deno}`,
    asyncContext: hasAsyncContext(),
    status: response.status,
    traceIdHeader: response.headers.get('x-trace-id'),
    endlessTraceId: endless.headers.get('x-trace-id'),
    text,
    wsEcho,
  }),
)
