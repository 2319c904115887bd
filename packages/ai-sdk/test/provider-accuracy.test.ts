// What a trace says, checked against what the provider's own wire answer said: the real
// @ai-sdk/openai, @ai-sdk/anthropic and @ai-sdk/google of each AI SDK major over HTTP, against
// local servers that answer in each API's wire format (see wire.ts).
import { ATTR, type SpanData } from '@tokentrail/core'
import { afterEach, describe, expect, it } from 'vitest'
import { CALL_ATTR, tracingMiddleware } from '../src/index.js'
import { setup } from './helpers.js'
import { data, MAJORS, serveWire, type WireServer } from './wire.js'

let server: WireServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
  delete (globalThis as any).AI_SDK_TELEMETRY_INTEGRATIONS
})

const callSpan = (spans: readonly SpanData[]) =>
  spans.find((s) => s.attributes[ATTR.operationName] === 'invoke_agent')!
const llmSpans = (spans: readonly SpanData[]) => spans.filter((s) => s.kind === 'llm')

// OpenAI Chat Completions, as https://platform.openai.com/docs/api-reference/chat documents it.
const chatChunk = (delta: unknown, finishReason: string | null = null) => ({
  id: 'chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG',
  object: 'chat.completion.chunk',
  created: 1741570283,
  model: 'gpt-4o-2024-08-06',
  system_fingerprint: 'fp_eb9dce56a8',
  choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
})
const chatCompletion = (usage: unknown) => ({
  id: 'chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG',
  object: 'chat.completion',
  created: 1741570283,
  model: 'gpt-4o-2024-08-06',
  choices: [
    {
      index: 0,
      message: { role: 'assistant', content: 'Hello there', refusal: null, annotations: [] },
      logprobs: null,
      finish_reason: 'stop',
    },
  ],
  usage,
  service_tier: 'default',
  system_fingerprint: 'fp_eb9dce56a8',
})
const chatStream = (usage: unknown) => [
  data(chatChunk({ role: 'assistant', content: '', refusal: null })),
  data(chatChunk({ content: 'Hello' })),
  data(chatChunk({ content: ' there' })),
  data(chatChunk({}, 'stop')),
  data({ ...chatChunk({}), choices: [], usage }),
  'data: [DONE]\n\n',
]

describe.each(MAJORS)('$major, real provider clients over HTTP', ({ ai, openai }) => {
  for (const mode of ['generateText', 'streamText'] as const)
    it(`${mode}, an OpenAI-compatible server whose usage has no token details: cached and reasoning tokens are unknown, not 0`, async () => {
      // vLLM, Ollama and other OpenAI-compatible servers send only the three totals.
      const usage = { prompt_tokens: 120, completion_tokens: 30, total_tokens: 150 }
      server = await serveWire((_path, body) =>
        body.stream ? { sse: chatStream(usage) } : { json: chatCompletion(usage) },
      )
      const { tracer, exporter } = setup()
      const model = ai.wrapLanguageModel({
        model: openai(server.url).chat('gpt-4o'),
        middleware: tracingMiddleware({ tracer }),
      })
      const text =
        mode === 'generateText'
          ? (await ai.generateText({ model, prompt: 'Hi' })).text
          : await ai.streamText({ model, prompt: 'Hi' }).text
      expect(text).toBe('Hello there')
      await tracer.flush()
      const [llm] = llmSpans(exporter.spans)
      expect(llm!.attributes[ATTR.usageInputTokens]).toBe(120)
      expect(llm!.attributes[ATTR.usageOutputTokens]).toBe(30)
      expect(llm!.attributes).not.toHaveProperty(ATTR.usageCacheReadInputTokens)
      expect(llm!.attributes).not.toHaveProperty(ATTR.usageReasoningOutputTokens)
      const call = callSpan(exporter.spans)
      expect(call.attributes[CALL_ATTR.inputTokens]).toBe(120)
      expect(call.attributes).not.toHaveProperty(CALL_ATTR.cacheReadTokens)
      expect(call.attributes).not.toHaveProperty(CALL_ATTR.reasoningTokens)
      // All 120 input tokens at the uncached rate of gpt-4o ($2.50 / $10 per million).
      expect(llm!.attributes[ATTR.costUsd] as number).toBeCloseTo((120 * 2.5 + 30 * 10) / 1e6, 12)
    })

  it('an OpenAI server that reports details: zeros it sent are kept as zeros', async () => {
    const usage = {
      prompt_tokens: 120,
      completion_tokens: 30,
      total_tokens: 150,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: 0,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    }
    server = await serveWire(() => ({ sse: chatStream(usage) }))
    const { tracer, exporter } = setup()
    const model = ai.wrapLanguageModel({
      model: openai(server.url).chat('gpt-4o'),
      middleware: tracingMiddleware({ tracer }),
    })
    await ai.streamText({ model, prompt: 'Hi' }).consumeStream()
    await tracer.flush()
    const [llm] = llmSpans(exporter.spans)
    expect(llm!.attributes[ATTR.usageCacheReadInputTokens]).toBe(0)
    expect(llm!.attributes[ATTR.usageReasoningOutputTokens]).toBe(0)
  })
})
