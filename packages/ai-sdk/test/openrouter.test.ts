// OpenRouter through its own AI SDK provider (`@openrouter/ai-sdk-provider`: @1 for ai@5, @2 for
// ai@6, @3 for ai@7), over HTTP against a local server in OpenRouter's wire format: OpenAI's Chat
// Completions with OpenRouter's usage accounting (https://openrouter.ai/docs/use-cases/usage-accounting),
// which every response carries: the cost billed in credits (USD), `is_byok`, the upstream's cost in
// `cost_details`, cached and cache-write prompt tokens, reasoning tokens.
import { createOpenRouter as createOpenRouter3 } from '@openrouter/ai-sdk-provider'
import { createOpenRouter as createOpenRouter1 } from '@openrouter/ai-sdk-provider-v1'
import { createOpenRouter as createOpenRouter2 } from '@openrouter/ai-sdk-provider-v2'
import { ATTR } from '@tokentrail/core'
import { describe, expect, it } from 'vitest'
import { CALL_ATTR, tracingMiddleware } from '../src/index.js'
import { outputParts, outputText, setup } from './helpers.js'
import { ARGS, chatAnswer, TOKENS } from './openai-wire.js'
import {
  callSpan,
  llmSpans,
  MAJORS,
  serveWire,
  useWireServers,
  type WireServer,
  weatherLoop,
} from './wire.js'

let server: WireServer | undefined
useWireServers()

const KEY = 'sk-or-v1-wiretest00000000000000000000000000'
const clients: Record<string, (options: object) => any> = {
  'ai@5': createOpenRouter1,
  'ai@6': createOpenRouter2,
  'ai@7': createOpenRouter3,
}

// What OpenRouter billed for one step, in credits (1 credit = 1 USD).
const COST = 0.0011875
// On the user's own provider key (BYOK): OpenRouter's fee, and what the upstream billed that key.
const FEE = 0.0000594
const UPSTREAM = 0.0011875

// OpenRouter's usage: OpenAI's counts, prompt tokens including the cached ones, and its accounting.
const usage = (byok: boolean) => ({
  prompt_tokens: TOKENS.input,
  prompt_tokens_details: { cached_tokens: TOKENS.cached, cache_write_tokens: 0, audio_tokens: 0 },
  completion_tokens: TOKENS.output,
  completion_tokens_details: { reasoning_tokens: TOKENS.reasoning, image_tokens: 0 },
  total_tokens: TOKENS.input + TOKENS.output,
  cost: byok ? FEE : COST,
  is_byok: byok,
  cost_details: {
    // OpenRouter fills it on every call: what the upstream charged, equal to the cost without BYOK.
    upstream_inference_cost: UPSTREAM,
    upstream_inference_prompt_cost: 0.0002875,
    upstream_inference_completions_cost: 0.0009,
  },
})
// A model whose upstream reports no cache or reasoning details.
const plainUsage = {
  prompt_tokens: TOKENS.input,
  completion_tokens: TOKENS.output,
  total_tokens: TOKENS.input + TOKENS.output,
  cost: COST,
  is_byok: false,
  cost_details: { upstream_inference_cost: COST },
}

// OpenRouter's answers name the provider that served them beside the model.
function answer(step: number, stream: boolean, wireUsage: unknown, model = 'openai/gpt-5') {
  const reply = chatAnswer(step, stream, { model, usage: wireUsage }) as any
  if (reply.json) reply.json.provider = 'OpenAI'
  else
    reply.sse = reply.sse.map((event: string) =>
      event.startsWith('data: {') ? event.replace('data: {', 'data: {"provider":"OpenAI",') : event,
    )
  return reply
}

describe.each(MAJORS)('$major: OpenRouter over HTTP', ({ major, ai }) => {
  for (const mode of ['generateText', 'streamText'] as const) {
    it(`${mode}: provider, models, id, tokens, billed cost, finish reasons, tool call`, async () => {
      server = await serveWire((_path, body, index) =>
        answer(index, body.stream === true, usage(false)),
      )
      const { tracer, exporter } = setup()
      const model = ai.wrapLanguageModel({
        model: clients[major]!({ baseURL: `${server.url}/api/v1`, apiKey: KEY }).chat(
          'openai/gpt-5',
        ),
        middleware: tracingMiddleware({ tracer }),
      })
      const { text } = await weatherLoop(ai, model, mode)
      expect(text).toBe('Sunny')
      expect(server.requests.map((r) => r.path)).toEqual([
        '/api/v1/chat/completions',
        '/api/v1/chat/completions',
      ])
      await tracer.flush()
      const [asker, answerSpan] = llmSpans(exporter.spans)
      for (const [i, llm] of [asker!, answerSpan!].entries()) {
        expect(llm.attributes).toMatchObject({
          [ATTR.providerName]: 'openrouter',
          [ATTR.requestModel]: 'openai/gpt-5',
          [ATTR.responseModel]: 'openai/gpt-5',
          [ATTR.responseId]: `chatcmpl-step${i}`,
          [ATTR.usageInputTokens]: TOKENS.input,
          [ATTR.usageOutputTokens]: TOKENS.output,
          [ATTR.usageCacheReadInputTokens]: TOKENS.cached,
          [ATTR.usageReasoningOutputTokens]: TOKENS.reasoning,
        })
        // What OpenRouter billed, not a list price for `gpt-5` (which would be 0.0009813).
        expect(llm.attributes[ATTR.costUsd]).toBe(COST)
        expect(llm.attributes).not.toHaveProperty('tokentrail.cost.unknown_model')
        if (mode === 'streamText') expect(llm.attributes[ATTR.ttftMs]).toBeGreaterThan(0)
      }
      expect(asker!.attributes[ATTR.responseFinishReasons]).toEqual(['tool_call'])
      expect(answerSpan!.attributes[ATTR.responseFinishReasons]).toEqual(['stop'])
      expect(outputParts(asker!).filter((part) => part.type === 'tool_call')).toEqual([
        { type: 'tool_call', id: 'call_1', name: 'weather', arguments: ARGS },
      ])
      expect(outputText(answerSpan!)).toBe('Sunny')
      const call = callSpan(exporter.spans)
      expect(call.attributes[ATTR.providerName]).toBe('openrouter')
      expect(call.attributes[CALL_ATTR.costUsd] as number).toBeCloseTo(2 * COST, 12)
      expect(call.attributes[CALL_ATTR.toolCalls]).toBe(1)
    })

    it(`${mode}: a model whose upstream gives no cache or reasoning details has none, not 0`, async () => {
      server = await serveWire((_path, body, index) =>
        answer(index, body.stream === true, plainUsage),
      )
      const { tracer, exporter } = setup()
      const model = ai.wrapLanguageModel({
        model: clients[major]!({ baseURL: `${server.url}/api/v1`, apiKey: KEY }).chat(
          'openai/gpt-5',
        ),
        middleware: tracingMiddleware({ tracer }),
      })
      await weatherLoop(ai, model, mode)
      await tracer.flush()
      for (const llm of llmSpans(exporter.spans)) {
        expect(llm.attributes[ATTR.usageInputTokens]).toBe(TOKENS.input)
        expect(llm.attributes[ATTR.usageOutputTokens]).toBe(TOKENS.output)
        expect(llm.attributes).not.toHaveProperty(ATTR.usageCacheReadInputTokens)
        expect(llm.attributes).not.toHaveProperty(ATTR.usageReasoningOutputTokens)
        expect(llm.attributes[ATTR.costUsd]).toBe(COST)
      }
    })

    it(`${mode}: details that say 0 cached and 0 reasoning tokens are 0, not unknown`, async () => {
      server = await serveWire((_path, body, index) =>
        answer(index, body.stream === true, {
          ...plainUsage,
          prompt_tokens_details: { cached_tokens: 0 },
          completion_tokens_details: { reasoning_tokens: 0 },
        }),
      )
      const { tracer, exporter } = setup()
      const model = ai.wrapLanguageModel({
        model: clients[major]!({ baseURL: `${server.url}/api/v1`, apiKey: KEY }).chat(
          'openai/gpt-5',
        ),
        middleware: tracingMiddleware({ tracer }),
      })
      await weatherLoop(ai, model, mode)
      await tracer.flush()
      const spans = llmSpans(exporter.spans)
      expect(spans).toHaveLength(2)
      for (const llm of spans) {
        expect(llm.attributes[ATTR.usageCacheReadInputTokens]).toBe(0)
        expect(llm.attributes[ATTR.usageReasoningOutputTokens]).toBe(0)
      }
    })
  }

  // OpenRouter's accounting for a free model: 0, and 0 upstream (what it sends), or no details.
  for (const details of ['upstream 0', 'no cost details'] as const)
    it(`a free model billed 0 costs 0 (${details}; on ai@5, where \`is_byok\` is not passed on, only the upstream's 0 tells)`, async () => {
      server = await serveWire((_path, body, index) =>
        answer(
          index,
          body.stream === true,
          {
            ...plainUsage,
            cost: 0,
            cost_details:
              details === 'upstream 0'
                ? {
                    upstream_inference_cost: 0,
                    upstream_inference_prompt_cost: 0,
                    upstream_inference_completions_cost: 0,
                  }
                : null,
          },
          'meta-llama/llama-3.3-70b-instruct:free',
        ),
      )
      const { tracer, exporter } = setup()
      const model = ai.wrapLanguageModel({
        model: clients[major]!({ baseURL: `${server.url}/api/v1`, apiKey: KEY }).chat(
          'meta-llama/llama-3.3-70b-instruct:free',
        ),
        middleware: tracingMiddleware({ tracer }),
      })
      await weatherLoop(ai, model, 'generateText')
      await tracer.flush()
      for (const llm of llmSpans(exporter.spans))
        if (major === 'ai@5' && details === 'no cost details') {
          expect(llm.attributes).not.toHaveProperty(ATTR.costUsd)
          expect(llm.attributes['tokentrail.cost.unknown_model']).toBe(
            'meta-llama/llama-3.3-70b-instruct:free',
          )
        } else {
          expect(llm.attributes[ATTR.costUsd]).toBe(0)
          expect(llm.attributes).not.toHaveProperty('tokentrail.cost.unknown_model')
        }
    })

  // ai@5's provider (@1) passes on neither `is_byok` nor the raw usage, but the upstream's cost.
  for (const mode of ['generateText', 'streamText'] as const)
    it(`${mode}: on the user's own key (BYOK), the cost is OpenRouter's fee and what the upstream billed`, async () => {
      server = await serveWire((_path, body, index) =>
        answer(index, body.stream === true, usage(true)),
      )
      const { tracer, exporter } = setup()
      const model = ai.wrapLanguageModel({
        model: clients[major]!({ baseURL: `${server.url}/api/v1`, apiKey: KEY }).chat(
          'openai/gpt-5',
        ),
        middleware: tracingMiddleware({ tracer }),
      })
      await weatherLoop(ai, model, mode)
      await tracer.flush()
      const spans = llmSpans(exporter.spans)
      expect(spans).toHaveLength(2)
      for (const llm of spans)
        expect(llm.attributes[ATTR.costUsd] as number).toBeCloseTo(FEE + UPSTREAM, 12)
      expect(callSpan(exporter.spans).attributes[CALL_ATTR.costUsd] as number).toBeCloseTo(
        2 * (FEE + UPSTREAM),
        12,
      )
    })
})
