import { createOpenAI } from '@ai-sdk/openai'
import { ATTR } from '@tokentrail/core'
import { type MockOpenAI, startMockOpenAI } from '@tokentrail/mock-openai'
import { APICallError, generateText, stepCountIs, streamText, tool } from 'ai'
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { toolTelemetry, traceModel } from '../src/index.js'
import { outputText, setup } from './helpers.js'

let server: MockOpenAI | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

const apis = [
  { api: 'chat', model: (openai: ReturnType<typeof createOpenAI>) => openai.chat('gpt-4o') },
  { api: 'responses', model: (openai: ReturnType<typeof createOpenAI>) => openai('gpt-4o') },
] as const

describe.each(apis)(
  'real @ai-sdk/openai provider, $api API, against the local mock server',
  ({ api, model }) => {
    async function start(options: Parameters<typeof startMockOpenAI>[0] = {}) {
      server = await startMockOpenAI(options)
      const openai = createOpenAI({
        baseURL: server.url,
        apiKey: 'sk-test-not-a-real-key-0000000000',
      })
      const { tracer, exporter } = setup()
      return { server, tracer, exporter, model: traceModel(model(openai), { tracer }) }
    }

    it('streamText: tokens equal the server usage, text equals what the client got, TTFT reflects the delay', async () => {
      const { server, tracer, exporter, model } = await start({
        firstChunkDelayMs: 120,
        chunkDelayMs: 3,
        cachedInputTokens: 2,
        responseModel: 'gpt-4o-2024-08-06',
      })
      const result = streamText({ model, system: 'Be brief.', prompt: 'Tell me about the sea' })
      let received = ''
      for await (const delta of result.textStream) received += delta
      await tracer.flush()
      const call = server.calls[0]
      expect(call.api).toBe(api)
      expect(received).toBe(call.text)
      const span = exporter.span('chat gpt-4o')
      expect(span.status).toBe('ok')
      expect(span.attributes).toMatchObject({
        [ATTR.providerName]: 'openai',
        [ATTR.requestStream]: true,
        [ATTR.responseId]: call.responseId,
        [ATTR.responseModel]: 'gpt-4o-2024-08-06',
        [ATTR.responseFinishReasons]: ['stop'],
        [ATTR.usageInputTokens]: call.usage!.inputTokens,
        [ATTR.usageOutputTokens]: call.usage!.outputTokens,
        [ATTR.usageCacheReadInputTokens]: 2,
      })
      expect(outputText(span)).toBe(received)
      const ttft = span.attributes[ATTR.ttftMs] as number
      expect(ttft).toBeGreaterThanOrEqual(115)
      expect(ttft).toBeLessThan(120 + 1000)
      expect(span.attributes[ATTR.timeToLastChunkMs] as number).toBeGreaterThan(ttft)
      expect(span.attributes[ATTR.costUsd]).toBeGreaterThan(0)
      // The API key never reaches a span.
      expect(JSON.stringify(span)).not.toContain('sk-test')
    })

    it('generateText: tokens and text equal the server reply', async () => {
      const { server, tracer, exporter, model } = await start()
      const result = await generateText({ model, prompt: 'Count the waves' })
      await tracer.flush()
      const call = server.calls[0]
      expect(call.stream).toBe(false)
      expect(result.text).toBe(call.text)
      // Set only on a streaming request.
      expect(ATTR.requestStream in exporter.span('chat gpt-4o').attributes).toBe(false)
      expect(exporter.span('chat gpt-4o').attributes).toMatchObject({
        [ATTR.usageInputTokens]: call.usage!.inputTokens,
        [ATTR.usageOutputTokens]: call.usage!.outputTokens,
      })
      expect(outputText(exporter.span('chat gpt-4o'))).toBe(call.text)
    })

    it('runs a tool loop: two numbered LLM spans and one tool span, tokens per call', async () => {
      const { server, tracer, exporter, model } = await start()
      const text = await tracer.withSpan('agent', async () => {
        const result = streamText({
          model,
          prompt: 'Use the weather tool for Lisbon',
          stopWhen: stepCountIs(4),
          telemetry: { integrations: [toolTelemetry({ tracer })] },
          tools: {
            weather: tool({
              inputSchema: z.object({ city: z.string() }),
              execute: async ({ city }) => ({ city, celsius: 24 }),
            }),
          },
        })
        return result.text
      })
      await tracer.flush()
      expect(server.calls).toHaveLength(2)
      expect(text).toBe(server.calls[1].text)
      const llm = exporter.spans.filter((s) => s.kind === 'llm')
      expect(llm.map((s) => s.attributes[ATTR.step])).toEqual([0, 1])
      llm.forEach((span, i) => {
        expect(span.attributes[ATTR.usageInputTokens]).toBe(server!.calls[i].usage!.inputTokens)
        expect(span.attributes[ATTR.usageOutputTokens]).toBe(server!.calls[i].usage!.outputTokens)
      })
      const toolSpan = exporter.span('execute_tool weather')
      expect(toolSpan.attributes[ATTR.toolCallId]).toBe(server.calls[0].toolCall!.id)
      expect(JSON.parse(toolSpan.attributes[ATTR.toolCallArguments] as string)).toEqual({
        city: 'Lisbon',
      })
      expect(toolSpan.parentSpanId).toBe(llm[0].spanId)
      const call = exporter.span('streamText gpt-4o')
      expect(call.parentSpanId).toBe(exporter.span('agent').spanId)
      for (const span of llm) expect(span.parentSpanId).toBe(call.spanId)
    })

    it('a server error reaches the caller unchanged and marks the span error', async () => {
      const { tracer, exporter, model } = await start()
      const error = await generateText({ model, prompt: 'please [fail]', maxRetries: 0 }).catch(
        (e) => e,
      )
      expect(APICallError.isInstance(error)).toBe(true)
      expect(error.statusCode).toBe(500)
      await tracer.flush()
      const span = exporter.span('chat gpt-4o')
      expect(span.status).toBe('error')
      expect(span.error?.message).toBe(error.message)
    })

    it('an error event mid-stream marks the span error and keeps the partial text', async () => {
      const { tracer, exporter, model } = await start()
      const result = streamText({
        model,
        prompt: 'one two three four five six [fail-stream]',
        onError: () => {},
      })
      let received = ''
      for await (const part of result.fullStream)
        if (part.type === 'text-delta') received += part.text
      await tracer.flush()
      const span = exporter.span('chat gpt-4o')
      expect(span.status).toBe('error')
      expect(received.length).toBeGreaterThan(0)
      expect(outputText(span)).toBe(received)
    })

    it('the client going away ends the span cancelled, and the server sees the abort', async () => {
      const { server, tracer, exporter, model } = await start({ chunkDelayMs: 200 })
      const controller = new AbortController()
      const result = streamText({
        model,
        prompt: 'a long story about many many things',
        abortSignal: controller.signal,
      })
      const iterator = result.textStream[Symbol.asyncIterator]()
      const first = (await iterator.next()).value
      controller.abort()
      await expect.poll(() => server.calls[0].aborted).toBe(true)
      await tracer.flush()
      const span = exporter.span('chat gpt-4o')
      expect(span.status).toBe('cancelled')
      expect(outputText(span)).toBe(first)
      expect(span.attributes[ATTR.usageOutputTokens]).toBeUndefined()
    })

    it('missing usage in the reply stays missing', async () => {
      const { tracer, exporter, model } = await start({ usage: false })
      await streamText({ model, prompt: 'no usage please' }).consumeStream()
      await generateText({ model, prompt: 'no usage please' })
      await tracer.flush()
      expect(exporter.spans.filter((s) => s.kind === 'llm')).toHaveLength(2)
      for (const span of exporter.spans.filter((s) => s.kind === 'llm')) {
        expect(span.attributes[ATTR.usageInputTokens]).toBeUndefined()
        expect(span.attributes[ATTR.usageOutputTokens]).toBeUndefined()
        expect(span.attributes[ATTR.costUsd]).toBeUndefined()
        for (const value of Object.values(span.attributes))
          expect(Number.isNaN(value as number)).toBe(false)
      }
    })
  },
)
