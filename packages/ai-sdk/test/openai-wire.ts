// OpenAI's Chat Completions and Responses wire formats, as the providers built on them read them
// (OpenAI, Azure, Groq, Mistral, xAI…): one answer in two steps, a tool call (after reasoning)
// then the text `Sunny`, each step with the same usage.
import { data, event } from './wire.js'

// 200 input tokens of which 150 from the cache; 90 output of which 64 reasoning.
export const TOKENS = { input: 200, cached: 150, output: 90, reasoning: 64 }
export const ARGS = '{"city":"Oslo"}'
export const REASONING = 'The user wants the weather; call the tool.'
export const MODEL = 'gpt-5-2025-08-07'

/** What a server changes in the answer. */
export interface WireOptions {
  /** The model the server names (default `MODEL`). */
  model?: string
  /** The usage object the server sends (default: `chatUsage` or `responsesUsage`). */
  usage?: unknown
  /** Groq: a stream's usage in the last chunk's `x_groq`, not in a chunk of its own. */
  groq?: boolean
  /** A streamed tool call whole in one chunk, as Mistral and xAI send it (OpenAI sends pieces). */
  wholeToolCalls?: boolean
  /** A stream's usage on the chunk with the finish reason, as Mistral sends it. */
  usageWithFinish?: boolean
}

// --- Chat Completions (https://platform.openai.com/docs/api-reference/chat) ---
export const chatUsage = {
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
export const chatId = (step: number) => `chatcmpl-step${step}`
const chunk = (
  step: number,
  model: string,
  delta: unknown,
  finishReason: string | null = null,
) => ({
  id: chatId(step),
  object: 'chat.completion.chunk',
  created: 1741570283,
  model,
  system_fingerprint: null,
  choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
})
const toolCall = { id: 'call_1', type: 'function', function: { name: 'weather', arguments: ARGS } }

export function chatAnswer(step: number, stream: boolean, options: WireOptions = {}) {
  const asksTool = step === 0
  const model = options.model ?? MODEL
  const usage = options.usage ?? chatUsage
  if (!stream)
    return {
      json: {
        id: chatId(step),
        object: 'chat.completion',
        created: 1741570283,
        model,
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
        usage,
        service_tier: 'default',
        system_fingerprint: null,
      },
    }
  const chunks: Record<string, unknown>[] = [
    chunk(step, model, { role: 'assistant', content: null, refusal: null }),
  ]
  if (!asksTool)
    chunks.push(
      chunk(step, model, { content: 'Sun' }),
      chunk(step, model, { content: 'ny' }),
      chunk(step, model, {}, 'stop'),
    )
  else if (options.wholeToolCalls)
    chunks.push(
      chunk(step, model, { tool_calls: [{ index: 0, ...toolCall }] }),
      chunk(step, model, {}, 'tool_calls'),
    )
  else
    chunks.push(
      chunk(step, model, {
        tool_calls: [{ index: 0, ...toolCall, function: { name: 'weather', arguments: '' } }],
      }),
      chunk(step, model, { tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
      chunk(step, model, { tool_calls: [{ index: 0, function: { arguments: '"Oslo"}' } }] }),
      chunk(step, model, {}, 'tool_calls'),
    )
  if (options.usageWithFinish) chunks[chunks.length - 1]!.usage = usage
  else if (options.groq)
    chunks.push({ ...chunk(step, model, {}), choices: [], x_groq: { id: 'req_1', usage } })
  else chunks.push({ ...chunk(step, model, {}), choices: [], usage })
  return { sse: [...chunks.map(data), 'data: [DONE]\n\n'] }
}

// --- Responses (https://platform.openai.com/docs/api-reference/responses) ---
export const responsesUsage = {
  input_tokens: TOKENS.input,
  input_tokens_details: { cached_tokens: TOKENS.cached },
  output_tokens: TOKENS.output,
  output_tokens_details: { reasoning_tokens: TOKENS.reasoning },
  total_tokens: TOKENS.input + TOKENS.output,
}
export const responseId = (step: number) => `resp_step${step}`
const response = (
  step: number,
  model: string,
  status: string,
  output: unknown[],
  usage: unknown,
) => ({
  id: responseId(step),
  object: 'response',
  created_at: 1741476542,
  status,
  error: null,
  incomplete_details: null,
  model,
  output,
  usage,
})
const reasoningItem = (summary: unknown[]) => ({
  type: 'reasoning',
  id: 'rs_1',
  encrypted_content: null,
  summary,
  status: 'completed',
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

export function responsesAnswer(step: number, stream: boolean, options: WireOptions = {}) {
  const asksTool = step === 0
  const model = options.model ?? MODEL
  const usage = options.usage ?? responsesUsage
  const summary = [{ type: 'summary_text', text: REASONING }]
  const last = asksTool ? callItem('completed', ARGS) : messageItem('completed', 'Sunny')
  if (!stream)
    return {
      json: response(
        step,
        model,
        'completed',
        asksTool ? [reasoningItem(summary), last] : [last],
        usage,
      ),
    }
  let n = 0
  const R = (type: string, rest: Record<string, unknown>) =>
    event(type, { type, sequence_number: n++, ...rest })
  return {
    sse: [
      R('response.created', { response: response(step, model, 'in_progress', [], null) }),
      R('response.in_progress', { response: response(step, model, 'in_progress', [], null) }),
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
          model,
          'completed',
          asksTool ? [reasoningItem(summary), last] : [last],
          usage,
        ),
      }),
    ],
  }
}
