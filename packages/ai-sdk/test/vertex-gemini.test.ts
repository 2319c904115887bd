// Gemini on Google Vertex AI through the real @ai-sdk/google-vertex of each major (@3 for ai@5, @4
// for ai@6, @5 for ai@7), over HTTP against a local server in Gemini's wire format (`…:generateContent`,
// `…:streamGenerateContent?alt=sse`): a thinking model with a tool loop, its usage with the
// prompt's cached part (`cachedContentTokenCount`, inside `promptTokenCount`) and the thoughts
// (`thoughtsTokenCount`, beside `candidatesTokenCount`).
import { ATTR } from '@tokentrail/core'
import { describe, expect, it } from 'vitest'
import { CALL_ATTR, tracingMiddleware } from '../src/index.js'
import { outputParts, outputText, setup } from './helpers.js'
import {
  callSpan,
  llmSpans,
  MAJORS,
  serveWire,
  useWireServers,
  vertexClients,
  type WireAnswer,
  type WireServer,
  weatherLoop,
} from './wire.js'

let server: WireServer | undefined
useWireServers()

const clients = vertexClients

const REASONING = 'The user wants the weather; call the tool.'
// 200 prompt tokens of which 150 from the cache; 26 candidates and 64 thoughts.
const usageMetadata = {
  promptTokenCount: 200,
  candidatesTokenCount: 26,
  thoughtsTokenCount: 64,
  cachedContentTokenCount: 150,
  totalTokenCount: 290,
  trafficType: 'ON_DEMAND',
  promptTokensDetails: [{ modality: 'TEXT', tokenCount: 200 }],
  cacheTokensDetails: [{ modality: 'TEXT', tokenCount: 150 }],
  candidatesTokensDetails: [{ modality: 'TEXT', tokenCount: 26 }],
}
const reply = (step: number, parts: unknown[], last: boolean) => ({
  candidates: [
    {
      content: { role: 'model', parts },
      ...(last ? { finishReason: 'STOP' } : {}),
      index: 0,
    },
  ],
  ...(last ? { usageMetadata } : { usageMetadata: { ...usageMetadata, candidatesTokenCount: 1 } }),
  modelVersion: 'gemini-2.5-flash',
  createTime: '2026-12-04T21:00:00.000000Z',
  responseId: `vertex-step${step}`,
})

function answer(step: number, stream: boolean): WireAnswer {
  const asksTool = step === 0
  const thought = { text: REASONING, thought: true }
  const call = { functionCall: { name: 'weather', args: { city: 'Oslo' } } }
  if (!stream)
    return {
      json: reply(step, asksTool ? [thought, call] : [{ text: 'Sunny' }], true),
    }
  const chunks = asksTool
    ? [reply(step, [thought], false), reply(step, [call], true)]
    : [reply(step, [{ text: 'Sun' }], false), reply(step, [{ text: 'ny' }], true)]
  return { sse: chunks.map((chunk) => `data: ${JSON.stringify(chunk)}\r\n\r\n`) }
}

// Gemini 2.5 Flash on Vertex AI: $0.30 input, $0.03 cached input, $2.50 output per million.
const cost = (50 * 0.3 + 150 * 0.03 + 90 * 2.5) / 1e6

describe.each(MAJORS)('$major: Gemini on Vertex AI over HTTP', ({ major, ai }) => {
  for (const mode of ['generateText', 'streamText'] as const)
    it(`${mode}: gcp.vertex_ai, tokens with the cache and thoughts, cost, finish reasons, tool call`, async () => {
      server = await serveWire((_path, _body, index) =>
        answer(index, _path.includes(':streamGenerateContent')),
      )
      const { tracer, exporter } = setup()
      const model = ai.wrapLanguageModel({
        model: clients[major]!(server.url)('gemini-2.5-flash'),
        middleware: tracingMiddleware({ tracer }),
      })
      const { text, seen } = await weatherLoop(ai, model, mode)
      expect(text).toBe('Sunny')
      expect(seen).toEqual([{ city: 'Oslo' }])
      expect(server.requests.map((r) => r.path.split('?')[0])).toEqual(
        Array(2).fill(
          `/models/gemini-2.5-flash:${mode === 'streamText' ? 'streamGenerateContent' : 'generateContent'}`,
        ),
      )
      await tracer.flush()
      const [asker, answerSpan] = llmSpans(exporter.spans)
      for (const [i, llm] of [asker!, answerSpan!].entries()) {
        // Gemini's responseId and `modelVersion`, from the body or the raw chunks where the
        // provider passes them on nowhere (see gemini-response-model.test.ts).
        expect(llm.attributes[ATTR.responseId]).toBe(`vertex-step${i}`)
        expect(llm.attributes[ATTR.responseModel]).toBe('gemini-2.5-flash')
        expect(llm.attributes).toMatchObject({
          [ATTR.providerName]: 'gcp.vertex_ai',
          [ATTR.requestModel]: 'gemini-2.5-flash',
          [ATTR.usageInputTokens]: 200,
          [ATTR.usageOutputTokens]: 90,
          [ATTR.usageCacheReadInputTokens]: 150,
          [ATTR.usageReasoningOutputTokens]: 64,
        })
        expect(llm.attributes).not.toHaveProperty(ATTR.usageCacheCreationInputTokens)
        expect(llm.attributes[ATTR.costUsd] as number).toBeCloseTo(cost, 12)
        if (mode === 'streamText') expect(llm.attributes[ATTR.ttftMs]).toBeGreaterThan(0)
      }
      expect(asker!.attributes[ATTR.responseFinishReasons]).toEqual(['tool_call'])
      expect(answerSpan!.attributes[ATTR.responseFinishReasons]).toEqual(['stop'])
      const parts = outputParts(asker!)
      expect(parts.find((part) => part.type === 'reasoning')).toEqual({
        type: 'reasoning',
        content: REASONING,
      })
      expect(
        parts
          .filter((part) => part.type === 'tool_call')
          .map(({ name, arguments: a }) => [name, a]),
      ).toEqual([['weather', '{"city":"Oslo"}']])
      expect(outputText(answerSpan!)).toBe('Sunny')
      const call = callSpan(exporter.spans)
      expect(call.attributes[ATTR.providerName]).toBe('gcp.vertex_ai')
      expect(call.attributes[CALL_ATTR.inputTokens]).toBe(400)
      expect(call.attributes[CALL_ATTR.costUsd] as number).toBeCloseTo(2 * cost, 12)
    })
})
