// What a trace says, checked against what the provider's own wire answer said: the real
// @ai-sdk/openai, @ai-sdk/anthropic and @ai-sdk/google of each AI SDK major over HTTP, against
// local servers that answer in each API's wire format (see wire.ts).
import { ATTR } from '@tokentrail/core'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { CALL_ATTR, ERROR_ATTR, tracingMiddleware } from '../src/index.js'
import { outputParts, setup } from './helpers.js'
import {
  callSpan,
  data,
  event,
  llmSpans,
  MAJORS,
  serveWire,
  useWireServers,
  type WireServer,
} from './wire.js'

let server: WireServer | undefined
useWireServers()

// OpenAI Chat Completions, as https://platform.openai.com/docs/api-reference/chat documents it.
const chatChunk = (delta: unknown, finishReason: string | null = null) => ({
  id: 'chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG',
  object: 'chat.completion.chunk',
  created: 1741570283,
  model: 'gpt-4o-2024-08-06',
  system_fingerprint: 'fp_eb9dce56a8',
  choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
})
const chatCompletion = (usage: unknown) => ({
  id: 'chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG',
  object: 'chat.completion',
  created: 1741570283,
  model: 'gpt-4o-2024-08-06',
  choices: [
    {
      index: 0,
      message: { role: 'assistant', content: 'Hello there', refusal: null, annotations: [] },
      logprobs: null,
      finish_reason: 'stop',
    },
  ],
  usage,
  service_tier: 'default',
  system_fingerprint: 'fp_eb9dce56a8',
})
const chatStream = (usage: unknown) => [
  data(chatChunk({ role: 'assistant', content: '', refusal: null })),
  data(chatChunk({ content: 'Hello' })),
  data(chatChunk({ content: ' there' })),
  data(chatChunk({}, 'stop')),
  data({ ...chatChunk({}), choices: [], usage }),
  'data: [DONE]\n\n',
]

describe.each(MAJORS)('$major, real provider clients over HTTP', ({ ai, openai }) => {
  for (const mode of ['generateText', 'streamText'] as const)
    it(`${mode}, an OpenAI-compatible server whose usage has no token details: cached and reasoning tokens are unknown, not 0`, async () => {
      // vLLM, Ollama and other OpenAI-compatible servers send only the three totals.
      const usage = { prompt_tokens: 120, completion_tokens: 30, total_tokens: 150 }
      server = await serveWire((_path, body) =>
        body.stream ? { sse: chatStream(usage) } : { json: chatCompletion(usage) },
      )
      const { tracer, exporter } = setup()
      const model = ai.wrapLanguageModel({
        model: openai(server.url).chat('gpt-4o'),
        middleware: tracingMiddleware({ tracer }),
      })
      const text =
        mode === 'generateText'
          ? (await ai.generateText({ model, prompt: 'Hi' })).text
          : await ai.streamText({ model, prompt: 'Hi' }).text
      expect(text).toBe('Hello there')
      await tracer.flush()
      const [llm] = llmSpans(exporter.spans)
      expect(llm!.attributes[ATTR.usageInputTokens]).toBe(120)
      expect(llm!.attributes[ATTR.usageOutputTokens]).toBe(30)
      expect(llm!.attributes).not.toHaveProperty(ATTR.usageCacheReadInputTokens)
      expect(llm!.attributes).not.toHaveProperty(ATTR.usageReasoningOutputTokens)
      const call = callSpan(exporter.spans)
      expect(call.attributes[CALL_ATTR.inputTokens]).toBe(120)
      expect(call.attributes).not.toHaveProperty(CALL_ATTR.cacheReadTokens)
      expect(call.attributes).not.toHaveProperty(CALL_ATTR.reasoningTokens)
      // All 120 input tokens at the uncached rate of gpt-4o ($2.50 / $10 per million).
      expect(llm!.attributes[ATTR.costUsd] as number).toBeCloseTo((120 * 2.5 + 30 * 10) / 1e6, 12)
    })

  it('an OpenAI server that reports details: zeros it sent are kept as zeros', async () => {
    const usage = {
      prompt_tokens: 120,
      completion_tokens: 30,
      total_tokens: 150,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: 0,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    }
    server = await serveWire(() => ({ sse: chatStream(usage) }))
    const { tracer, exporter } = setup()
    const model = ai.wrapLanguageModel({
      model: openai(server.url).chat('gpt-4o'),
      middleware: tracingMiddleware({ tracer }),
    })
    await ai.streamText({ model, prompt: 'Hi' }).consumeStream()
    await tracer.flush()
    const [llm] = llmSpans(exporter.spans)
    expect(llm!.attributes[ATTR.usageCacheReadInputTokens]).toBe(0)
    expect(llm!.attributes[ATTR.usageReasoningOutputTokens]).toBe(0)
  })
})

// OpenAI Responses, as https://platform.openai.com/docs/api-reference/responses documents it.
const responsesBody = (text: string) => ({
  id: 'resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b',
  object: 'response',
  created_at: 1741476542,
  status: 'completed',
  error: null,
  incomplete_details: null,
  model: 'gpt-5-2025-08-07',
  output: [
    {
      type: 'message',
      id: 'msg_67ccd2bf17f0819081ff3bb2cf6508e60bb6a6b452d3795b',
      status: 'completed',
      role: 'assistant',
      content: [{ type: 'output_text', text, annotations: [] }],
    },
  ],
  usage: {
    input_tokens: 36,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: 87,
    output_tokens_details: { reasoning_tokens: 64 },
    total_tokens: 123,
  },
})
// Gemini generateContent, as https://ai.google.dev/api/generate-content documents it.
const geminiBody = (text: string) => ({
  candidates: [{ content: { role: 'model', parts: [{ text }] }, finishReason: 'STOP', index: 0 }],
  usageMetadata: { promptTokenCount: 12, candidatesTokenCount: 9, totalTokenCount: 21 },
  modelVersion: 'gemini-2.5-flash',
  responseId: 'mBJNaZ3hJ4m9nvgPqdT1kQ4',
})

const ai7 = MAJORS[2]
const outputCases = [
  {
    api: 'OpenAI Responses',
    model: (url: string) => ai7.openai(url).responses('gpt-5'),
    answer: (text: string) => ({ json: responsesBody(text) }),
  },
  {
    api: 'Google',
    model: (url: string) => ai7.google(url)('gemini-2.5-flash'),
    answer: (text: string) => ({ json: geminiBody(text) }),
  },
]

describe.each(outputCases)(
  'ai@7 generateText with output: Output.object, $api',
  ({ model: makeModel, answer }) => {
    const { ai } = ai7
    const schema = () => ai.Output.object({ schema: z.object({ answer: z.number() }) })

    it('an answer that does not match the schema: the call span is an error, as the user saw', async () => {
      server = await serveWire(() => answer('{"answer":"seven"}'))
      const { tracer, exporter } = setup()
      const model = ai.wrapLanguageModel({
        model: makeModel(server.url),
        middleware: tracingMiddleware({ tracer }),
      })
      const error = await ai
        .generateText({ model, prompt: 'How many days in a week?', output: schema() })
        .catch((e: unknown) => e)
      expect(ai.NoObjectGeneratedError.isInstance(error)).toBe(true)
      await tracer.flush()
      const call = callSpan(exporter.spans)
      expect(call.status).toBe('error')
      expect(call.attributes[ATTR.errorType]).toBe('AI_NoObjectGeneratedError')
      expect(call.error?.message).toBe((error as Error).message)
      // The model answered; the answer was what failed.
      expect(llmSpans(exporter.spans).map((s) => s.status)).toEqual(['ok'])
      expect(call.attributes[CALL_ATTR.steps]).toBe(1)
    })

    it('an answer that matches: the call span is ok and ends when the call did, flushed at once', async () => {
      server = await serveWire(() => answer('{"answer":7}'))
      const { tracer, exporter } = setup()
      const model = ai.wrapLanguageModel({
        model: makeModel(server.url),
        middleware: tracingMiddleware({ tracer }),
      })
      const result = await ai.generateText({ model, prompt: 'How many days?', output: schema() })
      const returned = performance.timeOrigin + performance.now()
      expect(result.output).toEqual({ answer: 7 })
      await tracer.flush()
      const call = callSpan(exporter.spans)
      expect(call, 'the call span is exported by the flush right after the call').toBeDefined()
      expect(call.status).toBe('ok')
      expect(call.endTime).toBeLessThanOrEqual(returned)
      await new Promise((resolve) => setTimeout(resolve, 20))
      expect(
        exporter.spans.filter((s) => s.attributes[ATTR.operationName] === 'invoke_agent'),
      ).toHaveLength(1)
    })
  },
)

describe.each(MAJORS)(
  '$major: the request settings recorded are the ones sent',
  ({ ai, openai }) => {
    it('no tools: no tool choice recorded (none is sent); with tools: the one sent', async () => {
      const usage = { prompt_tokens: 12, completion_tokens: 2, total_tokens: 14 }
      server = await serveWire(() => ({ json: chatCompletion(usage) }))
      const { tracer, exporter } = setup()
      const model = ai.wrapLanguageModel({
        model: openai(server.url).chat('gpt-4o'),
        middleware: tracingMiddleware({ tracer }),
      })
      await ai.generateText({ model, prompt: 'Hi' })
      await ai.generateText({
        model,
        prompt: 'Weather?',
        tools: { weather: ai.tool({ inputSchema: z.object({ city: z.string() }) }) },
        toolChoice: 'auto',
      })
      await tracer.flush()
      expect(server.requests.map((r) => r.body.tool_choice)).toEqual([undefined, 'auto'])
      const [plain, withTools] = llmSpans(exporter.spans).sort((a, b) => a.startTime - b.startTime)
      expect(plain!.attributes).not.toHaveProperty(ATTR.toolChoice)
      expect(plain!.attributes).not.toHaveProperty(ATTR.toolNames)
      expect(withTools!.attributes[ATTR.toolChoice]).toBe('auto')
      expect(withTools!.attributes[ATTR.toolNames]).toEqual(['weather'])
    })
  },
)

describe.each(MAJORS)(
  '$major: cost of the model ids routers and clouds send',
  ({ ai, openai, google }) => {
    // OpenAI-compatible fronts name Claude their own way: OpenRouter and the AI Gateway
    // `anthropic/claude-sonnet-4.5`, Bedrock (through an OpenAI-compatible gateway) its inference profile.
    for (const id of [
      'anthropic/claude-sonnet-4.5',
      'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
    ])
      it(`${id} over an OpenAI-compatible chat API is priced as Claude Sonnet 4.5`, async () => {
        const usage = {
          prompt_tokens: 1000,
          completion_tokens: 200,
          total_tokens: 1200,
          prompt_tokens_details: { cached_tokens: 400 },
        }
        server = await serveWire((_path, body) => ({
          sse: chatStream(usage).map((event) => event.replace('gpt-4o-2024-08-06', body.model)),
        }))
        const { tracer, exporter } = setup()
        const model = ai.wrapLanguageModel({
          model: openai(server.url).chat(id),
          middleware: tracingMiddleware({ tracer }),
        })
        await ai.streamText({ model, prompt: 'Hi' }).consumeStream()
        await tracer.flush()
        const [llm] = llmSpans(exporter.spans)
        expect(llm!.attributes[ATTR.responseModel]).toBe(id)
        // $3 uncached, $0.30 cache read, $15 output per million tokens.
        const expected = (600 * 3 + 400 * 0.3 + 200 * 15) / 1e6
        expect(llm!.attributes[ATTR.costUsd] as number).toBeCloseTo(expected, 12)
        expect(callSpan(exporter.spans).attributes[CALL_ATTR.costUsd] as number).toBeCloseTo(
          expected,
          9,
        )
      })

    it('Google models/gemini-2.5-flash is priced as gemini-2.5-flash', async () => {
      server = await serveWire(() => ({ json: geminiBody('Hello') }))
      const { tracer, exporter } = setup()
      const model = ai.wrapLanguageModel({
        model: google(server.url)('models/gemini-2.5-flash'),
        middleware: tracingMiddleware({ tracer }),
      })
      await ai.generateText({ model, prompt: 'Hi' })
      await tracer.flush()
      expect(server.requests[0]!.path).toContain('/models/gemini-2.5-flash:generateContent')
      const [llm] = llmSpans(exporter.spans)
      expect(llm!.attributes[ATTR.costUsd] as number).toBeCloseTo((12 * 0.3 + 9 * 2.5) / 1e6, 12)
    })
  },
)

// Anthropic Messages streaming, as https://docs.anthropic.com/en/docs/build-with-claude/streaming documents it.
const anthropicStart = event('message_start', {
  type: 'message_start',
  message: {
    id: 'msg_014p7gG3wDgGV9EUtLvnow3U',
    type: 'message',
    role: 'assistant',
    model: 'claude-sonnet-4-5-20250929',
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: {
      input_tokens: 472,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      output_tokens: 2,
    },
  },
})
const anthropicText = (text: string) => [
  event('content_block_start', {
    type: 'content_block_start',
    index: 0,
    content_block: { type: 'text', text: '' },
  }),
  event('content_block_delta', {
    type: 'content_block_delta',
    index: 0,
    delta: { type: 'text_delta', text },
  }),
]

describe.each(MAJORS)(
  '$major: a provider error inside a stream',
  ({ major, ai, anthropic, openai }) => {
    async function run(model: unknown) {
      const { tracer, exporter } = setup()
      const wrapped = ai.wrapLanguageModel({ model, middleware: tracingMiddleware({ tracer }) })
      let error: unknown
      const text = await ai
        .streamText({
          model: wrapped,
          prompt: 'Hi',
          maxRetries: 0,
          onError: (e: any) => (error = e.error),
        })
        .text.catch(() => '')
      await tracer.flush()
      return { error, text, llm: llmSpans(exporter.spans)[0]!, call: callSpan(exporter.spans) }
    }

    it("Anthropic's overloaded_error event mid-stream: the LLM span says the provider's error type, as the call span does", async () => {
      server = await serveWire(() => ({
        sse: [
          anthropicStart,
          ...anthropicText('Hel'),
          event('error', {
            type: 'error',
            error: { type: 'overloaded_error', message: 'Overloaded' },
          }),
        ],
      }))
      const { error, llm, call } = await run(anthropic(server.url)('claude-sonnet-4-5'))
      expect(error).toBeDefined()
      expect(llm.status).toBe('error')
      expect(llm.error?.message).toBe('Overloaded')
      expect(llm.attributes[ATTR.errorType]).toBe('overloaded_error')
      expect(llm.attributes[ERROR_ATTR.providerType]).toBe('overloaded_error')
      expect(call.attributes[ERROR_ATTR.providerType]).toBe('overloaded_error')
    })

    // @ai-sdk/openai@2 (ai@5) does not read response.failed: its stream just ends.
    if (major !== 'ai@5')
      it("OpenAI Responses response.failed: the LLM span has the provider's code and the status the provider client gave", async () => {
        const response = {
          id: 'resp_1',
          object: 'response',
          created_at: 1741476542,
          model: 'gpt-5-2025-08-07',
          output: [],
          incomplete_details: null,
        }
        server = await serveWire(() => ({
          sse: [
            event('response.created', {
              type: 'response.created',
              sequence_number: 0,
              response: { ...response, status: 'in_progress', error: null, usage: null },
            }),
            event('response.failed', {
              type: 'response.failed',
              sequence_number: 1,
              response: {
                ...response,
                status: 'failed',
                error: {
                  code: 'server_error',
                  message: 'The server had an error while processing your request.',
                },
                usage: null,
              },
            }),
          ],
        }))
        const { error, llm, call } = await run(openai(server.url).responses('gpt-5'))
        expect(error).toBeDefined()
        expect(llm.status).toBe('error')
        expect(llm.error?.message).toBe('The server had an error while processing your request.')
        for (const span of [llm, call]) {
          expect(span.attributes[ERROR_ATTR.providerType]).toBe('server_error')
          expect((error as any).statusCode).toBe(500)
          expect(span.attributes[ERROR_ATTR.statusCode]).toBe(500)
          expect(span.attributes[ERROR_ATTR.retryable]).toBe(true)
        }
      })
  },
)

describe.each(MAJORS)('$major: Anthropic cache writes', ({ ai, anthropic }) => {
  // https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching: cache_creation_input_tokens
  // is the sum of the writes to the 5-minute and the 1-hour cache, told apart in cache_creation.
  const usage = {
    input_tokens: 100,
    cache_creation_input_tokens: 300,
    cache_read_input_tokens: 50,
    cache_creation: { ephemeral_5m_input_tokens: 200, ephemeral_1h_input_tokens: 100 },
    output_tokens: 20,
    service_tier: 'standard',
  }
  const message = {
    id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
    type: 'message',
    role: 'assistant',
    model: 'claude-sonnet-4-5-20250929',
    content: [{ type: 'text', text: 'Hello there' }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage,
  }
  // Claude Sonnet 4.5 per million: $3 input, $0.30 cache read, $3.75 5-minute write, $6 1-hour write, $15 output.
  const expected = (100 * 3 + 50 * 0.3 + 200 * 3.75 + 100 * 6 + 20 * 15) / 1e6

  for (const mode of ['generateText', 'streamText'] as const)
    it(`${mode}: a write to the 1-hour cache costs the 1-hour rate`, async () => {
      server = await serveWire((_path, body) =>
        body.stream
          ? {
              sse: [
                event('message_start', {
                  type: 'message_start',
                  message: {
                    ...message,
                    content: [],
                    stop_reason: null,
                    usage: { ...usage, output_tokens: 1 },
                  },
                }),
                ...anthropicText('Hello there'),
                event('content_block_stop', { type: 'content_block_stop', index: 0 }),
                event('message_delta', {
                  type: 'message_delta',
                  delta: { stop_reason: 'end_turn', stop_sequence: null },
                  usage: { output_tokens: 20 },
                }),
                event('message_stop', { type: 'message_stop' }),
              ],
            }
          : { json: message },
      )
      const { tracer, exporter } = setup()
      const model = ai.wrapLanguageModel({
        model: anthropic(server.url)('claude-sonnet-4-5'),
        middleware: tracingMiddleware({ tracer }),
      })
      const text =
        mode === 'generateText'
          ? (await ai.generateText({ model, prompt: 'Hi' })).text
          : await ai.streamText({ model, prompt: 'Hi' }).text
      expect(text).toBe('Hello there')
      await tracer.flush()
      const [llm] = llmSpans(exporter.spans)
      expect(llm!.attributes[ATTR.usageInputTokens]).toBe(450)
      expect(llm!.attributes[ATTR.usageCacheCreationInputTokens]).toBe(300)
      expect(llm!.attributes[ATTR.costUsd] as number).toBeCloseTo(expected, 12)
      expect(callSpan(exporter.spans).attributes[CALL_ATTR.costUsd] as number).toBeCloseTo(
        expected,
        9,
      )
    })
})

describe.each(MAJORS)('$major: call totals over steps', ({ ai, openai }) => {
  const toolStep = (usage: unknown) => [
    data(
      chatChunk({
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            index: 0,
            id: 'call_abc123',
            type: 'function',
            function: { name: 'weather', arguments: '' },
          },
        ],
      }),
    ),
    data(chatChunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] })),
    data(chatChunk({ tool_calls: [{ index: 0, function: { arguments: '"Oslo"}' } }] })),
    data(chatChunk({}, 'tool_calls')),
    data({ ...chatChunk({}), choices: [], usage }),
    'data: [DONE]\n\n',
  ]
  const first = { prompt_tokens: 80, completion_tokens: 15, total_tokens: 95 }
  const second = { prompt_tokens: 120, completion_tokens: 30, total_tokens: 150 }

  async function run(secondUsage: unknown | undefined) {
    server = await serveWire((_path, _body, index) => ({
      sse:
        index === 0
          ? toolStep(first)
          : chatStream(secondUsage).filter((event) => secondUsage || !event.includes('"usage"')),
    }))
    const { tracer, exporter } = setup()
    const model = ai.wrapLanguageModel({
      model: openai(server.url).chat('gpt-4o'),
      middleware: tracingMiddleware({ tracer }),
    })
    const text = await ai.streamText({
      model,
      prompt: 'Weather in Oslo?',
      stopWhen: ai.stepCountIs(2),
      tools: {
        weather: ai.tool({
          inputSchema: z.object({ city: z.string() }),
          execute: async ({ city }: { city: string }) => ({ city, celsius: 21 }),
        }),
      },
    }).text
    expect(text).toBe('Hello there')
    await tracer.flush()
    const steps = llmSpans(exporter.spans).sort(
      (a, b) => (a.attributes[ATTR.step] as number) - (b.attributes[ATTR.step] as number),
    )
    return { steps, call: callSpan(exporter.spans) }
  }

  it('a step whose server sent no usage: the call totals are unknown, not the other steps alone', async () => {
    const { steps, call } = await run(undefined)
    expect(steps.map((s) => s.attributes[ATTR.usageInputTokens])).toEqual([80, undefined])
    expect(steps[0]!.attributes[ATTR.costUsd]).toBeGreaterThan(0)
    expect(call.attributes[CALL_ATTR.steps]).toBe(2)
    expect(call.attributes).not.toHaveProperty(CALL_ATTR.inputTokens)
    expect(call.attributes).not.toHaveProperty(CALL_ATTR.outputTokens)
    expect(call.attributes).not.toHaveProperty(CALL_ATTR.costUsd)
    expect(call.attributes[CALL_ATTR.stepsWithoutUsage]).toBe(1)
  })

  it('every step with usage: the call totals are their sums', async () => {
    const { steps, call } = await run(second)
    expect(call.attributes[CALL_ATTR.inputTokens]).toBe(200)
    expect(call.attributes[CALL_ATTR.outputTokens]).toBe(45)
    const costs = steps.map((s) => s.attributes[ATTR.costUsd] as number)
    expect(call.attributes[CALL_ATTR.costUsd] as number).toBeCloseTo(costs[0]! + costs[1]!, 9)
    expect(call.attributes).not.toHaveProperty(CALL_ATTR.stepsWithoutUsage)
  })
})

describe.each(MAJORS)('$major: a model the price table lacks', ({ ai, openai }) => {
  // An OpenAI-compatible host serving an open-weights model (Groq, Together, vLLM…).
  const usage = { prompt_tokens: 40, completion_tokens: 10, total_tokens: 50 }
  async function run(options: Parameters<typeof tracingMiddleware>[0] = {}) {
    server = await serveWire(() => ({
      json: { ...chatCompletion(usage), model: 'openai/gpt-oss-120b' },
    }))
    const { tracer, exporter } = setup()
    const model = ai.wrapLanguageModel({
      model: openai(server.url).chat('openai/gpt-oss-120b'),
      middleware: tracingMiddleware({ tracer, ...options }),
    })
    await ai.generateText({ model, prompt: 'Hi' })
    await tracer.flush()
    return { llm: llmSpans(exporter.spans)[0]!, call: callSpan(exporter.spans) }
  }

  it('no cost, not 0, and the span says which model id had no price', async () => {
    const { llm, call } = await run()
    expect(llm.attributes[ATTR.usageInputTokens]).toBe(40)
    expect(llm.attributes).not.toHaveProperty(ATTR.costUsd)
    expect(llm.attributes[CALL_ATTR.unknownModel]).toBe('openai/gpt-oss-120b')
    expect(call.attributes).not.toHaveProperty(CALL_ATTR.costUsd)
  })

  it('priced through the prices option: costed, nothing said', async () => {
    const { llm } = await run({ prices: { 'gpt-oss-120b': { input: 0.15, output: 0.6 } } })
    expect(llm.attributes[ATTR.costUsd] as number).toBeCloseTo((40 * 0.15 + 10 * 0.6) / 1e6, 12)
    expect(llm.attributes).not.toHaveProperty(CALL_ATTR.unknownModel)
  })

  it('prices: false: no cost and nothing said (no cost was asked for)', async () => {
    const { llm } = await run({ prices: false })
    expect(llm.attributes).not.toHaveProperty(ATTR.costUsd)
    expect(llm.attributes).not.toHaveProperty(CALL_ATTR.unknownModel)
  })
})

describe.each(MAJORS)('$major: Gemini tool-use prompt tokens', ({ ai, google }) => {
  // Google Search grounding and URL context add the fetched text as toolUsePromptTokenCount, billed as
  // input; thoughts (thoughtsTokenCount) are billed as output. https://ai.google.dev/api/generate-content#UsageMetadata
  const usageMetadata = {
    promptTokenCount: 170,
    candidatesTokenCount: 7,
    toolUsePromptTokenCount: 300,
    thoughtsTokenCount: 30,
    totalTokenCount: 507,
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: 170 }],
  }
  const reply = (text: string, usage?: unknown) => ({
    candidates: [
      {
        content: { role: 'model', parts: [{ text }] },
        ...(usage ? { finishReason: 'STOP' } : {}),
        index: 0,
      },
    ],
    ...(usage ? { usageMetadata: usage } : {}),
    modelVersion: 'gemini-2.5-flash',
    responseId: 'mBJNaZ3hJ4m9nvgPqdT1kQ4',
  })
  // gemini-2.5-flash per million: $0.30 input, $2.50 output.
  const expected = (470 * 0.3 + 37 * 2.5) / 1e6

  for (const mode of ['generateText', 'streamText'] as const)
    it(`${mode}: input counts the tool-use prompt, output the thoughts, whatever the total`, async () => {
      server = await serveWire((path) =>
        path.includes('streamGenerateContent')
          ? { sse: [data(reply('Hello ')), data(reply('there', usageMetadata))] }
          : { json: reply('Hello there', usageMetadata) },
      )
      const { tracer, exporter } = setup()
      const model = ai.wrapLanguageModel({
        model: google(server.url)('gemini-2.5-flash'),
        middleware: tracingMiddleware({ tracer }),
      })
      const text =
        mode === 'generateText'
          ? (await ai.generateText({ model, prompt: 'Who won yesterday?' })).text
          : await ai.streamText({ model, prompt: 'Who won yesterday?' }).text
      expect(text).toBe('Hello there')
      await tracer.flush()
      const [llm] = llmSpans(exporter.spans)
      expect(llm!.attributes[ATTR.usageInputTokens]).toBe(470)
      expect(llm!.attributes[ATTR.usageOutputTokens]).toBe(37)
      expect(llm!.attributes[ATTR.usageReasoningOutputTokens]).toBe(30)
      expect(llm!.attributes[ATTR.costUsd] as number).toBeCloseTo(expected, 12)
    })
})

describe.each(MAJORS)('$major: Anthropic thinking tokens', ({ ai, anthropic }) => {
  // Extended thinking: output_tokens includes the thinking, told apart in output_tokens_details.
  const usage = {
    input_tokens: 100,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    output_tokens: 70,
    output_tokens_details: { thinking_tokens: 50 },
  }
  const content = [
    {
      type: 'thinking',
      thinking: 'Seven days.',
      signature: 'EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds',
    },
    { type: 'text', text: 'Seven' },
  ]
  for (const mode of ['generateText', 'streamText'] as const)
    it(`${mode}: the thinking tokens Anthropic reports are the reasoning tokens`, async () => {
      server = await serveWire((_path, body) =>
        body.stream
          ? {
              sse: [
                event('message_start', {
                  type: 'message_start',
                  message: {
                    id: 'msg_01',
                    type: 'message',
                    role: 'assistant',
                    model: 'claude-sonnet-4-5-20250929',
                    content: [],
                    stop_reason: null,
                    stop_sequence: null,
                    usage: { ...usage, output_tokens: 1, output_tokens_details: undefined },
                  },
                }),
                event('content_block_start', {
                  type: 'content_block_start',
                  index: 0,
                  content_block: { type: 'thinking', thinking: '', signature: '' },
                }),
                event('content_block_delta', {
                  type: 'content_block_delta',
                  index: 0,
                  delta: { type: 'thinking_delta', thinking: 'Seven days.' },
                }),
                event('content_block_delta', {
                  type: 'content_block_delta',
                  index: 0,
                  delta: { type: 'signature_delta', signature: content[0]!.signature },
                }),
                event('content_block_stop', { type: 'content_block_stop', index: 0 }),
                event('content_block_start', {
                  type: 'content_block_start',
                  index: 1,
                  content_block: { type: 'text', text: '' },
                }),
                event('content_block_delta', {
                  type: 'content_block_delta',
                  index: 1,
                  delta: { type: 'text_delta', text: 'Seven' },
                }),
                event('content_block_stop', { type: 'content_block_stop', index: 1 }),
                event('message_delta', {
                  type: 'message_delta',
                  delta: { stop_reason: 'end_turn', stop_sequence: null },
                  usage: { output_tokens: 70, output_tokens_details: { thinking_tokens: 50 } },
                }),
                event('message_stop', { type: 'message_stop' }),
              ],
            }
          : {
              json: {
                id: 'msg_01',
                type: 'message',
                role: 'assistant',
                model: 'claude-sonnet-4-5-20250929',
                content,
                stop_reason: 'end_turn',
                stop_sequence: null,
                usage,
              },
            },
      )
      const { tracer, exporter } = setup()
      const model = ai.wrapLanguageModel({
        model: anthropic(server.url)('claude-sonnet-4-5'),
        middleware: tracingMiddleware({ tracer }),
      })
      const text =
        mode === 'generateText'
          ? (await ai.generateText({ model, prompt: 'Days in a week?' })).text
          : await ai.streamText({ model, prompt: 'Days in a week?' }).text
      expect(text).toBe('Seven')
      await tracer.flush()
      const [llm] = llmSpans(exporter.spans)
      expect(llm!.attributes[ATTR.usageOutputTokens]).toBe(70)
      expect(llm!.attributes[ATTR.usageReasoningOutputTokens]).toBe(50)
      expect(callSpan(exporter.spans).attributes[CALL_ATTR.reasoningTokens]).toBe(50)
    })
})

describe.each(MAJORS)('$major: a tool call the AI SDK cannot run', ({ major, ai, openai }) => {
  const completion = (message: unknown, finishReason: string) => ({
    ...chatCompletion({ prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 }),
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason }],
  })
  const cases = [
    {
      what: 'input the tool schema refuses',
      tool: 'weather',
      args: '{"city":5}',
      type: 'AI_InvalidToolInputError',
    },
    {
      what: 'a tool it does not have',
      tool: 'forecast',
      args: '{"city":"Oslo"}',
      type: 'AI_NoSuchToolError',
    },
  ]
  for (const { what, tool, args, type } of cases)
    for (const mode of ['generateText', 'streamText'] as const)
      it(`${mode}, ${what}: a failed tool span and a tool error on the call, as the user's step has`, async () => {
        server = await serveWire((_path, body, index) => {
          if (index > 0)
            return body.stream
              ? { sse: chatStream(undefined) }
              : { json: completion({ role: 'assistant', content: 'Sorry' }, 'stop') }
          const call = {
            id: 'call_Qx1',
            type: 'function',
            function: { name: tool, arguments: args },
          }
          return body.stream
            ? {
                sse: [
                  data(
                    chatChunk({
                      role: 'assistant',
                      content: null,
                      tool_calls: [{ index: 0, ...call }],
                    }),
                  ),
                  data(chatChunk({}, 'tool_calls')),
                  'data: [DONE]\n\n',
                ],
              }
            : {
                json: completion(
                  { role: 'assistant', content: null, tool_calls: [call] },
                  'tool_calls',
                ),
              }
        })
        const { tracer, exporter } = setup()
        const model = ai.wrapLanguageModel({
          model: openai(server.url).chat('gpt-4o'),
          middleware: tracingMiddleware({ tracer }),
        })
        const options = {
          model,
          prompt: 'Weather in Oslo?',
          stopWhen: ai.stepCountIs(2),
          tools: {
            weather: ai.tool({
              inputSchema: z.object({ city: z.string() }),
              execute: async ({ city }: { city: string }) => ({ city, celsius: 21 }),
            }),
          },
        }
        const steps =
          mode === 'generateText'
            ? (await ai.generateText(options)).steps
            : await ai.streamText(options).steps
        const toolError = steps[0].content.find((part: any) => part.type === 'tool-error')
        expect(toolError, 'the user sees a tool error').toBeDefined()
        await tracer.flush()
        const tools = exporter.spans.filter((s) => s.kind === 'tool')
        expect(tools).toHaveLength(1)
        expect(tools[0]!.status).toBe('error')
        expect(tools[0]!.attributes[ATTR.toolName]).toBe(tool)
        expect(tools[0]!.attributes[ATTR.toolCallId]).toBe('call_Qx1')
        const [asker] = llmSpans(exporter.spans).filter((s) => s.attributes[ATTR.step] === 0)
        expect(tools[0]!.parentSpanId).toBe(asker!.spanId)
        // ai@5 and ai@6 tell the failure from the next step's prompt, without the SDK's error type.
        if (major === 'ai@7') expect(tools[0]!.attributes[ATTR.errorType]).toBe(type)
        expect(callSpan(exporter.spans).attributes[CALL_ATTR.toolErrors]).toBe(1)
      })
})

// @ai-sdk/google-vertex serves Gemini through @ai-sdk/google's own model class, named `google.vertex.chat`.
const vertexModels = [
  {
    major: 'ai@5',
    ai: MAJORS[0].ai,
    load: async () =>
      (await import('@ai-sdk/google-v2/internal')).GoogleGenerativeAILanguageModel as any,
  },
  {
    major: 'ai@6',
    ai: MAJORS[1].ai,
    load: async () =>
      (await import('@ai-sdk/google-v3/internal')).GoogleGenerativeAILanguageModel as any,
  },
  {
    major: 'ai@7',
    ai: MAJORS[2].ai,
    load: async () => (await import('@ai-sdk/google/internal')).GoogleLanguageModel as any,
  },
]
describe.each(vertexModels)('$major: Gemini on Vertex AI', ({ ai, load }) => {
  it('the provider is gcp.vertex_ai, not gcp.gemini', async () => {
    server = await serveWire(() => ({ json: geminiBody('Hello') }))
    const Model = await load()
    const vertex = new Model('gemini-2.5-flash', {
      provider: 'google.vertex.chat',
      baseURL: `${server.url}/v1/projects/demo/locations/us-central1/publishers/google`,
      headers: { authorization: 'Bearer ya29.test' },
      generateId: () => 'id-1',
      supportedUrls: () => ({}),
    })
    const { tracer, exporter } = setup()
    const model = ai.wrapLanguageModel({ model: vertex, middleware: tracingMiddleware({ tracer }) })
    expect((await ai.generateText({ model, prompt: 'Hi' })).text).toBe('Hello')
    expect(server.requests[0]!.path).toContain(
      '/publishers/google/models/gemini-2.5-flash:generateContent',
    )
    await tracer.flush()
    expect(llmSpans(exporter.spans)[0]!.attributes[ATTR.providerName]).toBe('gcp.vertex_ai')
  })
})

describe.each(MAJORS)('$major: time to first chunk', ({ ai, openai, anthropic, google }) => {
  // Each API sends its metadata at once (a role chunk, message_start, response.created, a ping),
  // then the first token after the model's latency: the time to first chunk is to that token.
  const WAIT = 120
  const inProgress = {
    id: 'resp_1',
    object: 'response',
    created_at: 1741476542,
    status: 'in_progress',
    model: 'gpt-5-2025-08-07',
    output: [],
    usage: null,
    error: null,
    incomplete_details: null,
  }
  const cases = [
    {
      api: 'OpenAI Chat',
      model: (url: string) => openai(url).chat('gpt-4o'),
      sse: () => [
        data(chatChunk({ role: 'assistant', content: '', refusal: null })),
        WAIT,
        ...chatStream(undefined).slice(1),
      ],
    },
    {
      api: 'OpenAI Responses',
      model: (url: string) => openai(url).responses('gpt-5'),
      sse: () => [
        event('response.created', {
          type: 'response.created',
          sequence_number: 0,
          response: inProgress,
        }),
        event('response.in_progress', {
          type: 'response.in_progress',
          sequence_number: 1,
          response: inProgress,
        }),
        event('response.output_item.added', {
          type: 'response.output_item.added',
          sequence_number: 2,
          output_index: 0,
          item: {
            type: 'message',
            id: 'msg_1',
            status: 'in_progress',
            role: 'assistant',
            content: [],
          },
        }),
        WAIT,
        event('response.output_text.delta', {
          type: 'response.output_text.delta',
          sequence_number: 3,
          item_id: 'msg_1',
          output_index: 0,
          content_index: 0,
          delta: 'Hello there',
          logprobs: [],
        }),
        event('response.output_item.done', {
          type: 'response.output_item.done',
          sequence_number: 4,
          output_index: 0,
          item: {
            type: 'message',
            id: 'msg_1',
            status: 'completed',
            role: 'assistant',
            content: [{ type: 'output_text', text: 'Hello there', annotations: [] }],
          },
        }),
        event('response.completed', {
          type: 'response.completed',
          sequence_number: 5,
          response: {
            id: 'resp_1',
            object: 'response',
            created_at: 1741476542,
            status: 'completed',
            model: 'gpt-5-2025-08-07',
            output: [],
            incomplete_details: null,
            error: null,
            usage: {
              input_tokens: 5,
              input_tokens_details: { cached_tokens: 0 },
              output_tokens: 2,
              output_tokens_details: { reasoning_tokens: 0 },
              total_tokens: 7,
            },
          },
        }),
      ],
    },
    {
      api: 'Anthropic',
      model: (url: string) => anthropic(url)('claude-sonnet-4-5'),
      sse: () => [
        anthropicStart,
        event('content_block_start', {
          type: 'content_block_start',
          index: 0,
          content_block: { type: 'text', text: '' },
        }),
        event('ping', { type: 'ping' }),
        WAIT,
        event('content_block_delta', {
          type: 'content_block_delta',
          index: 0,
          delta: { type: 'text_delta', text: 'Hello there' },
        }),
        event('content_block_stop', { type: 'content_block_stop', index: 0 }),
        event('message_delta', {
          type: 'message_delta',
          delta: { stop_reason: 'end_turn', stop_sequence: null },
          usage: { output_tokens: 2 },
        }),
        event('message_stop', { type: 'message_stop' }),
      ],
    },
    {
      api: 'Google',
      model: (url: string) => google(url)('gemini-2.5-flash'),
      sse: () => [WAIT, data(geminiBody('Hello there'))],
    },
  ]
  for (const { api, model: makeModel, sse } of cases)
    it(`${api}: to the first token, not to the metadata before it`, async () => {
      server = await serveWire(() => ({ sse: sse() }))
      const { tracer, exporter } = setup()
      const model = ai.wrapLanguageModel({
        model: makeModel(server.url),
        middleware: tracingMiddleware({ tracer }),
      })
      const started = performance.now()
      let firstText: number | undefined
      for await (const delta of ai.streamText({ model, prompt: 'Hi' }).textStream)
        if (delta !== '') firstText ??= performance.now() - started
      await tracer.flush()
      const ttft = llmSpans(exporter.spans)[0]!.attributes[ATTR.ttftMs] as number
      expect(ttft).toBeGreaterThanOrEqual(WAIT - 5)
      expect(ttft).toBeLessThanOrEqual(firstText!)
    })
})

describe.each(MAJORS)(
  '$major: parallel tool calls streamed in pieces',
  ({ ai, openai, anthropic }) => {
    const R = (type: string, rest: Record<string, unknown>) => event(type, { type, ...rest })
    const responsesUsage = {
      input_tokens: 50,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: 20,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 70,
    }
    const responseBase = {
      id: 'resp_1',
      object: 'response',
      created_at: 1741476542,
      model: 'gpt-5-2025-08-07',
      output: [],
      error: null,
      incomplete_details: null,
    }
    const cases = [
      {
        api: 'OpenAI Chat',
        model: (url: string) => openai(url).chat('gpt-4o'),
        first: () => [
          data(
            chatChunk({
              role: 'assistant',
              content: null,
              tool_calls: [
                {
                  index: 0,
                  id: 'call_A',
                  type: 'function',
                  function: { name: 'weather', arguments: '' },
                },
              ],
            }),
          ),
          data(chatChunk({ tool_calls: [{ index: 0, function: { arguments: '{"ci' } }] })),
          data(chatChunk({ tool_calls: [{ index: 0, function: { arguments: 'ty":"Oslo"}' } }] })),
          data(
            chatChunk({
              tool_calls: [
                {
                  index: 1,
                  id: 'call_B',
                  type: 'function',
                  function: { name: 'weather', arguments: '' },
                },
              ],
            }),
          ),
          data(chatChunk({ tool_calls: [{ index: 1, function: { arguments: '{"city":' } }] })),
          data(chatChunk({ tool_calls: [{ index: 1, function: { arguments: '"Rome"}' } }] })),
          data(chatChunk({}, 'tool_calls')),
          'data: [DONE]\n\n',
        ],
        ids: ['call_A', 'call_B'],
      },
      {
        api: 'OpenAI Responses',
        model: (url: string) => openai(url).responses('gpt-5'),
        first: () => [
          R('response.created', {
            sequence_number: 0,
            response: { ...responseBase, status: 'in_progress', usage: null },
          }),
          ...[
            ['fc_A', 'call_A', ['{"ci', 'ty":"Oslo"}']],
            ['fc_B', 'call_B', ['{"city":', '"Rome"}']],
          ].flatMap(([item, callId, pieces], index) => [
            R('response.output_item.added', {
              sequence_number: 1,
              output_index: index,
              item: {
                type: 'function_call',
                id: item,
                call_id: callId,
                name: 'weather',
                arguments: '',
                status: 'in_progress',
              },
            }),
            ...(pieces as string[]).map((delta) =>
              R('response.function_call_arguments.delta', {
                sequence_number: 2,
                item_id: item,
                output_index: index,
                delta,
              }),
            ),
            R('response.output_item.done', {
              sequence_number: 3,
              output_index: index,
              item: {
                type: 'function_call',
                id: item,
                call_id: callId,
                name: 'weather',
                arguments: (pieces as string[]).join(''),
                status: 'completed',
              },
            }),
          ]),
          R('response.completed', {
            sequence_number: 9,
            response: { ...responseBase, status: 'completed', usage: responsesUsage },
          }),
        ],
        ids: ['call_A', 'call_B'],
      },
      {
        api: 'Anthropic',
        model: (url: string) => anthropic(url)('claude-sonnet-4-5'),
        first: () => [
          anthropicStart,
          ...[
            ['toolu_A', ['', '{"city": "Os', 'lo"}']],
            ['toolu_B', ['{"city":', '"Rome"}']],
          ].flatMap(([id, pieces], index) => [
            R('content_block_start', {
              index,
              content_block: { type: 'tool_use', id, name: 'weather', input: {} },
            }),
            ...(pieces as string[]).map((partial_json) =>
              R('content_block_delta', {
                index,
                delta: { type: 'input_json_delta', partial_json },
              }),
            ),
            R('content_block_stop', { index }),
          ]),
          R('message_delta', {
            delta: { stop_reason: 'tool_use', stop_sequence: null },
            usage: { output_tokens: 40 },
          }),
          R('message_stop', {}),
        ],
        ids: ['toolu_A', 'toolu_B'],
      },
    ]
    for (const { api, model: makeModel, first, ids } of cases)
      it(`${api}: each call with its whole arguments, a tool span each`, async () => {
        server = await serveWire((path, _body, index) => {
          if (index === 0) return { sse: first() }
          // The answer after the tools, in the same API's format.
          if (path.includes('/messages'))
            return {
              sse: [
                anthropicStart,
                ...anthropicText('Done'),
                R('message_delta', {
                  delta: { stop_reason: 'end_turn', stop_sequence: null },
                  usage: { output_tokens: 2 },
                }),
                R('message_stop', {}),
              ],
            }
          if (path.includes('/responses'))
            return {
              sse: [
                R('response.created', {
                  sequence_number: 0,
                  response: { ...responseBase, status: 'in_progress', usage: null },
                }),
                R('response.output_item.added', {
                  sequence_number: 1,
                  output_index: 0,
                  item: {
                    type: 'message',
                    id: 'msg_1',
                    status: 'in_progress',
                    role: 'assistant',
                    content: [],
                  },
                }),
                R('response.output_text.delta', {
                  sequence_number: 2,
                  item_id: 'msg_1',
                  output_index: 0,
                  content_index: 0,
                  delta: 'Done',
                  logprobs: [],
                }),
                R('response.output_item.done', {
                  sequence_number: 3,
                  output_index: 0,
                  item: {
                    type: 'message',
                    id: 'msg_1',
                    status: 'completed',
                    role: 'assistant',
                    content: [{ type: 'output_text', text: 'Done', annotations: [] }],
                  },
                }),
                R('response.completed', {
                  sequence_number: 4,
                  response: { ...responseBase, status: 'completed', usage: responsesUsage },
                }),
              ],
            }
          return { sse: chatStream(undefined) }
        })
        const { tracer, exporter } = setup()
        const model = ai.wrapLanguageModel({
          model: makeModel(server.url),
          middleware: tracingMiddleware({ tracer }),
        })
        const seen: unknown[] = []
        await ai
          .streamText({
            model,
            prompt: 'Weather in Oslo and Rome?',
            stopWhen: ai.stepCountIs(2),
            tools: {
              weather: ai.tool({
                inputSchema: z.object({ city: z.string() }),
                execute: async (input: { city: string }) => {
                  seen.push(input)
                  return { ...input, celsius: 21 }
                },
              }),
            },
          })
          .consumeStream()
        expect(seen).toEqual([{ city: 'Oslo' }, { city: 'Rome' }])
        await tracer.flush()
        const [asker] = llmSpans(exporter.spans).filter((s) => s.attributes[ATTR.step] === 0)
        const calls = outputParts(asker!).filter((part) => part.type === 'tool_call')
        expect(calls.map((c) => [c.id, c.name, JSON.parse(c.arguments!)])).toEqual([
          [ids[0], 'weather', { city: 'Oslo' }],
          [ids[1], 'weather', { city: 'Rome' }],
        ])
        expect(asker!.attributes[ATTR.responseFinishReasons]).toEqual(['tool_call'])
        const tools = exporter.spans.filter((s) => s.kind === 'tool')
        expect(tools.map((s) => s.attributes[ATTR.toolCallId]).sort()).toEqual(ids)
        for (const tool of tools) expect(tool.parentSpanId).toBe(asker!.spanId)
        expect(callSpan(exporter.spans).attributes[CALL_ATTR.toolCalls]).toBe(2)
      })
  },
)
