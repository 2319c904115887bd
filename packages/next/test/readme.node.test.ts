// The root README's route, as written, driven by the AI SDK's own useChat transport
// (DefaultChatTransport, what `useChat` sends through) against the real @ai-sdk/openai provider
// talking HTTP to the local mock. The model and tracer come from env, as in the README.
import { tracingMiddleware } from '@tokentrail/ai-sdk'
import { createTracer, setTracer } from '@tokentrail/core'
import { memoryExporter } from '@tokentrail/core/testing'
import { type MockOpenAI, startMockOpenAI } from '@tokentrail/mock-openai'
import {
  convertToModelMessages,
  DefaultChatTransport,
  readUIMessageStream,
  streamText,
  type UIMessage,
  wrapLanguageModel,
} from 'ai'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { withTracing } from '../src/index.js'
import { fakeVercelContext } from './helpers.js'

let mock: MockOpenAI
const exporter = memoryExporter()
const saved = { base: process.env.OPENAI_BASE_URL, key: process.env.OPENAI_API_KEY }

beforeAll(async () => {
  mock = await startMockOpenAI()
  // Nothing here may reach the real OpenAI: the provider must be imported after this.
  process.env.OPENAI_BASE_URL = mock.url
  process.env.OPENAI_API_KEY = 'sk-test-not-a-real-key-0000000000'
  setTracer(createTracer({ serviceName: 'readme', exporters: [exporter] }))
})
afterAll(async () => {
  setTracer(undefined)
  process.env.OPENAI_BASE_URL = saved.base
  process.env.OPENAI_API_KEY = saved.key
  await mock.close()
})

it('the root README route answers a real useChat transport, and the call is one trace under the request', async () => {
  // The default `openai` provider reads OPENAI_BASE_URL when it is first imported: import it now
  // that the env points at the local mock.
  const { openai } = await import('@ai-sdk/openai')
  // ── as in README.md ──
  const model = wrapLanguageModel({ model: openai('gpt-4o'), middleware: tracingMiddleware() })

  const POST = withTracing(async (request: Request) => {
    const { messages }: { messages: UIMessage[] } = await request.json()
    return streamText({
      model,
      messages: await convertToModelMessages(messages),
    }).toUIMessageStreamResponse()
  })
  // ──

  const vercel = fakeVercelContext()
  try {
    const transport = new DefaultChatTransport<UIMessage>({
      api: 'http://localhost/api/chat',
      fetch: async (input, init) => POST(new Request(input as string, init)),
    })
    const chunks = await transport.sendMessages({
      chatId: 'chat-1',
      messageId: undefined,
      trigger: 'submit-message',
      abortSignal: undefined,
      messages: [{ id: 'u1', role: 'user', parts: [{ type: 'text', text: 'Hello from useChat' }] }],
    })
    let last: UIMessage | undefined
    for await (const message of readUIMessageStream({ stream: chunks })) last = message
    const text = last?.parts.map((p) => (p.type === 'text' ? p.text : '')).join('')
    expect(text).toBe('You said: Hello from useChat')
    await vercel.settle()
  } finally {
    vercel.uninstall()
  }
  const request = exporter.spans.find((s) => s.kind === 'http')!
  const call = exporter.spans.find((s) => s.attributes['gen_ai.operation.name'] === 'invoke_agent')!
  const llm = exporter.spans.find((s) => s.kind === 'llm')!
  expect(request.status).toBe('ok')
  expect(call.name).toBe('streamText gpt-4o')
  expect(call.parentSpanId).toBe(request.spanId)
  expect(llm.parentSpanId).toBe(call.spanId)
  expect(llm.attributes['gen_ai.usage.input_tokens']).toBe(mock.calls[0]!.usage!.inputTokens)
  expect(new Set(exporter.spans.map((s) => s.traceId)).size).toBe(1)
})
