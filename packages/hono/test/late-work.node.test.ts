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
import { generateText, streamText, wrapLanguageModel } from 'ai'
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
  // Unset and not cancelled: ended well.
  expect([call!.status.code, llm!.status.code]).toEqual([0, 0])
  expect([call!, llm!].map((s) => s.attributes['tokentrail.span.status'])).toEqual([
    undefined,
    undefined,
  ])
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

it('a model call handed to c.executionCtx.waitUntil that is still running when the streamed body ends: recorded whole (ok, its text), not closed with the request', async () => {
  const { tracer, model } = setup()
  const quick = await startMockOpenAI({})
  const fast = wrapLanguageModel({
    model: createOpenAI({ baseURL: quick.url, apiKey: 'sk-test-0000' }).chat('gpt-4o-mini'),
    middleware: tracingMiddleware({ tracer }),
  })
  try {
    let summary = ''
    const app = new Hono()
    app.use(tracing({ tracer }))
    app.post('/api/chat', (c) => {
      // Started at once, and slower (40 ms to its first chunk) than the answer streamed below.
      c.executionCtx.waitUntil(
        generateText({ model, prompt: 'summarize one two three four' }).then((result) => {
          summary = result.text
        }),
      )
      return streamText({ model: fast, prompt: 'hello' }).toTextStreamResponse()
    })
    const { text, delivered } = await serveThenFreeze(app, '/api/chat')
    expect(text).toBe('You said: hello')
    expect(summary).toBe('You said: summarize one two three four')
    const root = delivered.find((s) => s.name === 'POST /api/chat')!
    const background = delivered.find((s) => s.name === 'generateText gpt-4o')!
    const llm = delivered.find((s) => s.name === 'chat gpt-4o')!
    expect(background.parentSpanId).toBe(root.spanId)
    expect(llm.parentSpanId).toBe(background.spanId)
    for (const span of [background, llm]) {
      expect(span.status.code).toBe(0)
      expect(span.attributes['tokentrail.span.status']).toBeUndefined()
      expect(span.attributes['tokentrail.closed_by_parent']).toBeUndefined()
    }
    expect(llm.attributes['gen_ai.output.messages']).toContain('summarize one two three four')
    // The answer the response streamed ended with it, as before.
    expect(delivered.find((s) => s.name === 'streamText gpt-4o-mini')!.status.code).toBe(0)
    expect(tracer.stats()).toMatchObject({ started: 5, exported: 5, queued: 0 })
  } finally {
    await quick.close()
  }
})

it('a span the waitUntil work left open is closed (cancelled, as of the request end) once that work has settled', async () => {
  const { tracer } = setup()
  const app = new Hono()
  app.use(tracing({ tracer }))
  app.post('/api/job', (c) => {
    tracer.startSpan('left open')
    c.executionCtx.waitUntil(new Promise((resolve) => setTimeout(resolve, 30)))
    return c.text('ok')
  })
  const { delivered } = await serveThenFreeze(app, '/api/job')
  const root = delivered.find((s) => s.name === 'POST /api/job')!
  const open = delivered.find((s) => s.name === 'left open')
  expect(open).toBeDefined()
  expect(open!.parentSpanId).toBe(root.spanId)
  expect(open!.attributes['tokentrail.closed_by_parent']).toBe(true)
})

it('the request span goes out while the waitUntil work still runs (the platform may cut that work short); the work’s span follows once it ends', async () => {
  const { tracer } = setup()
  let release!: () => void
  const work = new Promise<void>((resolve) => (release = resolve))
  const waits: Promise<unknown>[] = []
  const app = new Hono()
  app.use(tracing({ tracer }))
  app.post('/api/chat', (c) => {
    c.executionCtx.waitUntil(tracer.withSpan('save summary', () => work))
    return c.text('saved')
  })
  const ctx = {
    waitUntil: (p: Promise<unknown>) => waits.push(p),
    passThroughOnException() {},
    props: {},
  }
  const response = await app.fetch(
    new Request('http://app.test/api/chat', { method: 'POST' }),
    {},
    ctx as never,
  )
  expect(await response.text()).toBe('saved')
  await receiver.waitFor((spans) => spans.some((s) => s.name === 'POST /api/chat'))
  expect(receiver.spans.map((s) => s.name)).toEqual(['POST /api/chat'])
  release()
  for (let i = 0; i < waits.length; i++) await waits[i]
  const summary = receiver.spans.find((s) => s.name === 'save summary')
  expect(summary).toMatchObject({ status: { code: 0 } })
  expect(summary!.attributes['tokentrail.span.status']).toBeUndefined()
  expect(summary!.attributes['tokentrail.closed_by_parent']).toBeUndefined()
})
