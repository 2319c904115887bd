// The Vercel AI Gateway through the real gateway provider of each AI SDK major (`createGateway`,
// which `ai` ships and resolves a plain `'openai/gpt-4o'` to), over HTTP against a local server
// that answers as the gateway does: the AI SDK's own result and stream parts as JSON, in the
// specification version the client asks for (V2 on ai@5, V3 on ai@6, V4 on ai@7), with the
// gateway's own provider metadata (routing, the cost it billed, the generation id).
import { ATTR } from '@tokentrail/core'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
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

// 120 input tokens of which 40 read from the cache, 30 output of which 10 reasoning.
const usage = (spec: string) =>
  spec === '2'
    ? {
        inputTokens: 120,
        outputTokens: 30,
        totalTokens: 150,
        reasoningTokens: 10,
        cachedInputTokens: 40,
      }
    : {
        inputTokens: { total: 120, noCache: 80, cacheRead: 40 },
        outputTokens: { total: 30, text: 20, reasoning: 10 },
      }
const finishReason = (spec: string, reason: 'stop' | 'tool-calls') =>
  spec === '2' ? reason : { unified: reason, raw: reason === 'stop' ? 'stop' : 'tool_calls' }
const gatewayMetadata = (cost: string) => ({
  openai: { responseId: 'resp_1', serviceTier: 'default' },
  gateway: {
    routing: {
      originalModelId: 'openai/gpt-4o',
      resolvedProvider: 'openai',
      resolvedProviderApiModelId: 'gpt-4o-2024-08-06',
      fallbacksAvailable: [],
    },
    cost,
    marketCost: cost,
    generationId: 'gen_01K7XNX3HV4VT9EJYCKKBEBHV5',
  },
})
const response = {
  id: 'resp_1',
  modelId: 'gpt-4o-2024-08-06',
  timestamp: new Date(0).toISOString(),
}
const ARGS = '{"city":"Oslo"}'

/** A gateway that asks for the weather tool on the first request, then answers `Sunny`. */
function gatewayAnswer(cost: (index: number) => string) {
  return (_path: string, _body: unknown, index: number, headers: Record<string, unknown>) => {
    const spec = String(headers['ai-language-model-specification-version'])
    const asksTool = index === 0
    const reason = finishReason(spec, asksTool ? 'tool-calls' : 'stop')
    const providerMetadata = gatewayMetadata(cost(index))
    if (headers['ai-language-model-streaming'] !== 'true')
      return {
        json: {
          content: asksTool
            ? [{ type: 'tool-call', toolCallId: 'call_1', toolName: 'weather', input: ARGS }]
            : [{ type: 'text', text: 'Sunny' }],
          finishReason: reason,
          usage: usage(spec),
          providerMetadata,
          response,
          warnings: [],
        },
      }
    return {
      sse: [
        data({ type: 'stream-start', warnings: [] }),
        data({ type: 'response-metadata', ...response }),
        ...(asksTool
          ? [
              data({ type: 'tool-input-start', id: 'call_1', toolName: 'weather' }),
              data({ type: 'tool-input-delta', id: 'call_1', delta: ARGS }),
              data({ type: 'tool-input-end', id: 'call_1' }),
              data({ type: 'tool-call', toolCallId: 'call_1', toolName: 'weather', input: ARGS }),
            ]
          : [
              // The gateway puts its generation id on the first content part.
              data({
                type: 'text-start',
                id: 't1',
                providerMetadata: { gateway: { generationId: 'gen_01K7XNX3HV4VT9EJYCKKBEBHV5' } },
              }),
              data({ type: 'text-delta', id: 't1', delta: 'Sun' }),
              data({ type: 'text-delta', id: 't1', delta: 'ny' }),
              data({ type: 'text-end', id: 't1' }),
            ]),
        data({ type: 'finish', finishReason: reason, usage: usage(spec), providerMetadata }),
      ],
    }
  }
}

describe.each(MAJORS)('$major: the Vercel AI Gateway', ({ major, ai }) => {
  async function run(
    mode: 'generateText' | 'streamText',
    modelId: string,
    options: { prices?: false | Record<string, { input: number; output: number }> } = {},
  ) {
    const { tracer, exporter } = setup()
    const gateway = ai.createGateway({
      baseURL: `${server!.url}/v1/ai`,
      apiKey: 'vck_wiretest0000000000000000',
    })
    const model = ai.wrapLanguageModel({
      model: gateway(modelId),
      middleware: tracingMiddleware({ tracer, ...options }),
    })
    const { text, seen } = await weatherLoop(ai, model, mode)
    expect(text).toBe('Sunny')
    expect(seen).toEqual([{ city: 'Oslo' }])
    await tracer.flush()
    return exporter.spans
  }

  for (const mode of ['generateText', 'streamText'] as const)
    it(`${mode} with a tool: what the gateway answered, and the cost it billed`, async () => {
      server = await serveWire(gatewayAnswer((index) => (index === 0 ? '0.0091175' : '0.0004')))
      const spans = await run(mode, 'openai/gpt-4o')
      expect(server.requests.map((r) => r.path)).toEqual([
        '/v1/ai/language-model',
        '/v1/ai/language-model',
      ])
      const [asker, answer] = llmSpans(spans)
      for (const llm of [asker!, answer!]) {
        expect(llm.name).toBe('chat openai/gpt-4o')
        expect(llm.attributes).toMatchObject({
          // The AI SDK's name for it, as its own telemetry says it (`ai.model.provider`).
          [ATTR.providerName]: 'gateway',
          [ATTR.requestModel]: 'openai/gpt-4o',
          [ATTR.usageInputTokens]: 120,
          [ATTR.usageOutputTokens]: 30,
          [ATTR.usageCacheReadInputTokens]: 40,
          [ATTR.usageReasoningOutputTokens]: 10,
        })
        expect(llm.attributes).not.toHaveProperty('tokentrail.cost.unknown_model')
        // The upstream's response id and model: a stream passes them on; the gateway's generate
        // result has them only in its body (its client puts its own `response` over them).
        expect(llm.attributes[ATTR.responseModel]).toBe('gpt-4o-2024-08-06')
        expect(llm.attributes[ATTR.responseId]).toBe('resp_1')
        if (mode === 'streamText') expect(llm.attributes[ATTR.ttftMs]).toBeGreaterThan(0)
      }
      // What the gateway billed, not the list price of gpt-4o for these tokens ($0.00055).
      expect(asker!.attributes[ATTR.costUsd]).toBe(0.0091175)
      expect(answer!.attributes[ATTR.costUsd]).toBe(0.0004)
      expect(asker!.attributes[ATTR.responseFinishReasons]).toEqual(['tool_call'])
      expect(answer!.attributes[ATTR.responseFinishReasons]).toEqual(['stop'])
      if (major !== 'ai@5')
        expect(asker!.attributes['tokentrail.finish_reason.raw']).toBe('tool_calls')
      const calls = outputParts(asker!).filter((part) => part.type === 'tool_call')
      expect(calls).toEqual([{ type: 'tool_call', id: 'call_1', name: 'weather', arguments: ARGS }])
      expect(outputText(answer!)).toBe('Sunny')
      const [tool] = spans.filter((s) => s.kind === 'tool')
      expect(tool!.attributes[ATTR.toolCallId]).toBe('call_1')
      expect(tool!.parentSpanId).toBe(asker!.spanId)
      const call = callSpan(spans)
      expect(call.attributes[ATTR.providerName]).toBe('gateway')
      expect(call.attributes[CALL_ATTR.costUsd] as number).toBeCloseTo(0.0095175, 12)
      expect(call.attributes[CALL_ATTR.inputTokens]).toBe(240)
      expect(call.attributes[CALL_ATTR.steps]).toBe(2)
    })

  it('a model the price table lacks: the cost the gateway billed, and no unknown model said', async () => {
    server = await serveWire(gatewayAnswer(() => '0.0021'))
    const spans = await run('generateText', 'xai/grok-4')
    for (const llm of llmSpans(spans)) {
      expect(llm.attributes[ATTR.costUsd]).toBe(0.0021)
      expect(llm.attributes).not.toHaveProperty('tokentrail.cost.unknown_model')
    }
    expect(callSpan(spans).attributes[CALL_ATTR.costUsd] as number).toBeCloseTo(0.0042, 12)
  })

  it('a billed cost of 0 (the user own provider key): the list price, as without a gateway', async () => {
    server = await serveWire(gatewayAnswer(() => '0'))
    const spans = await run('streamText', 'openai/gpt-4o')
    // gpt-4o: 80 uncached at $2.50, 40 cached at $1.25, 30 out at $10 per million.
    for (const llm of llmSpans(spans))
      expect(llm.attributes[ATTR.costUsd] as number).toBeCloseTo(
        (80 * 2.5 + 40 * 1.25 + 30 * 10) / 1e6,
        12,
      )
  })

  it("a plain model id ('openai/gpt-4o') through a wrapped gateway as the default provider", async () => {
    server = await serveWire(gatewayAnswer(() => '0.0091175'))
    const { tracer, exporter } = setup()
    const gateway = ai.createGateway({
      baseURL: `${server.url}/v1/ai`,
      apiKey: 'vck_wiretest0000000000000000',
    })
    const g = globalThis as { AI_SDK_DEFAULT_PROVIDER?: unknown }
    g.AI_SDK_DEFAULT_PROVIDER = ai.wrapProvider({
      provider: gateway,
      languageModelMiddleware: tracingMiddleware({ tracer }),
    })
    try {
      const result = await ai.generateText({
        model: 'openai/gpt-4o',
        prompt: 'Weather in Oslo?',
        stopWhen: ai.stepCountIs(3),
        tools: {
          weather: ai.tool({
            inputSchema: z.object({ city: z.string() }),
            execute: async () => ({ celsius: 21 }),
          }),
        },
      })
      expect(result.text).toBe('Sunny')
    } finally {
      delete g.AI_SDK_DEFAULT_PROVIDER
    }
    await tracer.flush()
    const spans = exporter.spans
    expect(llmSpans(spans).map((s) => s.name)).toEqual(['chat openai/gpt-4o', 'chat openai/gpt-4o'])
    for (const llm of llmSpans(spans))
      expect(llm.attributes).toMatchObject({
        [ATTR.providerName]: 'gateway',
        [ATTR.costUsd]: 0.0091175,
        [ATTR.usageInputTokens]: 120,
      })
    expect(spans.filter((s) => s.kind === 'tool')).toHaveLength(1)
    expect(callSpan(spans).attributes[ATTR.providerName]).toBe('gateway')
  })

  // Under the id the gateway takes, or the model's own (the stream answers as gpt-4o-2024-08-06,
  // which the built-in table prices as gpt-4o).
  for (const id of ['openai/gpt-4o', 'gpt-4o'])
    it(`a price the user gave for the model ('${id}'): theirs, not the billed cost nor the list price`, async () => {
      server = await serveWire(gatewayAnswer(() => '0.0091175'))
      // A negotiated rate: $1 in, $4 out per million (no cached rate given: cached input at $1).
      const spans = await run('streamText', 'openai/gpt-4o', {
        prices: { [id]: { input: 1, output: 4 } },
      })
      for (const llm of llmSpans(spans)) {
        expect(llm.attributes[ATTR.costUsd] as number).toBeCloseTo((120 * 1 + 30 * 4) / 1e6, 12)
        expect(llm.attributes[ATTR.costInputUsd] as number).toBeCloseTo(120 / 1e6, 12)
      }
    })

  it("a price the user gave for another model: this one's billed cost", async () => {
    server = await serveWire(gatewayAnswer(() => '0.0091175'))
    const spans = await run('generateText', 'openai/gpt-4o', {
      prices: { 'my-finetune': { input: 1, output: 4 } },
    })
    for (const llm of llmSpans(spans)) expect(llm.attributes[ATTR.costUsd]).toBe(0.0091175)
  })

  it('prices: false: no cost, even one the gateway billed', async () => {
    server = await serveWire(gatewayAnswer(() => '0.0091175'))
    const spans = await run('generateText', 'openai/gpt-4o', { prices: false })
    for (const llm of llmSpans(spans)) expect(llm.attributes).not.toHaveProperty(ATTR.costUsd)
    expect(callSpan(spans).attributes).not.toHaveProperty(CALL_ATTR.costUsd)
  })
})
