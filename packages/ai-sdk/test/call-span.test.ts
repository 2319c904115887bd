import { createOpenAI } from '@ai-sdk/openai'
import { ATTR, createTracer } from '@tokentrail/core'
import { memoryExporter, memoryMetricExporter } from '@tokentrail/core/testing'
import { type MockOpenAI, startMockOpenAI } from '@tokentrail/mock-openai'
import {
  convertToModelMessages,
  generateObject,
  generateText,
  Output,
  registerTelemetry,
  stepCountIs,
  streamObject,
  streamText,
  tool,
  type UIMessage,
  wrapLanguageModel,
} from 'ai'
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { CALL_ATTR, tokentrailTelemetry, toolTelemetry, tracingMiddleware } from '../src/index.js'
import { setup } from './helpers.js'

let server: MockOpenAI | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
  delete (globalThis as any).AI_SDK_TELEMETRY_INTEGRATIONS
})

async function start() {
  server = await startMockOpenAI()
  const openai = createOpenAI({ baseURL: server.url, apiKey: 'sk-test-not-a-real-key-0000000000' })
  const { tracer, exporter } = setup()
  return { openai, tracer, exporter }
}

const uiMessage = (text: string): UIMessage => ({
  id: 'm1',
  role: 'user',
  parts: [{ type: 'text', text }],
})

const weather = tool({
  inputSchema: z.object({ city: z.string() }),
  execute: async ({ city }) => ({ city, celsius: 21 }),
})

describe('the call span (ai@7)', () => {
  it('a useChat body passed to streamText unconverted: the client sees the error stream, the call span says what happened', async () => {
    const { openai, tracer, exporter } = await start()
    const model = wrapLanguageModel({
      model: openai.chat('gpt-4o'),
      middleware: tracingMiddleware({ tracer }),
    })
    // What a route gets from `useChat` (DefaultChatTransport): UI messages, not model messages.
    const body = { id: 'chat-1', messages: [uiMessage('hello')], trigger: 'submit-message' }
    const response = await tracer.withSpan('POST /api/chat', { kind: 'http' }, async () =>
      streamText({ model, messages: body as any }).toUIMessageStreamResponse(),
    )
    const text = await response.text()
    expect(text).toContain('"type":"error"')
    await tracer.flush()
    expect(server!.calls).toHaveLength(0)
    const request = exporter.span('POST /api/chat')
    const call = exporter.spans.find((s) => s.attributes[ATTR.operationName] === 'invoke_agent')!
    expect(call, 'a call span for a call that failed before the model').toBeDefined()
    expect(call.parentSpanId).toBe(request.spanId)
    expect(call.status).toBe('error')
    expect(call.error?.message).toMatch(/messages|prompt/i)
    expect(call.attributes[ATTR.errorType]).toBeTypeOf('string')
  })

  it('the README snippet (convertToModelMessages) streams the answer and traces it', async () => {
    const { openai, tracer, exporter } = await start()
    const model = wrapLanguageModel({
      model: openai.chat('gpt-4o'),
      middleware: tracingMiddleware({ tracer }),
    })
    const messages: UIMessage[] = [uiMessage('hello')]
    const response = await tracer.withSpan('POST /api/chat', { kind: 'http' }, async () =>
      streamText({
        model,
        messages: await convertToModelMessages(messages),
      }).toUIMessageStreamResponse(),
    )
    const text = await response.text()
    expect(text).toContain('said: ')
    await tracer.flush()
    const call = exporter.span('streamText gpt-4o')
    expect(call.status).toBe('ok')
    expect(exporter.span('chat gpt-4o').parentSpanId).toBe(call.spanId)
  })

  it('registering again (hot reload, an explicit registerTelemetry) never duplicates a span or a metric', async () => {
    const { openai } = await start()
    const exporter = memoryExporter()
    const metrics = memoryMetricExporter()
    const tracer = createTracer({ exporters: [exporter], metrics: { exporters: [metrics] } })
    const run = async () => {
      // A reloaded route module makes its model again: a new middleware, a new registration.
      const model = wrapLanguageModel({
        model: openai.chat('gpt-4o'),
        middleware: tracingMiddleware({ tracer }),
      })
      return generateText({
        model,
        tools: { weather },
        stopWhen: stepCountIs(3),
        prompt: 'Weather in Oslo [tool:weather]',
      })
    }
    await run()
    registerTelemetry(tokentrailTelemetry({ tracer }))
    registerTelemetry(toolTelemetry({ tracer }))
    await run()
    await run()
    expect((globalThis as any).AI_SDK_TELEMETRY_INTEGRATIONS).toHaveLength(3)
    await tracer.flush()
    const traces = new Set(exporter.spans.map((s) => s.traceId))
    expect(traces.size).toBe(3)
    for (const traceId of traces) {
      const spans = exporter.spans.filter((s) => s.traceId === traceId)
      expect(spans.map((s) => s.kind).sort()).toEqual(['internal', 'llm', 'llm', 'tool'])
    }
    expect(tracer.stats().started).toBe(12)
    const total = (name: string) =>
      (metrics.metric(name)!.points as any[]).reduce((n, p) => n + (p.value ?? p.count), 0)
    expect(total('tokentrail.llm.calls')).toBe(6)
    expect(total('tokentrail.tool.calls')).toBe(3)
  })

  it.each([
    ['after', 'the middleware was made'],
    ['before', 'the middleware is made'],
  ])(
    'an integration the app registers %s %s is the one that records: its recordOutputs: false keeps tool results out',
    async (order) => {
      const { openai, tracer, exporter } = await start()
      const make = () =>
        wrapLanguageModel({
          model: openai.chat('gpt-4o'),
          middleware: tracingMiddleware({ tracer }),
        })
      let model: ReturnType<typeof make>
      if (order === 'after') {
        model = make()
        registerTelemetry(tokentrailTelemetry({ tracer, recordOutputs: false }))
      } else {
        registerTelemetry(tokentrailTelemetry({ tracer, recordOutputs: false }))
        model = make()
      }
      const { text } = await generateText({
        model,
        tools: { weather },
        stopWhen: stepCountIs(3),
        prompt: 'Weather in Oslo [tool:weather]',
      })
      expect(text).toContain('celsius')
      await tracer.flush()
      const toolSpan = exporter.span('execute_tool weather')
      expect(toolSpan.attributes[ATTR.toolCallArguments]).toContain('Oslo')
      expect(toolSpan.attributes).not.toHaveProperty(ATTR.toolCallResult)
      expect(exporter.spans.filter((s) => s.kind === 'tool')).toHaveLength(1)
      expect(exporter.span('generateText gpt-4o').attributes[CALL_ATTR.toolCalls]).toBe(1)
    },
  )

  it('the tracing middleware registers one integration however often it is made', async () => {
    const { tracer } = await start()
    for (let i = 0; i < 5; i++) tracingMiddleware({ tracer })
    expect((globalThis as any).AI_SDK_TELEMETRY_INTEGRATIONS).toHaveLength(1)
  })

  it('a tool that throws: its span is an error, the call counts it, the loop carries on', async () => {
    const { openai, tracer, exporter } = await start()
    const model = wrapLanguageModel({
      model: openai.chat('gpt-4o'),
      middleware: tracingMiddleware({ tracer }),
    })
    await generateText({
      model,
      stopWhen: stepCountIs(3),
      prompt: 'Weather in Oslo [tool:weather]',
      tools: {
        weather: tool({
          inputSchema: z.object({ city: z.string() }),
          execute: async ({ city }): Promise<string> => {
            throw new Error(`weather service down for ${city}`)
          },
        }),
      },
    })
    await tracer.flush()
    const toolSpan = exporter.span('execute_tool weather')
    expect(toolSpan.status).toBe('error')
    expect(toolSpan.error?.message).toBe('weather service down for Oslo')
    const call = exporter.span('generateText gpt-4o')
    expect(call.attributes[CALL_ATTR.toolErrors]).toBe(1)
    expect(call.attributes[CALL_ATTR.steps]).toBe(2)
  })

  it('generateObject and streamObject: the call span comes from the SDK, and an answer that does not parse fails it', async () => {
    server = await startMockOpenAI({
      reply: (request) =>
        request.messages.at(-1)?.text.includes('[json]') ? '{"a":1}' : undefined,
    })
    const openai = createOpenAI({
      baseURL: server.url,
      apiKey: 'sk-test-not-a-real-key-0000000000',
    })
    const { tracer, exporter } = setup()
    const model = wrapLanguageModel({
      model: openai.chat('gpt-4o'),
      middleware: tracingMiddleware({ tracer }),
    })
    const schema = z.object({ a: z.number() })
    expect((await generateObject({ model, schema, prompt: 'one [json]' })).object).toEqual({ a: 1 })
    const failed = await generateObject({ model, schema, prompt: 'prose' }).catch((e) => e)
    expect(failed.name).toBe('AI_NoObjectGeneratedError')
    const streamed = streamObject({ model, schema, prompt: 'two [json]' })
    for await (const _ of streamed.partialObjectStream);
    expect(await streamed.object).toEqual({ a: 1 })
    // generateText asked for JSON is still a generateText call.
    const text = await generateText({
      model,
      output: Output.object({ schema }),
      prompt: '3 [json]',
    })
    expect(text.output).toEqual({ a: 1 })
    await tracer.flush()
    const calls = exporter.spans.filter((s) => s.kind === 'internal')
    expect(calls.map((s) => [s.name, s.status, s.attributes[CALL_ATTR.source]])).toEqual([
      ['generateObject gpt-4o', 'ok', 'ai-sdk-telemetry'],
      ['generateObject gpt-4o', 'error', 'ai-sdk-telemetry'],
      ['streamObject gpt-4o', 'ok', 'ai-sdk-telemetry'],
      ['generateText gpt-4o', 'ok', 'ai-sdk-telemetry'],
    ])
    expect(calls[1].attributes[ATTR.errorType]).toBe('AI_NoObjectGeneratedError')
    for (const call of calls)
      expect(exporter.spans.filter((s) => s.parentSpanId === call.spanId)).toHaveLength(1)
  })

  it('a mid-stream provider error has a real type, not Object', async () => {
    const { openai, tracer, exporter } = await start()
    const model = wrapLanguageModel({
      model: openai.chat('gpt-4o'),
      middleware: tracingMiddleware({ tracer }),
    })
    const result = streamText({ model, prompt: 'say a lot [fail-stream]', onError: () => {} })
    for await (const _ of result.fullStream);
    await tracer.flush()
    const llm = exporter.span('chat gpt-4o')
    expect(llm.status).toBe('error')
    expect(llm.attributes[ATTR.errorType]).not.toBe('Object')
    expect(llm.error?.type).not.toBe('Object')
    const call = exporter.span('streamText gpt-4o')
    expect(call.status).toBe('error')
  })
})
