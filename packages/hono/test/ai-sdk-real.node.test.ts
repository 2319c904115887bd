// tracing() with the real @tokentrail/ai-sdk middleware and the real @ai-sdk/openai provider,
// talking over HTTP to tools/mock-openai, served by @hono/node-server to real HTTP clients.
import { request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createOpenAI } from '@ai-sdk/openai'
import { serve } from '@hono/node-server'
import { CALL_ATTR, tracingMiddleware } from '@tokentrail/ai-sdk'
import { type MockOpenAI, startMockOpenAI } from '@tokentrail/mock-openai'
import { generateText, jsonSchema, stepCountIs, streamText, tool, wrapLanguageModel } from 'ai'
import { Hono } from 'hono'
import { afterEach, describe, expect, it } from 'vitest'
import { tracing } from '../src/index.js'
import { setup } from './helpers.js'

const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const close of closers.splice(0)) await close()
  delete (globalThis as any).AI_SDK_TELEMETRY_INTEGRATIONS
})

async function listen(app: Hono): Promise<number> {
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' })
  await new Promise<void>((resolve) => server.once('listening', () => resolve()))
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        ;(server as any).closeAllConnections?.()
        server.close(() => resolve())
      }),
  )
  return (server.address() as AddressInfo).port
}

async function mockOpenAI(options: Parameters<typeof startMockOpenAI>[0]): Promise<MockOpenAI> {
  const server = await startMockOpenAI(options)
  closers.push(() => server.close())
  return server
}

function openaiModel(server: MockOpenAI, tracer: ReturnType<typeof setup>['tracer']) {
  const openai = createOpenAI({ baseURL: server.url, apiKey: 'sk-test-not-a-real-key-0000000000' })
  return wrapLanguageModel({
    model: openai.chat('gpt-4o'),
    middleware: tracingMiddleware({ tracer }),
  })
}

/** POSTs to `path` and destroys the socket once `bytes` of the body (and `marker`, if given) arrived; resolves with what arrived. */
function readThenDisconnect(
  port: number,
  path: string,
  bytes: number,
  marker?: string,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = ''
    const request = httpRequest({ host: '127.0.0.1', port, path, method: 'POST' }, (response) => {
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => {
        received += chunk
        if (received.length >= bytes && (marker === undefined || received.includes(marker))) {
          request.destroy()
          resolve(received)
        }
      })
    })
    request.on('error', (error) => {
      if (received.length < bytes) reject(error)
    })
    request.end()
  })
}

describe('tracing() + tracingMiddleware() + @ai-sdk/openai over real HTTP', () => {
  for (const [response, signal] of [
    ['toUIMessageStreamResponse', true],
    ['toTextStreamResponse', true],
    ['toUIMessageStreamResponse', false],
  ] as const)
    it(`a client that disconnects mid-stream (${response}, ${signal ? 'with' : 'without'} abortSignal): every span ends cancelled, the call span counts the step it cut short, the flush is handed over, nothing is kept`, async () => {
      const server = await mockOpenAI({
        chunkDelayMs: 25,
        reply: 'one two three four five six seven eight nine ten eleven twelve thirteen',
      })
      const { tracer, exporter } = setup()
      const model = openaiModel(server, tracer)
      const flushes: Promise<unknown>[] = []
      const app = new Hono()
      app.use(tracing({ tracer, waitUntil: (promise) => flushes.push(promise) }))
      app.post('/api/chat', (c) =>
        streamText({
          model,
          prompt: 'count',
          abortSignal: signal ? c.req.raw.signal : undefined,
        })[response](),
      )
      const port = await listen(app)
      await readThenDisconnect(port, '/api/chat', 40)
      // The provider request is aborted, the request span ends and the flush settles: nothing hangs.
      // With the signal the provider request is aborted; without it ai@7 just stops reading it.
      if (signal) await expect.poll(() => server.calls[0]?.aborted).toBe(true)
      await expect.poll(() => flushes.length).toBe(1)
      await Promise.all(flushes)
      await expect.poll(() => exporter.spans.length).toBe(3)
      const request = exporter.span('POST /api/chat')
      const call = exporter.span('streamText gpt-4o')
      const llm = exporter.span('chat gpt-4o')
      expect(new Set(exporter.spans.map((s) => s.traceId)).size).toBe(1)
      expect(call.parentSpanId).toBe(request.spanId)
      expect(llm.parentSpanId).toBe(call.spanId)
      expect([request.status, call.status, llm.status]).toEqual([
        'cancelled',
        'cancelled',
        'cancelled',
      ])
      // Closed with the request, and both spans say so.
      expect(llm.attributes['tokentrail.cancelled_by']).toBe('parent')
      expect(call.attributes['tokentrail.cancelled_by']).toBe('parent')
      expect(llm.attributes['tokentrail.output.text_length']).toBeGreaterThan(0)
      expect(llm.attributes['tokentrail.ttft_ms']).toBeTypeOf('number')
      // The step cut short is part of the call: its roll-up is not left at zero steps.
      expect(call.attributes[CALL_ATTR.steps]).toBe(1)
      expect(call.attributes[CALL_ATTR.ttftMs]).toBe(llm.attributes['tokentrail.ttft_ms'])
      expect(call.endTime).toBeGreaterThanOrEqual(llm.endTime)
      // The body's cancel after the request's abort writes nothing to the ended request span.
      expect(tracer.stats().lateWrites).toBe(0)
      // The call is let go: the AI SDK never ends a call whose stream nobody reads any more.
      const calls = (globalThis as any)[Symbol.for('tokentrail.ai-sdk.calls')]
      expect(calls.byCallId.size).toBe(0)
    })

  it('50 concurrent requests with a tool loop: 50 separate traces, every span under its own request', async () => {
    const server = await mockOpenAI({ chunkDelayMs: 2 })
    const { tracer, exporter } = setup({ maxQueueSize: 10_000 })
    const model = openaiModel(server, tracer)
    const app = new Hono()
    app.use('/api/*', tracing({ tracer }))
    app.post('/api/chat/:city', (c) =>
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
            execute: async ({ city }) => {
              await new Promise((resolve) => setTimeout(resolve, Math.random() * 15))
              return { city, celsius: 20 }
            },
          }),
        },
      }).toUIMessageStreamResponse(),
    )
    const port = await listen(app)
    const cities = Array.from({ length: 50 }, (_, i) => `city${i}`)
    const bodies = await Promise.all(
      cities.map((city) =>
        fetch(`http://127.0.0.1:${port}/api/chat/${city}`, { method: 'POST' }).then((r) =>
          r.text(),
        ),
      ),
    )
    for (const [i, body] of bodies.entries()) expect(body).toContain(`"city":"${cities[i]}"`)
    await tracer.flush()
    const spans = exporter.spans
    const roots = spans.filter((s) => s.kind === 'http')
    expect(roots).toHaveLength(50)
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(50)
    for (const root of roots) {
      const own = spans.filter((s) => s.traceId === root.traceId)
      const ids = new Set(own.map((s) => s.spanId))
      expect(own.map((s) => s.kind).sort()).toEqual(['http', 'internal', 'llm', 'llm', 'tool'])
      for (const span of own) if (span !== root) expect(ids.has(span.parentSpanId!)).toBe(true)
      const city = String(root.attributes['url.path']).split('/').pop()
      const tool = own.find((s) => s.kind === 'tool')!
      expect(JSON.parse(String(tool.attributes['gen_ai.tool.call.arguments']))).toEqual({ city })
    }
  })

  it('a client that disconnects while a tool runs: the tool span ends cancelled with the request and goes out in its flush', async () => {
    const server = await mockOpenAI({})
    const { tracer, exporter } = setup()
    const model = openaiModel(server, tracer)
    const flushes: Promise<unknown>[] = []
    let toolDone = false
    const app = new Hono()
    app.use(tracing({ tracer, waitUntil: (promise) => flushes.push(promise) }))
    app.post('/api/chat', () =>
      streamText({
        model,
        prompt: 'Weather in Oslo? [tool:weather]',
        stopWhen: stepCountIs(3),
        tools: {
          weather: tool({
            inputSchema: jsonSchema<{ city: string }>({
              type: 'object',
              properties: { city: { type: 'string' } },
              required: ['city'],
            }),
            execute: async ({ city }) => {
              await new Promise((resolve) => setTimeout(resolve, 300))
              toolDone = true
              return { city, celsius: 20 }
            },
          }),
        },
      }).toUIMessageStreamResponse(),
    )
    const port = await listen(app)
    // The UI stream says the tool's input is known: the tool is running.
    await readThenDisconnect(port, '/api/chat', 0, 'tool-input-available')
    await expect.poll(() => flushes.length).toBe(1)
    await Promise.all(flushes)
    expect(toolDone).toBe(false)
    const toolSpan = exporter.spans.find((s) => s.kind === 'tool')
    expect(toolSpan, 'the tool span went out with the request').toBeDefined()
    expect(toolSpan!.status).toBe('cancelled')
    expect(toolSpan!.parentSpanId).toBe(exporter.span('chat gpt-4o').spanId)
    expect(exporter.span('POST /api/chat').status).toBe('cancelled')
    // The call was cut short while its tool ran: not `ok`.
    expect(exporter.span('streamText gpt-4o').status).toBe('cancelled')
    // At the request's end, as the spans it closes itself: none outlives its parent.
    const requestEnd = exporter.span('POST /api/chat').endTime
    expect(exporter.span('streamText gpt-4o').endTime).toBe(requestEnd)
    expect(toolSpan!.endTime).toBe(requestEnd)
    // And let go, as a call closed mid-stream is: the AI SDK never ends a call nobody reads.
    await expect.poll(() => toolDone).toBe(true)
    await new Promise((resolve) => setTimeout(resolve, 200))
    const calls = (globalThis as any)[Symbol.for('tokentrail.ai-sdk.calls')]
    expect(calls.byCallId.size).toBe(0)
  })

  // What generateText rejects with when its abortSignal is the request's and the client leaves
  // (@hono/node-server's string reason, passed through by @ai-sdk/openai and the AI SDK) is the
  // client's cancel, not a server failure.
  // @hono/node-server aborts the signal with the string "Error: aborted", which generateText
  // rejects with: the call span was `error` ("Error: aborted"), the trace listed as failed.
  it('a client that leaves during generateText given the request signal: every span is cancelled', async () => {
    const { tracer, exporter } = setup({ flushIntervalMs: 20 })
    const server = await mockOpenAI({ firstChunkDelayMs: 10_000 })
    const model = openaiModel(server, tracer)
    const app = new Hono().use(tracing({ tracer }))
    app.post('/answer', async (c) => {
      const { text } = await generateText({ model, prompt: 'hi', abortSignal: c.req.raw.signal })
      return c.text(text)
    })
    const port = await listen(app)
    const request = httpRequest({ host: '127.0.0.1', port, path: '/answer', method: 'POST' })
    request.on('error', () => {})
    request.end()
    // Long enough for the model call to be waiting (10 s), not a timing assertion.
    await new Promise((resolve) => setTimeout(resolve, 500))
    request.destroy()
    await expect
      .poll(() => exporter.spans.some((s) => s.kind === 'http'), { timeout: 5000 })
      .toBe(true)
    const root = exporter.spans.find((s) => s.kind === 'http')!
    expect(root.status).toBe('cancelled')
    expect(root.attributes['error.type']).toBeUndefined()
    await tracer.flush()
    // The request, the generateText call and its model call.
    expect(exporter.spans).toHaveLength(3)
    for (const span of exporter.spans) {
      expect(span.status, span.name).toBe('cancelled')
      expect(span.error, span.name).toBeUndefined()
    }
  })
})
