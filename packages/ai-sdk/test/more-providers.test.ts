// Azure OpenAI, Groq, Mistral and xAI through their real AI SDK providers of each major, over
// HTTP against a local server in their wire formats (OpenAI's Chat Completions or Responses, with
// each one's own twists: Groq's usage in `x_groq`, xAI's completion tokens without the reasoning
// and its billed cost in `cost_in_usd_ticks`), a reasoning model with a tool loop, streamed and not.
import { createAzure as createAzure4 } from '@ai-sdk/azure'
import { createAzure as createAzure2 } from '@ai-sdk/azure-v2'
import { createAzure as createAzure3 } from '@ai-sdk/azure-v3'
import { createGroq as createGroq4 } from '@ai-sdk/groq'
import { createGroq as createGroq2 } from '@ai-sdk/groq-v2'
import { createGroq as createGroq3 } from '@ai-sdk/groq-v3'
import { createMistral as createMistral4 } from '@ai-sdk/mistral'
import { createMistral as createMistral2 } from '@ai-sdk/mistral-v2'
import { createMistral as createMistral3 } from '@ai-sdk/mistral-v3'
import { createXai as createXai5 } from '@ai-sdk/xai'
import { createXai as createXai2 } from '@ai-sdk/xai-v2'
import { createXai as createXai3 } from '@ai-sdk/xai-v3'
import { ATTR } from '@tokentrail/core'
import { describe, expect, it } from 'vitest'
import { CALL_ATTR, tracingMiddleware } from '../src/index.js'
import { outputParts, outputText, setup } from './helpers.js'
import {
  ARGS,
  chatAnswer,
  chatUsage,
  MODEL,
  responsesAnswer,
  responsesUsage,
  TOKENS,
} from './openai-wire.js'
import {
  callSpan,
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
  'ai@5': { azure: createAzure2, groq: createGroq2, mistral: createMistral2, xai: createXai2 },
  'ai@6': { azure: createAzure3, groq: createGroq3, mistral: createMistral3, xai: createXai3 },
  'ai@7': { azure: createAzure4, groq: createGroq4, mistral: createMistral4, xai: createXai5 },
} as Record<string, Record<string, (options: object) => any>>

// xAI bills in ticks, 10^10 to the dollar: 37 756 000 ticks are $0.0037756.
const XAI_TICKS = 37_756_000
// xAI's Chat Completions count the reasoning apart from the completion tokens.
const xaiChatUsage = {
  ...chatUsage,
  completion_tokens: TOKENS.output - TOKENS.reasoning,
  cost_in_usd_ticks: XAI_TICKS,
}

interface Case {
  name: string
  model: (url: string, client: Record<string, (options: object) => any>) => unknown
  answer: (step: number, stream: boolean) => WireAnswer
  provider: string
  requestModel: string
  responseModel: string
  cacheRead: number | undefined
  reasoning: number | undefined
  /** The cost per step, or undefined when none is known (then `unknownModel` says why). */
  cost: number | undefined
  unknownModel?: string
}

// gpt-5: $1.25 uncached, $0.125 cached input, $10 output per million.
const gpt5Cost = (50 * 1.25 + 150 * 0.125 + 90 * 10) / 1e6

function cases(major: string, stream: boolean): Case[] {
  const list: Case[] = [
    {
      name: 'Azure OpenAI, Responses',
      model: (url, c) => c.azure!({ baseURL: `${url}/openai`, apiKey: KEY }).responses('my-gpt5'),
      answer: (step, stream) => responsesAnswer(step, stream),
      provider: 'azure.ai.openai',
      requestModel: 'my-gpt5',
      responseModel: MODEL,
      cacheRead: TOKENS.cached,
      reasoning: TOKENS.reasoning,
      // Priced by the model the server named, not the deployment's name.
      cost: gpt5Cost,
    },
    {
      name: 'Azure OpenAI, Chat Completions',
      model: (url, c) => c.azure!({ baseURL: `${url}/openai`, apiKey: KEY }).chat('my-gpt5'),
      answer: (step, stream) => chatAnswer(step, stream),
      provider: 'azure.ai.openai',
      requestModel: 'my-gpt5',
      responseModel: MODEL,
      cacheRead: TOKENS.cached,
      reasoning: TOKENS.reasoning,
      cost: gpt5Cost,
    },
    {
      name: 'Groq',
      model: (url, c) => c.groq!({ baseURL: `${url}/openai/v1`, apiKey: KEY })('qwen/qwen3-32b'),
      answer: (step, stream) => chatAnswer(step, stream, { model: 'qwen/qwen3-32b', groq: true }),
      provider: 'groq',
      requestModel: 'qwen/qwen3-32b',
      responseModel: 'qwen/qwen3-32b',
      cacheRead: TOKENS.cached,
      reasoning: major === 'ai@5' ? undefined : TOKENS.reasoning,
      cost: undefined,
      unknownModel: 'qwen/qwen3-32b',
    },
    {
      name: 'Mistral',
      model: (url, c) => c.mistral!({ baseURL: `${url}/v1`, apiKey: KEY })('mistral-medium-latest'),
      answer: (step, stream) =>
        chatAnswer(step, stream, {
          model: 'mistral-medium-2508',
          wholeToolCalls: true,
          usageWithFinish: true,
          // Mistral's usage: the three totals.
          usage: {
            prompt_tokens: TOKENS.input,
            completion_tokens: TOKENS.output,
            total_tokens: TOKENS.input + TOKENS.output,
          },
        }),
      provider: 'mistral_ai',
      requestModel: 'mistral-medium-latest',
      responseModel: 'mistral-medium-2508',
      cacheRead: undefined,
      reasoning: undefined,
      cost: undefined,
      unknownModel: 'mistral-medium-2508',
    },
  ]
  if (major === 'ai@7')
    list.push({
      name: 'xAI, Responses (@ai-sdk/xai@5)',
      model: (url, c) => c.xai!({ baseURL: `${url}/v1`, apiKey: KEY })('grok-4'),
      answer: (step, stream) =>
        responsesAnswer(step, stream, {
          model: 'grok-4-0709',
          usage: { ...responsesUsage, cost_in_usd_ticks: XAI_TICKS },
        }),
      provider: 'x_ai',
      requestModel: 'grok-4',
      responseModel: 'grok-4-0709',
      cacheRead: TOKENS.cached,
      reasoning: TOKENS.reasoning,
      cost: XAI_TICKS / 1e10,
    })
  else
    list.push({
      name: `xAI, Chat Completions (@ai-sdk/xai@${major === 'ai@5' ? 2 : 3})`,
      model: (url, c) => c.xai!({ baseURL: `${url}/v1`, apiKey: KEY })('grok-4'),
      answer: (step, stream) =>
        chatAnswer(step, stream, {
          model: 'grok-4-0709',
          usage: xaiChatUsage,
          wholeToolCalls: true,
        }),
      provider: 'x_ai',
      requestModel: 'grok-4',
      responseModel: 'grok-4-0709',
      cacheRead: TOKENS.cached,
      reasoning: TOKENS.reasoning,
      // @ai-sdk/xai@2 passes the billed cost on nowhere but in a generate answer's body.
      cost: major === 'ai@5' && stream ? undefined : XAI_TICKS / 1e10,
      unknownModel: major === 'ai@5' && stream ? 'grok-4-0709' : undefined,
    })
  return list
}

describe.each(MAJORS)('$major: more providers over HTTP', ({ major, ai }) => {
  for (const mode of ['generateText', 'streamText'] as const)
    for (const c of cases(major, mode === 'streamText'))
      it(`${c.name}, ${mode}: provider, models, tokens, cost, finish reasons, tool call`, async () => {
        server = await serveWire((_path, body, index) => c.answer(index, body.stream === true))
        const { tracer, exporter } = setup()
        const model = ai.wrapLanguageModel({
          model: c.model(server.url, clients[major]!),
          middleware: tracingMiddleware({ tracer }),
        })
        const { text } = await weatherLoop(ai, model, mode)
        expect(text).toBe('Sunny')
        expect(server.requests).toHaveLength(2)
        await tracer.flush()
        const [asker, answer] = llmSpans(exporter.spans)
        for (const llm of [asker!, answer!]) {
          expect(llm.attributes).toMatchObject({
            [ATTR.providerName]: c.provider,
            [ATTR.requestModel]: c.requestModel,
            [ATTR.responseModel]: c.responseModel,
            [ATTR.usageInputTokens]: TOKENS.input,
            [ATTR.usageOutputTokens]: TOKENS.output,
          })
          expect(llm.attributes[ATTR.usageCacheReadInputTokens]).toBe(c.cacheRead)
          expect(llm.attributes[ATTR.usageReasoningOutputTokens]).toBe(c.reasoning)
          if (c.cost === undefined) expect(llm.attributes).not.toHaveProperty(ATTR.costUsd)
          else expect(llm.attributes[ATTR.costUsd] as number).toBeCloseTo(c.cost, 12)
          expect(llm.attributes['tokentrail.cost.unknown_model']).toBe(c.unknownModel)
          if (mode === 'streamText') expect(llm.attributes[ATTR.ttftMs]).toBeGreaterThan(0)
        }
        expect(asker!.attributes[ATTR.responseFinishReasons]).toEqual(['tool_call'])
        expect(answer!.attributes[ATTR.responseFinishReasons]).toEqual(['stop'])
        const calls = outputParts(asker!).filter((part) => part.type === 'tool_call')
        expect(calls).toEqual([
          { type: 'tool_call', id: 'call_1', name: 'weather', arguments: ARGS },
        ])
        expect(outputText(answer!)).toBe('Sunny')
        const [tool] = exporter.spans.filter((s) => s.kind === 'tool')
        expect(tool!.parentSpanId).toBe(asker!.spanId)
        const call = callSpan(exporter.spans)
        expect(call.attributes[ATTR.providerName]).toBe(c.provider)
        expect(call.attributes[CALL_ATTR.inputTokens]).toBe(2 * TOKENS.input)
        expect(call.attributes[CALL_ATTR.toolCalls]).toBe(1)
        if (c.cost !== undefined)
          expect(call.attributes[CALL_ATTR.costUsd] as number).toBeCloseTo(2 * c.cost, 12)
      })
})
