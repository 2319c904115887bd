// With tracing off, the AI SDK finds no handler in the integration `tracingMiddleware()` registers,
// so a call does none of the per-event work the SDK does for a handler; a call keeps the handlers
// it found as it started, so switching tracing on or off never leaves a call half-traced.
// ai@7 and ai@6 (both read the global integration list), each through its own @ai-sdk/openai over
// HTTP against tools/mock-openai. No middleware here is given an enabled tracer of its own until
// the last suite: tracing follows the process-wide tracer, switched with setTracer.
import { createOpenAI as createOpenAI4 } from '@ai-sdk/openai'
import { createOpenAI as createOpenAI3 } from '@ai-sdk/openai-v3'
import { ATTR, createTracer, setTracer } from '@tokentrail/core'
import { type MockOpenAI, startMockOpenAI } from '@tokentrail/mock-openai'
import * as ai7 from 'ai'
import * as ai6 from 'ai-v6'
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { CALL_ATTR, tokentrailTelemetry, tracingMiddleware } from '../src/index.js'
import { countHandlerCalls, setup } from './helpers.js'

const majors = [
  { major: 'ai@7', ai: ai7 as any, createOpenAI: createOpenAI4 as any, source: 'ai-sdk-telemetry' },
  { major: 'ai@6', ai: ai6 as any, createOpenAI: createOpenAI3 as any, source: 'inferred' },
] as const

let server: MockOpenAI | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
  setTracer(undefined)
  delete (globalThis as any).AI_SDK_TELEMETRY_INTEGRATIONS
})

const tracingOff = () => setTracer(createTracer({ enabled: false }))
function tracingOn() {
  const { tracer, exporter } = setup()
  setTracer(tracer)
  return { tracer, exporter }
}

describe.each(majors)('$major with tracing off', ({ major, ai, createOpenAI, source }) => {
  async function start() {
    server = await startMockOpenAI()
    const openai = createOpenAI({
      baseURL: server.url,
      apiKey: 'sk-test-not-a-real-key-0000000000',
    })
    const bare = openai.chat('gpt-4o')
    const model = ai.wrapLanguageModel({ model: bare, middleware: tracingMiddleware() })
    return { bare, model }
  }

  const weather = (onRun: () => void = () => {}) =>
    ai.tool({
      description: 'Weather in a city',
      inputSchema: z.object({ city: z.string() }),
      execute: async ({ city }: { city: string }) => {
        onRun()
        return { city, celsius: 21 }
      },
    })

  // A tool loop of two steps: the model asks for the tool, then answers with its result.
  async function toolLoop(mode: 'generateText' | 'streamText', model: unknown, tool = weather()) {
    const options = {
      model,
      tools: { weather: tool },
      stopWhen: ai.stepCountIs(3),
      prompt: 'What is the weather in Lisbon? [tool:weather]',
    }
    if (mode === 'generateText') {
      const result = await ai.generateText(options)
      return {
        text: result.text as string,
        finishReason: result.finishReason,
        usage: result.totalUsage ?? result.usage,
        steps: result.steps.length as number,
        toolResults: result.steps.flatMap((s: any) => s.toolResults.map((r: any) => r.output)),
      }
    }
    const result = ai.streamText(options)
    let text = ''
    for await (const delta of result.textStream) text += delta
    const steps = await result.steps
    return {
      text,
      finishReason: await result.finishReason,
      usage: await result.totalUsage,
      steps: steps.length as number,
      toolResults: steps.flatMap((s: any) => s.toolResults.map((r: any) => r.output)),
    }
  }

  for (const mode of ['generateText', 'streamText'] as const)
    it(`${mode}: the SDK calls no handler of ours, and the result is the one without Tokentrail`, async () => {
      tracingOff()
      const { bare, model } = await start()
      const called = countHandlerCalls()
      const traced = await toolLoop(mode, model)
      expect(called).toEqual([])
      expect(traced.text).toContain('The tool returned')
      expect(traced.steps).toBe(2)
      // The same call with no Tokentrail in the process: no middleware, no integration.
      delete (globalThis as any).AI_SDK_TELEMETRY_INTEGRATIONS
      const untraced = await toolLoop(mode, bare)
      expect(traced).toEqual(untraced)
    })

  it('switched on afterwards, the next call gets the whole trace: call span, step spans, tool span', async () => {
    tracingOff()
    const { model } = await start()
    const called = countHandlerCalls()
    await toolLoop('generateText', model)
    expect(called).toEqual([])
    const { tracer, exporter } = tracingOn()
    await toolLoop('generateText', model)
    expect(called.length).toBeGreaterThan(0)
    await tracer.flush()
    expect(exporter.spans).toHaveLength(4)
    expect(new Set(exporter.spans.map((s) => s.traceId)).size).toBe(1)
    const call = exporter.spans.find((s) => s.attributes[ATTR.operationName] === 'invoke_agent')!
    expect(call.name).toBe('generateText gpt-4o')
    expect(call.status).toBe('ok')
    expect(call.attributes[CALL_ATTR.source]).toBe(source)
    expect(call.attributes[CALL_ATTR.steps]).toBe(2)
    const llm = exporter.spans
      .filter((s) => s.kind === 'llm')
      .sort((a, b) => Number(a.attributes[ATTR.step]) - Number(b.attributes[ATTR.step]))
    expect(llm.map((s) => s.attributes[ATTR.step])).toEqual([0, 1])
    for (const span of llm) expect(span.parentSpanId).toBe(call.spanId)
    const [tool] = exporter.spans.filter((s) => s.kind === 'tool')
    expect(tool.name).toBe('execute_tool weather')
    expect(tool.parentSpanId).toBe(llm[0].spanId)
    // Timed by the SDK's tool events (ai@7's executeTool, ai@6's onToolCallStart/Finish), not inferred.
    expect(tool.attributes[CALL_ATTR.toolTiming]).toBeUndefined()
    expect(tracer.stats().started).toBe(tracer.stats().ended)
  })

  for (const mode of ['generateText', 'streamText'] as const) {
    it(`${mode}: a call that starts traced and is switched off while its tool runs ends cleanly`, async () => {
      const { tracer, exporter } = tracingOn()
      const { model } = await start()
      const result = await toolLoop(mode, model, weather(tracingOff))
      expect(result.text).toContain('The tool returned')
      // Right after the call, before a flush (which would close a call left waiting) or any timer
      // of ours: the call ended with the SDK's own end event, which the call kept.
      expect(tracer.stats().started).toBe(3)
      expect(tracer.stats().ended).toBe(3)
      await tracer.flush()
      const call = exporter.spans.find((s) => s.attributes[ATTR.operationName] === 'invoke_agent')
      expect(call, 'the call span').toBeDefined()
      expect(call!.status).toBe('ok')
      expect(call!.attributes[CALL_ATTR.source]).toBe(source)
      // The first step and its tool were traced; the model call made after tracing went off was not.
      const llm = exporter.spans.filter((s) => s.kind === 'llm')
      expect(llm.map((s) => s.attributes[ATTR.step])).toEqual([0])
      const tools = exporter.spans.filter((s) => s.kind === 'tool')
      expect(tools).toHaveLength(1)
      expect(tools[0].status).toBe('ok')
      expect(tools[0].parentSpanId).toBe(llm[0].spanId)
      expect(llm[0].parentSpanId).toBe(call!.spanId)
    })

    it(`${mode}: a call that starts untraced and is switched on while its tool runs ends cleanly`, async () => {
      tracingOff()
      const { model } = await start()
      let traced: ReturnType<typeof tracingOn> | undefined
      const result = await toolLoop(
        mode,
        model,
        weather(() => (traced = tracingOn())),
      )
      expect(result.text).toContain('The tool returned')
      expect(result.steps).toBe(2)
      const { tracer, exporter } = traced!
      await tracer.flush()
      // The step that ran after tracing came on is traced, under a call span; nothing is left open.
      expect(tracer.stats().started).toBe(tracer.stats().ended)
      const call = exporter.spans.find((s) => s.attributes[ATTR.operationName] === 'invoke_agent')
      expect(call, 'the call span').toBeDefined()
      expect(call!.status).toBe('ok')
      const llm = exporter.spans.filter((s) => s.kind === 'llm')
      expect(llm).toHaveLength(1)
      expect(llm[0].parentSpanId).toBe(call!.spanId)
      expect(llm[0].status).toBe('ok')
      expect(new Set(exporter.spans.map((s) => s.traceId)).size).toBe(1)
      if (major === 'ai@7') expect(call!.attributes[CALL_ATTR.source]).toBe('inferred')
    })
  }
})

describe('an integration the app changes', () => {
  it('ai@7: a handler the app puts in place of ours is kept, tracing off or on', async () => {
    tracingOff()
    const called: string[] = []
    const onError = () => called.push('onError')
    // As apps could while the handlers were plain properties: no TypeError for a getter-only key.
    const integration = Object.assign(tokentrailTelemetry(), {
      onError,
      onStart: () => called.push('onStart'),
    })
    ai7.registerTelemetry(integration)
    server = await startMockOpenAI()
    const openai = createOpenAI4({
      baseURL: server.url,
      apiKey: 'sk-test-not-a-real-key-0000000000',
    })
    const model = ai7.wrapLanguageModel({
      model: openai.chat('gpt-4o'),
      middleware: tracingMiddleware(),
    })
    const untraced = await ai7.generateText({ model, prompt: 'Hello' })
    expect(called).toEqual(['onStart'])
    expect((integration as any).onError).toBe(onError)
    const { tracer, exporter } = tracingOn()
    const traced = await ai7.generateText({ model, prompt: 'Hello' })
    expect(traced.text).toBe(untraced.text)
    expect(called).toEqual(['onStart', 'onStart'])
    expect((integration as any).onError).toBe(onError)
    await tracer.flush()
    // Our other handlers run as before: the call span from the SDK's events, ended by its end event.
    expect(tracer.stats().ended).toBe(tracer.stats().started)
    const call = exporter.spans.find((s) => s.attributes[ATTR.operationName] === 'invoke_agent')
    expect(call?.attributes[CALL_ATTR.source]).toBe('ai-sdk-telemetry')
    expect(exporter.spans.filter((s) => s.kind === 'llm')).toHaveLength(1)
  })
})

// Last in this file: once a middleware has an enabled tracer of its own, the integration keeps its
// handlers for the rest of the process, whatever the process-wide tracer is.
describe('a middleware with an enabled tracer of its own, the process-wide tracer off', () => {
  it.each(majors)(
    '$major: the full trace, also when a later middleware without a tracer took over the registration',
    async ({ ai, createOpenAI, source }) => {
      tracingOff()
      server = await startMockOpenAI()
      const openai = createOpenAI({
        baseURL: server.url,
        apiKey: 'sk-test-not-a-real-key-0000000000',
      })
      const { tracer, exporter } = setup()
      const model = ai.wrapLanguageModel({
        model: openai.chat('gpt-4o'),
        middleware: tracingMiddleware({ tracer }),
      })
      // Another model of the app, wrapped later without a tracer: its integration replaces the first.
      ai.wrapLanguageModel({ model: openai.chat('gpt-4o-mini'), middleware: tracingMiddleware() })
      const result = await ai.generateText({
        model,
        tools: {
          weather: ai.tool({
            inputSchema: z.object({ city: z.string() }),
            execute: async ({ city }: { city: string }) => ({ city, celsius: 21 }),
          }),
        },
        stopWhen: ai.stepCountIs(3),
        prompt: 'What is the weather in Lisbon? [tool:weather]',
      })
      expect(result.text).toContain('The tool returned')
      await tracer.flush()
      expect(exporter.spans.map((s) => s.kind).sort()).toEqual(['internal', 'llm', 'llm', 'tool'])
      const call = exporter.spans.find((s) => s.kind === 'internal')!
      expect(call.attributes[CALL_ATTR.source]).toBe(source)
      const tool = exporter.spans.find((s) => s.kind === 'tool')!
      expect(tool.attributes[CALL_ATTR.toolTiming]).toBeUndefined()
    },
  )
})
