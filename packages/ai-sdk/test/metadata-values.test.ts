// Metadata as apps pass it, on ai@5, ai@6 and ai@7 through each major's real `@ai-sdk/openai`
// over HTTP against tools/mock-openai. A numeric user id straight from a database row
// (`userId: user.id`) was dropped without a word by withTraceMetadata, and so was a misspelt key
// (`user_id`): the trace had no user and nobody was told. A number is now recorded as its text;
// what cannot be used is said once through the tracer's warnings, naming the key, never thrown.
import { ATTR, setTracer } from '@tokentrail/core'
import { type MockOpenAI, startMockOpenAI } from '@tokentrail/mock-openai'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { tracingMiddleware, withTraceMetadata } from '../src/index.js'
import { modelSpans, setup } from './helpers.js'
import { majors } from './majors.js'

let server: MockOpenAI | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
  setTracer(undefined)
  delete (globalThis as any).AI_SDK_TELEMETRY_INTEGRATIONS
})

describe.each(majors)('$major, over HTTP', ({ ai, createOpenAI }) => {
  async function start() {
    server = await startMockOpenAI({})
    const openai = createOpenAI({ baseURL: server.url, apiKey: 'sk-test-not-a-real-key-0000' })
    const warnings: string[] = []
    const { tracer, exporter } = setup({ warnings: (message) => warnings.push(message) })
    setTracer(tracer)
    const model = ai.wrapLanguageModel({
      model: openai.chat('gpt-4o'),
      middleware: tracingMiddleware(),
    })
    return { tracer, exporter, model, warnings }
  }

  it('a numeric user and session id is recorded as its text; one tag string as a list', async () => {
    const { tracer, exporter, model, warnings } = await start()
    const result = await withTraceMetadata(
      { userId: 42, sessionId: 7n as never, tags: 'web' as never },
      () => ai.generateText({ model, prompt: 'Hi' }),
    )
    expect(result.text.length).toBeGreaterThan(0)
    await ai.generateText({
      model,
      prompt: 'Again',
      providerOptions: { tokentrail: { userId: 43, tags: ['retry'] } },
    })
    await tracer.flush()
    const [first, second] = modelSpans(exporter)
    expect(first!.attributes).toMatchObject({
      [ATTR.userId]: '42',
      [ATTR.sessionId]: '7',
      [ATTR.tags]: ['web'],
    })
    expect(second!.attributes).toMatchObject({ [ATTR.userId]: '43', [ATTR.tags]: ['retry'] })
    expect(warnings).toEqual([])
  })

  it('tags may be a readonly list (`as const`)', async () => {
    const { tracer, exporter, model } = await start()
    const tags = ['web', 'beta'] as const
    await withTraceMetadata({ userId: 'u', tags }, () => ai.generateText({ model, prompt: 'Hi' }))
    await tracer.flush()
    expect(modelSpans(exporter)[0]!.attributes[ATTR.tags]).toEqual(['web', 'beta'])
  })

  it('a key or value it cannot use is said once per key, with the call answered as before', async () => {
    const { tracer, exporter, model, warnings } = await start()
    for (let i = 0; i < 2; i++) {
      const result = await withTraceMetadata(
        { user_id: 'u-1', sessionId: { id: 's' }, tags: ['ok', 5], attributes: 'pro' } as never,
        () => ai.generateText({ model, prompt: 'Hi' }),
      )
      expect(result.text.length).toBeGreaterThan(0)
    }
    await ai.generateText({
      model,
      prompt: 'Again',
      providerOptions: { tokentrail: { sesionId: 's-2' } },
    })
    await tracer.flush()
    const spans = modelSpans(exporter)
    expect(spans).toHaveLength(3)
    expect(spans[0]!.attributes[ATTR.tags]).toEqual(['ok'])
    expect(spans[0]!.attributes[ATTR.userId]).toBeUndefined()
    expect(warnings).toEqual([
      'withTraceMetadata(): unknown metadata key `user_id` — did you mean `userId`? It was not recorded. Valid keys: userId, sessionId, tags, attributes; anything else goes in `attributes`. Said once.',
      'withTraceMetadata(): sessionId must be a string or a number, got an object; it was not recorded. Said once.',
      'withTraceMetadata(): tags must be strings; 1 that were not (such as a number) were not recorded. Said once.',
      'withTraceMetadata(): attributes must be an object of attribute values, got a string; they were not recorded. Said once.',
      'providerOptions.tokentrail: unknown metadata key `sesionId` — did you mean `sessionId`? It was not recorded. Valid keys: userId, sessionId, tags, attributes; anything else goes in `attributes`. Said once.',
    ])
  })

  // A Map has no own keys: its attributes (or the whole metadata) were recorded as nothing, and
  // nobody was told.
  it('metadata or its attributes given as a Map are said once, naming it; the call is answered as before', async () => {
    const { tracer, exporter, model, warnings } = await start()
    for (let i = 0; i < 2; i++)
      await withTraceMetadata(
        { userId: 'u-1', attributes: new Map([['plan', 'pro']]) as never },
        () => ai.generateText({ model, prompt: 'Hi' }),
      )
    const result = await ai.generateText({
      model,
      prompt: 'Again',
      providerOptions: { tokentrail: new Map([['userId', 'u-2']]) as never },
    })
    expect(result.text).toBe('You said: Again')
    await tracer.flush()
    const spans = modelSpans(exporter)
    expect(spans).toHaveLength(3)
    expect(spans[0]!.attributes[ATTR.userId]).toBe('u-1')
    expect(warnings).toEqual([
      'withTraceMetadata(): attributes must be an object of attribute values, got a Map; they were not recorded. Said once.',
      'providerOptions.tokentrail: metadata must be an object { userId?, sessionId?, tags?, attributes? }, got a Map; it was not recorded. Said once.',
    ])
  })
})

describe.each(majors)(
  '$major, a tracer passed to the middleware (no setTracer)',
  ({ ai, createOpenAI }) => {
    it("withTraceMetadata's misspelt key is said through that tracer's warnings, once", async () => {
      server = await startMockOpenAI({})
      const openai = createOpenAI({ baseURL: server.url, apiKey: 'sk-test-not-a-real-key-0000' })
      const warnings: string[] = []
      const { tracer, exporter } = setup({ warnings: (message) => warnings.push(message) })
      const model = ai.wrapLanguageModel({
        model: openai.chat('gpt-4o'),
        middleware: tracingMiddleware({ tracer }),
      })
      for (let i = 0; i < 2; i++)
        await withTraceMetadata({ user_id: 'u-1', tags: ['chat'] } as never, () =>
          withTraceMetadata({ sessionId: 's-1' }, () => ai.generateText({ model, prompt: 'Hi' })),
        )
      await tracer.flush()
      expect(modelSpans(exporter)[0]!.attributes).toMatchObject({
        [ATTR.sessionId]: 's-1',
        [ATTR.tags]: ['chat'],
      })
      expect(warnings).toEqual([
        'withTraceMetadata(): unknown metadata key `user_id` — did you mean `userId`? It was not recorded. Valid keys: userId, sessionId, tags, attributes; anything else goes in `attributes`. Said once.',
      ])
    })

    it('withTraceMetadata does not make the process-wide tracer (nor print that its env is wrong)', async () => {
      server = await startMockOpenAI({})
      const openai = createOpenAI({ baseURL: server.url, apiKey: 'sk-test-not-a-real-key-0000' })
      const { tracer, exporter } = setup()
      const model = ai.wrapLanguageModel({
        model: openai.chat('gpt-4o'),
        middleware: tracingMiddleware({ tracer }),
      })
      // Env the app does not use: its own tracer is given in code.
      vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', 'http://127.0.0.1:4317')
      vi.stubEnv('OTEL_EXPORTER_OTLP_PROTOCOL', 'grpc')
      const errors = vi.spyOn(console, 'error').mockImplementation(() => {})
      try {
        await withTraceMetadata({ userId: 'u-1' }, () => ai.generateText({ model, prompt: 'Hi' }))
        expect(errors).not.toHaveBeenCalled()
      } finally {
        errors.mockRestore()
        vi.unstubAllEnvs()
      }
      await tracer.flush()
      expect(modelSpans(exporter)[0]!.attributes[ATTR.userId]).toBe('u-1')
    })
  },
)

describe('tracingMiddleware({ metadata })', () => {
  it('takes a numeric id and throws, naming the field, for a value it cannot record', () => {
    expect(() => tracingMiddleware({ metadata: { userId: 42 } })).not.toThrow()
    expect(() => tracingMiddleware({ metadata: { userId: {} as never } })).toThrow(
      'tracingMiddleware({ metadata }): userId must be a string or a number, got object',
    )
    expect(() => tracingMiddleware({ metadata: { tags: [1] as never } })).toThrow(
      'tracingMiddleware({ metadata }): tags must be an array of strings',
    )
    expect(() => tracingMiddleware({ metadata: { attributes: 'x' as never } })).toThrow(
      'tracingMiddleware({ metadata }): attributes must be an object of attribute values',
    )
    // A Map (no own keys) was taken as no attributes, and a Map of prices as no prices.
    expect(() =>
      tracingMiddleware({ metadata: { attributes: new Map([['plan', 'pro']]) as never } }),
    ).toThrow(
      'tracingMiddleware({ metadata }): attributes must be an object of attribute values, got a Map (pass Object.fromEntries(map))',
    )
    expect(() =>
      tracingMiddleware({ prices: new Map([['my-model', { input: 1, output: 2 }]]) as never }),
    ).toThrow(
      'prices must be an object of { [modelId]: { input, output, cachedInput?, cacheWrite?, cacheWrite1h? } } (USD per million tokens), or false, got a Map (pass Object.fromEntries(map))',
    )
  })
})
