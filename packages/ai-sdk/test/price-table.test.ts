// The built-in price table's newer blocks (PRICES_AS_OF 2026-12-04) priced through real provider
// calls over HTTP, on each AI SDK major: an OpenAI GPT-6.2 Sol call, a Claude Opus 5.5 call with
// cache reads and writes, a Grok 4.3 call that says nothing of what xAI billed (as
// `@ai-sdk/xai@2` never does) and a DeepSeek V4 Pro call with cache hits. Each cost is asserted
// from the figures on the provider's pricing page, not from the table.
import { createDeepSeek as createDeepSeek3 } from '@ai-sdk/deepseek'
import { createDeepSeek as createDeepSeek1 } from '@ai-sdk/deepseek-v1'
import { createDeepSeek as createDeepSeek2 } from '@ai-sdk/deepseek-v2'
import { createXai as createXai5 } from '@ai-sdk/xai'
import { createXai as createXai2 } from '@ai-sdk/xai-v2'
import { createXai as createXai3 } from '@ai-sdk/xai-v3'
import { ATTR, type SpanData } from '@tokentrail/core'
import { afterEach, describe, expect, it } from 'vitest'
import { DEFAULT_PRICES, findPrice, tracingMiddleware } from '../src/index.js'
import { setup } from './helpers.js'
import { chatAnswer, chatUsage, responsesAnswer, responsesUsage, TOKENS } from './openai-wire.js'
import { MAJORS, serveWire, type WireAnswer, type WireServer, weatherLoop } from './wire.js'

let server: WireServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

const llmSpans = (spans: readonly SpanData[]) =>
  spans.filter((s) => s.kind === 'llm').sort((a, b) => a.startTime - b.startTime)

const KEY = 'test-key-wiretest-000000000000'
const xai = { 'ai@5': createXai2, 'ai@6': createXai3, 'ai@7': createXai5 } as Record<
  string,
  (options: object) => any
>
const deepseek = {
  'ai@5': createDeepSeek1,
  'ai@6': createDeepSeek2,
  'ai@7': createDeepSeek3,
} as Record<string, (options: object) => any>

// The wire's usage: 200 input tokens, 150 of them cache reads, and 90 output tokens.
const uncached = TOKENS.input - TOKENS.cached
// https://developers.openai.com/api/docs/models/gpt-6.2-sol: $2 input, $0.10 cached, $10 output.
const gpt62SolCost = (uncached * 2 + TOKENS.cached * 0.1 + TOKENS.output * 10) / 1e6
// https://docs.x.ai/developers/pricing: grok-4.3 $1.25 input, $0.20 cached, $2.50 output.
const grok43Cost = (uncached * 1.25 + TOKENS.cached * 0.2 + TOKENS.output * 2.5) / 1e6
// https://api-docs.deepseek.com/quick_start/pricing, peak: $1.32 miss, $0.044 hit, $3.96 output.
const deepseekV4ProCost = (uncached * 1.32 + TOKENS.cached * 0.044 + TOKENS.output * 3.96) / 1e6

// Claude Opus 5.5 (https://platform.claude.com/docs/en/models/opus-5-5/overview): $4 input,
// $5 5-minute cache writes, $0.20 cache reads, $20 output. Anthropic's `input_tokens` leave out
// the cache reads and writes.
const CLAUDE = { input: 40, cacheWrite: 10, cacheRead: 150, output: 90 }
const opus55Cost =
  (CLAUDE.input * 4 + CLAUDE.cacheWrite * 5 + CLAUDE.cacheRead * 0.2 + CLAUDE.output * 20) / 1e6
// Long prompts. GPT-6.2 Sol above 272K input tokens: input and cache rates × 2, output × 1.5
// (https://developers.openai.com/api/docs/models/gpt-6.2-sol): $4 input, $0.20 cached, $15 output.
const LONG = { input: 300_000, cached: 100_000, output: 2_000 }
const gpt62SolLongCost =
  ((LONG.input - LONG.cached) * 4 + LONG.cached * 0.2 + LONG.output * 15) / 1e6
// Claude Haiku 5.5 above 100K: every rate × 5: $0.50 input, $0.625 5-minute cache writes, $0.05
// cache reads, $2.50 output (https://platform.claude.com/docs/en/models/haiku-5-5/overview).
const HAIKU = { input: 20_000, cacheWrite: 30_000, cacheRead: 90_000, output: 1_000 }
const haiku55LongCost =
  (HAIKU.input * 0.5 + HAIKU.cacheWrite * 0.625 + HAIKU.cacheRead * 0.05 + HAIKU.output * 2.5) / 1e6

const anthropicAnswer = (): WireAnswer => ({
  json: {
    id: 'msg_01price',
    type: 'message',
    role: 'assistant',
    model: 'claude-opus-5-5',
    content: [{ type: 'text', text: 'Sunny' }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: {
      input_tokens: CLAUDE.input,
      cache_creation_input_tokens: CLAUDE.cacheWrite,
      cache_read_input_tokens: CLAUDE.cacheRead,
      output_tokens: CLAUDE.output,
    },
  },
})

describe('the built-in price table', () => {
  it('prices ids as routers, snapshots and aliases write them', () => {
    const cases: [string, number][] = [
      ['openai/gpt-6.2-sol', 2],
      ['gpt-6.2-sol-2026-11-18', 2],
      ['anthropic/claude-opus-5.5', 4],
      ['claude-haiku-5-5@20261007', 0.1],
      ['us.anthropic.claude-sonnet-5-5-v1:0', 2],
      ['xai/grok-4.3', 1.25],
      ['deepseek/deepseek-v4-pro', 1.32],
      // A later snapshot is priced as its model; the first gpt-4o snapshot has its own price.
      ['gpt-4o-2024-08-06', 2.5],
      ['openai/gpt-4o-2024-05-13', 5],
    ]
    for (const [id, input] of cases) expect(findPrice(id, DEFAULT_PRICES)?.input).toBe(input)
    // The table is the built-in one unless given, as the README writes the signature.
    for (const [id, input] of cases) expect(findPrice(id)?.input).toBe(input)
    expect(findPrice('gpt-4o', { 'gpt-4o': { input: 9, output: 9 } })?.input).toBe(9)
    // Cache hits on Claude Opus 5.5 and Sonnet 5.5 are 0.05× the input rate
    // (https://platform.claude.com/docs/en/about-claude/pricing): Sonnet 5.5's read $0.20, twice it.
    expect(findPrice('claude-sonnet-5-5')?.cachedInput).toBe(0.1)
    expect(findPrice('anthropic/claude-sonnet-5.5')?.cachedInput).toBe(0.1)
    expect(findPrice('claude-opus-5-5')?.cachedInput).toBe(0.2)
    expect(findPrice('gpt-6.2-sol')?.longPrompt).toEqual({
      above: 272_000,
      input: 4,
      cachedInput: 0.2,
      cacheWrite: 5,
      output: 15,
    })
    // A price you give may have its own long-prompt rates; a wrong one is named.
    expect(() =>
      tracingMiddleware({
        prices: { m: { input: 1, output: 2, longPrompt: { above: 0, input: 2, output: 4 } } },
      }),
    ).toThrow('prices["m"].longPrompt.above must be a whole number of input tokens ≥ 1, got 0')
    expect(() =>
      tracingMiddleware({
        prices: {
          m: { input: 1, output: 2, longPrompt: { above: 9, input: 2, ouput: 4 } as never },
        },
      }),
    ).toThrow(/prices\["m"\]\.longPrompt: unknown field `ouput`/)
    // The alias of grok-4.20-0309-non-reasoning @ai-sdk/xai lists, as its reasoning twin is.
    expect(findPrice('grok-4.20-non-reasoning')?.input).toBe(1.25)
  })
})

describe.each(MAJORS)(
  '$major: the built-in price table over HTTP',
  ({ major, ai, openai, anthropic }) => {
    async function costs(model: unknown, mode: 'generateText' | 'streamText' = 'generateText') {
      const { tracer, exporter } = setup()
      const wrapped = ai.wrapLanguageModel({ model, middleware: tracingMiddleware({ tracer }) })
      const { text } = await weatherLoop(ai, wrapped, mode)
      expect(text).toBe('Sunny')
      await tracer.flush()
      return llmSpans(exporter.spans).map((s) => s.attributes)
    }

    it('OpenAI GPT-6.2 Sol', async () => {
      // @ai-sdk/openai 4.0.126 refuses function tools with GPT-6.2 Sol on Chat Completions (model
      // catalog of 4.0.123-4.0.124, as the live API does): the Responses API on ai@7.
      const responses = major === 'ai@7'
      server = await serveWire((_path, body, index) =>
        (responses ? responsesAnswer : chatAnswer)(index, body.stream === true, {
          model: 'gpt-6.2-sol-2026-11-18',
        }),
      )
      const provider = openai(server.url)
      const model = responses ? provider.responses('gpt-6.2-sol') : provider.chat('gpt-6.2-sol')
      const spans = await costs(model, 'streamText')
      expect(spans).toHaveLength(2)
      for (const attributes of spans) {
        expect(attributes[ATTR.costUsd] as number).toBeCloseTo(gpt62SolCost, 12)
        expect(attributes).not.toHaveProperty('tokentrail.cost.unknown_model')
      }
    })

    it('Anthropic Claude Opus 5.5, cache reads and writes', async () => {
      server = await serveWire(() => anthropicAnswer())
      const { tracer, exporter } = setup()
      const model = ai.wrapLanguageModel({
        model: anthropic(server.url)('claude-opus-5-5'),
        middleware: tracingMiddleware({ tracer }),
      })
      const { text } = await ai.generateText({ model, prompt: 'Weather in Oslo?' })
      expect(text).toBe('Sunny')
      await tracer.flush()
      const [llm] = llmSpans(exporter.spans)
      expect(llm!.attributes[ATTR.costUsd] as number).toBeCloseTo(opus55Cost, 12)
    })

    it('a long prompt at its long-prompt rates: GPT-6.2 Sol above 272K tokens', async () => {
      const responses = major === 'ai@7'
      server = await serveWire((_path, body, index) =>
        responses
          ? responsesAnswer(index, body.stream === true, {
              model: 'gpt-6.2-sol-2026-11-18',
              usage: {
                input_tokens: LONG.input,
                input_tokens_details: { cached_tokens: LONG.cached },
                output_tokens: LONG.output,
                output_tokens_details: { reasoning_tokens: 0 },
                total_tokens: LONG.input + LONG.output,
              },
            })
          : chatAnswer(index, body.stream === true, {
              model: 'gpt-6.2-sol-2026-11-18',
              usage: {
                ...chatUsage,
                prompt_tokens: LONG.input,
                completion_tokens: LONG.output,
                total_tokens: LONG.input + LONG.output,
                prompt_tokens_details: { cached_tokens: LONG.cached, audio_tokens: 0 },
                completion_tokens_details: {
                  ...chatUsage.completion_tokens_details,
                  reasoning_tokens: 0,
                },
              },
            }),
      )
      const provider = openai(server.url)
      const model = responses ? provider.responses('gpt-6.2-sol') : provider.chat('gpt-6.2-sol')
      const spans = await costs(model)
      expect(spans).toHaveLength(2)
      for (const attributes of spans)
        expect(attributes[ATTR.costUsd] as number).toBeCloseTo(gpt62SolLongCost, 12)
    })

    it('a long prompt at its long-prompt rates: Claude Haiku 5.5 above 100K tokens, cache included', async () => {
      server = await serveWire(() => {
        const answer = anthropicAnswer()
        const json = answer.json as { model: string; usage: Record<string, number> }
        json.model = 'claude-haiku-5-5'
        json.usage = {
          input_tokens: HAIKU.input,
          cache_creation_input_tokens: HAIKU.cacheWrite,
          cache_read_input_tokens: HAIKU.cacheRead,
          output_tokens: HAIKU.output,
        }
        return answer
      })
      const { tracer, exporter } = setup()
      const model = ai.wrapLanguageModel({
        model: anthropic(server.url)('claude-haiku-5-5'),
        middleware: tracingMiddleware({ tracer }),
      })
      await ai.generateText({ model, prompt: 'Summarise the archive' })
      await tracer.flush()
      const [llm] = llmSpans(exporter.spans)
      expect(llm!.attributes[ATTR.costUsd] as number).toBeCloseTo(haiku55LongCost, 12)
    })

    it(`xAI Grok 4.3 without a billed cost (@ai-sdk/xai@${major === 'ai@5' ? 2 : major === 'ai@6' ? 3 : 5})`, async () => {
      server = await serveWire((_path, body, index) =>
        major === 'ai@7'
          ? responsesAnswer(index, body.stream === true, {
              model: 'grok-4.3',
              usage: responsesUsage,
            })
          : chatAnswer(index, body.stream === true, {
              model: 'grok-4.3',
              // xAI's Chat Completions count the reasoning apart from the completion tokens.
              usage: { ...chatUsage, completion_tokens: TOKENS.output - TOKENS.reasoning },
              wholeToolCalls: true,
            }),
      )
      const spans = await costs(
        xai[major]!({ baseURL: `${server.url}/v1`, apiKey: KEY })('grok-4.3'),
      )
      expect(spans).toHaveLength(2)
      for (const attributes of spans)
        expect(attributes[ATTR.costUsd] as number).toBeCloseTo(grok43Cost, 12)
    })

    it('DeepSeek V4 Pro, cache hits at the cache-hit price', async () => {
      server = await serveWire((_path, body, index) =>
        chatAnswer(index, body.stream === true, {
          model: 'deepseek-v4-pro',
          usage: {
            ...chatUsage,
            prompt_cache_hit_tokens: TOKENS.cached,
            prompt_cache_miss_tokens: uncached,
          },
        }),
      )
      const spans = await costs(
        deepseek[major]!({ baseURL: server.url, apiKey: KEY })('deepseek-v4-pro'),
        'streamText',
      )
      expect(spans).toHaveLength(2)
      for (const attributes of spans)
        expect(attributes[ATTR.costUsd] as number).toBeCloseTo(deepseekV4ProCost, 12)
    })
  },
)
