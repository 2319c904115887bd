// Work a route starts that ends after its request span, on a platform that freezes the function
// once every promise handed to waitUntil has settled (Vercel): a model call handed to
// `waitUntil` from @vercel/functions. Real Request into withTracing, a fake Vercel request context
// capturing waitUntil, real generateText through @ai-sdk/openai over HTTP to tools/mock-openai.
import { createOpenAI } from '@ai-sdk/openai'
import { tracingMiddleware } from '@tokentrail/ai-sdk'
import { type MockOpenAI, startMockOpenAI } from '@tokentrail/mock-openai'
import { waitUntil } from '@vercel/functions'
import { generateText, wrapLanguageModel } from 'ai'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { withTracing } from '../src/index.js'
import { fakeVercelContext, testTracer } from './helpers.js'

let openai: MockOpenAI
beforeAll(async () => {
  openai = await startMockOpenAI({ firstChunkDelayMs: 40, chunkDelayMs: 10 })
})
afterAll(() => openai.close())

it('a model call handed to waitUntil: its spans are sent before the function freezes, under the request span', async () => {
  const vercel = fakeVercelContext()
  try {
    const { tracer, exporter } = testTracer()
    const model = wrapLanguageModel({
      model: createOpenAI({ baseURL: openai.url, apiKey: 'sk-test-0000' }).chat('gpt-4o'),
      middleware: tracingMiddleware({ tracer }),
    })
    let summary = ''
    const POST = withTracing(
      async () => {
        waitUntil(
          generateText({ model, prompt: 'summarize this chat' }).then((result) => {
            summary = result.text
          }),
        )
        return new Response('saved')
      },
      { tracer, route: '/api/chat' },
    )
    const response = await POST(new Request('https://app.test/api/chat', { method: 'POST' }))
    expect(await response.text()).toBe('saved')
    // The platform: every promise handed to waitUntil (also those handed meanwhile), then freeze.
    for (let i = 0; i < vercel.promises.length; i++) await vercel.promises[i]
    expect(summary).toBe('You said: summarize this chat')
    const delivered = exporter.spans
    expect(delivered.map((s) => s.name).sort()).toEqual([
      'POST /api/chat',
      'chat gpt-4o',
      'generateText gpt-4o',
    ])
    const root = exporter.span('POST /api/chat')
    const call = exporter.span('generateText gpt-4o')
    expect(call.parentSpanId).toBe(root.spanId)
    expect(exporter.span('chat gpt-4o').parentSpanId).toBe(call.spanId)
    expect([call.status, exporter.span('chat gpt-4o').status]).toEqual(['ok', 'ok'])
  } finally {
    vercel.uninstall()
    delete (globalThis as any).AI_SDK_TELEMETRY_INTEGRATIONS
  }
})

it('a span started after the response that never ends holds the function no longer than streamTimeoutMs', async () => {
  const vercel = fakeVercelContext()
  try {
    const { tracer, exporter } = testTracer()
    const GET = withTracing(
      async () => {
        waitUntil(
          new Promise<void>((resolve) =>
            setTimeout(() => {
              tracer.startSpan('never ends')
              resolve()
            }, 20),
          ),
        )
        return new Response('ok')
      },
      { tracer, route: '/api/leak', streamTimeoutMs: 50 },
    )
    const response = await GET(new Request('https://app.test/api/leak'))
    expect(await response.text()).toBe('ok')
    // Settles: the late span's flush stops waiting for it after streamTimeoutMs.
    for (let i = 0; i < vercel.promises.length; i++) await vercel.promises[i]
    expect(vercel.promises.length).toBe(3)
    expect(exporter.spans.map((s) => s.name)).toEqual(['GET /api/leak'])
  } finally {
    vercel.uninstall()
  }
})
