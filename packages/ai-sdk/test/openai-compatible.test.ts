// Servers that speak OpenAI's Chat Completions (Ollama, vLLM, LM Studio, Together…) through the
// real @ai-sdk/openai-compatible of each AI SDK major (@1 on ai@5, @2 on ai@6, @3 on ai@7), over
// HTTP: the provider is named as the user named it, usage without token details leaves cached and
// reasoning tokens unknown (not 0), and a tool call answered with finish_reason "stop" (as Ollama
// and vLLM do) still gets its tool span.
import { createOpenAICompatible as createCompatible3 } from '@ai-sdk/openai-compatible'
import { createOpenAICompatible as createCompatible1 } from '@ai-sdk/openai-compatible-v1'
import { createOpenAICompatible as createCompatible2 } from '@ai-sdk/openai-compatible-v2'
import { ATTR } from '@tokentrail/core'
import { describe, expect, it } from 'vitest'
import { CALL_ATTR, tracingMiddleware } from '../src/index.js'
import { outputParts, outputText, setup } from './helpers.js'
import {
  callSpan,
  data,
  llmSpans,
  MAJORS,
  serveWire,
  useWireServers,
  type WireServer,
  weatherLoop,
} from './wire.js'

let server: WireServer | undefined
useWireServers()

const majors = [
  { ...MAJORS[0], compatible: createCompatible1 as any },
  { ...MAJORS[1], compatible: createCompatible2 as any },
  { ...MAJORS[2], compatible: createCompatible3 as any },
]

// What Ollama's OpenAI-compatible endpoint sends: the three totals, no details.
const USAGE = { prompt_tokens: 120, completion_tokens: 30, total_tokens: 150 }
const ARGS = '{"city":"Oslo"}'
const chunk = (step: number, delta: unknown, finishReason: string | null = null) => ({
  id: `chatcmpl-${step}`,
  object: 'chat.completion.chunk',
  created: 1741570283,
  model: 'llama3.1:8b',
  system_fingerprint: 'fp_ollama',
  choices: [{ index: 0, delta, finish_reason: finishReason }],
})

/** A tool call ended with "stop" (as Ollama and vLLM end one), then the answer. */
function ollamaAnswer(step: number, stream: boolean, usage: unknown = USAGE) {
  const asksTool = step === 0
  const toolCall = {
    id: 'call_x1',
    index: 0,
    type: 'function',
    function: { name: 'weather', arguments: ARGS },
  }
  if (!stream)
    return {
      json: {
        id: `chatcmpl-${step}`,
        object: 'chat.completion',
        created: 1741570283,
        model: 'llama3.1:8b',
        system_fingerprint: 'fp_ollama',
        choices: [
          {
            index: 0,
            message: asksTool
              ? { role: 'assistant', content: '', tool_calls: [toolCall] }
              : { role: 'assistant', content: 'Sunny' },
            finish_reason: 'stop',
          },
        ],
        usage,
      },
    }
  return {
    sse: [
      ...(asksTool
        ? [data(chunk(step, { role: 'assistant', content: '', tool_calls: [toolCall] }))]
        : [
            data(chunk(step, { role: 'assistant', content: 'Sun' })),
            data(chunk(step, { role: 'assistant', content: 'ny' })),
          ]),
      data({ ...chunk(step, { role: 'assistant', content: '' }, 'stop'), usage }),
      'data: [DONE]\n\n',
    ],
  }
}

describe.each(majors)('$major: an OpenAI-compatible server (Ollama)', ({ ai, compatible }) => {
  async function run(mode: 'generateText' | 'streamText') {
    const { tracer, exporter } = setup()
    const ollama = compatible({
      name: 'ollama',
      baseURL: `${server!.url}/v1`,
      includeUsage: true,
    })
    const model = ai.wrapLanguageModel({
      model: ollama('llama3.1:8b'),
      middleware: tracingMiddleware({ tracer }),
    })
    const { text, seen } = await weatherLoop(ai, model, mode)
    expect(text).toBe('Sunny')
    expect(seen).toEqual([{ city: 'Oslo' }])
    await tracer.flush()
    return exporter.spans
  }

  for (const mode of ['generateText', 'streamText'] as const)
    it(`${mode}, a tool call ended with "stop": named as the user named it, unknown token details`, async () => {
      server = await serveWire((_path, body, index) => ollamaAnswer(index, body.stream === true))
      const spans = await run(mode)
      const [asker, answer] = llmSpans(spans)
      for (const llm of [asker!, answer!]) {
        expect(llm.name).toBe('chat llama3.1:8b')
        expect(llm.attributes).toMatchObject({
          [ATTR.providerName]: 'ollama',
          [ATTR.requestModel]: 'llama3.1:8b',
          [ATTR.responseModel]: 'llama3.1:8b',
          [ATTR.usageInputTokens]: 120,
          [ATTR.usageOutputTokens]: 30,
          [ATTR.responseFinishReasons]: ['stop'],
        })
        // The server said nothing of cached or reasoning tokens: unknown, not 0.
        expect(llm.attributes).not.toHaveProperty(ATTR.usageCacheReadInputTokens)
        expect(llm.attributes).not.toHaveProperty(ATTR.usageReasoningOutputTokens)
        // A local model has no list price: no cost, and the span says which model had none.
        expect(llm.attributes).not.toHaveProperty(ATTR.costUsd)
        expect(llm.attributes['tokentrail.cost.unknown_model']).toBe('llama3.1:8b')
        if (mode === 'streamText') expect(llm.attributes[ATTR.ttftMs]).toBeGreaterThan(0)
      }
      expect(asker!.attributes[ATTR.responseId]).toBe('chatcmpl-0')
      const calls = outputParts(asker!).filter((part) => part.type === 'tool_call')
      expect(calls).toEqual([
        { type: 'tool_call', id: 'call_x1', name: 'weather', arguments: ARGS },
      ])
      expect(outputText(answer!)).toBe('Sunny')
      const [tool] = spans.filter((s) => s.kind === 'tool')
      expect(tool!.attributes[ATTR.toolCallId]).toBe('call_x1')
      expect(tool!.parentSpanId).toBe(asker!.spanId)
      const call = callSpan(spans)
      expect(call.attributes).toMatchObject({
        [ATTR.providerName]: 'ollama',
        [CALL_ATTR.steps]: 2,
        [CALL_ATTR.inputTokens]: 240,
        [CALL_ATTR.toolCalls]: 1,
        [CALL_ATTR.finishReason]: 'stop',
      })
      expect(call.attributes).not.toHaveProperty(CALL_ATTR.cacheReadTokens)
      expect(call.attributes).not.toHaveProperty(CALL_ATTR.reasoningTokens)
    })

  it('a server that reports details (vLLM with prefix caching): its counts, zeros included', async () => {
    const usage = {
      ...USAGE,
      prompt_tokens_details: { cached_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 12 },
    }
    server = await serveWire((_path, body, index) =>
      ollamaAnswer(index, body.stream === true, usage),
    )
    const [llm] = llmSpans(await run('streamText'))
    expect(llm!.attributes[ATTR.usageCacheReadInputTokens]).toBe(0)
    expect(llm!.attributes[ATTR.usageReasoningOutputTokens]).toBe(12)
  })
})
