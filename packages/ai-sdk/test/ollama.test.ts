// Ollama through the community provider `ollama-ai-provider-v2` (@1 for ai@5, @3 for ai@6, @4 for
// ai@7), over HTTP against a local server in Ollama's own wire format (`POST /api/chat`, a JSON
// answer or newline-delimited JSON objects; https://github.com/ollama/ollama/blob/main/docs/api.md):
// a thinking model's tool loop, its counts in `prompt_eval_count` and `eval_count`.
import { ATTR } from '@tokentrail/core'
import { createOllama as createOllama4 } from 'ollama-ai-provider-v2'
import { createOllama as createOllama1 } from 'ollama-ai-provider-v2-v1'
import { createOllama as createOllama3 } from 'ollama-ai-provider-v2-v3'
import { describe, expect, it } from 'vitest'
import { CALL_ATTR, tracingMiddleware } from '../src/index.js'
import { outputParts, outputText, setup } from './helpers.js'
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

const clients: Record<string, (options: object) => any> = {
  'ai@5': createOllama1,
  'ai@6': createOllama3,
  'ai@7': createOllama4,
}

const THINKING = 'The user wants the weather; call the tool.'
const counts = { prompt_eval_count: 200, eval_count: 90 }
const timings = {
  total_duration: 4_883_583_458,
  load_duration: 1_334_875,
  prompt_eval_duration: 342_546_000,
  eval_duration: 4_535_599_000,
}

function answer(step: number, stream: boolean, usage: Record<string, number>): WireAnswer {
  const asksTool = step === 0
  const head = { model: 'qwen3:8b', created_at: '2026-12-04T21:00:00.000Z' }
  const done = { ...head, done: true, done_reason: 'stop', ...timings, ...usage }
  const call = { function: { name: 'weather', arguments: { city: 'Oslo' } } }
  if (!stream)
    return {
      json: {
        ...done,
        message: asksTool
          ? { role: 'assistant', content: '', thinking: THINKING, tool_calls: [call] }
          : { role: 'assistant', content: 'Sunny' },
      },
    }
  const line = (message: unknown) => `${JSON.stringify({ ...head, message, done: false })}\n`
  return {
    headers: { 'content-type': 'application/x-ndjson' },
    sse: [
      ...(asksTool
        ? [
            line({ role: 'assistant', content: '', thinking: THINKING.slice(0, 10) }),
            line({ role: 'assistant', content: '', thinking: THINKING.slice(10) }),
            line({ role: 'assistant', content: '', tool_calls: [call] }),
          ]
        : [
            line({ role: 'assistant', content: 'Sun' }),
            line({ role: 'assistant', content: 'ny' }),
          ]),
      `${JSON.stringify({ ...done, message: { role: 'assistant', content: '' } })}\n`,
    ],
  }
}

describe.each(MAJORS)('$major: Ollama over HTTP', ({ major, ai }) => {
  for (const mode of ['generateText', 'streamText'] as const)
    it(`${mode}: provider, models, tokens, finish reasons, tool call, no cost`, async () => {
      server = await serveWire((_path, body, index) => answer(index, body.stream === true, counts))
      const { tracer, exporter } = setup()
      const model = ai.wrapLanguageModel({
        model: clients[major]!({ baseURL: `${server.url}/api` })('qwen3:8b'),
        middleware: tracingMiddleware({ tracer }),
      })
      const { text, seen } = await weatherLoop(ai, model, mode)
      expect(text).toBe('Sunny')
      expect(seen).toEqual([{ city: 'Oslo' }])
      expect(server.requests.map((r) => r.path)).toEqual(['/api/chat', '/api/chat'])
      await tracer.flush()
      const [asker, answerSpan] = llmSpans(exporter.spans)
      for (const llm of [asker!, answerSpan!]) {
        expect(llm.attributes).toMatchObject({
          [ATTR.providerName]: 'ollama',
          [ATTR.requestModel]: 'qwen3:8b',
          [ATTR.responseModel]: 'qwen3:8b',
          [ATTR.usageInputTokens]: 200,
          [ATTR.usageOutputTokens]: 90,
        })
        expect(llm.attributes).not.toHaveProperty(ATTR.usageCacheReadInputTokens)
        expect(llm.attributes).not.toHaveProperty(ATTR.usageReasoningOutputTokens)
        expect(llm.attributes).not.toHaveProperty(ATTR.costUsd)
        if (mode === 'streamText') expect(llm.attributes[ATTR.ttftMs]).toBeGreaterThan(0)
      }
      // Ollama says `stop` beside tool calls; ollama-ai-provider-v2@1 passes that on as it is
      // (as the AI SDK's own step result has it), @3 and @4 make it `tool-calls`.
      expect(asker!.attributes[ATTR.responseFinishReasons]).toEqual([
        major === 'ai@5' ? 'stop' : 'tool_call',
      ])
      expect(answerSpan!.attributes[ATTR.responseFinishReasons]).toEqual(['stop'])
      const parts = outputParts(asker!)
      expect(parts.find((part) => part.type === 'reasoning')).toEqual({
        type: 'reasoning',
        content: THINKING,
      })
      expect(
        parts
          .filter((part) => part.type === 'tool_call')
          .map(({ name, arguments: a }) => [name, a]),
      ).toEqual([['weather', '{"city":"Oslo"}']])
      expect(outputText(answerSpan!)).toBe('Sunny')
      const call = callSpan(exporter.spans)
      expect(call.attributes[ATTR.providerName]).toBe('ollama')
      expect(call.attributes[CALL_ATTR.inputTokens]).toBe(400)
      expect(call.attributes[CALL_ATTR.toolCalls]).toBe(1)
    })
})
