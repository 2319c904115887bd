import { fileURLToPath } from 'node:url'
import { type MockOpenAI, startMockOpenAI } from '@tokentrail/mock-openai'
import { assertWholeTrace, startOtlpReceiver } from '@tokentrail/otlp-receiver'
import { Miniflare } from 'miniflare'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>
let mock: MockOpenAI
let mf: Miniflare
let url: URL

beforeAll(async () => {
  receiver = await startOtlpReceiver()
  mock = await startMockOpenAI({ chunkDelayMs: 2 })
  // The real workerd runtime, from the npm registry, running the bundled Workers entry.
  mf = new Miniflare({
    modules: true,
    scriptPath: fileURLToPath(new URL('../dist/worker.js', import.meta.url)),
    compatibilityDate: '2026-07-01',
    // nodejs_compat: AsyncLocalStorage for span nesting; enable_request_signal: client disconnects.
    compatibilityFlags: ['nodejs_compat', 'enable_request_signal'],
    bindings: {
      OPENAI_BASE_URL: mock.url,
      OPENAI_API_KEY: 'test-key',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.origin,
      OTEL_SERVICE_NAME: 'hono-chat-worker-test',
    },
  })
  url = await mf.ready
})

afterAll(async () => {
  await mf?.dispose()
  await mock?.close()
  await receiver?.close()
})

describe('examples/hono-chat Workers entry in workerd', () => {
  it('streams the answer and flushes a whole trace through executionCtx.waitUntil', async () => {
    const response = await mf.dispatchFetch('http://localhost/api/chat', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'Use the tool for Lisbon' }),
    })
    expect(response.status).toBe(200)
    const traceId = response.headers.get('x-trace-id')
    expect(traceId).toMatch(/^[0-9a-f]{32}$/)
    const body = await response.text()
    expect(body).toContain('"type":"tool-output-available"')
    expect(body).toContain('data: [DONE]')
    expect(mock.calls.map((c) => c.api)).toEqual(['responses', 'responses'])

    await expect
      .poll(() => receiver.spans.filter((s) => s.traceId === traceId).length, { timeout: 10_000 })
      .toBe(5)
    const trace = receiver.spans.filter((s) => s.traceId === traceId)
    const root = assertWholeTrace(trace)
    expect(root.name).toBe('POST /api/chat')
    expect(root.service).toBe('hono-chat-worker-test')
    expect(root.attributes['http.response.status_code']).toBe(200)
    expect(root.status.code).not.toBe(2)
    const llm = trace.filter((s) => s.attributes['gen_ai.operation.name'] === 'chat')
    expect(llm).toHaveLength(2)
    const call = trace.find((s) => s.attributes['gen_ai.operation.name'] === 'invoke_agent')!
    expect(call.parentSpanId).toBe(root.spanId)
    for (const span of llm) expect(span.parentSpanId).toBe(call.spanId)
    expect(trace.map((s) => s.name)).toContain('execute_tool weather')
  })

  it('delivers the trace of every request, not only the first one of the isolate', async () => {
    const ids: string[] = []
    for (let i = 0; i < 3; i++) {
      const response = await mf.dispatchFetch('http://localhost/api/chat', {
        method: 'POST',
        body: JSON.stringify({ prompt: `hello ${i}` }),
      })
      ids.push(response.headers.get('x-trace-id')!)
      expect(await response.text()).toContain('data: [DONE]')
    }
    await expect
      .poll(() => ids.map((id) => receiver.spans.filter((s) => s.traceId === id).length), {
        timeout: 10_000,
      })
      .toEqual([3, 3, 3]) // request, call, LLM
  })

  // The isolate's one tracer, requests at once: each request's flush sends its own spans from
  // that request (a send loop that went on from a finished request delivered 12-25 % of them).
  it('delivers every trace of requests the isolate serves at once', async () => {
    const ids: string[] = []
    await Promise.all(
      Array.from({ length: 4 }, async (_, lane) => {
        for (let i = 0; i < 5; i++) {
          const response = await mf.dispatchFetch('http://localhost/api/chat', {
            method: 'POST',
            body: JSON.stringify({ prompt: `lane ${lane} request ${i}` }),
          })
          ids.push(response.headers.get('x-trace-id')!)
          expect(await response.text()).toContain('data: [DONE]')
        }
      }),
    )
    await expect
      .poll(() => ids.map((id) => receiver.spans.filter((s) => s.traceId === id).length), {
        timeout: 10_000,
      })
      .toEqual(Array(20).fill(3))
  })

  it('marks the request span cancelled when the client cancels the stream', async () => {
    mock.reset()
    const controller = new AbortController()
    // Over workerd's real HTTP listener, which streams chunk by chunk.
    const response = await fetch(new URL('/api/chat', url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'slow '.repeat(300) }),
      signal: controller.signal,
    })
    const traceId = response.headers.get('x-trace-id')
    const reader = response.body!.getReader()
    expect((await reader.read()).done).toBe(false)
    controller.abort()
    await expect
      .poll(() => receiver.spans.filter((s) => s.traceId === traceId).length, { timeout: 10_000 })
      .toBeGreaterThanOrEqual(3)
    const trace = receiver.spans.filter((s) => s.traceId === traceId)
    const root = assertWholeTrace(trace)
    expect(root.attributes['tokentrail.span.status']).toBe('cancelled')
    const llm = trace.find((s) => s.attributes['gen_ai.operation.name'] === 'chat')
    const call = trace.find((s) => s.attributes['gen_ai.operation.name'] === 'invoke_agent')
    expect(call?.parentSpanId).toBe(root.spanId)
    expect(llm?.parentSpanId).toBe(call?.spanId)
    // The model call was cut short too: the mock saw the upstream request go away, or the span closed with its parent.
    expect(llm?.attributes['tokentrail.span.status']).toBe('cancelled')
  })
})
