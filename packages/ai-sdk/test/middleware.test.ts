import type { LanguageModelV4StreamPart } from '@ai-sdk/provider'
import { ATTR, createTracer, TokentrailError } from '@tokentrail/core'
import {
  generateObject,
  generateText,
  simulateReadableStream,
  streamObject,
  streamText,
  wrapLanguageModel,
} from 'ai'
import { convertArrayToReadableStream, MockLanguageModelV3, MockLanguageModelV4 } from 'ai/test'
import { describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import {
  embeddingTracingMiddleware,
  tokentrailTelemetry,
  traceModel,
  tracingMiddleware,
  withTraceMetadata,
} from '../src/index.js'
import {
  gatedStream,
  modelSpans,
  outputText,
  reasoningText,
  setup,
  textParts,
  usage,
} from './helpers.js'

const generated = (text: string, extra: Record<string, unknown> = {}) => ({
  content: [{ type: 'text' as const, text }],
  finishReason: { unified: 'stop' as const, raw: 'stop' },
  usage: usage(12, 5, { cacheRead: 2 }),
  warnings: [],
  response: { id: 'resp-42', modelId: 'gpt-4o-2024-08-06', timestamp: new Date(0) },
  ...extra,
})

describe('tracingMiddleware with generateText', () => {
  it('records one LLM span with settings, usage, cost, prompt and output', async () => {
    const { tracer, exporter } = setup()
    const model = wrapLanguageModel({
      model: new MockLanguageModelV4({
        provider: 'openai.chat',
        modelId: 'gpt-4o',
        doGenerate: generated('Paris is the capital.'),
      }),
      middleware: tracingMiddleware({ tracer }),
    })
    const result = await generateText({
      model,
      system: 'Answer briefly.',
      prompt: 'What is the capital of France?',
      temperature: 0.3,
      maxOutputTokens: 100,
      topP: 0.9,
      topK: 40,
      seed: 7,
      stopSequences: ['END'],
    })
    expect(result.text).toBe('Paris is the capital.')
    await tracer.flush()
    expect(modelSpans(exporter)).toHaveLength(1)
    const span = exporter.span('chat gpt-4o')
    expect(span.kind).toBe('llm')
    expect(span.status).toBe('ok')
    // Set only on a streaming request.
    expect(ATTR.requestStream in span.attributes).toBe(false)
    expect(span.attributes).toMatchObject({
      [ATTR.operationName]: 'chat',
      [ATTR.providerName]: 'openai',
      [ATTR.requestModel]: 'gpt-4o',
      [ATTR.requestTemperature]: 0.3,
      [ATTR.requestMaxTokens]: 100,
      [ATTR.requestTopP]: 0.9,
      [ATTR.requestTopK]: 40,
      [ATTR.requestSeed]: 7,
      [ATTR.requestStopSequences]: ['END'],
      [ATTR.responseId]: 'resp-42',
      [ATTR.responseModel]: 'gpt-4o-2024-08-06',
      [ATTR.responseFinishReasons]: ['stop'],
      [ATTR.finishReasonRaw]: 'stop',
      [ATTR.usageInputTokens]: 12,
      [ATTR.usageOutputTokens]: 5,
      [ATTR.usageCacheReadInputTokens]: 2,
      [ATTR.step]: 0,
    })
    // Each fact once: the text is in gen_ai.output.messages, the total is input + output.
    for (const duplicate of [
      ATTR.usageTotalTokens,
      ATTR.outputText,
      ATTR.reasoningText,
      ATTR.toolCalls,
    ])
      expect(span.attributes[duplicate]).toBeUndefined()
    // gpt-4o: $2.50 input, $1.25 cached input, $10 output per million tokens.
    expect(span.attributes[ATTR.costUsd]).toBeCloseTo((10 * 2.5 + 2 * 1.25 + 5 * 10) / 1e6, 12)
    expect(span.attributes[ATTR.costInputUsd]).toBeCloseTo((10 * 2.5 + 2 * 1.25) / 1e6, 12)
    expect(JSON.parse(span.attributes[ATTR.systemInstructions] as string)).toEqual([
      { type: 'text', content: 'Answer briefly.' },
    ])
    expect(JSON.parse(span.attributes[ATTR.inputMessages] as string)).toEqual([
      { role: 'user', parts: [{ type: 'text', content: 'What is the capital of France?' }] },
    ])
    expect(JSON.parse(span.attributes[ATTR.outputMessages] as string)).toEqual([
      {
        role: 'assistant',
        parts: [{ type: 'text', content: 'Paris is the capital.' }],
        finish_reason: 'stop',
      },
    ])
    expect(span.attributes[ATTR.ttftMs]).toBeUndefined()
    expect(span.attributes[ATTR.usageReasoningOutputTokens]).toBeUndefined()
  })

  it('passes the original error through and marks the span error', async () => {
    const { tracer, exporter } = setup()
    const failure = new Error('provider exploded')
    const model = traceModel(
      new MockLanguageModelV4({
        doGenerate: async () => {
          throw failure
        },
      }),
      { tracer },
    )
    const error = await generateText({ model, prompt: 'hi', maxRetries: 0 }).catch((e) => e)
    expect(error).toBe(failure)
    await tracer.flush()
    const span = exporter.span(/^chat /)
    expect(span.status).toBe('error')
    expect(span.error?.message).toBe('provider exploded')
    expect(span.events.map((e) => e.name)).toContain('exception')
  })

  it('records no usage and no cost when the provider reports none — never 0 or NaN', async () => {
    const { tracer, exporter } = setup()
    const model = traceModel(
      new MockLanguageModelV4({
        modelId: 'gpt-4o',
        doGenerate: generated('ok', { usage: usage(undefined, undefined) }),
      }),
      { tracer },
    )
    await generateText({ model, prompt: 'hi' })
    const partial = traceModel(
      new MockLanguageModelV4({
        modelId: 'gpt-4o',
        doGenerate: generated('ok', { usage: usage(9, undefined) }),
      }),
      { tracer },
    )
    await generateText({ model: partial, prompt: 'hi' })
    await tracer.flush()
    const [none, inputOnly] = modelSpans(exporter)
    for (const key of [
      ATTR.usageInputTokens,
      ATTR.usageOutputTokens,
      ATTR.usageTotalTokens,
      ATTR.costUsd,
      ATTR.outputTokensPerSecond,
    ])
      expect(none.attributes[key]).toBeUndefined()
    expect(inputOnly.attributes[ATTR.usageInputTokens]).toBe(9)
    expect(inputOnly.attributes[ATTR.usageOutputTokens]).toBeUndefined()
    expect(inputOnly.attributes[ATTR.usageTotalTokens]).toBeUndefined()
    expect(inputOnly.attributes[ATTR.costUsd]).toBeUndefined()
    for (const span of modelSpans(exporter))
      for (const value of Object.values(span.attributes))
        expect(Number.isNaN(value as number)).toBe(false)
  })

  it('gives unknown models no cost, and takes user prices over the built-in table', async () => {
    const { tracer, exporter } = setup()
    const mock = () =>
      new MockLanguageModelV4({
        modelId: 'acme-llm-1',
        doGenerate: generated('ok', { response: {} }),
      })
    await generateText({ model: traceModel(mock(), { tracer }), prompt: 'x' })
    await generateText({
      model: traceModel(mock(), { tracer, prices: { 'acme-llm-1': { input: 1, output: 2 } } }),
      prompt: 'x',
    })
    await generateText({
      model: traceModel(
        new MockLanguageModelV4({ modelId: 'gpt-4o', doGenerate: generated('ok') }),
        { tracer, prices: false },
      ),
      prompt: 'x',
    })
    await tracer.flush()
    const [unknown, priced, off] = modelSpans(exporter)
    expect(unknown.attributes[ATTR.costUsd]).toBeUndefined()
    // cacheRead without a cached price is billed at the input price: 12 × $1 + 5 × $2.
    expect(priced.attributes[ATTR.costUsd]).toBeCloseTo((12 * 1 + 5 * 2) / 1e6, 12)
    expect(off.attributes[ATTR.costUsd]).toBeUndefined()
  })

  it('records nothing and changes nothing with a disabled tracer', async () => {
    const tracer = createTracer({ enabled: false })
    const inner = new MockLanguageModelV4({ doGenerate: generated('same') })
    const result = await generateText({ model: traceModel(inner, { tracer }), prompt: 'x' })
    expect(result.text).toBe('same')
    expect(inner.doGenerateCalls).toHaveLength(1)
    expect(tracer.stats().started).toBe(0)
  })

  it('rejects bad options with an error naming the option', () => {
    expect(() => tracingMiddleware({ maxTextLength: -1 })).toThrow(/maxTextLength/)
    // Infinity and NaN named as such (JSON printed null).
    expect(() => tracingMiddleware({ maxTextLength: Number.POSITIVE_INFINITY })).toThrow(
      'maxTextLength must be a whole number of characters ≥ 0, got Infinity',
    )
    expect(() => tracingMiddleware({ prices: { m: { input: Number.NaN, output: 1 } } })).toThrow(
      /prices\["m"\]\.input must be a number ≥ 0 \(USD per million tokens\), got NaN/,
    )
    // fn is named, not a TypeError from deep inside.
    expect(() => withTraceMetadata({ userId: 'u' }, 5 as never)).toThrow(
      'withTraceMetadata(metadata, fn): fn must be the function to run, got number',
    )
    expect(() => tracingMiddleware({ tracer: {} as any })).toThrow(/tracer/)
    expect(() => tracingMiddleware({ recordInputs: 'yes' as any })).toThrow(/recordInputs/)
    expect(() => tracingMiddleware({ prices: { 'gpt-x': { input: -1, output: 1 } } })).toThrow(
      /prices\["gpt-x"\]\.input/,
    )
    expect(TokentrailError.isInstance(catchError(() => tracingMiddleware(null as any)))).toBe(true)
  })

  // A Map, Set or array has no option keys: it passed the key check and the defaults applied
  // without a word, so a Map asking for no inputs recorded the prompts.
  it('refuses a Map, a Set or an array as options, naming what it got', () => {
    const noInputs = new Map([['recordInputs', false]])
    expect(() => tracingMiddleware(noInputs as never)).toThrow(
      'tracingMiddleware takes an options object, got a Map (pass Object.fromEntries(map))',
    )
    expect(() => tracingMiddleware([] as never)).toThrow(
      'tracingMiddleware takes an options object, got an array',
    )
    expect(() => embeddingTracingMiddleware(new Set(['recordInputs']) as never)).toThrow(
      'embeddingTracingMiddleware takes an options object, got a Set',
    )
    expect(() => tokentrailTelemetry(noInputs as never)).toThrow(
      'tokentrailTelemetry takes an options object, got a Map',
    )
    expect(() => tracingMiddleware({ metadata: noInputs as never })).toThrow(
      'tracingMiddleware({ metadata }) takes an options object, got a Map',
    )
  })

  it('serves a V3 model wrapped by ai@7', async () => {
    const { tracer, exporter } = setup()
    const v3 = new MockLanguageModelV3({
      modelId: 'gpt-4o-mini',
      doGenerate: {
        content: [{ type: 'text', text: 'from v3' }],
        finishReason: { unified: 'stop', raw: 'stop' },
        usage: {
          inputTokens: { total: 3, noCache: 3, cacheRead: undefined, cacheWrite: undefined },
          outputTokens: { total: 2, text: 2, reasoning: undefined },
        },
        warnings: [],
      },
    })
    const result = await generateText({ model: traceModel(v3, { tracer }), prompt: 'x' })
    expect(result.text).toBe('from v3')
    await tracer.flush()
    expect(exporter.span('chat gpt-4o-mini').attributes).toMatchObject({
      [ATTR.usageInputTokens]: 3,
      [ATTR.usageOutputTokens]: 2,
    })
    expect(outputText(exporter.span('chat gpt-4o-mini'))).toBe('from v3')
  })
})

function catchError(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  return undefined
}

describe('tracingMiddleware with streamText', () => {
  it('passes the very same chunk objects through, in order', async () => {
    const { tracer, exporter } = setup()
    const parts = textParts(['Hel', 'lo', ' world'])
    const model = traceModel(
      new MockLanguageModelV4({ doStream: { stream: convertArrayToReadableStream(parts) } }),
      { tracer },
    )
    const { stream } = await model.doStream({ prompt: [] })
    const seen: LanguageModelV4StreamPart[] = []
    for await (const part of stream) seen.push(part)
    expect(seen).toHaveLength(parts.length)
    for (const [i, part] of seen.entries()) expect(part).toBe(parts[i])
    await tracer.flush()
    // The output chunks: the three text deltas, not the start, metadata and finish parts.
    expect(modelSpans(exporter)[0].attributes[ATTR.chunkCount]).toBe(3)
  })

  it('records streamed text, TTFT, time to last chunk and usage from the finish part', async () => {
    const { tracer, exporter } = setup()
    const parts = textParts(['The ', 'answer ', 'is ', '42.'], {
      usage: usage(20, 4, { cacheWrite: 5, reasoning: 1 }),
      modelId: 'claude-sonnet-4-5-20250929',
    })
    const model = traceModel(
      new MockLanguageModelV4({
        modelId: 'claude-sonnet-4-5-20250929',
        provider: 'anthropic.messages',
        // Made per call, so its delays start when the model is called, not when the test is set up.
        doStream: async () => ({
          stream: simulateReadableStream({
            chunks: parts,
            initialDelayInMs: 60,
            chunkDelayInMs: 5,
          }),
        }),
      }),
      { tracer },
    )
    const result = streamText({ model, prompt: 'question' })
    let received = ''
    for await (const delta of result.textStream) received += delta
    expect(received).toBe('The answer is 42.')
    await tracer.flush()
    const span = exporter.span('chat claude-sonnet-4-5-20250929')
    expect(outputText(span)).toBe(received)
    expect(span.attributes).toMatchObject({
      [ATTR.providerName]: 'anthropic',
      [ATTR.requestStream]: true,
      [ATTR.outputTextLength]: received.length,
      [ATTR.usageInputTokens]: 20,
      [ATTR.usageOutputTokens]: 4,
      [ATTR.usageCacheCreationInputTokens]: 5,
      [ATTR.usageReasoningOutputTokens]: 1,
      [ATTR.responseId]: 'resp-1',
    })
    const ttft = span.attributes[ATTR.ttftMs] as number
    // The first text delta is the 4th part: 60 ms initial delay + 3 × 5 ms.
    expect(ttft).toBeGreaterThanOrEqual(70)
    expect(span.attributes[ATTR.responseTimeToFirstChunk]).toBeCloseTo(ttft / 1000, 9)
    expect(span.attributes[ATTR.timeToLastChunkMs] as number).toBeGreaterThan(ttft)
    expect(span.attributes[ATTR.outputTokensPerSecond]).toBeGreaterThan(0)
    // claude-sonnet-4-5: $3 input, $3.75 cache write, $15 output per million tokens.
    expect(span.attributes[ATTR.costUsd]).toBeCloseTo((15 * 3 + 5 * 3.75 + 4 * 15) / 1e6, 12)
  })

  it('records reasoning text, with TTFT at the first reasoning delta', async () => {
    const { tracer, exporter } = setup()
    const parts: LanguageModelV4StreamPart[] = [
      { type: 'stream-start', warnings: [] },
      { type: 'reasoning-start', id: 'r' },
      { type: 'reasoning-delta', id: 'r', delta: 'Let me ' },
      { type: 'reasoning-delta', id: 'r', delta: 'think.' },
      { type: 'reasoning-end', id: 'r' },
      ...textParts(['Done.'], { usage: usage(5, 9, { reasoning: 6 }) }).slice(2),
    ]
    // The text arrives only after a 60 ms pause, so the first chunk must be the reasoning delta.
    const textAt = parts.findIndex((p) => p.type === 'text-delta')
    const { stream } = gatedStream(parts, textAt, new Promise((resolve) => setTimeout(resolve, 60)))
    const model = traceModel(new MockLanguageModelV4({ doStream: { stream } }), { tracer })
    const result = streamText({ model, prompt: 'think' })
    expect(await result.reasoningText).toBe('Let me think.')
    expect(await result.text).toBe('Done.')
    await tracer.flush()
    const span = modelSpans(exporter)[0]
    expect(reasoningText(span)).toBe('Let me think.')
    expect(span.attributes[ATTR.usageReasoningOutputTokens]).toBe(6)
    const ttft = span.attributes[ATTR.ttftMs] as number
    expect(ttft + 30).toBeLessThanOrEqual(span.attributes[ATTR.timeToLastChunkMs] as number)
    expect(JSON.parse(span.attributes[ATTR.outputMessages] as string)[0].parts).toEqual([
      { type: 'reasoning', content: 'Let me think.' },
      { type: 'text', content: 'Done.' },
    ])
  })

  it('marks an error part as an error, and the caller still gets the original error', async () => {
    const { tracer, exporter } = setup()
    const failure = new Error('overloaded')
    const parts: LanguageModelV4StreamPart[] = [
      ...textParts(['partial ']).slice(0, 4),
      { type: 'error', error: failure },
    ]
    const model = traceModel(
      new MockLanguageModelV4({ doStream: { stream: convertArrayToReadableStream(parts) } }),
      { tracer },
    )
    const errors: unknown[] = []
    const result = streamText({ model, prompt: 'x', onError: ({ error }) => errors.push(error) })
    const seen: unknown[] = []
    for await (const part of result.fullStream) if (part.type === 'error') seen.push(part.error)
    expect(seen).toEqual([failure])
    expect(seen[0]).toBe(failure)
    await tracer.flush()
    const span = modelSpans(exporter)[0]
    expect(span.status).toBe('error')
    expect(span.error?.message).toBe('overloaded')
    expect(outputText(span)).toBe('partial ')
  })

  it('marks a doStream throw as an error and rethrows it unchanged', async () => {
    const { tracer, exporter } = setup()
    const failure = new TypeError('bad request')
    const model = traceModel(
      new MockLanguageModelV4({
        doStream: async () => {
          throw failure
        },
      }),
      { tracer },
    )
    await expect(model.doStream({ prompt: [] })).rejects.toBe(failure)
    await tracer.flush()
    expect(modelSpans(exporter)[0].status).toBe('error')
    expect(modelSpans(exporter)[0].attributes[ATTR.errorType]).toBe('TypeError')
  })

  it('marks an upstream stream failure as an error and hands the consumer the same error', async () => {
    const { tracer, exporter } = setup()
    const failure = new Error('socket hang up')
    let sent = 0
    const parts = textParts(['a', 'b', 'c'])
    const stream = new ReadableStream<LanguageModelV4StreamPart>({
      pull(controller) {
        if (sent === 4) controller.error(failure)
        else controller.enqueue(parts[sent++])
      },
    })
    const model = traceModel(new MockLanguageModelV4({ doStream: { stream } }), { tracer })
    const reader = (await model.doStream({ prompt: [] })).stream.getReader()
    for (let i = 0; i < 4; i++) await reader.read()
    await expect(reader.read()).rejects.toBe(failure)
    await tracer.flush()
    expect(modelSpans(exporter)[0].status).toBe('error')
    expect(outputText(modelSpans(exporter)[0])).toBe('a')
  })

  it('caps huge outputs with a truncation flag while the client gets everything', async () => {
    const { tracer, exporter } = setup()
    const deltas = Array.from({ length: 20_000 }, (_, i) => `${String(i).padStart(49, '0')} `)
    const model = traceModel(
      new MockLanguageModelV4({
        doStream: { stream: convertArrayToReadableStream(textParts(deltas)) },
      }),
      { tracer, maxTextLength: 10_005 },
    )
    const result = streamText({ model, prompt: 'x'.repeat(20_000) })
    const text = await result.text
    expect(text.length).toBe(1_000_000)
    await tracer.flush()
    const span = modelSpans(exporter)[0]
    expect(span.attributes[ATTR.outputTextLength]).toBe(1_000_000)
    expect(span.attributes[ATTR.outputTruncated]).toBe(true)
    expect(outputText(span)).toBe(text.slice(0, 10_005))
    expect(span.attributes[ATTR.inputTruncated]).toBe(true)
    const messages = JSON.parse(span.attributes[ATTR.inputMessages] as string)
    expect(messages[0].parts[0].content).toBe('x'.repeat(10_005))
    expect(span.attributes[ATTR.chunkCount]).toBe(20_000)
  })
})

describe('switches and metadata', () => {
  it('drops prompt and output content when recordInputs / recordOutputs are off', async () => {
    const { tracer, exporter } = setup()
    const model = traceModel(new MockLanguageModelV4({ doGenerate: generated('secret answer') }), {
      tracer,
      recordInputs: false,
      recordOutputs: false,
    })
    await generateText({ model, system: 'secret system', prompt: 'secret prompt' })
    const envOff = setup({ recordInputs: false, recordOutputs: false })
    const model2 = traceModel(new MockLanguageModelV4({ doGenerate: generated('secret answer') }), {
      tracer: envOff.tracer,
    })
    await generateText({ model: model2, system: 'secret system', prompt: 'secret prompt' })
    await tracer.flush()
    await envOff.tracer.flush()
    for (const span of [modelSpans(exporter)[0], modelSpans(envOff.exporter)[0]]) {
      expect(JSON.stringify(span.attributes)).not.toContain('secret')
      expect(span.attributes[ATTR.usageInputTokens]).toBe(12)
    }
  })

  it('records per-call metadata from withTraceMetadata and providerOptions.tokentrail', async () => {
    const { tracer, exporter } = setup()
    const model = traceModel(new MockLanguageModelV4({ doGenerate: generated('ok') }), {
      tracer,
      metadata: { tags: ['support-bot'] },
    })
    await withTraceMetadata({ userId: 'u-1', sessionId: 'chat-9', tags: ['web'] }, async () => {
      await generateText({ model, prompt: 'a' })
      await generateText({
        model,
        prompt: 'b',
        providerOptions: {
          tokentrail: { userId: 'u-2', tags: ['retry'], attributes: { plan: 'pro' } },
        },
      })
    })
    await generateText({ model, prompt: 'c' })
    await tracer.flush()
    const [a, b, c] = modelSpans(exporter)
    expect(a.attributes).toMatchObject({
      [ATTR.userId]: 'u-1',
      [ATTR.sessionId]: 'chat-9',
      [ATTR.conversationId]: 'chat-9',
      [ATTR.tags]: ['support-bot', 'web'],
    })
    expect(b.attributes).toMatchObject({
      [ATTR.userId]: 'u-2',
      [ATTR.sessionId]: 'chat-9',
      [ATTR.tags]: ['support-bot', 'web', 'retry'],
      plan: 'pro',
    })
    expect(c.attributes[ATTR.userId]).toBeUndefined()
    expect(c.attributes[ATTR.tags]).toEqual(['support-bot'])
  })

  it('nests under a withSpan parent: one trace, the right parent ids', async () => {
    const { tracer, exporter } = setup()
    const model = traceModel(
      new MockLanguageModelV4({
        doGenerate: generated('one'),
        doStream: { stream: convertArrayToReadableStream(textParts(['two'])) },
      }),
      { tracer },
    )
    await tracer.withSpan('POST /api/chat', async () => {
      await generateText({ model, prompt: 'a' })
      await streamText({ model, prompt: 'b' }).consumeStream()
    })
    await tracer.flush()
    const root = exporter.span('POST /api/chat')
    const llm = modelSpans(exporter).filter((s) => s.kind === 'llm')
    expect(llm).toHaveLength(2)
    const calls = exporter.spans.filter((s) => s.attributes[ATTR.operationName] === 'invoke_agent')
    expect(calls.map((s) => s.name)).toEqual([
      'generateText mock-model-id',
      'streamText mock-model-id',
    ])
    for (const [i, span] of llm.entries()) {
      expect(span.traceId).toBe(root.traceId)
      expect(calls[i].parentSpanId).toBe(root.spanId)
      expect(span.parentSpanId).toBe(calls[i].spanId)
    }
  })

  it('traces generateObject and streamObject with output type json', async () => {
    const { tracer, exporter } = setup()
    const json = '{"city":"Paris"}'
    const model = traceModel(
      new MockLanguageModelV4({
        doGenerate: generated(json),
        doStream: { stream: convertArrayToReadableStream(textParts(['{"city":', '"Paris"}'])) },
      }),
      { tracer },
    )
    const schema = z.object({ city: z.string() })
    const generatedObject = await generateObject({ model, schema, prompt: 'city?' })
    expect(generatedObject.object).toEqual({ city: 'Paris' })
    const streamed = streamObject({ model, schema, prompt: 'city?' })
    // streamObject only settles `object` once its stream is consumed.
    for await (const _ of streamed.partialObjectStream);
    expect(await streamed.object).toEqual({ city: 'Paris' })
    await tracer.flush()
    expect(modelSpans(exporter)).toHaveLength(2)
    const calls = exporter.spans.filter((s) => s.attributes[ATTR.operationName] === 'invoke_agent')
    expect(calls.map((s) => s.attributes['tokentrail.call.operation'])).toEqual([
      'generateObject',
      'streamObject',
    ])
    for (const span of modelSpans(exporter)) {
      expect(span.attributes[ATTR.outputType]).toBe('json')
      expect(outputText(span)).toBe(json)
    }
  })
})

describe('options are checked whole', () => {
  it('an unknown key fails at creation, naming the closest valid one', () => {
    expect(() => tracingMiddleware({ recordOutput: false } as never)).toThrow(
      /unknown option `recordOutput` — did you mean `recordOutputs`\?/,
    )
    expect(() => tracingMiddleware({ metadata: { userID: 'u' } } as never)).toThrow(
      /unknown option `userID` — did you mean `userId`\?/,
    )
    expect(() => tokentrailTelemetry({ tracr: undefined } as never)).toThrow(
      /did you mean `tracer`/,
    )
    expect(() => embeddingTracingMiddleware({ price: {} } as never)).toThrow(
      /did you mean `prices`/,
    )
    // Per request, an unknown metadata key is ignored: telemetry never throws into the request.
    expect(withTraceMetadata({ sesionId: 's' } as never, () => 1)).toBe(1)
  })

  it('a misspelt rate in prices is named: it was ignored, and those tokens priced at another rate', () => {
    expect(() =>
      tracingMiddleware({ prices: { 'my-model': { input: 2, output: 8, cached: 0.5 } } as never }),
    ).toThrow(
      new TokentrailError(
        'prices["my-model"]: unknown rate `cached` — did you mean `cachedInput`? Rates: input, output, cachedInput, cacheWrite, cacheWrite1h (USD per million tokens), and longPrompt',
      ),
    )
    expect(() =>
      embeddingTracingMiddleware({ prices: { 'my-embedder': { input: 1, inputt: 2 } } as never }),
    ).toThrow(/prices\["my-embedder"\]: unknown rate `inputt` — did you mean `input`\?/)
    expect(() =>
      tracingMiddleware({
        prices: { 'my-model': { input: 2, output: 8, cachedInput: 0.5, cacheWrite1h: 4 } },
      }),
    ).not.toThrow()
  })

  it("embeddingTracingMiddleware's metadata is checked at creation, as tracingMiddleware's is", () => {
    expect(() => embeddingTracingMiddleware({ metadata: { userId: [] } as never })).toThrow(
      new TokentrailError(
        'embeddingTracingMiddleware({ metadata }): userId must be a string or a number, got object',
      ),
    )
    expect(() => embeddingTracingMiddleware({ metadata: { tags: [1] } as never })).toThrow(
      /tags must be an array of strings/,
    )
    expect(() => embeddingTracingMiddleware({ metadata: { user_id: 'u' } as never })).toThrow(
      /unknown option `user_id` — did you mean `userId`\?/,
    )
  })

  it('traceModel names a model that is not one (a model id, nothing) instead of a TypeError from inside ai', () => {
    expect(() => traceModel('openai/gpt-4o' as never)).toThrow(
      new TokentrailError(
        `traceModel(model): model must be a language model object, such as openai('gpt-4o'), got the string "openai/gpt-4o"; for a model id, pass the provider's model for it (gateway("openai/gpt-4o") through the AI Gateway)`,
      ),
    )
    expect(() => traceModel(undefined as never)).toThrow(
      /traceModel\(model\): model must be a language model object, such as openai\('gpt-4o'\), got undefined/,
    )
  })
})

describe('a tracer on with nowhere to send spans', () => {
  it('says so once, at the first model call, as the tracer does on first use; not when chosen on purpose', async () => {
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', '')
    vi.stubEnv('OTEL_TRACES_EXPORTER', '')
    delete (globalThis as any)[Symbol.for('tokentrail.notice.no-exporter')]
    try {
      const warnings: string[] = []
      const call = (tracer: ReturnType<typeof createTracer>) =>
        generateText({
          model: wrapLanguageModel({
            model: new MockLanguageModelV4({ doGenerate: async () => generated('fine') }),
            middleware: tracingMiddleware({ tracer }),
          }),
          prompt: 'hi',
        })
      const quiet = createTracer({ exporters: [], warnings: (m) => warnings.push(m) })
      expect((await call(quiet)).text).toBe('fine')
      expect(warnings).toEqual([])
      const nowhere = createTracer({ warnings: (m) => warnings.push(m) })
      for (let i = 0; i < 3; i++) expect((await call(nowhere)).text).toBe('fine')
      expect(warnings).toEqual([expect.stringMatching(/^tracing is off: no exporter was passed/)])
    } finally {
      vi.unstubAllEnvs()
    }
  })
})
