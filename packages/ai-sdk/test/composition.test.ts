// The tracing middleware as users compose it with other middlewares, on ai@5, ai@6 and ai@7, each
// through its own major's real `@ai-sdk/openai` over HTTP against tools/mock-openai.
import { ATTR, type SpanData } from '@tokentrail/core'
import { type MockOpenAI, startMockOpenAI } from '@tokentrail/mock-openai'
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
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

const specificationVersion = { 'ai@5': undefined, 'ai@6': 'v3', 'ai@7': 'v4' } as const

describe.each(majors)(
  '$major with its own @ai-sdk/openai, over HTTP',
  ({ major, ai, createOpenAI, source }) => {
    async function start() {
      server = await startMockOpenAI()
      const openai = createOpenAI({
        baseURL: server.url,
        apiKey: 'sk-test-not-a-real-key-0000000000',
      })
      const { tracer, exporter } = setup()
      return { server, tracer, exporter, provider: openai.chat('gpt-4o') }
    }

    // The AI SDK docs' retrieval example: the last user message gets context added (a new prompt array).
    const retrieval = {
      specificationVersion: specificationVersion[major],
      transformParams: async ({ params }: any) => ({
        ...params,
        prompt: params.prompt.map((message: any, i: number) =>
          i === params.prompt.length - 1 && message.role === 'user'
            ? {
                ...message,
                content: [...message.content, { type: 'text', text: ' (context: none)' }],
              }
            : message,
        ),
      }),
    }
    const tools = {
      weather: ai.tool({
        inputSchema: z.object({ city: z.string() }),
        execute: async ({ city }: { city: string }) => ({ city, celsius: 21 }),
      }),
    }

    it('a library traces the model and the app traces it again, with a prompt-rewriting middleware between: one trace per call, each model call once', async () => {
      const { server, tracer, exporter, provider } = await start()
      const library = ai.wrapLanguageModel({
        model: provider,
        middleware: tracingMiddleware({ tracer }),
      })
      const model = ai.wrapLanguageModel({
        model: library,
        middleware: [tracingMiddleware({ tracer }), retrieval],
      })
      const generated = await ai.generateText({
        model,
        tools,
        stopWhen: ai.stepCountIs(3),
        prompt: 'Weather in Oslo? [tool:weather]',
      })
      // The user's outcome: the same as without tracing.
      expect(generated.text).toContain('The tool returned')
      const streamed = ai.streamText({ model, prompt: 'hello there' })
      expect(await streamed.text).toContain('hello there')
      await tracer.flush()
      expect(server.calls).toHaveLength(3)
      const calls = callSpans(exporter.spans)
      expect(calls.map((s) => s.name).sort()).toEqual(['generateText gpt-4o', 'streamText gpt-4o'])
      const llm = exporter.spans.filter((s) => s.kind === 'llm')
      expect(llm).toHaveLength(3)
      const generate = calls.find((s) => s.name === 'generateText gpt-4o')!
      expect(generate.attributes[CALL_ATTR.steps]).toBe(2)
      expect(generate.attributes[CALL_ATTR.retries]).toBeUndefined()
      expect(generate.attributes[CALL_ATTR.inputTokens]).toBe(
        server.calls[0].usage!.inputTokens + server.calls[1].usage!.inputTokens,
      )
      for (const span of llm) expect(calls.map((c) => c.spanId)).toContain(span.parentSpanId)
      expect(exporter.spans.filter((s) => s.kind === 'tool')).toHaveLength(1)
    })

    it('wrapProvider with the tracing middleware around a provider whose models are already traced: one trace, one LLM span', async () => {
      const { server, tracer, exporter, provider } = await start()
      const traced = ai.wrapLanguageModel({
        model: provider,
        middleware: tracingMiddleware({ tracer }),
      })
      const wrapped = ai.wrapProvider({
        provider: ai.customProvider({ languageModels: { fast: traced } }),
        languageModelMiddleware: [tracingMiddleware({ tracer }), retrieval],
      })
      const result = ai.streamText({ model: wrapped.languageModel('fast'), prompt: 'hello there' })
      expect(await result.text).toContain('hello there')
      await tracer.flush()
      expect(server.calls).toHaveLength(1)
      expect(callSpans(exporter.spans)).toHaveLength(1)
      expect(exporter.spans.filter((s) => s.kind === 'llm')).toHaveLength(1)
    })

    it('the same model traced apart for each request (a middleware instance per request), called at once: every call traced, none taken for a second wrap', async () => {
      const { server, tracer, exporter, provider } = await start()
      const prompts = ['one', 'two', 'three', 'four'].map((word) => `hello ${word}`)
      const texts = await Promise.all(
        prompts.map((prompt, i) => {
          const model = ai.wrapLanguageModel({
            model: provider,
            middleware: [tracingMiddleware({ tracer }), retrieval],
          })
          return i % 2
            ? ai.generateText({ model, prompt }).then((result: any) => result.text)
            : ai.streamText({ model, prompt }).text
        }),
      )
      prompts.forEach((prompt, i) => {
        expect(texts[i]).toContain(prompt)
      })
      await tracer.flush()
      expect(server.calls).toHaveLength(4)
      expect(callSpans(exporter.spans)).toHaveLength(4)
      expect(exporter.spans.filter((s) => s.kind === 'llm')).toHaveLength(4)
    })
    it('calls at once through a middleware that rewrites the prompt, outside the tracing one: each call its own trace, as without that middleware', async () => {
      const { server, tracer, exporter, provider } = await start()
      const model = ai.wrapLanguageModel({
        model: provider,
        middleware: [retrieval, tracingMiddleware({ tracer })],
      })
      const texts = await Promise.all(
        [1, 2, 3, 4].map((i) => {
          const options = {
            model,
            tools,
            stopWhen: ai.stepCountIs(3),
            prompt: `Weather in city ${i}? [tool:weather]`,
          }
          return i % 2
            ? ai.streamText(options).text
            : ai.generateText(options).then((result: any) => result.text)
        }),
      )
      for (const text of texts) expect(text).toContain('The tool returned')
      await tracer.flush()
      expect(server.calls).toHaveLength(8)
      const calls = callSpans(exporter.spans)
      expect(calls).toHaveLength(4)
      // ai@7's calls come from the AI SDK's own events (exact tool timing, its functionId, its errors).
      for (const call of calls) {
        expect(call.attributes[CALL_ATTR.source]).toBe(source)
        expect(call.attributes[CALL_ATTR.steps]).toBe(2)
        const inCall = exporter.spans.filter((s) => s.traceId === call.traceId)
        expect(inCall.filter((s) => s.kind === 'llm')).toHaveLength(2)
        expect(inCall.filter((s) => s.kind === 'tool')).toHaveLength(1)
      }
    })
    it('a hand-written model whose stream has parts our code does not know, raw chunks and two finish parts: every part passes as the same object, in order', async () => {
      const { tracer, exporter } = setup()
      const usage = (input: number, output: number) =>
        major === 'ai@5'
          ? { inputTokens: input, outputTokens: output, totalTokens: input + output }
          : { inputTokens: { total: input }, outputTokens: { total: output } }
      const finishReason = major === 'ai@5' ? 'stop' : { unified: 'stop', raw: 'stop' }
      const parts: any[] = [
        { type: 'text-start', id: 't' },
        { type: 'text-delta', id: 't', delta: 'early ' },
        { type: 'stream-start', warnings: [] },
        { type: 'a-part-from-the-future', payload: { nested: [1, 2] } },
        { type: 'raw', rawValue: { provider: 'bytes' } },
        { type: 'text-delta', id: 't', delta: 'words' },
        { type: 'text-end', id: 't' },
        { type: 'finish', finishReason, usage: usage(3, 1) },
        { type: 'finish', finishReason, usage: usage(5, 2) },
      ]
      const handWritten = {
        specificationVersion: specificationVersion[major] ?? 'v2',
        provider: 'my-gateway.chat/eu',
        modelId: 'team/model.v1',
        supportedUrls: {},
        doGenerate: async () => {
          throw new Error('not used')
        },
        doStream: async () => ({
          stream: new ReadableStream({
            start(controller) {
              for (const part of parts) controller.enqueue(part)
              controller.close()
            },
          }),
        }),
      }
      const model = ai.wrapLanguageModel({
        model: handWritten,
        middleware: tracingMiddleware({ tracer }),
      })
      const { stream } = await model.doStream({
        prompt: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
      })
      const seen: unknown[] = []
      for await (const part of stream as any) seen.push(part)
      expect(seen).toHaveLength(parts.length)
      seen.forEach((part, i) => {
        expect(part).toBe(parts[i])
      })
      await tracer.flush()
      const llm = exporter.spans.find((s) => s.kind === 'llm')!
      expect(llm.status).toBe('ok')
      expect(llm.attributes[ATTR.requestModel]).toBe('team/model.v1')
      // Output chunks only: the non-empty deltas, not the start, metadata and finish parts.
      expect(llm.attributes['tokentrail.chunk_count']).toBe(
        parts.filter((p: any) => p.type.endsWith('-delta') && p.delta !== '').length,
      )
      // The last finish part says the usage, as the AI SDK reads it.
      expect(llm.attributes[ATTR.usageOutputTokens]).toBe(2)
    })
    // The README's "Beside other middlewares": the order decides what the LLM span records.
    it("the AI SDK's own middlewares: last records what the provider is sent and answers, first what the code sent and got", async () => {
      server = await startMockOpenAI({ reply: '<think>pondering</think>The answer' })
      const openai = createOpenAI({
        baseURL: server.url,
        apiKey: 'sk-test-not-a-real-key-0000000000',
      })
      const { tracer, exporter } = setup()
      const llmOf = async (middleware: unknown[]) => {
        exporter.reset()
        const model = ai.wrapLanguageModel({ model: openai.chat('gpt-4o'), middleware })
        const { text } = await ai.generateText({ model, prompt: 'hi' })
        await tracer.flush()
        const llm = exporter.spans.filter((s) => s.kind === 'llm')
        expect(llm).toHaveLength(1)
        return {
          text,
          llm: llm[0]!,
          output: JSON.parse(String(llm[0]!.attributes[ATTR.outputMessages])),
        }
      }
      const settings = () =>
        ai.defaultSettingsMiddleware({ settings: { temperature: 0.3, maxOutputTokens: 50 } })
      const reasoning = () => ai.extractReasoningMiddleware({ tagName: 'think' })

      // Last (nearest the model): the settings the provider was sent, the text before the split.
      let { text, llm, output } = await llmOf([
        settings(),
        reasoning(),
        tracingMiddleware({ tracer }),
      ])
      expect(text).toBe('The answer')
      expect(llm.attributes[ATTR.requestTemperature]).toBe(0.3)
      expect(llm.attributes[ATTR.requestMaxTokens]).toBe(50)
      expect(output[0].parts).toEqual([
        { type: 'text', content: '<think>pondering</think>The answer' },
      ])
      // First: what the code sent (no settings) and got back (the reasoning split off).
      ;({ text, llm, output } = await llmOf([
        tracingMiddleware({ tracer }),
        settings(),
        reasoning(),
      ]))
      expect(text).toBe('The answer')
      expect(llm.attributes[ATTR.requestTemperature]).toBeUndefined()
      expect(llm.attributes[ATTR.requestMaxTokens]).toBeUndefined()
      expect(output[0].parts).toEqual([
        { type: 'reasoning', content: 'pondering' },
        { type: 'text', content: 'The answer' },
      ])
    })

    it('a cache outside the tracing middleware: an answer from the cache is no trace; inside it: a model call with the stored usage', async () => {
      const { server, tracer, exporter, provider } = await start()
      const cache = () => {
        let stored: unknown
        return {
          specificationVersion: specificationVersion[major],
          wrapGenerate: async ({ doGenerate }: any) => (stored ??= await doGenerate()),
        }
      }
      const outside = ai.wrapLanguageModel({
        model: provider,
        middleware: [cache(), tracingMiddleware({ tracer })],
      })
      const first = await ai.generateText({ model: outside, prompt: 'hello there' })
      const again = await ai.generateText({ model: outside, prompt: 'hello there' })
      expect(again.text).toBe(first.text)
      expect(server.calls).toHaveLength(1)
      await tracer.flush()
      expect(callSpans(exporter.spans)).toHaveLength(1)
      expect(exporter.spans.filter((s) => s.kind === 'llm')).toHaveLength(1)

      exporter.reset()
      const inside = ai.wrapLanguageModel({
        model: provider,
        middleware: [tracingMiddleware({ tracer }), cache()],
      })
      await ai.generateText({ model: inside, prompt: 'hello there' })
      await ai.generateText({ model: inside, prompt: 'hello there' })
      expect(server.calls).toHaveLength(2)
      await tracer.flush()
      const llm = exporter.spans.filter((s) => s.kind === 'llm')
      expect(new Set(llm.map((s) => s.traceId)).size).toBe(2)
      const usage = server.calls[1]!.usage!
      for (const span of llm) {
        expect(span.attributes[ATTR.usageInputTokens]).toBe(usage.inputTokens)
        expect(span.attributes[ATTR.usageOutputTokens]).toBe(usage.outputTokens)
      }
    })

    // Documented as it is: the SDK sees a stream, but the model is called with doGenerate.
    it('simulateStreamingMiddleware outside the tracing one: request.stream unset (not streaming), the call named streamText, as the code called it', async () => {
      const { tracer, exporter, provider } = await start()
      const model = ai.wrapLanguageModel({
        model: provider,
        middleware: [ai.simulateStreamingMiddleware(), tracingMiddleware({ tracer })],
      })
      const result = ai.streamText({ model, prompt: 'hello there' })
      let text = ''
      for await (const delta of result.textStream) text += delta
      expect(text).toBe('You said: hello there')
      await tracer.flush()
      const llm = exporter.spans.filter((s) => s.kind === 'llm')
      expect(llm).toHaveLength(1)
      expect(llm[0]!.attributes[ATTR.requestStream]).toBeUndefined()
      expect(callSpans(exporter.spans).map((s) => s.name)).toEqual(['streamText gpt-4o'])
    })

    it('a model left untraced beside a traced one: its failed calls make no trace, as its good ones make none', async () => {
      server = await startMockOpenAI({
        status: (request) => (request.model === 'gpt-4o-mini' ? 500 : undefined),
      })
      const openai = createOpenAI({
        baseURL: server.url,
        apiKey: 'sk-test-not-a-real-key-0000000000',
      })
      const { tracer, exporter } = setup()
      const traced = ai.wrapLanguageModel({
        model: openai.chat('gpt-4o'),
        middleware: tracingMiddleware({ tracer }),
      })
      const untraced = openai.chat('gpt-4o-mini')
      await expect(
        ai.generateText({ model: untraced, prompt: 'hi', maxRetries: 0 }),
      ).rejects.toThrow(/failed/)
      const errors: unknown[] = []
      await ai
        .streamText({
          model: untraced,
          prompt: 'hi',
          maxRetries: 0,
          onError: ({ error }: any) => errors.push(error),
        })
        .consumeStream()
      expect(errors).toHaveLength(1)
      expect((await ai.generateText({ model: traced, prompt: 'hello there' })).text).toContain(
        'hello',
      )
      await tracer.flush()
      expect(callSpans(exporter.spans).map((s) => s.name)).toEqual(['generateText gpt-4o'])
      expect(exporter.spans.filter((s) => s.status === 'error')).toEqual([])
    })
  },
)
