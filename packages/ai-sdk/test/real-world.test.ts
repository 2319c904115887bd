// Situations between the documented ones, on ai@5, ai@6 and ai@7, each through its own major's
// real `@ai-sdk/openai` over HTTP against tools/mock-openai.
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
  delete (globalThis as any).AI_SDK_TELEMETRY_INTEGRATIONS
})

const callSpans = (spans: readonly SpanData[]) =>
  spans.filter((s) => s.attributes[ATTR.operationName] === 'invoke_agent')

/** The `weather` tool of these tests: `during` runs inside its execute, before it answers. */
const weatherTool = (ai: any, during: () => Promise<unknown>) =>
  ai.tool({
    inputSchema: z.object({ city: z.string() }),
    execute: async ({ city }: { city: string }) => {
      await during()
      return { city, celsius: 21 }
    },
  })

describe.each(majors)(
  '$major with its own @ai-sdk/openai, over HTTP',
  ({ major, ai, createOpenAI }) => {
    async function start(options: Parameters<typeof startMockOpenAI>[0] = {}) {
      server = await startMockOpenAI(options)
      const openai = createOpenAI({
        baseURL: server.url,
        apiKey: 'sk-test-not-a-real-key-0000000000',
      })
      const { tracer, exporter } = setup()
      return { server, tracer, exporter, provider: openai.chat('gpt-4o') }
    }

    for (const mode of ['streamText', 'generateText'] as const)
      it(`${mode}: abortSignal fired while a tool's execute runs: the call span ends cancelled then, not ok later`, async () => {
        const { tracer, exporter, provider } = await start()
        const model = ai.wrapLanguageModel({
          model: provider,
          middleware: tracingMiddleware({ tracer }),
        })
        const controller = new AbortController()
        let toolDone = 0
        const options = {
          model,
          prompt: 'Weather in Oslo? [tool:weather]',
          abortSignal: controller.signal,
          stopWhen: ai.stepCountIs(3),
          tools: {
            // It does not stop on the signal: it runs on past the abort.
            weather: weatherTool(ai, async () => {
              setTimeout(() => controller.abort(), 5)
              await new Promise((resolve) => setTimeout(resolve, 150))
              toolDone = performance.timeOrigin + performance.now()
            }),
          },
        }
        if (mode === 'streamText') {
          const types: string[] = []
          for await (const part of ai.streamText(options).fullStream) types.push(part.type)
          // The user's outcome: the stream reports the abort and stops.
          expect(types).toContain('abort')
        } else {
          // The user's outcome: the call rejects with the abort.
          const error = await ai.generateText(options).catch((e: unknown) => e)
          expect((error as Error).name).toBe('AbortError')
        }
        await new Promise((resolve) => setTimeout(resolve, 200))
        await tracer.flush()
        const [call] = callSpans(exporter.spans)
        expect(call.status).toBe('cancelled')
        expect(call.attributes['tokentrail.cancelled_by']).toBe('abort_signal')
        expect(call.attributes[CALL_ATTR.steps]).toBe(1)
        // Ended at the abort, not when the tool returned or at the flush.
        expect(toolDone).toBeGreaterThan(0)
        expect(call.endTime).toBeLessThan(toolDone)
        const llm = exporter.spans.filter((s) => s.kind === 'llm')
        expect(llm.map((s) => s.status)).toEqual(['ok'])
        // The tool span (ai@6, ai@7: ai@5 tells no tool it did not see answered) is cancelled with the call.
        const tools = exporter.spans.filter((s) => s.kind === 'tool')
        expect(tools.map((s) => s.status)).toEqual(major === 'ai@5' ? [] : ['cancelled'])
        expect(tools.map((s) => s.attributes['tokentrail.cancelled_by'])).toEqual(
          major === 'ai@5' ? [] : ['abort_signal'],
        )
      })

    for (const mode of ['streamText', 'generateText'] as const)
      it(`${mode}: the request ends while a tool runs: the call span is cancelled with it and says parent`, async () => {
        const { tracer, exporter, provider } = await start()
        const model = ai.wrapLanguageModel({
          model: provider,
          middleware: tracingMiddleware({ tracer }),
        })
        let started = () => {}
        const toolStarted = new Promise<void>((resolve) => (started = resolve))
        let release = () => {}
        const gate = new Promise<void>((resolve) => (release = resolve))
        // The request span, as the Next and Hono adapters make it.
        const request = tracer.startSpan('POST /api/chat', { kind: 'http' })
        const result = tracer.runInSpan(request, () =>
          (mode === 'streamText' ? ai.streamText : ai.generateText)({
            model,
            prompt: 'Weather in Oslo? [tool:weather]',
            stopWhen: ai.stepCountIs(3),
            tools: {
              weather: weatherTool(ai, async () => {
                started()
                await gate
              }),
            },
          }),
        )
        const reading = (async () => {
          if (mode === 'generateText') await result
          else for await (const _ of result.fullStream);
        })()
        await toolStarted
        // The client went away: the adapter ends the request span and the spans still open under it.
        request.end({ endOpenChildren: true })
        release()
        await reading
        await tracer.flush()
        // The call is cancelled with its request. ai@5 runs its tools unseen (their spans come from
        // the next step's prompt): a call whose last step asked for tools cannot be told from one
        // its stopWhen ended, so there it ends `ok`. The step after the tool, made once the
        // request is over, is traced as a call of its own (as after consumer_stopped).
        const calls = callSpans(exporter.spans).sort((x, y) => x.startTime - y.startTime)
        expect(calls).toHaveLength(2)
        const [call, later] = calls as [SpanData, SpanData]
        expect(call.parentSpanId).toBe(request.spanId)
        if (major === 'ai@5' && mode === 'generateText') {
          expect(call.status).toBe('ok')
          expect(call.attributes['tokentrail.cancelled_by']).toBeUndefined()
        } else {
          expect(call.status).toBe('cancelled')
          expect(call.attributes['tokentrail.cancelled_by']).toBe('parent')
        }
        expect(later.status).toBe('ok')
        expect(later.attributes[CALL_ATTR.steps]).toBe(1)
        expect(later.traceId).toBe(call.traceId)
      })

    for (const mode of ['generateText', 'streamText'] as const)
      it(`${mode}: abortSignal fired while a tool runs that stops on it: the tool span is cancelled, no tool error, the call says abort_signal`, async () => {
        const { tracer, exporter, provider } = await start()
        const model = ai.wrapLanguageModel({
          model: provider,
          middleware: tracingMiddleware({ tracer }),
        })
        const controller = new AbortController()
        const args = {
          model,
          prompt: 'Weather in Oslo? [tool:weather]',
          abortSignal: controller.signal,
          stopWhen: ai.stepCountIs(3),
          tools: {
            weather: ai.tool({
              inputSchema: z.object({ city: z.string() }),
              execute: (_: unknown, { abortSignal }: { abortSignal: AbortSignal }) =>
                new Promise((_resolve, reject) => {
                  abortSignal.addEventListener('abort', () => reject(abortSignal.reason))
                  setTimeout(() => controller.abort(), 5)
                }),
            }),
          },
        }
        // The user's outcome: generateText rejects with the abort, streamText's stream ends with an abort part.
        if (mode === 'generateText')
          await expect(ai.generateText(args)).rejects.toMatchObject({ name: 'AbortError' })
        else {
          const types: string[] = []
          for await (const part of ai.streamText(args).fullStream) types.push(part.type)
          expect(types).toContain('abort')
        }
        await tracer.flush()
        const [call] = callSpans(exporter.spans)
        expect(call!.status).toBe('cancelled')
        expect(call!.attributes['tokentrail.cancelled_by']).toBe('abort_signal')
        expect(call!.attributes[CALL_ATTR.toolErrors]).toBeUndefined()
        const tools = exporter.spans.filter((s) => s.kind === 'tool')
        // ai@5 tells no tool it did not see answered.
        expect(tools.map((s) => s.status)).toEqual(major === 'ai@5' ? [] : ['cancelled'])
        // What stopped the tool, on streamText as on generateText (before, ai@7's streamText left
        // it unsaid).
        expect(tools.map((s) => s.attributes['tokentrail.cancelled_by'])).toEqual(
          major === 'ai@5' ? [] : ['abort_signal'],
        )
      })

    for (const mode of ['generateText', 'streamText'] as const)
      it(`${mode} stopped by a time limit: the LLM span says timeout, not abort_signal`, async () => {
        const { tracer, exporter, provider } = await start({ firstChunkDelayMs: 2_000 })
        const model = ai.wrapLanguageModel({
          model: provider,
          middleware: tracingMiddleware({ tracer }),
        })
        // ai@6 and ai@7 take a `timeout`; on ai@5 a time limit is an AbortSignal.timeout().
        const limit = major === 'ai@5' ? { abortSignal: AbortSignal.timeout(50) } : { timeout: 50 }
        const args = { model, prompt: 'Tell me about Oslo', maxRetries: 0, ...limit }
        if (mode === 'generateText')
          await expect(ai.generateText(args)).rejects.toMatchObject({ name: 'TimeoutError' })
        else {
          const types: string[] = []
          for await (const part of ai.streamText({ ...args, onError: () => {} }).fullStream)
            types.push(part.type)
          // The user's outcome: the stream ends with an abort part.
          expect(types.at(-1)).toBe('abort')
        }
        await tracer.flush()
        const llm = exporter.spans.filter((s) => s.kind === 'llm')
        expect(llm.map((s) => s.status)).toEqual(['cancelled'])
        expect(llm[0]!.attributes['tokentrail.cancelled_by']).toBe('timeout')
        // The call span says it too, on every major (ai@7's generateText rejects with the
        // TimeoutError through its error event: it was an error span before).
        const calls = callSpans(exporter.spans)
        expect(calls.map((s) => s.status)).toEqual(['cancelled'])
        expect(calls[0]!.attributes['tokentrail.cancelled_by']).toBe('timeout')
        expect(calls[0]!.attributes['error.type']).toBeUndefined()
      })

    it('generateText stopped by a time limit while it waits to retry a failed attempt: the call span says timeout', async () => {
      // The first request fails with a 500; the SDK waits about 2 s before its retry, and the
      // time limit ends the call in that wait.
      let requests = 0
      const { tracer, exporter, provider } = await start({
        status: () => (requests++ === 0 ? 500 : undefined),
      })
      const model = ai.wrapLanguageModel({
        model: provider,
        middleware: tracingMiddleware({ tracer }),
      })
      const limit = major === 'ai@5' ? { abortSignal: AbortSignal.timeout(300) } : { timeout: 300 }
      await expect(
        ai.generateText({ model, prompt: 'Tell me about Oslo', maxRetries: 2, ...limit }),
      ).rejects.toBeDefined()
      await tracer.flush()
      const llm = exporter.spans.filter((s) => s.kind === 'llm')
      expect(llm.map((s) => s.status)).toEqual(['error'])
      const calls = callSpans(exporter.spans)
      expect(calls.map((s) => [s.status, s.attributes['tokentrail.cancelled_by']])).toEqual([
        ['cancelled', 'timeout'],
      ])
    })

    for (const mode of ['generateText', 'streamText'] as const)
      it(`${mode} aborted while the model answers: the call span says abort_signal, as its LLM span does`, async () => {
        const { tracer, exporter, provider } = await start({ firstChunkDelayMs: 2_000 })
        const model = ai.wrapLanguageModel({
          model: provider,
          middleware: tracingMiddleware({ tracer }),
        })
        const controller = new AbortController()
        setTimeout(() => controller.abort(), 50)
        const args = { model, prompt: 'Tell me about Oslo', abortSignal: controller.signal }
        if (mode === 'generateText')
          await expect(ai.generateText(args)).rejects.toMatchObject({ name: 'AbortError' })
        else for await (const _ of ai.streamText({ ...args, onError: () => {} }).fullStream);
        await tracer.flush()
        const llm = exporter.spans.filter((s) => s.kind === 'llm')
        expect(llm.map((s) => [s.status, s.attributes['tokentrail.cancelled_by']])).toEqual([
          ['cancelled', 'abort_signal'],
        ])
        const calls = callSpans(exporter.spans)
        expect(calls.map((s) => [s.status, s.attributes['tokentrail.cancelled_by']])).toEqual([
          ['cancelled', 'abort_signal'],
        ])
      })

    it('image and file parts: recorded as blobs with their media type, never their bytes or URL', async () => {
      const { tracer, exporter, provider } = await start()
      const model = ai.wrapLanguageModel({
        model: provider,
        middleware: tracingMiddleware({ tracer }),
      })
      const bytes = new Uint8Array(300).fill(7)
      const base64 = Buffer.from(bytes).toString('base64')
      const result = await ai.generateText({
        model,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is in these?' },
              { type: 'file', data: bytes, mediaType: 'image/png' },
              {
                type: 'file',
                data: new URL('https://example.com/private/scan.png'),
                mediaType: 'image/png',
              },
              {
                type: 'file',
                data: `data:application/pdf;base64,${base64}`,
                mediaType: 'application/pdf',
                filename: 'contract.pdf',
              },
            ],
          },
        ],
      })
      expect(result.text).toBe('You said: What is in these?')
      await tracer.flush()
      const [llm] = exporter.spans.filter((s) => s.kind === 'llm')
      const [message] = JSON.parse(llm!.attributes['gen_ai.input.messages'] as string)
      expect(message.parts.map((part: { type: string }) => part.type)).toEqual([
        'text',
        'blob',
        'blob',
        'blob',
      ])
      expect(message.parts[1].mime_type).toBe('image/png')
      expect(message.parts[3].mime_type).toBe('application/pdf')
      const exported = JSON.stringify(exporter.spans)
      expect(exported).not.toContain(base64.slice(0, 40))
      expect(exported).not.toContain('example.com/private')
      expect(exported).not.toContain('contract.pdf')
    })

    it('a flush while a tool runs, from a server that says finish_reason "stop" with its tool call: the call goes on, one trace', async () => {
      // Some OpenAI-compatible servers end a tool-call answer with "stop". A script's or another
      // job's flush while the tool runs must not end the call as done: its next step is coming.
      const { tracer, exporter, provider } = await start({ toolCallFinishReason: 'stop' })
      const model = ai.wrapLanguageModel({
        model: provider,
        middleware: tracingMiddleware({ tracer }),
      })
      let flushed: Promise<unknown> | undefined
      const result = ai.streamText({
        model,
        prompt: 'Weather in Oslo? [tool:weather]',
        stopWhen: ai.stepCountIs(3),
        tools: {
          weather: weatherTool(ai, async () => {
            flushed = tracer.flush()
            await flushed
          }),
        },
      })
      const text = await result.text
      expect(text).toContain('The tool returned')
      expect(flushed).toBeDefined()
      await new Promise((resolve) => setTimeout(resolve, 50))
      await tracer.flush()
      const calls = callSpans(exporter.spans)
      expect(calls).toHaveLength(1)
      expect(calls[0]!.attributes[CALL_ATTR.steps]).toBe(2)
      const llm = exporter.spans.filter((s) => s.kind === 'llm')
      expect(llm).toHaveLength(2)
      expect(new Set(llm.map((s) => s.traceId))).toEqual(new Set([calls[0]!.traceId]))
    })

    it('a model wrapped twice with the middleware: each model call is traced once, no fake retries, tokens and cost not doubled', async () => {
      let answered = 0
      // The first request is refused once: a real retry must still be told apart from the second wrap.
      const { server, tracer, exporter, provider } = await start({
        status: () => (answered++ === 0 ? 429 : undefined),
      })
      const inner = ai.wrapLanguageModel({
        model: provider,
        middleware: tracingMiddleware({ tracer }),
      })
      const model = ai.wrapLanguageModel({
        model: inner,
        middleware: tracingMiddleware({ tracer }),
      })
      const tools = {
        weather: ai.tool({
          inputSchema: z.object({ city: z.string() }),
          execute: async ({ city }: { city: string }) => ({ city, celsius: 21 }),
        }),
      }
      const generated = await ai.generateText({
        model,
        tools,
        stopWhen: ai.stepCountIs(3),
        prompt: 'Weather in Oslo? [tool:weather]',
      })
      expect(generated.text).toContain('The tool returned')
      await ai.streamText({ model, prompt: 'hello there' }).consumeStream()
      await tracer.flush()
      // 4 HTTP requests: the refused one, its retry, the tool loop's second step, the stream.
      expect(server.calls).toHaveLength(4)
      const llm = exporter.spans.filter((s) => s.kind === 'llm')
      expect(llm).toHaveLength(4)
      const calls = callSpans(exporter.spans)
      expect(calls.map((s) => s.name).sort()).toEqual(['generateText gpt-4o', 'streamText gpt-4o'])
      const generate = calls.find((s) => s.name === 'generateText gpt-4o')!
      expect(generate.attributes[CALL_ATTR.steps]).toBe(2)
      expect(generate.attributes[CALL_ATTR.retries]).toBe(1)
      const stream = calls.find((s) => s.name === 'streamText gpt-4o')!
      expect(stream.attributes[CALL_ATTR.retries]).toBeUndefined()
      const usage = (i: number) => server!.calls[i].usage!
      expect(generate.attributes[CALL_ATTR.inputTokens]).toBe(
        usage(1).inputTokens + usage(2).inputTokens,
      )
      expect(stream.attributes[CALL_ATTR.inputTokens]).toBe(usage(3).inputTokens)
      expect(stream.attributes[CALL_ATTR.outputTokens]).toBe(usage(3).outputTokens)
      expect(llm.map((s) => s.attributes[CALL_ATTR.attempt]).filter(Boolean)).toEqual([2])
      expect(exporter.spans.filter((s) => s.kind === 'tool')).toHaveLength(1)
    })

    it("a streamText whose result is never read, in a script: the script's flush ends the call span over its step, one trace", async () => {
      const { tracer, exporter, provider } = await start()
      const model = ai.wrapLanguageModel({
        model: provider,
        middleware: tracingMiddleware({ tracer }),
      })
      ai.streamText({ model, prompt: 'nobody reads this' })
      await expect.poll(() => (tracer.stats() as { ended: number }).ended).toBeGreaterThan(0)
      await tracer.flush()
      const [call] = callSpans(exporter.spans)
      expect(call, 'the call span is exported').toBeDefined()
      expect(call.status).toBe('ok')
      const llm = exporter.spans.find((s) => s.kind === 'llm')!
      expect(llm.parentSpanId).toBe(call.spanId)
      expect(call.attributes[CALL_ATTR.steps]).toBe(1)
      expect(call.attributes[CALL_ATTR.outputTokens]).toBe(server!.calls[0].usage!.outputTokens)
      expect(call.endTime).toBeGreaterThanOrEqual(llm.endTime)
    })

    it('time to first chunk is the time to the first token, not to the empty delta of the role chunk', async () => {
      const { tracer, exporter, provider } = await start({
        firstChunkDelayMs: 150,
        chunkDelayMs: 2,
      })
      const model = ai.wrapLanguageModel({
        model: provider,
        middleware: tracingMiddleware({ tracer }),
      })
      const started = performance.now()
      let firstText: number | undefined
      for await (const delta of ai.streamText({ model, prompt: 'hello there' }).textStream)
        if (delta !== '') firstText ??= performance.now() - started
      await tracer.flush()
      const llm = exporter.spans.find((s) => s.kind === 'llm')!
      const ttft = llm.attributes[ATTR.ttftMs] as number
      expect(ttft).toBeGreaterThanOrEqual(145)
      expect(ttft).toBeLessThanOrEqual(firstText!)
      expect(callSpans(exporter.spans)[0].attributes[CALL_ATTR.ttftMs]).toBe(ttft)
    })

    it('a tool error that quotes an API key: no key in the exported trace, the user gets the same error', async () => {
      const { tracer, exporter, provider } = await start()
      const model = ai.wrapLanguageModel({
        model: provider,
        middleware: tracingMiddleware({ tracer }),
      })
      const key = 'sk-proj-abcdefghijklmnopqrstuvwxyz0123'
      const result = await ai.generateText({
        model,
        prompt: 'Weather in Oslo? [tool:weather]',
        stopWhen: ai.stepCountIs(2),
        tools: {
          weather: ai.tool({
            inputSchema: z.object({ city: z.string() }),
            execute: async (): Promise<string> => {
              throw new Error(`upstream refused key ${key}`)
            },
          }),
        },
      })
      // The SDK hands the model the error as the tool's result, key and all: the app's data is untouched.
      const toolError = result.steps[0].content.find((part: any) => part.type === 'tool-error')
      expect(toolError.error.message).toBe(`upstream refused key ${key}`)
      await tracer.flush()
      const tool = exporter.spans.find((s) => s.kind === 'tool')!
      expect(tool.status).toBe('error')
      expect(tool.error?.message).toContain('[REDACTED]')
      expect(JSON.stringify(exporter.spans)).not.toContain('abcdefghijklmnopqrstuvwxyz0123')
    })

    it('streamObject whose answer does not parse: the call span is an error on ai@7, as the user sees', async () => {
      const { tracer, exporter, provider } = await start({ reply: 'this is not json' })
      const model = ai.wrapLanguageModel({
        model: provider,
        middleware: tracingMiddleware({ tracer }),
      })
      const result = ai.streamObject({
        model,
        schema: z.object({ answer: z.number() }),
        prompt: 'give me a number',
        onError: () => {},
      })
      for await (const _ of result.partialObjectStream);
      const error = await result.object.catch((e: unknown) => e)
      expect(ai.NoObjectGeneratedError.isInstance(error)).toBe(true)
      await tracer.flush()
      const [call] = callSpans(exporter.spans)
      // ai@5 and ai@6 tell the middleware nothing after the model's answer (see the README).
      expect(call.status).toBe(major === 'ai@7' ? 'error' : 'ok')
      if (major === 'ai@7') {
        expect(call.attributes[ATTR.errorType]).toBe('AI_NoObjectGeneratedError')
        expect(call.error?.message).toBe((error as Error).message)
      }
      expect(exporter.spans.find((s) => s.kind === 'llm')!.status).toBe('ok')
    })

    for (const recordInputs of [true, false])
      it(`streamText refused with 429 then answered (recordInputs: ${recordInputs}): one trace, the retry is attempt 2 of the same step`, async () => {
        let answered = 0
        const { tracer, exporter, provider } = await start({
          status: () => (answered++ === 0 ? 429 : undefined),
        })
        const model = ai.wrapLanguageModel({
          model: provider,
          middleware: tracingMiddleware({ tracer, recordInputs }),
        })
        const text = await ai.streamText({
          model,
          prompt: 'hello there',
          ...(major === 'ai@7' ? { telemetry: { recordInputs } } : {}),
        }).text
        expect(text).toContain('You said')
        await tracer.flush()
        expect(new Set(exporter.spans.map((s) => s.traceId)).size).toBe(1)
        const calls = callSpans(exporter.spans)
        expect(calls).toHaveLength(1)
        expect(calls[0].status).toBe('ok')
        expect(calls[0].attributes[CALL_ATTR.retries]).toBe(1)
        expect(calls[0].attributes[CALL_ATTR.steps]).toBe(1)
        const llm = exporter.spans
          .filter((s) => s.kind === 'llm')
          .sort((a, b) => a.startTime - b.startTime)
        expect(llm.map((s) => s.status)).toEqual(['error', 'ok'])
        expect(llm.map((s) => s.attributes[ATTR.step])).toEqual([0, 0])
        expect(llm[1].attributes[CALL_ATTR.attempt]).toBe(2)
        for (const span of llm) expect(span.parentSpanId).toBe(calls[0].spanId)
      })

    it('streamText refused on every try: one trace, three attempts, the call is an error', async () => {
      const { tracer, exporter, provider } = await start({ status: 429 })
      const model = ai.wrapLanguageModel({
        model: provider,
        middleware: tracingMiddleware({ tracer }),
      })
      let error: unknown
      await ai
        .streamText({ model, prompt: 'hello there', onError: (e: any) => (error = e.error) })
        .consumeStream()
      expect(ai.RetryError.isInstance(error)).toBe(true)
      await tracer.flush()
      expect(new Set(exporter.spans.map((s) => s.traceId)).size).toBe(1)
      const calls = callSpans(exporter.spans)
      expect(calls).toHaveLength(1)
      expect(calls[0].status).toBe('error')
      const llm = exporter.spans
        .filter((s) => s.kind === 'llm')
        .sort((a, b) => a.startTime - b.startTime)
      expect(llm.map((s) => s.attributes[CALL_ATTR.attempt] ?? 1)).toEqual([1, 2, 3])
      if (major === 'ai@7') expect(calls[0].error?.message).toBe((error as Error).message)
    })

    // Before, a model with an empty id (a hand-written or misconfigured model) made spans named
    // `chat ` and `generateText ` with a trailing space.
    it('names the spans of a model without an id by their operation alone', async () => {
      const { tracer, exporter, server } = await start()
      const openai = createOpenAI({
        baseURL: server.url,
        apiKey: 'sk-test-not-a-real-key-0000000000',
      })
      const model = ai.wrapLanguageModel({
        model: openai.chat(''),
        middleware: tracingMiddleware({ tracer }),
      })
      const { text } = await ai.generateText({ model, prompt: 'Hello' })
      expect(text.length).toBeGreaterThan(0)
      await tracer.flush()
      const names = exporter.spans.map((s) => s.name).sort()
      expect(names).toEqual(['chat', 'generateText'])
    })
  },
)
