// Span names as users meet them, on ai@5, ai@6 and ai@7 through each major's real `@ai-sdk/openai`
// over HTTP against tools/mock-openai: a streamText call whose model is answered through
// `simulateStreamingMiddleware` outside the tracing one (the model is asked to generate) is named
// `streamText`, and a model id thousands of characters long makes a span name of bounded length
// while `gen_ai.request.model` keeps it whole.
import { ATTR } from '@tokentrail/core'
import { type MockOpenAI, startMockOpenAI } from '@tokentrail/mock-openai'
import { afterEach, describe, expect, it } from 'vitest'
import { CALL_ATTR, tracingMiddleware } from '../src/index.js'
import { setup } from './helpers.js'
import { majors } from './majors.js'
import { callSpan, llmSpans } from './wire.js'

let server: MockOpenAI | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

describe.each(majors)('$major: span names', ({ ai, createOpenAI }) => {
  async function start(modelId: string) {
    server = await startMockOpenAI()
    const openai = createOpenAI({
      baseURL: server.url,
      apiKey: 'sk-test-not-a-real-key-0000000000',
    })
    return { ...setup(), provider: openai.chat(modelId) }
  }

  it('streamText through simulateStreamingMiddleware outside the tracing one: a streamText call', async () => {
    const { tracer, exporter, provider } = await start('gpt-4o')
    const model = ai.wrapLanguageModel({
      model: provider,
      middleware: [ai.simulateStreamingMiddleware(), tracingMiddleware({ tracer })],
    })
    const result = ai.streamText({ model, prompt: 'Hello' })
    const text = await result.text
    expect(text.length).toBeGreaterThan(0)
    await tracer.flush()
    const call = callSpan(exporter.spans)
    expect(call.name).toBe('streamText gpt-4o')
    expect(call.attributes[CALL_ATTR.operation]).toBe('streamText')
    // The model itself was asked to generate, not to stream.
    const [llm] = llmSpans(exporter.spans)
    expect(llm!.attributes[ATTR.requestStream]).toBeUndefined()
  })

  it('generateText beside it stays a generateText call', async () => {
    const { tracer, exporter, provider } = await start('gpt-4o')
    const model = ai.wrapLanguageModel({
      model: provider,
      middleware: [ai.simulateStreamingMiddleware(), tracingMiddleware({ tracer })],
    })
    await ai.generateText({ model, prompt: 'Hello' })
    await tracer.flush()
    expect(callSpan(exporter.spans).name).toBe('generateText gpt-4o')
  })

  it('a 5000-character model id: span names cut at 128 characters, the model attribute whole', async () => {
    // A fine-tuned model's id with a document pasted into it by mistake; one emoji across the cut.
    const id = `ft:gpt-4o:${'x'.repeat(116)}😀${'y'.repeat(5000)}`
    const { tracer, exporter, provider } = await start(id)
    const model = ai.wrapLanguageModel({
      model: provider,
      middleware: tracingMiddleware({ tracer }),
    })
    await ai.streamText({ model, prompt: 'Hello' }).text
    await tracer.flush()
    const [llm] = llmSpans(exporter.spans)
    const call = callSpan(exporter.spans)
    expect(llm!.name).toBe(`chat ft:gpt-4o:${'x'.repeat(116)}…`)
    expect(call.name).toBe(`streamText ft:gpt-4o:${'x'.repeat(116)}…`)
    expect(llm!.attributes[ATTR.requestModel]).toBe(id)
    expect(call.attributes[ATTR.requestModel]).toBe(id)
  })
})
