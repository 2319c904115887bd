// Cohere through the real @ai-sdk/cohere of each major (@2 for ai@5, @3 for ai@6, @4 for ai@7),
// over HTTP against a local server in Cohere's v2 Chat wire format
// (https://docs.cohere.com/v2/reference/chat, .../chat-stream): a tool loop with Cohere's tool plan,
// its usage as the tokens processed and the billed units, its response `id`.
import { createCohere as createCohere4 } from '@ai-sdk/cohere'
import { createCohere as createCohere2 } from '@ai-sdk/cohere-v2'
import { createCohere as createCohere3 } from '@ai-sdk/cohere-v3'
import { ATTR } from '@tokentrail/core'
import { describe, expect, it } from 'vitest'
import { CALL_ATTR, tracingMiddleware } from '../src/index.js'
import { outputParts, outputText, setup } from './helpers.js'
import {
  callSpan,
  event,
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

const clients: Record<string, (options: object) => any> = {
  'ai@5': createCohere2,
  'ai@6': createCohere3,
  'ai@7': createCohere4,
}

const ARGS = '{"city":"Oslo"}'
// Cohere counts the tokens it processed (with its prompt template) and the billed units apart, and
// the prompt tokens that hit its cache.
const usage = {
  billed_units: { input_tokens: 180, output_tokens: 30 },
  tokens: { input_tokens: 200, output_tokens: 30 },
  cached_tokens: 50,
}
const id = (step: number) => `c14c80c3-18eb-4519-9460-6c92edd8cfb${step}`

function answer(step: number, stream: boolean): WireAnswer {
  const asksTool = step === 0
  const toolCall = {
    id: 'call_1',
    type: 'function',
    function: { name: 'weather', arguments: ARGS },
  }
  if (!stream)
    return {
      json: {
        id: id(step),
        finish_reason: asksTool ? 'TOOL_CALL' : 'COMPLETE',
        message: asksTool
          ? {
              role: 'assistant',
              tool_plan: 'I will look the weather up.',
              tool_calls: [toolCall],
            }
          : { role: 'assistant', content: [{ type: 'text', text: 'Sunny' }] },
        usage,
      },
    }
  const E = (type: string, rest: Record<string, unknown> = {}) => event(type, { type, ...rest })
  return {
    sse: [
      E('message-start', {
        id: id(step),
        delta: { message: { role: 'assistant', content: [], tool_plan: '', tool_calls: [] } },
      }),
      ...(asksTool
        ? [
            E('tool-plan-delta', {
              delta: { message: { tool_plan: 'I will look the weather up.' } },
            }),
            E('tool-call-start', {
              index: 0,
              delta: {
                message: {
                  tool_calls: { ...toolCall, function: { name: 'weather', arguments: '' } },
                },
              },
            }),
            E('tool-call-delta', {
              index: 0,
              delta: { message: { tool_calls: { function: { arguments: '{"city":' } } } },
            }),
            E('tool-call-delta', {
              index: 0,
              delta: { message: { tool_calls: { function: { arguments: '"Oslo"}' } } } },
            }),
            E('tool-call-end', { index: 0 }),
          ]
        : [
            E('content-start', {
              index: 0,
              delta: { message: { content: { type: 'text', text: '' } } },
            }),
            E('content-delta', { index: 0, delta: { message: { content: { text: 'Sun' } } } }),
            E('content-delta', { index: 0, delta: { message: { content: { text: 'ny' } } } }),
            E('content-end', { index: 0 }),
          ]),
      E('message-end', {
        delta: { finish_reason: asksTool ? 'TOOL_CALL' : 'COMPLETE', usage },
      }),
    ],
  }
}

describe.each(MAJORS)('$major: Cohere over HTTP', ({ major, ai }) => {
  for (const mode of ['generateText', 'streamText'] as const)
    it(`${mode}: provider, model, response id, tokens, finish reasons, tool call`, async () => {
      server = await serveWire((_path, body, index) => answer(index, body.stream === true))
      const { tracer, exporter } = setup()
      const model = ai.wrapLanguageModel({
        model: clients[major]!({ baseURL: `${server.url}/v2`, apiKey: 'co-wiretest' })(
          'command-a-03-2025',
        ),
        middleware: tracingMiddleware({ tracer }),
      })
      const { text } = await weatherLoop(ai, model, mode)
      expect(text).toBe('Sunny')
      expect(server.requests.map((r) => r.path)).toEqual(['/v2/chat', '/v2/chat'])
      await tracer.flush()
      const [asker, answerSpan] = llmSpans(exporter.spans)
      for (const [i, llm] of [asker!, answerSpan!].entries()) {
        expect(llm.attributes).toMatchObject({
          [ATTR.providerName]: 'cohere',
          [ATTR.requestModel]: 'command-a-03-2025',
          [ATTR.responseId]: id(i),
          // The tokens processed, as the AI SDK counts them.
          [ATTR.usageInputTokens]: 200,
          [ATTR.usageOutputTokens]: 30,
        })
        // Its cached tokens; @ai-sdk/cohere@2's streams (ai@5) pass Cohere's usage on nowhere.
        expect(llm.attributes[ATTR.usageCacheReadInputTokens]).toBe(
          major === 'ai@5' && mode === 'streamText' ? undefined : 50,
        )
        expect(llm.attributes).not.toHaveProperty(ATTR.usageReasoningOutputTokens)
        expect(llm.attributes['tokentrail.cost.unknown_model']).toBe('command-a-03-2025')
        if (mode === 'streamText') expect(llm.attributes[ATTR.ttftMs]).toBeGreaterThan(0)
      }
      expect(asker!.attributes[ATTR.responseFinishReasons]).toEqual(['tool_call'])
      expect(answerSpan!.attributes[ATTR.responseFinishReasons]).toEqual(['stop'])
      expect(outputParts(asker!).filter((part) => part.type === 'tool_call')).toEqual([
        { type: 'tool_call', id: 'call_1', name: 'weather', arguments: ARGS },
      ])
      expect(outputText(answerSpan!)).toBe('Sunny')
      const call = callSpan(exporter.spans)
      expect(call.attributes[ATTR.providerName]).toBe('cohere')
      expect(call.attributes[CALL_ATTR.toolCalls]).toBe(1)
    })
})

describe.each(MAJORS)('$major: a Cohere call with your price for the model', ({ major, ai }) => {
  for (const mode of ['generateText', 'streamText'] as const)
    it(`${mode}: costs what Cohere billed for (billed_units), not the tokens it processed`, async () => {
      server = await serveWire((_path, body, index) => answer(index, body.stream === true))
      const { tracer, exporter } = setup()
      const model = ai.wrapLanguageModel({
        model: clients[major]!({ baseURL: `${server.url}/v2`, apiKey: 'co-wiretest' })(
          'command-a-03-2025',
        ),
        middleware: tracingMiddleware({
          tracer,
          prices: { 'command-a-03-2025': { input: 2.5, output: 10 } },
        }),
      })
      expect((await weatherLoop(ai, model, mode)).text).toBe('Sunny')
      await tracer.flush()
      // 180 billed input tokens, not the 200 processed; @ai-sdk/cohere@2's streams (ai@5) pass
      // the billed units on nowhere: the processed ones are priced there.
      const input = major === 'ai@5' && mode === 'streamText' ? 200 : 180
      for (const llm of llmSpans(exporter.spans)) {
        expect(llm.attributes[ATTR.usageInputTokens]).toBe(200)
        expect(llm.attributes[ATTR.costUsd] as number).toBeCloseTo(
          (input * 2.5 + 30 * 10) / 1e6,
          12,
        )
      }
    })
})
