// OpenAI's two APIs, as @ai-sdk/openai of each AI SDK major calls them: `openai('gpt-5')` (the
// Responses API on ai@5 and later) and `openai.chat('gpt-5')` (Chat Completions). The same
// answer from a reasoning model with cached input, a tool call and then text, over HTTP in each
// API's wire format: both APIs, streamed or not, must record the same things.
import { ATTR, type SpanData } from '@tokentrail/core'
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { CALL_ATTR, tracingMiddleware } from '../src/index.js'
import { outputParts, outputText, reasoningText, setup } from './helpers.js'
import { data, event, MAJORS, serveWire, type WireServer } from './wire.js'

let server: WireServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
  delete (globalThis as any).AI_SDK_TELEMETRY_INTEGRATIONS
})

const callSpan = (spans: readonly SpanData[]) =>
  spans.find((s) => s.attributes[ATTR.operationName] === 'invoke_agent')!
const llmSpans = (spans: readonly SpanData[]) =>
  spans.filter((s) => s.kind === 'llm').sort((a, b) => a.startTime - b.startTime)

// 200 input tokens of which 150 from the cache; 90 output of which 64 reasoning.
const TOKENS = { input: 200, cached: 150, output: 90, reasoning: 64 }
const ARGS = '{"city":"Oslo"}'
const REASONING = 'The user wants the weather; call the tool.'
const MODEL = 'gpt-5-2025-08-07'

// --- Chat Completions (https://platform.openai.com/docs/api-reference/chat) ---
const chatUsage = {
  prompt_tokens: TOKENS.input,
  completion_tokens: TOKENS.output,
  total_tokens: TOKENS.input + TOKENS.output,
  prompt_tokens_details: { cached_tokens: TOKENS.cached, audio_tokens: 0 },
  completion_tokens_details: {
    reasoning_tokens: TOKENS.reasoning,
    audio_tokens: 0,
    accepted_prediction_tokens: 0,
    rejected_prediction_tokens: 0,
  },
}
const chatId = (step: number) => `chatcmpl-step${step}`
const chunk = (step: number, delta: unknown, finishReason: string | null = null) => ({
  id: chatId(step),
  object: 'chat.completion.chunk',
  created: 1741570283,
  model: MODEL,
  system_fingerprint: null,
  choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
})
const toolCall = { id: 'call_1', type: 'function', function: { name: 'weather', arguments: ARGS } }

function chatAnswer(step: number, stream: boolean) {
  const asksTool = step === 0
  if (!stream)
    return {
      json: {
        id: chatId(step),
        object: 'chat.completion',
        created: 1741570283,
        model: MODEL,
        choices: [
          {
            index: 0,
            message: asksTool
              ? { role: 'assistant', content: null, tool_calls: [toolCall], refusal: null }
              : { role: 'assistant', content: 'Sunny', refusal: null, annotations: [] },
            logprobs: null,
            finish_reason: asksTool ? 'tool_calls' : 'stop',
          },
        ],
        usage: chatUsage,
        service_tier: 'default',
        system_fingerprint: null,
      },
    }
  return {
    sse: [
      data(chunk(step, { role: 'assistant', content: null, refusal: null })),
      ...(asksTool
        ? [
            data(
              chunk(step, {
                tool_calls: [
                  { index: 0, ...toolCall, function: { name: 'weather', arguments: '' } },
                ],
              }),
            ),
            data(chunk(step, { tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] })),
            data(chunk(step, { tool_calls: [{ index: 0, function: { arguments: '"Oslo"}' } }] })),
            data(chunk(step, {}, 'tool_calls')),
          ]
        : [
            data(chunk(step, { content: 'Sun' })),
            data(chunk(step, { content: 'ny' })),
            data(chunk(step, {}, 'stop')),
          ]),
      data({ ...chunk(step, {}), choices: [], usage: chatUsage }),
      'data: [DONE]\n\n',
    ],
  }
}

// --- Responses (https://platform.openai.com/docs/api-reference/responses) ---
const responsesUsage = {
  input_tokens: TOKENS.input,
  input_tokens_details: { cached_tokens: TOKENS.cached },
  output_tokens: TOKENS.output,
  output_tokens_details: { reasoning_tokens: TOKENS.reasoning },
  total_tokens: TOKENS.input + TOKENS.output,
}
const responseId = (step: number) => `resp_step${step}`
const response = (step: number, status: string, output: unknown[], usage: unknown) => ({
  id: responseId(step),
  object: 'response',
  created_at: 1741476542,
  status,
  error: null,
  incomplete_details: null,
  model: MODEL,
  output,
  usage,
})
const reasoningItem = (summary: unknown[]) => ({
  type: 'reasoning',
  id: 'rs_1',
  encrypted_content: null,
  summary,
})
const callItem = (status: string, args: string) => ({
  type: 'function_call',
  id: 'fc_1',
  call_id: 'call_1',
  name: 'weather',
  arguments: args,
  status,
})
const messageItem = (status: string, text: string) => ({
  type: 'message',
  id: 'msg_1',
  status,
  role: 'assistant',
  content: text === '' ? [] : [{ type: 'output_text', text, annotations: [] }],
})

function responsesAnswer(step: number, stream: boolean) {
  const asksTool = step === 0
  const summary = [{ type: 'summary_text', text: REASONING }]
  const last = asksTool ? callItem('completed', ARGS) : messageItem('completed', 'Sunny')
  if (!stream)
    return {
      json: response(
        step,
        'completed',
        asksTool ? [reasoningItem(summary), last] : [last],
        responsesUsage,
      ),
    }
  let n = 0
  const R = (type: string, rest: Record<string, unknown>) =>
    event(type, { type, sequence_number: n++, ...rest })
  return {
    sse: [
      R('response.created', { response: response(step, 'in_progress', [], null) }),
      R('response.in_progress', { response: response(step, 'in_progress', [], null) }),
      ...(asksTool
        ? [
            R('response.output_item.added', { output_index: 0, item: reasoningItem([]) }),
            R('response.reasoning_summary_part.added', {
              item_id: 'rs_1',
              output_index: 0,
              summary_index: 0,
              part: { type: 'summary_text', text: '' },
            }),
            R('response.reasoning_summary_text.delta', {
              item_id: 'rs_1',
              output_index: 0,
              summary_index: 0,
              delta: REASONING.slice(0, 10),
            }),
            R('response.reasoning_summary_text.delta', {
              item_id: 'rs_1',
              output_index: 0,
              summary_index: 0,
              delta: REASONING.slice(10),
            }),
            R('response.reasoning_summary_text.done', {
              item_id: 'rs_1',
              output_index: 0,
              summary_index: 0,
              text: REASONING,
            }),
            R('response.reasoning_summary_part.done', {
              item_id: 'rs_1',
              output_index: 0,
              summary_index: 0,
              part: summary[0],
            }),
            R('response.output_item.done', { output_index: 0, item: reasoningItem(summary) }),
            R('response.output_item.added', { output_index: 1, item: callItem('in_progress', '') }),
            R('response.function_call_arguments.delta', {
              item_id: 'fc_1',
              output_index: 1,
              delta: '{"city":',
            }),
            R('response.function_call_arguments.delta', {
              item_id: 'fc_1',
              output_index: 1,
              delta: '"Oslo"}',
            }),
            R('response.function_call_arguments.done', {
              item_id: 'fc_1',
              output_index: 1,
              arguments: ARGS,
            }),
            R('response.output_item.done', { output_index: 1, item: last }),
          ]
        : [
            R('response.output_item.added', {
              output_index: 0,
              item: messageItem('in_progress', ''),
            }),
            ...['Sun', 'ny'].map((delta) =>
              R('response.output_text.delta', {
                item_id: 'msg_1',
                output_index: 0,
                content_index: 0,
                delta,
                logprobs: [],
              }),
            ),
            R('response.output_item.done', { output_index: 0, item: last }),
          ]),
      R('response.completed', {
        response: response(
          step,
          'completed',
          asksTool ? [reasoningItem(summary), last] : [last],
          responsesUsage,
        ),
      }),
    ],
  }
}

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
        const args = {
          model,
          prompt: 'Weather in Oslo?',
          stopWhen: ai.stepCountIs(3),
          tools: {
            weather: ai.tool({
              inputSchema: z.object({ city: z.string() }),
              execute: async () => ({ celsius: 21 }),
            }),
          },
        }
        const text =
          mode === 'generateText'
            ? (await ai.generateText(args)).text
            : await ai.streamText(args).text
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
