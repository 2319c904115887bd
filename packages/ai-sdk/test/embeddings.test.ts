// embed / embedMany through a wrapped embedding model: the real @ai-sdk/openai of ai@7 and ai@6
// against a local server speaking OpenAI's /embeddings wire format, with usage the server chose.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createOpenAI as createOpenAI4 } from '@ai-sdk/openai'
import { createOpenAI as createOpenAI3 } from '@ai-sdk/openai-v3'
import { ATTR } from '@tokentrail/core'
import * as ai7 from 'ai'
import * as ai6 from 'ai-v6'
import { afterEach, describe, expect, it } from 'vitest'
import { embeddingTracingMiddleware, tracingMiddleware, withTraceMetadata } from '../src/index.js'
import { setup } from './helpers.js'

let server: Server | undefined
afterEach(async () => {
  await new Promise((r) => server?.close(r) ?? r(undefined))
  server = undefined
  delete (globalThis as any).AI_SDK_TELEMETRY_INTEGRATIONS
})

async function serve(status = 200): Promise<{ url: string; bodies: any[] }> {
  const bodies: any[] = []
  server = createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const body = JSON.parse(Buffer.concat(chunks).toString())
    bodies.push(body)
    res.writeHead(status, { 'content-type': 'application/json' })
    if (status !== 200) {
      res.end(
        JSON.stringify({
          error: { message: 'bad input', type: 'invalid_request_error', code: 'bad' },
        }),
      )
      return
    }
    const inputs: string[] = body.input
    res.end(
      JSON.stringify({
        object: 'list',
        data: inputs.map((_, index) => ({
          object: 'embedding',
          index,
          embedding: [0.1, 0.2, 0.3, 0.4],
        })),
        model: body.model,
        // The server's own count: 5 tokens a value.
        usage: { prompt_tokens: inputs.length * 5, total_tokens: inputs.length * 5 },
      }),
    )
  })
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r))
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}/v1`, bodies }
}

const majors = [
  { major: 'ai@6', ai: ai6 as any, createOpenAI: createOpenAI3 as any },
  { major: 'ai@7', ai: ai7 as any, createOpenAI: createOpenAI4 as any },
]

describe.each(majors)('$major embeddings', ({ ai, createOpenAI }) => {
  // text-embedding-3-small of the server at `url`, traced with these options.
  const embedder = (url: string, options: Parameters<typeof embeddingTracingMiddleware>[0]) =>
    ai.wrapEmbeddingModel({
      model: createOpenAI({ baseURL: url, apiKey: 'sk-test-0000000000000000' }).embedding(
        'text-embedding-3-small',
      ),
      middleware: embeddingTracingMiddleware(options),
    })

  it('embedMany: one embeddings span per provider call, tokens and cost as the server said, texts never recorded', async () => {
    const { url, bodies } = await serve()
    const { tracer, exporter } = setup()
    const openai = createOpenAI({ baseURL: url, apiKey: 'sk-test-0000000000000000' })
    const model = ai.wrapEmbeddingModel({
      model: openai.embedding('text-embedding-3-small'),
      middleware: embeddingTracingMiddleware({ tracer }),
    })
    const values = ['secret one', 'secret two', 'secret three']
    const result = await ai.embedMany({ model, values, maxParallelCalls: 1 })
    expect(result.embeddings).toHaveLength(3)
    const single = await ai.embed({ model, value: 'secret four' })
    expect(single.embedding).toEqual([0.1, 0.2, 0.3, 0.4])
    await tracer.flush()
    const spans = exporter.spans.filter((s) => s.attributes[ATTR.operationName] === 'embeddings')
    expect(spans).toHaveLength(bodies.length)
    const tokens = spans.reduce((n, s) => n + (s.attributes[ATTR.usageInputTokens] as number), 0)
    expect(tokens).toBe(4 * 5)
    for (const span of spans) {
      expect(span.name).toBe('embeddings text-embedding-3-small')
      expect(span.kind).toBe('llm')
      expect(span.attributes['gen_ai.embeddings.dimension.count']).toBe(4)
      expect(span.attributes[ATTR.costUsd]).toBeCloseTo(
        ((span.attributes[ATTR.usageInputTokens] as number) * 0.02) / 1e6,
        12,
      )
      expect(JSON.stringify(span)).not.toContain('secret')
    }
  })

  it('names the span of an embedding model without an id `embeddings` (was `embeddings ` with a trailing space)', async () => {
    const { url } = await serve()
    const { tracer, exporter } = setup()
    const openai = createOpenAI({ baseURL: url, apiKey: 'sk-test-0000000000000000' })
    const model = ai.wrapEmbeddingModel({
      model: openai.embedding(''),
      middleware: embeddingTracingMiddleware({ tracer }),
    })
    await ai.embed({ model, value: 'hello' })
    await tracer.flush()
    expect(exporter.spans.map((s) => s.name)).toEqual(['embeddings'])
  })

  it('a numeric user and session id in the metadata option is recorded as its text, as on chat spans', async () => {
    const { url } = await serve()
    const { tracer, exporter } = setup()
    const openai = createOpenAI({ baseURL: url, apiKey: 'sk-test-0000000000000000' })
    const model = ai.wrapEmbeddingModel({
      model: openai.embedding('text-embedding-3-small'),
      // A database id, as TraceMetadata takes it; 0 is an id too.
      middleware: embeddingTracingMiddleware({ tracer, metadata: { userId: 42, sessionId: 0 } }),
    })
    await ai.embed({ model, value: 'x' })
    await tracer.flush()
    const span = exporter.span('embeddings text-embedding-3-small')
    expect(span.attributes[ATTR.userId]).toBe('42')
    expect(span.attributes[ATTR.sessionId]).toBe('0')
  })

  it('records the metadata as chat spans do: attributes, conversation id, the scope and the call merged', async () => {
    const { url, bodies } = await serve()
    const { tracer, exporter } = setup()
    const model = embedder(url, {
      tracer,
      metadata: { userId: 'u1', tags: ['model'], attributes: { plan: 'free', team: 'a' } },
    })
    const result = await withTraceMetadata({ sessionId: 'chat-9', tags: ['scope'] }, () =>
      ai.embed({
        model,
        value: 'x',
        providerOptions: { tokentrail: { tags: ['call'], attributes: { plan: 'pro' } } },
      }),
    )
    expect(result.embedding.length).toBeGreaterThan(0)
    // The provider got its own request: no trace of the metadata in the body.
    expect(JSON.stringify(bodies[0])).not.toContain('tokentrail')
    await tracer.flush()
    const span = exporter.span('embeddings text-embedding-3-small')
    expect(span.attributes[ATTR.userId]).toBe('u1')
    expect(span.attributes[ATTR.sessionId]).toBe('chat-9')
    expect(span.attributes[ATTR.conversationId]).toBe('chat-9')
    expect(span.attributes.plan).toBe('pro')
    expect(span.attributes.team).toBe('a')
    expect([...(span.attributes[ATTR.tags] as string[])].sort()).toEqual(['call', 'model', 'scope'])
  })

  it("a metadata attribute named like the span's own keys does not replace the metadata's ids", async () => {
    const { url } = await serve()
    const { tracer, exporter } = setup()
    const model = embedder(url, {
      tracer,
      metadata: { userId: 'u1', attributes: { 'user.id': 'other', 'gen_ai.request.model': 'm' } },
    })
    await ai.embed({ model, value: 'x' })
    await tracer.flush()
    const span = exporter.span('embeddings text-embedding-3-small')
    expect(span.attributes[ATTR.userId]).toBe('u1')
    // As on chat spans, the user's own keys may override the span's.
    expect(span.attributes[ATTR.requestModel]).toBe('m')
  })

  it('a failing embedding call: error span with the HTTP status, the caller gets the same error', async () => {
    const { url } = await serve(400)
    const { tracer, exporter } = setup()
    const openai = createOpenAI({ baseURL: url, apiKey: 'sk-test-0000000000000000' })
    const model = ai.wrapEmbeddingModel({
      model: openai.embedding('text-embedding-3-small'),
      middleware: embeddingTracingMiddleware({ tracer }),
    })
    const error = await ai.embed({ model, value: 'x', maxRetries: 0 }).catch((e: unknown) => e)
    expect((error as any).statusCode).toBe(400)
    await tracer.flush()
    const span = exporter.span('embeddings text-embedding-3-small')
    expect(span.status).toBe('error')
    expect(span.attributes['http.response.status_code']).toBe(400)
    expect(span.error?.message).toBe((error as Error).message)
  })

  // An embed stopped by its abortSignal or a time limit was an `error` span; a text call so
  // stopped is `cancelled`, as the status model says (an abort is no failure).
  for (const [how, cause] of [
    ['aborted', 'abort_signal'],
    ['timed out', 'timeout'],
  ] as const)
    it(`an embedding call ${how}: cancelled by ${cause}, not an error; the caller gets the same error`, async () => {
      // A server that never answers.
      server = createServer(() => {})
      await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r))
      const url = `http://127.0.0.1:${(server!.address() as AddressInfo).port}/v1`
      const { tracer, exporter } = setup()
      const model = embedder(url, { tracer })
      const controller = new AbortController()
      const signal = how === 'aborted' ? controller.signal : AbortSignal.timeout(100)
      if (how === 'aborted') setTimeout(() => controller.abort(), 100)
      const error = await ai
        .embed({ model, value: 'x', maxRetries: 0, abortSignal: signal })
        .catch((e: unknown) => e)
      expect((error as Error).name).toBe(how === 'aborted' ? 'AbortError' : 'TimeoutError')
      server!.closeAllConnections()
      await tracer.flush()
      const span = exporter.span('embeddings text-embedding-3-small')
      expect(span.status).toBe('cancelled')
      expect(span.attributes['tokentrail.cancelled_by']).toBe(cause)
      expect(span.error).toBeUndefined()
    })
})

describe('ai@7 embeddings beside the text middleware', () => {
  // tracingMiddleware() puts Tokentrail's integration in the AI SDK's global list, which ai@7 also
  // calls for embed/embedMany: their failures must not turn into text-call spans.
  it.each([
    ['a traced', true],
    ['an untraced', false],
  ])(
    '%s embedding model that fails gets no call span of an unknown operation',
    async (_, traced) => {
      const { url } = await serve(500)
      const { tracer, exporter } = setup()
      tracingMiddleware({ tracer })
      const openai = createOpenAI4({ baseURL: url, apiKey: 'sk-test-0000000000000000' })
      const bare = openai.embedding('text-embedding-3-small')
      const model = traced
        ? ai7.wrapEmbeddingModel({
            model: bare,
            middleware: embeddingTracingMiddleware({ tracer }),
          })
        : bare
      const single = await ai7.embed({ model, value: 'x', maxRetries: 0 }).catch((e: unknown) => e)
      expect((single as any).statusCode).toBe(500)
      const many = await ai7
        .embedMany({ model, values: ['a', 'b'], maxRetries: 1 })
        .catch((e: unknown) => e)
      expect((many as Error).name).toBe('AI_RetryError')
      await tracer.flush()
      expect(
        exporter.spans.filter((s) => s.attributes[ATTR.operationName] === 'invoke_agent'),
      ).toEqual([])
      expect(exporter.spans.map((s) => s.name)).toEqual(
        traced ? Array(3).fill('embeddings text-embedding-3-small') : [],
      )
    },
  )

  // A middleware's own error (a quota guard) is no provider call's: ai@7's error event for it was
  // taken for a text call that failed before its first step, and made an `unknown` call span, for
  // an untraced embedding model too (README: recorded on its embeddings span alone).
  // An untraced one's (no embedding span of ours saw the error) still gets the `unknown` span on
  // ai@7: telling it apart needs a start hook, which every AI SDK call would pay for (README).
  it.each([['a traced', true]])(
    '%s embedding model whose middleware throws its own error gets no call span; the caller gets that error',
    async (_, traced) => {
      const { url, bodies } = await serve()
      const { tracer, exporter } = setup()
      tracingMiddleware({ tracer })
      const openai = createOpenAI4({ baseURL: url, apiKey: 'sk-test-0000000000000000' })
      const quota = {
        specificationVersion: 'v4' as const,
        wrapEmbed: async () => {
          throw new Error('embedding quota exceeded')
        },
      }
      const model = ai7.wrapEmbeddingModel({
        model: openai.embedding('text-embedding-3-small'),
        middleware: traced ? [embeddingTracingMiddleware({ tracer }), quota] : [quota],
      })
      const single = await ai7.embed({ model, value: 'x', maxRetries: 0 }).catch((e: unknown) => e)
      expect((single as Error).message).toBe('embedding quota exceeded')
      const many = await ai7
        .embedMany({ model, values: ['a', 'b'], maxRetries: 0 })
        .catch((e: unknown) => e)
      expect((many as Error).message).toBe('embedding quota exceeded')
      expect(bodies).toEqual([])
      await tracer.flush()
      expect(
        exporter.spans.filter((s) => s.attributes[ATTR.operationName] === 'invoke_agent'),
      ).toEqual([])
      expect(exporter.spans.map((s) => `${s.name} ${s.status}`)).toEqual(
        traced ? Array(2).fill('embeddings text-embedding-3-small error') : [],
      )
      // A text call that fails before its first step still gets its span after these.
      const chat = ai7.wrapLanguageModel({
        model: openai.chat('gpt-4o'),
        middleware: tracingMiddleware({ tracer }),
      })
      const messages = [
        {
          role: 'user' as const,
          content: [
            {
              type: 'file' as const,
              data: new URL('http://127.0.0.1:9/doc.pdf'),
              mediaType: 'application/pdf',
            },
          ],
        },
      ]
      await ai7.generateText({ model: chat, messages, maxRetries: 0 }).catch(() => {})
      await tracer.flush()
      expect(
        exporter.spans.filter((s) => s.attributes[ATTR.operationName] === 'invoke_agent'),
      ).toHaveLength(1)
    },
  )

  it('a price given as { input } alone prices the call', async () => {
    const { url } = await serve()
    const { tracer, exporter } = setup()
    const openai = createOpenAI4({ baseURL: url, apiKey: 'sk-test-0000000000000000' })
    const model = ai7.wrapEmbeddingModel({
      model: openai.embedding('my-embedder'),
      middleware: embeddingTracingMiddleware({ tracer, prices: { 'my-embedder': { input: 0.5 } } }),
    })
    await ai7.embed({ model, value: 'x' })
    await tracer.flush()
    const span = exporter.span('embeddings my-embedder')
    expect(span.attributes[ATTR.costUsd]).toBeCloseTo((5 * 0.5) / 1e6, 12)
  })
})
