// The same scenarios on ai@5, ai@6 and ai@7, each through its own major's real `@ai-sdk/openai`
// over HTTP against tools/mock-openai: one AI SDK call is one trace, with the call span at the
// root, one LLM span per step and each tool under the step that asked for it.
import { ATTR, type SpanData } from '@tokentrail/core'
import { type MockOpenAI, startMockOpenAI } from '@tokentrail/mock-openai'
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { CALL_ATTR, ERROR_ATTR, tracingMiddleware } from '../src/index.js'
import { outputText, setup } from './helpers.js'
import { majors } from './majors.js'

let server: MockOpenAI | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
  delete (globalThis as any).AI_SDK_TELEMETRY_INTEGRATIONS
})

const sum = (spans: readonly SpanData[], key: string) =>
  spans.reduce((n, s) => n + ((s.attributes[key] as number | undefined) ?? 0), 0)

/** The exported spans as one tree: the call span, its LLM spans in step order, the tool spans. */
function tree(spans: readonly SpanData[]) {
  const traceIds = new Set(spans.map((s) => s.traceId))
  const call = spans.find((s) => s.attributes[ATTR.operationName] === 'invoke_agent')!
  const llm = spans
    .filter((s) => s.kind === 'llm')
    .sort((a, b) => Number(a.attributes[ATTR.step]) - Number(b.attributes[ATTR.step]))
  const tools = spans.filter((s) => s.kind === 'tool')
  return { traceIds, call, llm, tools }
}

describe.each(majors)(
  '$major with its own @ai-sdk/openai, over HTTP',
  ({ major, ai, createOpenAI, source }) => {
    async function start(options: Parameters<typeof startMockOpenAI>[0] = {}) {
      server = await startMockOpenAI(options)
      const openai = createOpenAI({
        baseURL: server.url,
        apiKey: 'sk-test-not-a-real-key-0000000000',
      })
      const { tracer, exporter } = setup()
      const model = ai.wrapLanguageModel({
        model: openai.chat('gpt-4o'),
        middleware: tracingMiddleware({ tracer }),
      })
      return { server, tracer, exporter, model }
    }

    const weather = (ai: any) =>
      ai.tool({
        description: 'Weather in a city',
        inputSchema: z.object({ city: z.string() }),
        execute: async ({ city }: { city: string }) => {
          await new Promise((r) => setTimeout(r, 15))
          return { city, celsius: 21 }
        },
      })

    for (const mode of ['generateText', 'streamText'] as const) {
      it(`${mode} tool loop in a plain script: one trace, call span at the root, steps and tool nested, totals = sum of steps`, async () => {
        const { tracer, exporter, model } = await start({ cachedInputTokens: 1 })
        const options = {
          model,
          tools: { weather: weather(ai) },
          stopWhen: ai.stepCountIs(3),
          prompt: 'What is the weather in Lisbon? [tool:weather]',
        }
        let text: string
        if (mode === 'generateText') text = (await ai.generateText(options)).text
        else {
          const result = ai.streamText(options)
          text = ''
          for await (const delta of result.textStream) text += delta
        }
        expect(text).toContain('The tool returned')
        await tracer.flush()
        const { traceIds, call, llm, tools } = tree(exporter.spans)
        expect(exporter.spans).toHaveLength(4)
        expect(traceIds.size).toBe(1)
        expect(call, 'a call span').toBeDefined()
        expect(call.parentSpanId).toBeUndefined()
        expect(call.name).toBe(`${mode} gpt-4o`)
        expect(call.status).toBe('ok')
        expect(call.attributes[CALL_ATTR.source]).toBe(source)
        expect(llm.map((s) => s.attributes[ATTR.step])).toEqual([0, 1])
        for (const span of llm) expect(span.parentSpanId).toBe(call.spanId)
        expect(tools).toHaveLength(1)
        expect(tools[0].name).toBe('execute_tool weather')
        expect(tools[0].parentSpanId).toBe(llm[0].spanId)
        expect(tools[0].attributes[ATTR.toolCallId]).toBe(server!.calls[0].toolCall!.id)
        // Its arguments and result on every major (on ai@5 read from the next step's prompt).
        expect(JSON.parse(String(tools[0].attributes[ATTR.toolCallArguments]))).toEqual({
          city: 'Lisbon',
        })
        expect(JSON.parse(String(tools[0].attributes[ATTR.toolCallResult]))).toEqual({
          city: 'Lisbon',
          celsius: 21,
        })
        expect(tools[0].endTime - tools[0].startTime).toBeGreaterThanOrEqual(10)
        // ai@6 and ai@7 say when a tool ran; on ai@5 its span is timed from the call to the next step.
        expect(tools[0].attributes[CALL_ATTR.toolTiming]).toBe(
          major === 'ai@5' ? 'inferred' : undefined,
        )
        // Totals are the sum of the steps, under names no backend adds to the LLM spans'.
        expect(call.attributes[CALL_ATTR.steps]).toBe(2)
        expect(call.attributes[CALL_ATTR.inputTokens]).toBe(sum(llm, ATTR.usageInputTokens))
        expect(call.attributes[CALL_ATTR.outputTokens]).toBe(sum(llm, ATTR.usageOutputTokens))
        expect(call.attributes[CALL_ATTR.cacheReadTokens]).toBe(2)
        expect(call.attributes[CALL_ATTR.inputTokens]).toBe(
          server!.calls.reduce((n, c) => n + c.usage!.inputTokens, 0),
        )
        expect(call.attributes[CALL_ATTR.costUsd]).toBeCloseTo(sum(llm, ATTR.costUsd), 9)
        expect(call.attributes[CALL_ATTR.finishReason]).toBe('stop')
        expect(call.attributes[ATTR.usageInputTokens]).toBeUndefined()
        // The first step records the whole prompt; the next one only what it adds to it.
        const firstInput = JSON.parse(String(llm[0].attributes[ATTR.inputMessages]))
        const secondInput = JSON.parse(String(llm[1].attributes[ATTR.inputMessages]))
        expect(firstInput.map((m: any) => m.role)).toEqual(['user'])
        expect(secondInput.map((m: any) => m.role)).toEqual(['assistant', 'tool'])
        expect(secondInput[0].parts[0].type).toBe('tool_call')
        expect(llm[1].attributes[CALL_ATTR.inputSkippedMessages]).toBe(1)
        expect(llm[0].attributes[CALL_ATTR.inputSkippedMessages]).toBeUndefined()
        if (mode === 'streamText')
          expect(call.attributes[CALL_ATTR.ttftMs]).toBe(llm[0].attributes[ATTR.ttftMs])
        expect(call.startTime).toBeLessThanOrEqual(llm[0].startTime)
        expect(call.endTime).toBeGreaterThanOrEqual(llm[1].endTime)
      })
    }

    it('a step answered without usage leaves the call without the totals it lacks, cache and reasoning included', async () => {
      const { tracer, exporter, model } = await start({
        cachedInputTokens: 3,
        // The step after the tool (its prompt ends with the tool's result) comes without usage.
        usage: (request: any) => request.messages?.at(-1)?.role !== 'tool',
      } as any)
      const result = await ai.generateText({
        model,
        tools: { weather: weather(ai) },
        stopWhen: ai.stepCountIs(3),
        prompt: 'Weather in Rome? [tool:weather]',
      })
      expect(result.text).toContain('The tool returned')
      await tracer.flush()
      const { call, llm } = tree(exporter.spans)
      expect(llm).toHaveLength(2)
      expect(llm[0]!.attributes[ATTR.usageInputTokens]).toBeGreaterThan(0)
      expect(llm[1]!.attributes[ATTR.usageInputTokens]).toBeUndefined()
      expect(call.attributes[CALL_ATTR.stepsWithoutUsage]).toBe(1)
      for (const total of [
        CALL_ATTR.inputTokens,
        CALL_ATTR.outputTokens,
        CALL_ATTR.cacheReadTokens,
        CALL_ATTR.reasoningTokens,
        CALL_ATTR.costUsd,
      ])
        expect(call.attributes, total).not.toHaveProperty(total)
    })

    it("a call whose last step asks for a tool (stopWhen reached) still ends, by the script's flush at the latest", async () => {
      const { tracer, exporter, model } = await start()
      const result = await ai.generateText({
        model,
        tools: { weather: weather(ai) },
        stopWhen: ai.stepCountIs(1),
        prompt: 'Weather in Oslo? [tool:weather]',
      })
      expect(result.toolResults).toHaveLength(1)
      await tracer.flush()
      const { call, llm, tools } = tree(exporter.spans)
      expect(call, 'the call span is exported').toBeDefined()
      expect(call.status).toBe('ok')
      expect(llm).toHaveLength(1)
      expect(call.attributes[CALL_ATTR.finishReason]).toBe('tool_call')
      // A tool whose result no later step reads is seen only where the SDK reports tools (ai@6, ai@7).
      expect(tools).toHaveLength(major === 'ai@5' ? 0 : 1)
      if (major !== 'ai@5') expect(call.endTime).toBeGreaterThanOrEqual(tools[0].endTime)
    })

    it('a tool that throws: an error tool span under its step, the loop carries on, the call counts it', async () => {
      const { tracer, exporter, model } = await start()
      const result = await ai.generateText({
        model,
        stopWhen: ai.stepCountIs(3),
        prompt: 'Weather in Oslo? [tool:weather]',
        tools: {
          weather: ai.tool({
            inputSchema: z.object({ city: z.string() }),
            execute: async ({ city }: { city: string }): Promise<string> => {
              throw new Error(`weather service down for ${city}`)
            },
          }),
        },
      })
      expect(result.steps).toHaveLength(2)
      await tracer.flush()
      const { call, llm, tools } = tree(exporter.spans)
      expect(tools).toHaveLength(1)
      expect(tools[0].status).toBe('error')
      expect(tools[0].error?.message).toContain('weather service down for Oslo')
      expect(tools[0].parentSpanId).toBe(llm[0].spanId)
      expect(call.attributes[CALL_ATTR.toolErrors]).toBe(1)
      expect(call.status).toBe('ok')
    })

    it('a provider error mid-stream: the step and the call are errors with a real type, not Object', async () => {
      const { tracer, exporter, model } = await start()
      const result = ai.streamText({
        model,
        prompt: 'one two three four [fail-stream]',
        onError: () => {},
      })
      for await (const _ of result.fullStream);
      await tracer.flush()
      const { call, llm } = tree(exporter.spans)
      expect(llm[0].status).toBe('error')
      expect(llm[0].attributes[ATTR.errorType]).toBeTypeOf('string')
      expect(llm[0].attributes[ATTR.errorType]).not.toBe('Object')
      expect(llm[0].error?.type).not.toBe('Object')
      expect(call.status).toBe('error')
    })

    it('nests the call under the active span (a route handler) instead of starting a trace', async () => {
      const { tracer, exporter, model } = await start()
      await tracer.withSpan('POST /api/chat', { kind: 'http' }, () =>
        ai.generateText({ model, prompt: 'hello there' }),
      )
      await tracer.flush()
      const request = exporter.spans.find((s) => s.kind === 'http')!
      const { call, llm } = tree(exporter.spans)
      expect(call.parentSpanId).toBe(request.spanId)
      expect(llm[0].parentSpanId).toBe(call.spanId)
      expect(new Set(exporter.spans.map((s) => s.traceId)).size).toBe(1)
    })

    it('two concurrent calls are two traces, each with its own steps', async () => {
      const { tracer, exporter, model } = await start({ chunkDelayMs: 2 })
      const run = (city: string) =>
        ai.generateText({
          model,
          tools: { weather: weather(ai) },
          stopWhen: ai.stepCountIs(3),
          prompt: `Weather in ${city}? [tool:weather]`,
        })
      await Promise.all([run('Oslo'), run('Rome')])
      await tracer.flush()
      const calls = exporter.spans.filter(
        (s) => s.attributes[ATTR.operationName] === 'invoke_agent',
      )
      expect(calls).toHaveLength(2)
      for (const call of calls) {
        const own = exporter.spans.filter((s) => s.traceId === call.traceId)
        expect(own.filter((s) => s.kind === 'llm')).toHaveLength(2)
        expect(own.filter((s) => s.kind === 'tool')).toHaveLength(1)
        expect(call.attributes[CALL_ATTR.steps]).toBe(2)
      }
    })

    it('a 429 then success: the retry is attempt 2 of the same step, the call ends ok', async () => {
      let answered = 0
      const { tracer, exporter, model } = await start({
        status: () => (answered++ === 0 ? 429 : undefined),
      })
      const result = await ai.generateText({ model, prompt: 'hello', maxRetries: 2 })
      expect(result.text).toContain('You said')
      await tracer.flush()
      const { call, llm, traceIds } = tree(exporter.spans)
      expect(traceIds.size).toBe(1)
      expect(llm).toHaveLength(2)
      const [failed, retried] = [...llm].sort((a, b) => a.startTime - b.startTime)
      expect(failed.status).toBe('error')
      expect(failed.attributes[ERROR_ATTR.statusCode]).toBe(429)
      expect(failed.attributes[ERROR_ATTR.retryable]).toBe(true)
      expect(failed.attributes[ERROR_ATTR.providerType]).toBe('requests')
      expect(String(failed.attributes[ERROR_ATTR.body])).toContain('rate_limit_exceeded')
      expect(failed.attributes[ATTR.errorType]).toBe('AI_APICallError')
      expect(retried.status).toBe('ok')
      expect(retried.attributes[CALL_ATTR.attempt]).toBe(2)
      expect(retried.attributes[ATTR.step]).toBe(failed.attributes[ATTR.step])
      expect(call.status).toBe('ok')
      expect(call.attributes[CALL_ATTR.retries]).toBe(1)
      expect(call.attributes[CALL_ATTR.steps]).toBe(1)
    })

    it('a 400 the SDK does not retry: the call span says what happened, the caller gets the same error', async () => {
      const { tracer, exporter, model } = await start({ status: 400 })
      const error = await ai
        .generateText({ model, prompt: 'hello', maxRetries: 2 })
        .catch((e: unknown) => e)
      expect((error as any).statusCode).toBe(400)
      await tracer.flush()
      const { call, llm } = tree(exporter.spans)
      expect(llm).toHaveLength(1)
      expect(call.status).toBe('error')
      expect(call.attributes[ERROR_ATTR.statusCode]).toBe(400)
      expect(call.attributes[ERROR_ATTR.retryable]).toBe(false)
      expect(call.error?.message).toBe((error as Error).message)
    })

    it('abort mid-stream: the LLM span and the call span end cancelled, the caller sees the abort', async () => {
      const { tracer, exporter, model } = await start({
        chunkDelayMs: 30,
        reply: 'one two three four five six seven eight',
      })
      const controller = new AbortController()
      const result = ai.streamText({ model, prompt: 'count', abortSignal: controller.signal })
      let received = ''
      const reading = (async () => {
        for await (const delta of result.textStream) {
          received += delta
          if (received.split(' ').length >= 3) controller.abort()
        }
      })().catch((e) => e)
      await reading
      await tracer.flush()
      const { call, llm } = tree(exporter.spans)
      expect(llm).toHaveLength(1)
      expect(llm[0].status).toBe('cancelled')
      expect(call.status).toBe('cancelled')
      expect(String(outputText(llm[0]))).toBe(received.slice(0, String(outputText(llm[0])).length))
    })
  },
)

// The README's per-major table, "a failure before the first model call (a bad prompt)": ai@7 gives
// the call a span with the error, named `unknown` (its error event names neither the operation nor
// the model), for a wrapped model and for one left untraced alike; ai@5 and ai@6 never see it.
describe.each(majors)(
  '$major: a prompt that fails to convert, before any model call',
  ({ major, ai, createOpenAI }) => {
    it('a call span with the error on ai@7, nothing on ai@5 and ai@6; the user gets the same error', async () => {
      server = await startMockOpenAI()
      const openai = createOpenAI({
        baseURL: server.url,
        apiKey: 'sk-test-not-a-real-key-0000000000',
      })
      const { tracer, exporter } = setup()
      const wrapped = ai.wrapLanguageModel({
        model: openai.chat('gpt-4o'),
        middleware: tracingMiddleware({ tracer }),
      })
      // A PDF by URL, which the chat API does not take: the SDK downloads it first, and refuses
      // a private address without a request (so no network is needed).
      const messages = [
        {
          role: 'user',
          content: [
            {
              type: 'file',
              data: new URL('http://127.0.0.1:9/doc.pdf'),
              mediaType: 'application/pdf',
            },
          ],
        },
      ]
      for (const model of [wrapped, openai.chat('gpt-4o-mini')]) {
        const error = await ai
          .generateText({ model, messages, maxRetries: 0 })
          .catch((e: unknown) => e)
        expect((error as Error).name).toBe('AI_DownloadError')
      }
      expect(server.calls).toHaveLength(0)
      await tracer.flush()
      if (major !== 'ai@7') {
        expect(exporter.spans).toEqual([])
        return
      }
      expect(exporter.spans).toHaveLength(2)
      for (const call of exporter.spans) {
        expect(call.name).toBe('unknown')
        expect(call.status).toBe('error')
        expect(call.attributes[ATTR.operationName]).toBe('invoke_agent')
        expect(call.attributes[CALL_ATTR.operation]).toBe('unknown')
        expect(call.attributes[ATTR.requestModel]).toBeUndefined()
        expect(call.error?.type).toBe('AI_DownloadError')
      }
    })
  },
)
