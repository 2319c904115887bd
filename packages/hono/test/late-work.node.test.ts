// Work a request starts that ends after its span: a model call handed to `c.executionCtx.waitUntil`,
// a span started from a timer. The platform (Workers, Vercel) keeps the function alive until every
// promise handed to waitUntil settles, then freezes it: spans not sent by then are lost. Real Hono
// app through app.fetch with an execution context, real generateText through @ai-sdk/openai over
// HTTP to tools/mock-openai, spans to a real OTLP receiver.
import { createOpenAI } from '@ai-sdk/openai'
import { tracingMiddleware } from '@tokentrail/ai-sdk'
import { createTracer, otlpExporter } from '@tokentrail/core'
import { type MockOpenAI, startMockOpenAI } from '@tokentrail/mock-openai'
import { type OtlpReceiver, startOtlpReceiver } from '@tokentrail/otlp-receiver'
import { generateText, wrapLanguageModel } from 'ai'
import { Hono } from 'hono'
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest'
import { tracing } from '../src/index.js'

let receiver: OtlpReceiver
let openai: MockOpenAI
beforeAll(async () => {
  receiver = await startOtlpReceiver()
  openai = await startMockOpenAI({ firstChunkDelayMs: 40, chunkDelayMs: 10 })
})
afterAll(async () => {
  await receiver.close()
  await openai.close()
})
afterEach(() => {
  receiver.spans.length = 0
  delete (globalThis as any).AI_SDK_TELEMETRY_INTEGRATIONS
})

// A tracer that sends only on a flush, as a frozen function would (its interval never comes).
function setup() {
  const tracer = createTracer({
    serviceName: 'late-work',
    exporters: [otlpExporter({ url: `${receiver.url}/v1/traces` })],
    flushIntervalMs: 600_000,
  })
  const model = wrapLanguageModel({
    model: createOpenAI({ baseURL: openai.url, apiKey: 'sk-test-0000' }).chat('gpt-4o'),
    middleware: tracingMiddleware({ tracer }),
  })
  return { tracer, model }
}

/** Serves one request as a freezing platform does: reads the body, waits for every promise handed to waitUntil (also those handed while it waits), then freezes; returns the spans delivered by then. */
async function serveThenFreeze(app: Hono, path: string) {
  const waits: Promise<unknown>[] = []
  const ctx = {
    waitUntil: (promise: Promise<unknown>) => waits.push(promise),
    passThroughOnException() {},
    props: {},
  }
  const response = await app.fetch(
    new Request(`http://app.test${path}`, { method: 'POST' }),
    {},
    ctx as never,
  )
  const text = await response.text()
  for (let i = 0; i < waits.length; i++) await waits[i]
  return { text, delivered: receiver.spans.slice() }
}

it('a model call handed to c.executionCtx.waitUntil: its spans go out before the function freezes, under the request span', async () => {
  const { tracer, model } = setup()
  let summary = ''
  const app = new Hono()
  app.use(tracing({ tracer }))
  app.post('/api/chat', (c) => {
    c.executionCtx.waitUntil(
      generateText({ model, prompt: 'summarize this chat' }).then((result) => {
        summary = result.text
      }),
    )
    return c.text('saved')
  })
  const { text, delivered } = await serveThenFreeze(app, '/api/chat')
  expect(text).toBe('saved')
  expect(summary).toBe('You said: summarize this chat')
  const root = delivered.find((s) => s.name === 'POST /api/chat')!
  const call = delivered.find((s) => s.name === 'generateText gpt-4o')
  const llm = delivered.find((s) => s.name === 'chat gpt-4o')
  expect(call, `delivered: ${delivered.map((s) => s.name)}`).toBeDefined()
  expect(llm).toBeDefined()
  expect(call!.traceId).toBe(root.traceId)
  expect(call!.parentSpanId).toBe(root.spanId)
  expect(llm!.parentSpanId).toBe(call!.spanId)
  expect([call!.status.code, llm!.status.code]).toEqual([1, 1])
  expect(tracer.stats()).toMatchObject({ started: 3, exported: 3, queued: 0, inflight: 0 })
})

it('spans started by a timer after the response, then more after those ended: each group is sent before the freeze', async () => {
  const { tracer } = setup()
  const app = new Hono()
  app.use(tracing({ tracer }))
  app.post('/api/job', (c) => {
    const later = (name: string, ms: number) =>
      new Promise<void>((resolve) =>
        setTimeout(
          () =>
            tracer
              .withSpan(name, () => new Promise((r) => setTimeout(r, 10)))
              .then(() => resolve()),
          ms,
        ),
      )
    c.executionCtx.waitUntil(later('first', 20).then(() => later('second', 20)))
    return c.text('queued')
  })
  const { delivered } = await serveThenFreeze(app, '/api/job')
  const root = delivered.find((s) => s.name === 'POST /api/job')!
  expect(delivered.map((s) => s.name).sort()).toEqual(['POST /api/job', 'first', 'second'])
  for (const name of ['first', 'second'])
    expect(delivered.find((s) => s.name === name)!.parentSpanId).toBe(root.spanId)
})

it('a span started after the response that never ends holds the function no longer than streamTimeoutMs', async () => {
  const { tracer } = setup()
  const app = new Hono()
  app.use(tracing({ tracer, streamTimeoutMs: 50 }))
  app.post('/api/leak', (c) => {
    c.executionCtx.waitUntil(
      new Promise<void>((resolve) =>
        setTimeout(() => {
          tracer.startSpan('never ends')
          resolve()
        }, 20),
      ),
    )
    return c.text('ok')
  })
  // Resolves: the late span's own flush gives up waiting for it after streamTimeoutMs.
  const { delivered } = await serveThenFreeze(app, '/api/leak')
  expect(delivered.map((s) => s.name)).toEqual(['POST /api/leak'])
})
