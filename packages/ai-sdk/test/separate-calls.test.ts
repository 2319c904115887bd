// Calls that are separate model calls, made at once on models traced by different tracing
// middleware instances while sharing a history: each must keep its own LLM span (tokens, cost),
// never be taken for the same call traced twice (see src/nested.ts). On ai@5, ai@6 and ai@7, each
// through its own major's real `@ai-sdk/openai` over HTTP against tools/mock-openai.
import { ATTR, type SpanData } from '@tokentrail/core'
import { type MockOpenAI, startMockOpenAI } from '@tokentrail/mock-openai'
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { callState } from '../src/call.js'
import { CALL_ATTR, tracingMiddleware } from '../src/index.js'
import { setup } from './helpers.js'
import { majors } from './majors.js'

let server: MockOpenAI | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

const callSpans = (spans: readonly SpanData[]) =>
  spans.filter((s) => s.attributes[ATTR.operationName] === 'invoke_agent')
const llmSpans = (spans: readonly SpanData[]) => spans.filter((s) => s.kind === 'llm')

const specificationVersion = { 'ai@5': 'v2', 'ai@6': 'v3', 'ai@7': 'v4' } as const

describe.each(majors)('$major, over HTTP', ({ major, ai, createOpenAI, source }) => {
  async function start() {
    server = await startMockOpenAI()
    const openai = createOpenAI({
      baseURL: server.url,
      apiKey: 'sk-test-not-a-real-key-0000000000',
    })
    const { tracer, exporter } = setup()
    // Each model traced on its own (a helper that wraps every model it is given).
    const traced = (id: string) =>
      ai.wrapLanguageModel({ model: openai.chat(id), middleware: tracingMiddleware({ tracer }) })
    return { server, tracer, exporter, traced }
  }

  it('a router model and an answer model called at once with the same message objects: two traces, two LLM spans', async () => {
    const { server, tracer, exporter, traced } = await start()
    const messages = [
      { role: 'user', content: [{ type: 'text', text: 'hi' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'Hello.' }] },
      { role: 'user', content: [{ type: 'text', text: 'hello router and answer' }] },
    ]
    const [routed, answered] = await Promise.all([
      ai.generateText({ model: traced('gpt-4o-mini'), messages }).then((r: any) => r.text),
      ai.streamText({ model: traced('gpt-4o'), messages }).text,
    ])
    expect(routed).toContain('hello')
    expect(answered).toContain('hello')
    await tracer.flush()
    expect(server.calls).toHaveLength(2)
    expect(callSpans(exporter.spans)).toHaveLength(2)
    expect(
      llmSpans(exporter.spans)
        .map((s) => s.attributes[ATTR.requestModel])
        .sort(),
    ).toEqual(['gpt-4o', 'gpt-4o-mini'])
  })

  it('a sub-agent in a tool, on another traced model, given the outer step’s messages while the outer stream is open: every model call its own span', async () => {
    const { server, tracer, exporter, traced } = await start()
    const sub = traced('gpt-4o-mini')
    const result = ai.streamText({
      model: traced('gpt-4o'),
      stopWhen: ai.stepCountIs(3),
      prompt: 'Research Oslo [tool:research]',
      tools: {
        research: ai.tool({
          inputSchema: z.object({ topic: z.string() }),
          execute: async (_input: unknown, { messages }: any) =>
            (await ai.generateText({ model: sub, messages })).text,
        }),
      },
    })
    expect(await result.text).toContain('The tool returned')
    await tracer.flush()
    expect(server.calls).toHaveLength(3)
    expect(llmSpans(exporter.spans)).toHaveLength(3)
  })

  it('calls at once of one model with the same message objects, through a middleware outside the tracing one that rewrites the prompt: each call its own steps and tool', async () => {
    const { server, tracer, exporter } = await start()
    const openai = createOpenAI({
      baseURL: server.url,
      apiKey: 'sk-test-not-a-real-key-0000000000',
    })
    const retrieval = {
      specificationVersion: specificationVersion[major],
      transformParams: async ({ params }: any) => ({
        ...params,
        prompt: [{ role: 'system', content: 'Context: none.' }, ...params.prompt],
      }),
    }
    const model = ai.wrapLanguageModel({
      model: openai.chat('gpt-4o'),
      middleware: [retrieval, tracingMiddleware({ tracer })],
    })
    const tools = {
      weather: ai.tool({
        inputSchema: z.object({ city: z.string() }),
        execute: async ({ city }: { city: string }) => ({ city, celsius: 21 }),
      }),
    }
    const messages = [
      { role: 'user', content: [{ type: 'text', text: 'Hi.' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'Hello.' }] },
      { role: 'user', content: [{ type: 'text', text: 'Weather in Oslo? [tool:weather]' }] },
    ]
    const texts = await Promise.all(
      [0, 1, 2].map((i) =>
        i % 2
          ? ai
              .generateText({ model, tools, messages, stopWhen: ai.stepCountIs(3) })
              .then((r: any) => r.text)
          : ai.streamText({ model, tools, messages, stopWhen: ai.stepCountIs(3) }).text,
      ),
    )
    for (const text of texts) expect(text).toContain('The tool returned')
    await tracer.flush()
    expect(server.calls).toHaveLength(6)
    const calls = callSpans(exporter.spans)
    expect(calls).toHaveLength(3)
    for (const call of calls) {
      // ai@7: linked to the SDK's own call (its events), not inferred.
      expect(call.attributes[CALL_ATTR.source]).toBe(source)
      const inCall = exporter.spans.filter((s) => s.traceId === call.traceId)
      expect(llmSpans(inCall)).toHaveLength(2)
      expect(inCall.filter((s) => s.kind === 'tool')).toHaveLength(1)
    }
  })

  it('a middleware outside the tracing one that drops a stream it got unread (a guardrail on the response headers): the invocation is not kept listed as open', async () => {
    const { server, tracer, traced } = await start()
    const blockStreams = {
      specificationVersion: specificationVersion[major],
      wrapStream: async ({ doStream }: any) => {
        const result = await doStream()
        // Rejected on what the headers say, the stream neither read nor cancelled.
        if (result.response?.headers) throw new Error('blocked by policy')
        return result
      },
    }
    const model = ai.wrapLanguageModel({
      model: traced('gpt-4o'),
      middleware: blockStreams,
    })
    const open = () => callState().open?.size ?? 0
    const before = open()
    const errors: unknown[] = []
    await ai
      .streamText({
        model,
        prompt: 'hello',
        maxRetries: 0,
        onError: ({ error }: any) => errors.push(error),
      })
      .consumeStream()
    expect(String(errors[0])).toContain('blocked by policy')
    await tracer.flush()
    expect(server.calls).toHaveLength(1)
    // Listed only while its provider call is awaited: an unread stream held there stays in memory,
    // prompt and all, for the life of the process.
    expect(open()).toBe(before)
  })

  // A model that sends one invocation to two traced models at once (comparing providers, hedging,
  // a shadow model), the second with a system message of its own: two model calls, two LLM spans.
  // (The very same options object sent to both is still taken for one call traced twice.)
  for (const adapted of [true])
    it('one invocation sent to two traced models at once, one with a system message added: two LLM spans, the tokens of both', async () => {
      const { server, tracer, exporter, traced } = await start()
      const primary = traced('gpt-4o')
      const shadow = traced('gpt-4o-mini')
      const both = {
        specificationVersion: specificationVersion[major],
        provider: 'compare',
        modelId: 'gpt-4o+gpt-4o-mini',
        supportedUrls: {},
        doGenerate: async (options: any) => {
          const [first] = await Promise.all([
            primary.doGenerate(options),
            shadow.doGenerate(
              adapted
                ? {
                    ...options,
                    prompt: [{ role: 'system', content: 'Shadow run.' }, ...options.prompt],
                  }
                : options,
            ),
          ])
          return first
        },
        doStream: async () => {
          throw new Error('not used')
        },
      }
      const generated = await ai.generateText({ model: both, prompt: 'hello twice' })
      expect(generated.text).toContain('hello')
      await tracer.flush()
      expect(server.calls).toHaveLength(2)
      const llm = llmSpans(exporter.spans)
      expect(llm.map((s) => s.attributes[ATTR.requestModel]).sort()).toEqual([
        'gpt-4o',
        'gpt-4o-mini',
      ])
      const tokens = llm.reduce((sum, s) => sum + Number(s.attributes[ATTR.usageInputTokens]), 0)
      expect(tokens).toBe(server.calls[0].usage!.inputTokens + server.calls[1].usage!.inputTokens)
    })
})

// ai@7 announces every call: a call of a traced model that fails before its tracing middleware
// runs (a middleware outside it, as the README advises for one that rewrites the prompt, fails)
// keeps its error span; only a model no tracing middleware wraps records nothing.
describe.each(majors.filter((m) => m.major === 'ai@7'))(
  '$major, over HTTP',
  ({ ai, createOpenAI }) => {
    it('a traced model whose query-rewriting middleware (outside the tracing one) fails on its own model call: the call has its error span', async () => {
      server = await startMockOpenAI({
        status: (request) => (request.model === 'gpt-4.1-nano' ? 500 : undefined),
      })
      const openai = createOpenAI({
        baseURL: server.url,
        apiKey: 'sk-test-not-a-real-key-0000000000',
      })
      const { tracer, exporter } = setup()
      // The rewriting model is traced nowhere (a model id no test here wraps).
      const rewriteQuery = {
        specificationVersion: 'v4',
        transformParams: async ({ params }: any) => {
          const { text } = await ai.generateText({
            model: openai.chat('gpt-4.1-nano'),
            prompt: 'Rewrite as a search query: hello',
            maxRetries: 0,
          })
          return {
            ...params,
            prompt: [...params.prompt, { role: 'user', content: [{ type: 'text', text }] }],
          }
        },
      }
      const model = ai.wrapLanguageModel({
        model: openai.chat('gpt-4o'),
        middleware: [rewriteQuery, tracingMiddleware({ tracer })],
      })
      await expect(ai.generateText({ model, prompt: 'hello', maxRetries: 0 })).rejects.toThrow()
      const errors: unknown[] = []
      await ai
        .streamText({
          model,
          prompt: 'hello',
          maxRetries: 0,
          onError: ({ error }: any) => errors.push(error),
        })
        .consumeStream()
      expect(errors).toHaveLength(1)
      await tracer.flush()
      // Two failed calls of the traced model; the rewriting model's own calls are untraced.
      const calls = callSpans(exporter.spans)
      expect(calls).toHaveLength(2)
      for (const call of calls) {
        expect(call.status).toBe('error')
        expect(call.name).toMatch(/ gpt-4o$/)
      }
    })
  },
)
