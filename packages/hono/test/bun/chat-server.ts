// Runs under Bun (spawned by bun.node.test.ts): a long-lived Bun.serve() server with tracing() from
// the package's source and the AI SDK (ai@7, @ai-sdk/openai, the tracing middleware) streaming from
// the test's mock OpenAI server; spans go by otlpExporter over Bun's fetch to the test's OTLP
// receiver. Prints one JSON line with its port, then serves until POST /stop, after which the script
// returns without a flush, as a server that shuts down does.
// Arguments: the receiver's /v1/traces URL, the mock's base URL.
import { createOpenAI } from '@ai-sdk/openai'
import { tracingMiddleware } from '@tokentrail/ai-sdk'
import { createTracer, hasAsyncContext, otlpExporter } from '@tokentrail/core'
import { jsonSchema, stepCountIs, streamText, tool, wrapLanguageModel } from 'ai'
import { Hono } from 'hono'
import { tracing } from '../../src/index.js'

// Bun's own types are not installed; this file only runs under Bun.
declare const Bun: any

const [url, baseURL] = process.argv.slice(2)
const tracer = createTracer({
  serviceName: 'bun-hono',
  exporters: [otlpExporter({ url })],
  maxQueueSize: 10_000,
  // Spans leave on the test's POST /flush, or at the script's end: never on a timer mid-test.
  flushIntervalMs: 600_000,
})
const model = wrapLanguageModel({
  model: createOpenAI({ baseURL, apiKey: 'sk-test-not-a-real-key-0000000000' }).chat('gpt-4o'),
  middleware: tracingMiddleware({ tracer }),
})
const app = new Hono()
app.use('/api/*', tracing({ tracer, traceIdHeader: 'x-trace-id' }))
app.post('/api/chat', async (c) => {
  const { prompt } = await c.req.json()
  return streamText({ model, prompt, abortSignal: c.req.raw.signal }).toUIMessageStreamResponse()
})
// The answer, then a body that stays open until POST /release: the model is done, the response is not.
let release: () => void = () => {}
app.post('/api/held', () => {
  const held = new Promise<void>((resolve) => (release = resolve))
  const answer = streamText({ model, prompt: 'Say hello' }).toTextStreamResponse()
  return new Response(answer.body!.pipeThrough(new TransformStream({ flush: () => held })), answer)
})
app.post('/release', (c) => {
  release()
  return c.json({ released: true })
})
app.post('/api/weather/:city', (c) =>
  streamText({
    model,
    prompt: `Weather in ${c.req.param('city')}? [tool:weather]`,
    stopWhen: stepCountIs(3),
    tools: {
      weather: tool({
        inputSchema: jsonSchema<{ city: string }>({
          type: 'object',
          properties: { city: { type: 'string' } },
          required: ['city'],
        }),
        // Awaits that interleave the concurrent requests, so a context leak would show.
        execute: async ({ city }) => {
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 15))
          return { city, celsius: 20 }
        },
      }),
    },
  }).toUIMessageStreamResponse(),
)
// Bodies Bun derives a Content-Type from, traced under /api and untraced under /plain.
const bodies: Record<string, () => unknown> = {
  file: () => Bun.file(new URL('../../package.json', import.meta.url).pathname),
  blob: () => new Blob(['{"a":1}'], { type: 'application/json' }),
  form: () => {
    const form = new FormData()
    form.set('field', 'value')
    return form
  },
  params: () => new URLSearchParams('a=1&b=2'),
  // A string or bytes: Bun names their type only as it sends them.
  string: () => 'hello',
  bytes: () => new Uint8Array(1500).fill(65),
}
for (const prefix of ['/api', '/plain']) {
  app.get(`${prefix}/body/:kind`, (c) => new Response(bodies[c.req.param('kind')]!() as BodyInit))
  // Hono's own shortest path: `new Response(text)` with no header.
  app.get(`${prefix}/text`, (c) => c.text('hello from c.text'))
}
// Untraced: what the tracer holds, and a flush on demand.
app.get('/stats', (c) => c.json(tracer.stats()))
app.post('/flush', async (c) => c.json(await tracer.flush()))
app.post('/stop', (c) => {
  setTimeout(() => server.stop(true), 10)
  return c.json({ stopping: true })
})

const server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: app.fetch })
console.log(
  JSON.stringify({
    runtime: `bun ${Bun.version}`,
    asyncContext: hasAsyncContext(),
    port: server.port,
  }),
)
