// A tracer whose string limit is lower than a call's messages (`limits: { maxStringLength: 4096 }`
// as core's README shows, or OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT set for every service): the
// messages were cut as text, and `gen_ai.input.messages` / `gen_ai.output.messages` reached the
// backend as invalid JSON that no parser reads. Now the JSON stays valid, its long texts cut and
// marked with `…`. On ai@5, ai@6 and ai@7 through each major's `@ai-sdk/openai` over HTTP, exported as
// OTLP JSON to a real receiver.
import { ATTR, createTracer, otlpExporter } from '@tokentrail/core'
import { type MockOpenAI, startMockOpenAI } from '@tokentrail/mock-openai'
import { type OtlpReceiver, startOtlpReceiver } from '@tokentrail/otlp-receiver'
import { afterEach, describe, expect, it } from 'vitest'
import { tracingMiddleware } from '../src/index.js'
import { majors } from './majors.js'

let server: MockOpenAI | undefined
let receiver: OtlpReceiver | undefined
afterEach(async () => {
  await server?.close()
  await receiver?.close()
  server = receiver = undefined
  delete (globalThis as any).AI_SDK_TELEMETRY_INTEGRATIONS
})

describe.each(majors)('$major, over HTTP', ({ ai, createOpenAI }) => {
  it('messages past the tracer string limit stay valid JSON, their long texts cut and marked', async () => {
    server = await startMockOpenAI({})
    receiver = await startOtlpReceiver()
    const openai = createOpenAI({ baseURL: server.url, apiKey: 'sk-test-not-a-real-key-0000' })
    const tracer = createTracer({
      serviceName: 'limits',
      exporters: [otlpExporter({ url: `${receiver.url}/v1/traces` })],
      limits: { maxStringLength: 1024 },
    })
    const model = ai.wrapLanguageModel({
      model: openai.chat('gpt-4o'),
      middleware: tracingMiddleware({ tracer }),
    })
    const history = Array.from({ length: 12 }, (_, i) => ({
      role: i % 2 ? 'assistant' : 'user',
      content: `message ${i}: ${'a long line of earlier chat "quoted" text. '.repeat(20)}`,
    }))
    const result = await ai.generateText({
      model,
      system: 'You are terse.',
      messages: [...history, { role: 'user', content: 'Hi' }],
    })
    expect(result.text.length).toBeGreaterThan(0)
    expect(await tracer.flush({ timeoutMs: 5000 })).toEqual({ ok: true, pending: 0 })
    const step = receiver.spans.find((s) => s.attributes[ATTR.operationName] === 'chat')!
    const input = step.attributes[ATTR.inputMessages] as string
    expect(input.length).toBeLessThanOrEqual(1024)
    const messages = JSON.parse(input)
    expect(messages.length).toBe(13)
    // Every message is still there, its long text cut to one length and ending in `…`.
    expect(messages[0].parts[0].content).toMatch(/^message 0: a long .*…$/)
    expect(messages.at(-1).parts[0].content).toBe('Hi')
    JSON.parse(step.attributes[ATTR.outputMessages] as string)
    await tracer.shutdown()
  })
})
