// DeepSeek, Together AI, Fireworks, Cerebras and Perplexity through their real AI SDK providers of
// each major, over HTTP against a local server in their Chat Completions wire formats, each with
// its own twists: DeepSeek's `prompt_cache_hit_tokens` and `reasoning_content`, Together's usage
// without details, Perplexity's reasoning tokens beside the completion tokens and its billed cost
// in `usage.cost` (https://docs.perplexity.ai/api-reference/chat-completions-post).
import { createCerebras as createCerebras3 } from '@ai-sdk/cerebras'
import { createCerebras as createCerebras1 } from '@ai-sdk/cerebras-v1'
import { createCerebras as createCerebras2 } from '@ai-sdk/cerebras-v2'
import { createDeepSeek as createDeepSeek3 } from '@ai-sdk/deepseek'
import { createDeepSeek as createDeepSeek1 } from '@ai-sdk/deepseek-v1'
import { createDeepSeek as createDeepSeek2 } from '@ai-sdk/deepseek-v2'
import { createFireworks as createFireworks3 } from '@ai-sdk/fireworks'
import { createFireworks as createFireworks1 } from '@ai-sdk/fireworks-v1'
import { createFireworks as createFireworks2 } from '@ai-sdk/fireworks-v2'
import { createPerplexity as createPerplexity4 } from '@ai-sdk/perplexity'
import { createPerplexity as createPerplexity2 } from '@ai-sdk/perplexity-v2'
import { createPerplexity as createPerplexity3 } from '@ai-sdk/perplexity-v3'
import { createTogetherAI as createTogether3 } from '@ai-sdk/togetherai'
import { createTogetherAI as createTogether1 } from '@ai-sdk/togetherai-v1'
import { createTogetherAI as createTogether2 } from '@ai-sdk/togetherai-v2'
import { ATTR } from '@tokentrail/core'
import { describe, expect, it } from 'vitest'
import { CALL_ATTR, tracingMiddleware } from '../src/index.js'
import { outputParts, outputText, setup } from './helpers.js'
import {
  ARGS,
  chatAnswer,
  chatUsage,
  REASONING,
  responsesAnswer,
  responsesUsage,
  TOKENS,
} from './openai-wire.js'
import {
  callSpan,
  data,
  llmSpans,
  MAJORS,
  serveWire,
  useWireServers,
  type WireAnswer,
  type WireServer,
  weatherLoop,
} from './wire.js'

let server: WireServer | undefined
useWireServers()

const KEY = 'test-key-wiretest-000000000000'
const clients = {
  'ai@5': {
    deepseek: createDeepSeek1,
    together: createTogether1,
    fireworks: createFireworks1,
    cerebras: createCerebras1,
  },
  'ai@6': {
    deepseek: createDeepSeek2,
    together: createTogether2,
    fireworks: createFireworks2,
    cerebras: createCerebras2,
    perplexity: createPerplexity3,
  },
  'ai@7': {
    deepseek: createDeepSeek3,
    together: createTogether3,
    fireworks: createFireworks3,
    cerebras: createCerebras3,
    perplexity: createPerplexity4,
  },
} as Record<string, Record<string, (options: object) => any>>

// DeepSeek's usage: OpenAI's, with the cache hits and misses under its own names too.
const deepseekUsage = {
  ...chatUsage,
  prompt_cache_hit_tokens: TOKENS.cached,
  prompt_cache_miss_tokens: TOKENS.input - TOKENS.cached,
}
// Together's usage: the three totals.
const plainUsage = {
  prompt_tokens: TOKENS.input,
  completion_tokens: TOKENS.output,
  total_tokens: TOKENS.input + TOKENS.output,
}

// DeepSeek's reasoning comes before the tool call, in `reasoning_content`.
function withReasoning(reply: WireAnswer, step: number): WireAnswer {
  if (step !== 0) return reply
  if (reply.json) {
    ;(reply.json as any).choices[0].message.reasoning_content = REASONING
    return reply
  }
  const first = JSON.parse((reply.sse![0] as string).slice('data: '.length))
  first.choices[0].delta = { reasoning_content: REASONING }
  return { ...reply, sse: [reply.sse![0]!, data(first), ...reply.sse!.slice(1)] }
}

interface Case {
  name: string
  model: (url: string, client: Record<string, (options: object) => any>) => unknown
  answer: (step: number, stream: boolean) => WireAnswer
  provider: string
  model_: string
  cacheRead: number | undefined
  reasoning: number | undefined
  reasoningText?: boolean
}

const cases: Case[] = [
  {
    name: 'DeepSeek',
    model: (url, c) => c.deepseek!({ baseURL: url, apiKey: KEY })('deepseek-reasoner'),
    answer: (step, stream) =>
      withReasoning(
        chatAnswer(step, stream, { model: 'deepseek-reasoner', usage: deepseekUsage }),
        step,
      ),
    provider: 'deepseek',
    model_: 'deepseek-reasoner',
    cacheRead: TOKENS.cached,
    reasoning: TOKENS.reasoning,
    reasoningText: true,
  },
  {
    name: 'Together AI',
    model: (url, c) =>
      c.together!({ baseURL: url, apiKey: KEY })('meta-llama/Llama-3.3-70B-Instruct-Turbo'),
    answer: (step, stream) =>
      chatAnswer(step, stream, {
        model: 'meta-llama/Llama-3.3-70B-Instruct-Turbo',
        usage: plainUsage,
      }),
    provider: 'togetherai',
    model_: 'meta-llama/Llama-3.3-70B-Instruct-Turbo',
    cacheRead: undefined,
    reasoning: undefined,
  },
  {
    name: 'Fireworks',
    model: (url, c) =>
      c.fireworks!({ baseURL: url, apiKey: KEY })('accounts/fireworks/models/gpt-oss-120b'),
    answer: (step, stream) =>
      chatAnswer(step, stream, { model: 'accounts/fireworks/models/gpt-oss-120b' }),
    provider: 'fireworks',
    model_: 'accounts/fireworks/models/gpt-oss-120b',
    cacheRead: TOKENS.cached,
    reasoning: TOKENS.reasoning,
  },
  {
    name: 'Cerebras',
    model: (url, c) => c.cerebras!({ baseURL: url, apiKey: KEY })('gpt-oss-120b'),
    answer: (step, stream) => chatAnswer(step, stream, { model: 'gpt-oss-120b' }),
    provider: 'cerebras',
    model_: 'gpt-oss-120b',
    cacheRead: TOKENS.cached,
    reasoning: TOKENS.reasoning,
  },
]

describe.each(MAJORS)('$major: Chat Completions providers over HTTP', ({ major, ai }) => {
  for (const c of cases)
    for (const mode of ['generateText', 'streamText'] as const)
      it(`${c.name}, ${mode}: provider, models, id, tokens, finish reasons, tool call`, async () => {
        server = await serveWire((_path, body, index) => c.answer(index, body.stream === true))
        const { tracer, exporter } = setup()
        const model = ai.wrapLanguageModel({
          model: c.model(server.url, clients[major]!),
          middleware: tracingMiddleware({ tracer }),
        })
        const { text } = await weatherLoop(ai, model, mode)
        expect(text).toBe('Sunny')
        expect(server.requests.map((r) => r.path)).toEqual([
          '/chat/completions',
          '/chat/completions',
        ])
        await tracer.flush()
        const [asker, answer] = llmSpans(exporter.spans)
        for (const [i, llm] of [asker!, answer!].entries()) {
          expect(llm.attributes).toMatchObject({
            [ATTR.providerName]: c.provider,
            [ATTR.requestModel]: c.model_,
            [ATTR.responseModel]: c.model_,
            [ATTR.responseId]: `chatcmpl-step${i}`,
            [ATTR.usageInputTokens]: TOKENS.input,
            [ATTR.usageOutputTokens]: TOKENS.output,
          })
          expect(llm.attributes[ATTR.usageCacheReadInputTokens]).toBe(c.cacheRead)
          expect(llm.attributes[ATTR.usageReasoningOutputTokens]).toBe(c.reasoning)
          // None of these models is in the price table: said, not priced as free.
          expect(llm.attributes).not.toHaveProperty(ATTR.costUsd)
          expect(llm.attributes['tokentrail.cost.unknown_model']).toBe(c.model_)
          if (mode === 'streamText') expect(llm.attributes[ATTR.ttftMs]).toBeGreaterThan(0)
        }
        expect(asker!.attributes[ATTR.responseFinishReasons]).toEqual(['tool_call'])
        expect(answer!.attributes[ATTR.responseFinishReasons]).toEqual(['stop'])
        const parts = outputParts(asker!)
        expect(parts.filter((part) => part.type === 'tool_call')).toEqual([
          { type: 'tool_call', id: 'call_1', name: 'weather', arguments: ARGS },
        ])
        if (c.reasoningText)
          expect(parts.find((part) => part.type === 'reasoning')).toEqual({
            type: 'reasoning',
            content: REASONING,
          })
        expect(outputText(answer!)).toBe('Sunny')
        const call = callSpan(exporter.spans)
        expect(call.attributes[ATTR.providerName]).toBe(c.provider)
        expect(call.attributes[CALL_ATTR.inputTokens]).toBe(2 * TOKENS.input)
        expect(call.attributes[CALL_ATTR.toolCalls]).toBe(1)
      })
})

// Perplexity's Sonar models take no tools; its usage counts the reasoning apart from the
// completion tokens and carries what the call cost in USD. @ai-sdk/perplexity@2 (ai@5) speaks
// Perplexity's Agent API instead (below).
const SONAR_COST = { input_tokens_cost: 0.0004, output_tokens_cost: 0.00072, request_cost: 0.006 }
const sonarUsage = {
  prompt_tokens: TOKENS.input,
  completion_tokens: TOKENS.output - TOKENS.reasoning,
  total_tokens: TOKENS.input + TOKENS.output,
  reasoning_tokens: TOKENS.reasoning,
  citation_tokens: 512,
  num_search_queries: 1,
  search_context_size: 'low',
  cost: { ...SONAR_COST, total_cost: 0.00712 },
}
function sonarAnswer(stream: boolean): WireAnswer {
  const base = { id: 'pplx-1', model: 'sonar-reasoning-pro', created: 1741570283 }
  if (!stream)
    return {
      json: {
        ...base,
        object: 'chat.completion',
        citations: ['https://example.com/oslo'],
        choices: [
          { index: 0, message: { role: 'assistant', content: 'Sunny' }, finish_reason: 'stop' },
        ],
        usage: sonarUsage,
      },
    }
  const chunk = (delta: unknown, finish: string | null, usage?: unknown) =>
    data({
      ...base,
      object: 'chat.completion.chunk',
      citations: ['https://example.com/oslo'],
      choices: [{ index: 0, delta, finish_reason: finish }],
      ...(usage ? { usage } : {}),
    })
  return {
    sse: [
      chunk({ role: 'assistant', content: 'Sun' }, null),
      chunk({ content: 'ny' }, null),
      chunk({ content: '' }, 'stop', sonarUsage),
    ],
  }
}

describe.each(MAJORS.filter(({ major }) => major !== 'ai@5'))(
  '$major: Perplexity over HTTP',
  ({ major, ai }) => {
    for (const mode of ['generateText', 'streamText'] as const)
      it(`${mode}: tokens with the reasoning in the output, and the cost Perplexity billed`, async () => {
        server = await serveWire((_path, body) => sonarAnswer(body.stream === true))
        const { tracer, exporter } = setup()
        const model = ai.wrapLanguageModel({
          model: clients[major]!.perplexity!({ baseURL: server.url, apiKey: KEY })(
            'sonar-reasoning-pro',
          ),
          middleware: tracingMiddleware({ tracer }),
        })
        const args = { model, prompt: 'Weather in Oslo?' }
        const text =
          mode === 'generateText'
            ? (await ai.generateText(args)).text
            : await ai.streamText(args).text
        expect(text).toBe('Sunny')
        await tracer.flush()
        const [llm] = llmSpans(exporter.spans)
        expect(llm!.attributes).toMatchObject({
          [ATTR.providerName]: 'perplexity',
          [ATTR.requestModel]: 'sonar-reasoning-pro',
          [ATTR.responseModel]: 'sonar-reasoning-pro',
          [ATTR.responseId]: 'pplx-1',
          [ATTR.usageInputTokens]: TOKENS.input,
          [ATTR.usageOutputTokens]: TOKENS.output,
          [ATTR.usageReasoningOutputTokens]: TOKENS.reasoning,
          [ATTR.responseFinishReasons]: ['stop'],
        })
        expect(llm!.attributes).not.toHaveProperty(ATTR.usageCacheReadInputTokens)
        // The request fee and the search included, which no price table knows.
        expect(llm!.attributes[ATTR.costUsd]).toBe(0.00712)
        expect(llm!.attributes).not.toHaveProperty('tokentrail.cost.unknown_model')
        if (mode === 'streamText') expect(llm!.attributes[ATTR.ttftMs]).toBeGreaterThan(0)
      })
  },
)

// @ai-sdk/perplexity@2 (ai@5) calls Perplexity's Agent API (`POST /v1/agent`): the Responses wire
// format, with models of several vendors and tools, its usage with what the call cost in USD.
const AGENT_COST = 0.0011875
describe('ai@5: Perplexity Agent API over HTTP', () => {
  const { ai } = MAJORS[0]
  for (const mode of ['generateText', 'streamText'] as const)
    it(`${mode}: tokens, the cost Perplexity billed, finish reasons, tool call`, async () => {
      server = await serveWire((_path, body, index) =>
        responsesAnswer(index, body.stream === true, {
          model: 'openai/gpt-5',
          usage: {
            ...responsesUsage,
            cost: {
              currency: 'USD',
              input_cost: 0.0002875,
              output_cost: 0.0009,
              total_cost: AGENT_COST,
            },
          },
        }),
      )
      const { tracer, exporter } = setup()
      const model = ai.wrapLanguageModel({
        model: createPerplexity2({ baseURL: server.url, apiKey: KEY })('openai/gpt-5'),
        middleware: tracingMiddleware({ tracer }),
      })
      const { text } = await weatherLoop(ai, model, mode)
      expect(text).toBe('Sunny')
      expect(server.requests.map((r) => r.path)).toEqual(['/v1/agent', '/v1/agent'])
      await tracer.flush()
      const [asker, answer] = llmSpans(exporter.spans)
      for (const llm of [asker!, answer!]) {
        expect(llm.attributes).toMatchObject({
          [ATTR.providerName]: 'perplexity',
          [ATTR.requestModel]: 'openai/gpt-5',
          [ATTR.responseModel]: 'openai/gpt-5',
          [ATTR.usageInputTokens]: TOKENS.input,
          [ATTR.usageOutputTokens]: TOKENS.output,
          [ATTR.usageCacheReadInputTokens]: TOKENS.cached,
          [ATTR.usageReasoningOutputTokens]: TOKENS.reasoning,
        })
        // What Perplexity billed, not the list price of gpt-5.
        expect(llm.attributes[ATTR.costUsd]).toBe(AGENT_COST)
        if (mode === 'streamText') expect(llm.attributes[ATTR.ttftMs]).toBeGreaterThan(0)
      }
      expect(asker!.attributes[ATTR.responseFinishReasons]).toEqual(['tool_call'])
      expect(answer!.attributes[ATTR.responseFinishReasons]).toEqual(['stop'])
      expect(outputParts(asker!).filter((part) => part.type === 'tool_call')).toEqual([
        { type: 'tool_call', id: 'call_1', name: 'weather', arguments: ARGS },
      ])
      expect(outputText(answer!)).toBe('Sunny')
    })
})
