// OpenAI's two APIs, as @ai-sdk/openai of each AI SDK major calls them: `openai('gpt-5')` (the
// Responses API on ai@5 and later) and `openai.chat('gpt-5')` (Chat Completions). The same
// answer from a reasoning model with cached input, a tool call and then text, over HTTP in each
// API's wire format: both APIs, streamed or not, must record the same things.
import { ATTR } from '@tokentrail/core'
import { describe, expect, it } from 'vitest'
import { CALL_ATTR, tracingMiddleware } from '../src/index.js'
import { outputParts, outputText, reasoningText, setup } from './helpers.js'
import {
  ARGS,
  chatAnswer,
  chatId,
  MODEL,
  REASONING,
  responseId,
  responsesAnswer,
  TOKENS,
} from './openai-wire.js'
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

const apis = [
  {
    api: 'Responses',
    model: (openai: any) => openai('gpt-5'),
    path: '/v1/responses',
    answer: responsesAnswer,
    id: responseId,
  },
  {
    api: 'Chat Completions',
    model: (openai: any) => openai.chat('gpt-5'),
    path: '/v1/chat/completions',
    answer: chatAnswer,
    id: chatId,
  },
] as const

describe.each(MAJORS)('$major: OpenAI Responses and Chat Completions', ({ ai, openai }) => {
  for (const { api, model: makeModel, path, answer, id } of apis)
    for (const mode of ['generateText', 'streamText'] as const)
      it(`${api}, ${mode}, a reasoning model with a tool: tokens, ids, finish reasons, tool call`, async () => {
        server = await serveWire((_path, body, index) => answer(index, body.stream === true))
        const { tracer, exporter } = setup()
        const model = ai.wrapLanguageModel({
          model: makeModel(openai(server.url)),
          middleware: tracingMiddleware({ tracer }),
        })
        const { text } = await weatherLoop(ai, model, mode)
        expect(text).toBe('Sunny')
        expect(server.requests.map((r) => r.path)).toEqual([path, path])
        await tracer.flush()
        const [asker, answerSpan] = llmSpans(exporter.spans)
        for (const [step, llm] of [asker!, answerSpan!].entries()) {
          expect(llm.attributes).toMatchObject({
            [ATTR.providerName]: 'openai',
            [ATTR.requestModel]: 'gpt-5',
            [ATTR.responseModel]: MODEL,
            [ATTR.responseId]: id(step),
            [ATTR.usageInputTokens]: TOKENS.input,
            [ATTR.usageOutputTokens]: TOKENS.output,
            [ATTR.usageCacheReadInputTokens]: TOKENS.cached,
            [ATTR.usageReasoningOutputTokens]: TOKENS.reasoning,
          })
          // gpt-5: $1.25 uncached, $0.125 cached input, $10 output per million.
          expect(llm.attributes[ATTR.costUsd] as number).toBeCloseTo(
            (50 * 1.25 + 150 * 0.125 + 90 * 10) / 1e6,
            12,
          )
          if (mode === 'streamText') expect(llm.attributes[ATTR.ttftMs]).toBeGreaterThan(0)
        }
        expect(asker!.attributes[ATTR.responseFinishReasons]).toEqual(['tool_call'])
        expect(answerSpan!.attributes[ATTR.responseFinishReasons]).toEqual(['stop'])
        const calls = outputParts(asker!).filter((part) => part.type === 'tool_call')
        expect(calls).toEqual([
          { type: 'tool_call', id: 'call_1', name: 'weather', arguments: ARGS },
        ])
        expect(outputText(answerSpan!)).toBe('Sunny')
        // Only the Responses API sends a reasoning summary.
        if (api === 'Responses') expect(reasoningText(asker!)).toBe(REASONING)
        const [tool] = exporter.spans.filter((s) => s.kind === 'tool')
        expect(tool!.parentSpanId).toBe(asker!.spanId)
        const call = callSpan(exporter.spans)
        expect(call.attributes).toMatchObject({
          [ATTR.providerName]: 'openai',
          [CALL_ATTR.steps]: 2,
          [CALL_ATTR.inputTokens]: 2 * TOKENS.input,
          [CALL_ATTR.cacheReadTokens]: 2 * TOKENS.cached,
          [CALL_ATTR.reasoningTokens]: 2 * TOKENS.reasoning,
          [CALL_ATTR.finishReason]: 'stop',
          [CALL_ATTR.toolCalls]: 1,
        })
      })
})
