// ai@7's later call features, traced through real generateText/streamText over HTTP (the
// timeout object, toolCallConcurrency, repairToolCall, toolChoice enforcement, the `interrupted`
// finish reason): one trace per call, call → step → tool spans, statuses, and the user's outcome.

import { createAnthropic } from '@ai-sdk/anthropic'
import { createOpenAI } from '@ai-sdk/openai'
import { ATTR, type SpanData } from '@tokentrail/core'
import { startMockOpenAI } from '@tokentrail/mock-openai'
import * as ai from 'ai'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { CALL_ATTR, tracingMiddleware } from '../src/index.js'
import { setup } from './helpers.js'
import { callSpan, data, event, KEYS, llmSpans, serveWire, useWireServers } from './wire.js'

useWireServers()

const tools = (spans: readonly SpanData[]) => spans.filter((s) => s.kind === 'tool')
const oneTrace = (spans: readonly SpanData[]) => {
  expect(spans.filter((s) => s.attributes[ATTR.operationName] === 'invoke_agent')).toHaveLength(1)
  expect(new Set(spans.map((s) => s.traceId)).size).toBe(1)
}

async function mock(options: Parameters<typeof startMockOpenAI>[0] = {}) {
  const server = await startMockOpenAI(options)
  const { tracer, exporter } = setup()
  const model = ai.wrapLanguageModel({
    model: createOpenAI({ baseURL: server.url, apiKey: 'sk-test-not-a-real-key' }).chat('gpt-4o'),
    middleware: tracingMiddleware({ tracer }),
  })
  return { server, tracer, exporter, model }
}

describe('ai@7 timeout object', () => {
  it('streamText stopped by chunkMs: the user gets the TimeoutError; call and step cancelled by timeout', async () => {
    const { server, tracer, exporter, model } = await mock({ chunkDelayMs: 200 })
    try {
      const result = ai.streamText({
        model,
        prompt: 'hello there friend',
        timeout: { chunkMs: 50 },
      })
      await expect(result.text).rejects.toMatchObject({ name: 'TimeoutError' })
      await tracer.flush()
      oneTrace(exporter.spans)
      const call = callSpan(exporter.spans)
      const [step, ...more] = llmSpans(exporter.spans)
      expect(more).toHaveLength(0)
      expect(step!.parentSpanId).toBe(call.spanId)
      for (const span of [call, step!]) {
        expect(span.status).toBe('cancelled')
        expect(span.attributes['tokentrail.cancelled_by']).toBe('timeout')
      }
      // The first chunk came before the limit struck.
      expect(step!.attributes['gen_ai.response.time_to_first_chunk']).toBeTypeOf('number')
    } finally {
      await server.close()
    }
  })

  it('generateText stopped by stepMs: cancelled by timeout, the user gets the TimeoutError', async () => {
    const { server, tracer, exporter, model } = await mock({ firstChunkDelayMs: 300 })
    try {
      await expect(
        ai.generateText({ model, prompt: 'hello', timeout: { stepMs: 50 }, maxRetries: 0 }),
      ).rejects.toMatchObject({ name: 'TimeoutError' })
      await tracer.flush()
      oneTrace(exporter.spans)
      const call = callSpan(exporter.spans)
      expect(call.status).toBe('cancelled')
      expect(call.attributes['tokentrail.cancelled_by']).toBe('timeout')
      expect(llmSpans(exporter.spans)[0]!.status).toBe('cancelled')
    } finally {
      await server.close()
    }
  })

  it('streamText with chunkMs and a tool slower than it (7.0.136): the call goes on, all ok', async () => {
    const { server, tracer, exporter, model } = await mock()
    try {
      const weather = ai.tool({
        inputSchema: z.object({ city: z.string() }),
        execute: async ({ city }) => {
          await new Promise((resolve) => setTimeout(resolve, 250))
          return { city, celsius: 21 }
        },
      })
      const text = await ai.streamText({
        model,
        tools: { weather },
        prompt: 'Weather in Oslo? [tool:weather]',
        stopWhen: ai.stepCountIs(3),
        timeout: { chunkMs: 100, firstChunkMs: 100 },
      }).text
      expect(text).toBe('The tool returned {"city":"Oslo","celsius":21}.')
      await tracer.flush()
      oneTrace(exporter.spans)
      const call = callSpan(exporter.spans)
      const steps = llmSpans(exporter.spans)
      const [tool] = tools(exporter.spans)
      expect(call.status).toBe('ok')
      expect(steps.map((s) => s.status)).toEqual(['ok', 'ok'])
      expect(tool!.parentSpanId).toBe(steps[0]!.spanId)
      expect(tool!.status).toBe('ok')
      expect(tool!.attributes[ATTR.toolCallResult]).toBe('{"city":"Oslo","celsius":21}')
    } finally {
      await server.close()
    }
  })
})

// A weather tool that takes `ms`, stopped early when its abort signal fires if `abortable`.
const slowWeather = (ms: number, abortable: boolean) =>
  ai.tool({
    inputSchema: z.object({ city: z.string() }),
    execute: async ({ city }, { abortSignal }) => {
      await new Promise((resolve, reject) => {
        const timer = setTimeout(resolve, ms)
        if (abortable)
          abortSignal?.addEventListener('abort', () => {
            clearTimeout(timer)
            reject(abortSignal.reason)
          })
      })
      return { city, celsius: 21 }
    },
  })
const WEATHER = 'Weather in Oslo? [tool:weather]'

describe('ai@7 time limits while a tool runs', () => {
  for (const limit of [{ stepMs: 150 }, { totalMs: 150 }]) {
    it(`streamText ${Object.keys(limit)[0]} strikes while a tool that heeds its signal runs: tool, call cancelled by timeout`, async () => {
      const { server, tracer, exporter, model } = await mock()
      try {
        const result = ai.streamText({
          model,
          tools: { weather: slowWeather(2000, true) },
          prompt: WEATHER,
          stopWhen: ai.stepCountIs(3),
          timeout: limit,
        })
        await expect(result.text).rejects.toMatchObject({ name: 'TimeoutError' })
        await tracer.flush()
        oneTrace(exporter.spans)
        const call = callSpan(exporter.spans)
        const [step, ...more] = llmSpans(exporter.spans)
        expect(more).toHaveLength(0)
        const [tool] = tools(exporter.spans)
        expect(step!.status).toBe('ok')
        expect(tool!.parentSpanId).toBe(step!.spanId)
        expect(tool!.status).toBe('cancelled')
        expect(tool!.attributes[ATTR.toolCallArguments]).toBe('{"city":"Oslo"}')
        expect(call.status).toBe('cancelled')
        expect(call.attributes['tokentrail.cancelled_by']).toBe('timeout')
        expect(tool!.endTime).toBeLessThanOrEqual(call.endTime!)
      } finally {
        await server.close()
      }
    })
  }

  it('toolMs: the tool fails on its time limit, the model reads the error and the call goes on', async () => {
    const { server, tracer, exporter, model } = await mock()
    try {
      const { text } = await ai.generateText({
        model,
        tools: { weather: slowWeather(2000, true) },
        prompt: WEATHER,
        stopWhen: ai.stepCountIs(3),
        timeout: { toolMs: 50 },
      })
      expect(text).toContain('TimeoutError')
      await tracer.flush()
      oneTrace(exporter.spans)
      const call = callSpan(exporter.spans)
      const steps = llmSpans(exporter.spans)
      const [tool] = tools(exporter.spans)
      expect(steps.map((s) => s.status)).toEqual(['ok', 'ok'])
      expect(tool!.parentSpanId).toBe(steps[0]!.spanId)
      expect(tool!.status).toBe('error')
      expect(tool!.error?.type).toBe('TimeoutError')
      expect(call.status).toBe('ok')
      expect(call.attributes[CALL_ATTR.toolErrors]).toBe(1)
    } finally {
      await server.close()
    }
  })
})

describe('ai@7 tool inputs and steering', () => {
  it('experimental_refineToolInput: the tool span has the refined input the tool ran with', async () => {
    const { server, tracer, exporter, model } = await mock()
    try {
      const { text } = await ai.generateText({
        model,
        tools: { weather: slowWeather(1, false) },
        prompt: WEATHER,
        stopWhen: ai.stepCountIs(3),
        experimental_refineToolInput: { weather: () => ({ city: 'Bergen' }) },
      })
      expect(text).toBe('The tool returned {"city":"Bergen","celsius":21}.')
      await tracer.flush()
      const [tool] = tools(exporter.spans)
      expect(tool!.attributes[ATTR.toolCallArguments]).toBe('{"city":"Bergen"}')
      expect(tool!.attributes[ATTR.toolCallResult]).toBe('{"city":"Bergen","celsius":21}')
    } finally {
      await server.close()
    }
  })

  it('dynamicTool: traced as a tool span of its step, with its input and output', async () => {
    const { server, tracer, exporter, model } = await mock()
    try {
      const weather = ai.dynamicTool({
        inputSchema: z.object({ city: z.string() }),
        execute: async (input) => ({ ...(input as object), dynamic: true }),
      })
      const text = await ai.streamText({
        model,
        tools: { weather },
        prompt: WEATHER,
        stopWhen: ai.stepCountIs(3),
      }).text
      expect(text).toBe('The tool returned {"city":"Oslo","dynamic":true}.')
      await tracer.flush()
      oneTrace(exporter.spans)
      const [tool] = tools(exporter.spans)
      expect(tool!.name).toBe('execute_tool weather')
      expect(tool!.status).toBe('ok')
      expect(tool!.parentSpanId).toBe(llmSpans(exporter.spans)[0]!.spanId)
      expect(tool!.attributes[ATTR.toolCallResult]).toBe('{"city":"Oslo","dynamic":true}')
    } finally {
      await server.close()
    }
  })

  it('experimental_steering queue: the message it adds makes a second step of the same call', async () => {
    const { server, tracer, exporter, model } = await mock()
    try {
      const steering = ai.experimental_createSteering()
      const result = ai.streamText({
        model,
        prompt: 'hello',
        stopWhen: ai.stepCountIs(3),
        experimental_steering: steering,
      })
      const outcome = steering.queue('and then?')
      expect(await result.text).toBe('You said: and then?')
      expect(await outcome).toMatchObject({ type: 'delivered', stepNumber: 1 })
      await tracer.flush()
      oneTrace(exporter.spans)
      const call = callSpan(exporter.spans)
      const steps = llmSpans(exporter.spans)
      expect(steps).toHaveLength(2)
      for (const step of steps) {
        expect(step.parentSpanId).toBe(call.spanId)
        expect(step.status).toBe('ok')
      }
      expect(call.status).toBe('ok')
      expect(call.attributes['tokentrail.call.steps']).toBe(2)
    } finally {
      await server.close()
    }
  })
})

// A chat completions server whose first answer calls `calls`, then answers "done".
const chunk = (delta: unknown, finish: string | null = null) =>
  data({
    id: 'c1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'gpt-4o',
    choices: [{ index: 0, delta, finish_reason: finish }],
  })
const usage = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 }
async function toolServer(calls: { id: string; name: string; arguments: string }[]) {
  return serveWire((_path, body) => {
    const last = body.messages[body.messages.length - 1]
    const message =
      last.role === 'tool'
        ? { content: 'done' }
        : {
            tool_calls: calls.map((c, index) => ({
              index,
              id: c.id,
              type: 'function',
              function: { name: c.name, arguments: c.arguments },
            })),
          }
    const finish = last.role === 'tool' ? 'stop' : 'tool_calls'
    if (!body.stream)
      return {
        json: {
          id: 'c1',
          object: 'chat.completion',
          created: 1,
          model: 'gpt-4o',
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: null, ...message },
              finish_reason: finish,
            },
          ],
          usage,
        },
      }
    return {
      sse: [
        chunk({ role: 'assistant', ...message }),
        chunk({}, finish),
        data({
          id: 'c1',
          object: 'chat.completion.chunk',
          created: 1,
          model: 'gpt-4o',
          choices: [],
          usage,
        }),
        'data: [DONE]\n\n',
      ],
    }
  })
}

function traced(url: string) {
  const { tracer, exporter } = setup()
  const model = ai.wrapLanguageModel({
    model: createOpenAI({ baseURL: `${url}/v1`, apiKey: 'sk-test-not-a-real-key' }).chat('gpt-4o'),
    middleware: tracingMiddleware({ tracer }),
  })
  return { tracer, exporter, model }
}

const run = async (mode: 'generateText' | 'streamText', args: any) => {
  const result = mode === 'generateText' ? await ai.generateText(args) : ai.streamText(args)
  return { text: await result.text, finishReason: await result.finishReason }
}

describe.each(['generateText', 'streamText'] as const)('ai@7 %s tools', (mode) => {
  it('toolCallConcurrency: 1 runs two calls one after the other: two tool spans under the step', async () => {
    const server = await toolServer([
      { id: 'call_a', name: 'weather', arguments: '{"city":"Oslo"}' },
      { id: 'call_b', name: 'weather', arguments: '{"city":"Rome"}' },
    ])
    const { tracer, exporter, model } = traced(server.url)
    const order: string[] = []
    const weather = ai.tool({
      inputSchema: z.object({ city: z.string() }),
      execute: async ({ city }) => {
        order.push(`start ${city}`)
        await new Promise((resolve) => setTimeout(resolve, 20))
        order.push(`end ${city}`)
        return { city }
      },
    })
    const out = await run(mode, {
      model,
      prompt: 'Weather?',
      tools: { weather },
      toolCallConcurrency: 1,
      stopWhen: ai.stepCountIs(3),
    })
    expect(out).toEqual({ text: 'done', finishReason: 'stop' })
    expect(order).toEqual(['start Oslo', 'end Oslo', 'start Rome', 'end Rome'])
    await tracer.flush()
    oneTrace(exporter.spans)
    const steps = llmSpans(exporter.spans)
    expect(steps).toHaveLength(2)
    const spans = tools(exporter.spans).sort((a, b) => a.startTime - b.startTime)
    expect(spans.map((s) => s.attributes[ATTR.toolCallId])).toEqual(['call_a', 'call_b'])
    expect(spans.map((s) => s.attributes[ATTR.toolCallArguments])).toEqual([
      '{"city":"Oslo"}',
      '{"city":"Rome"}',
    ])
    for (const span of spans) {
      expect(span.parentSpanId).toBe(steps[0]!.spanId)
      expect(span.status).toBe('ok')
    }
    expect(spans[1]!.startTime).toBeGreaterThanOrEqual(spans[0]!.endTime!)
  })

  it('repairToolCall: the tool span has the repaired name and input the tool ran with', async () => {
    const server = await toolServer([
      { id: 'call_a', name: 'Weather', arguments: '{"city":"Oslo"}' },
    ])
    const { tracer, exporter, model } = traced(server.url)
    const seen: unknown[] = []
    const weather = ai.tool({
      inputSchema: z.object({ city: z.string() }),
      execute: async (input) => {
        seen.push(input)
        return input
      },
    })
    const out = await run(mode, {
      model,
      prompt: 'Weather?',
      tools: { weather },
      stopWhen: ai.stepCountIs(3),
      repairToolCall: async ({ toolCall }: any) => ({
        ...toolCall,
        toolName: 'weather',
        input: '{"city":"Paris"}',
      }),
    })
    expect(out.text).toBe('done')
    expect(seen).toEqual([{ city: 'Paris' }])
    await tracer.flush()
    oneTrace(exporter.spans)
    const [tool, ...more] = tools(exporter.spans)
    expect(more).toHaveLength(0)
    expect(tool!.name).toBe('execute_tool weather')
    expect(tool!.attributes[ATTR.toolCallArguments]).toBe('{"city":"Paris"}')
    expect(tool!.parentSpanId).toBe(llmSpans(exporter.spans)[0]!.spanId)
  })

  it("toolChoice 'none' answered with a tool call: no tool runs; the call is an error, as the user saw", async () => {
    const server = await toolServer([
      { id: 'call_a', name: 'weather', arguments: '{"city":"Oslo"}' },
    ])
    const { tracer, exporter, model } = traced(server.url)
    let ran = false
    const weather = ai.tool({
      inputSchema: z.object({ city: z.string() }),
      execute: async () => {
        ran = true
        return 1
      },
    })
    const args = { model, prompt: 'Weather?', tools: { weather }, toolChoice: 'none' as const }
    if (mode === 'generateText')
      await expect(ai.generateText(args)).rejects.toMatchObject({
        name: 'AI_ToolChoiceViolationError',
      })
    else {
      const errors: unknown[] = []
      const result = ai.streamText({ ...args, onError: ({ error }) => void errors.push(error) })
      await result.consumeStream()
      expect(await result.finishReason).toBe('error')
      expect(errors).toMatchObject([{ name: 'AI_ToolChoiceViolationError' }])
    }
    expect(ran).toBe(false)
    await tracer.flush()
    oneTrace(exporter.spans)
    expect(tools(exporter.spans)).toHaveLength(0)
    const call = callSpan(exporter.spans)
    expect(call.status).toBe('error')
    expect(call.error?.message).toMatch(
      mode === 'generateText' ? /tool choice was none/ : /toolChoice/,
    )
  })
})

it('ai@7 streamText cut before any finish (finish reason `interrupted`): kept partial text, call ok, said interrupted', async () => {
  const server = await serveWire(() => ({
    sse: [chunk({ role: 'assistant', content: 'Hel' }), chunk({ content: 'lo' })],
  }))
  const { tracer, exporter, model } = traced(server.url)
  const result = ai.streamText({ model, prompt: 'hi' })
  expect(await result.text).toBe('Hello')
  expect(await result.finishReason).toBe('interrupted')
  await tracer.flush()
  oneTrace(exporter.spans)
  const call = callSpan(exporter.spans)
  expect(call.status).toBe('ok')
  expect(call.attributes[CALL_ATTR.finishReason]).toBe('interrupted')
  expect(call.attributes['tokentrail.call.steps_without_usage']).toBe(1)
})

it('ai@7 toolSearch: the search and the deferred tool it found are tool spans of their steps, one trace', async () => {
  const server = await serveWire((_path, body) => {
    const done = body.messages.filter((m: any) => m.role === 'tool').length
    const call = (name: string, args: string) => ({
      sse: [
        chunk({
          role: 'assistant',
          tool_calls: [
            { index: 0, id: `call_${done}`, type: 'function', function: { name, arguments: args } },
          ],
        }),
        chunk({}, 'tool_calls'),
        'data: [DONE]\n\n',
      ],
    })
    if (done === 0) return call('search', '{"query":"weather"}')
    // The deferred tool is sent once the search found it.
    if (done === 1 && body.tools.some((t: any) => t.function?.name === 'weather'))
      return call('weather', '{"city":"Oslo"}')
    return {
      sse: [chunk({ role: 'assistant', content: 'done' }), chunk({}, 'stop'), 'data: [DONE]\n\n'],
    }
  })
  const { tracer, exporter, model } = traced(server.url)
  const weather = ai.tool({
    description: 'weather of a city',
    deferLoading: true,
    inputSchema: z.object({ city: z.string() }),
    execute: async ({ city }) => ({ city, celsius: 21 }),
  })
  const result = ai.streamText({
    model,
    prompt: 'Weather?',
    stopWhen: ai.stepCountIs(5),
    tools: { search: ai.toolSearch(), weather },
  })
  expect(await result.text).toBe('done')
  await tracer.flush()
  oneTrace(exporter.spans)
  const call = callSpan(exporter.spans)
  const steps = llmSpans(exporter.spans)
  expect(steps).toHaveLength(3)
  const spans = tools(exporter.spans).sort((a, b) => a.startTime - b.startTime)
  expect(spans.map((s) => s.name)).toEqual(['execute_tool search', 'execute_tool weather'])
  expect(spans[0]!.parentSpanId).toBe(steps[0]!.spanId)
  expect(spans[0]!.attributes[ATTR.toolCallResult]).toBe(
    '{"tools":[{"name":"weather","description":"weather of a city"}]}',
  )
  expect(spans[1]!.parentSpanId).toBe(steps[1]!.spanId)
  expect(spans[1]!.attributes[ATTR.toolCallResult]).toBe('{"city":"Oslo","celsius":21}')
  expect(call.status).toBe('ok')
})

describe('ai@7 ToolLoopAgent', () => {
  it('a timeout in the agent settings (7.0.58): the call is cancelled by timeout, the user gets the TimeoutError', async () => {
    const { server, tracer, exporter, model } = await mock({ firstChunkDelayMs: 300 })
    try {
      const agent = new ai.ToolLoopAgent({ model, timeout: { stepMs: 50 }, maxRetries: 0 })
      await expect(agent.generate({ prompt: 'hello' })).rejects.toMatchObject({
        name: 'TimeoutError',
      })
      await tracer.flush()
      oneTrace(exporter.spans)
      const call = callSpan(exporter.spans)
      expect(call.status).toBe('cancelled')
      expect(call.attributes['tokentrail.cancelled_by']).toBe('timeout')
    } finally {
      await server.close()
    }
  })

  it('stream with toolCallConcurrency and a tool: call → step → tool, ok', async () => {
    const { server, tracer, exporter, model } = await mock()
    try {
      const agent = new ai.ToolLoopAgent({
        model,
        tools: { weather: slowWeather(1, false) },
        toolCallConcurrency: 1,
        stopWhen: ai.stepCountIs(3),
      })
      const result = await agent.stream({ prompt: WEATHER })
      expect(await result.text).toBe('The tool returned {"city":"Oslo","celsius":21}.')
      await tracer.flush()
      oneTrace(exporter.spans)
      const call = callSpan(exporter.spans)
      const steps = llmSpans(exporter.spans)
      const [tool] = tools(exporter.spans)
      expect(steps.map((s) => s.parentSpanId)).toEqual([call.spanId, call.spanId])
      expect(tool!.parentSpanId).toBe(steps[0]!.spanId)
      expect(call.status).toBe('ok')
      expect(call.attributes[CALL_ATTR.inputTokens]).toBe(
        steps.reduce((sum, s) => sum + (s.attributes['gen_ai.usage.input_tokens'] as number), 0),
      )
    } finally {
      await server.close()
    }
  })
})

describe.each(['generateText', 'streamText'] as const)('ai@7 %s prepareStep', (mode) => {
  it('a step given another model and settings (7.0.42, 7.0.106): its LLM span names them, the call keeps its own', async () => {
    const server = await startMockOpenAI()
    try {
      const { tracer, exporter } = setup()
      const openai = createOpenAI({ baseURL: server.url, apiKey: 'sk-test-not-a-real-key' })
      const wrap = (id: string) =>
        ai.wrapLanguageModel({ model: openai.chat(id), middleware: tracingMiddleware({ tracer }) })
      const out = await run(mode, {
        model: wrap('gpt-4o'),
        prompt: WEATHER,
        temperature: 0.5,
        stopWhen: ai.stepCountIs(3),
        tools: { weather: slowWeather(1, false) },
        prepareStep: ({ stepNumber }: { stepNumber: number }) =>
          stepNumber === 1
            ? { model: wrap('gpt-4o-mini'), maxOutputTokens: 77, temperature: 0.1 }
            : undefined,
      })
      expect(out.text).toBe('The tool returned {"city":"Oslo","celsius":21}.')
      await tracer.flush()
      oneTrace(exporter.spans)
      const call = callSpan(exporter.spans)
      const steps = llmSpans(exporter.spans)
      expect(steps.map((s) => s.name)).toEqual(['chat gpt-4o', 'chat gpt-4o-mini'])
      expect(steps.map((s) => s.parentSpanId)).toEqual([call.spanId, call.spanId])
      expect(steps[0]!.attributes['gen_ai.request.temperature']).toBe(0.5)
      expect(steps[1]!.attributes['gen_ai.request.temperature']).toBe(0.1)
      expect(steps[1]!.attributes['gen_ai.request.max_tokens']).toBe(77)
      expect(steps[1]!.attributes['gen_ai.response.model']).toBe('gpt-4o-mini')
      expect(call.name).toBe(`${mode} gpt-4o`)
      expect(call.attributes['tokentrail.call.steps']).toBe(2)
    } finally {
      await server.close()
    }
  })
})

it('ai@7 Anthropic heartbeats (includePings, 7.0.163): pings before the text do not count as its first chunk; the user gets the same text', async () => {
  const ping = event('ping', { type: 'ping' })
  const server = await serveWire(() => ({
    sse: [
      event('message_start', {
        type: 'message_start',
        message: {
          id: 'msg_1',
          type: 'message',
          role: 'assistant',
          model: 'claude-sonnet-4-5-20250929',
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 12, output_tokens: 1 },
        },
      }),
      ping,
      250,
      ping,
      event('content_block_start', {
        type: 'content_block_start',
        index: 0,
        content_block: { type: 'text', text: '' },
      }),
      event('content_block_delta', {
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'text_delta', text: 'Hello' },
      }),
      event('content_block_stop', { type: 'content_block_stop', index: 0 }),
      event('message_delta', {
        type: 'message_delta',
        delta: { stop_reason: 'end_turn', stop_sequence: null },
        usage: { output_tokens: 3 },
      }),
      event('message_stop', { type: 'message_stop' }),
    ],
  }))
  const { tracer, exporter } = setup()
  const model = ai.wrapLanguageModel({
    model: createAnthropic({ baseURL: `${server.url}/v1`, apiKey: KEYS.anthropic })(
      'claude-sonnet-4-5',
    ),
    middleware: tracingMiddleware({ tracer }),
  })
  const types: string[] = []
  const result = ai.streamText({
    model,
    prompt: 'hi',
    providerOptions: { anthropic: { includePings: true } },
  })
  for await (const part of result.fullStream) types.push(part.type)
  // The user's stream has the pings, as without tracing.
  expect(types.filter((type) => type === 'ping')).toHaveLength(2)
  expect(await result.text).toBe('Hello')
  await tracer.flush()
  oneTrace(exporter.spans)
  const [step] = llmSpans(exporter.spans)
  expect(step!.status).toBe('ok')
  expect(step!.attributes['gen_ai.usage.output_tokens']).toBe(3)
  // The first text came after the 250 ms between the pings.
  expect(step!.attributes['gen_ai.response.time_to_first_chunk']).toBeGreaterThanOrEqual(0.25)
  expect(callSpan(exporter.spans).status).toBe('ok')
})

// One chat completions answer for every request: `message` with `finish`.
function answerServer(message: Record<string, unknown>, finish: string) {
  return serveWire((_path, body) =>
    body.stream
      ? { sse: [chunk({ role: 'assistant', ...message }), chunk({}, finish), 'data: [DONE]\n\n'] }
      : {
          json: {
            id: 'c1',
            object: 'chat.completion',
            created: 1,
            model: 'gpt-4o',
            choices: [
              {
                index: 0,
                message: { role: 'assistant', content: null, ...message },
                finish_reason: finish,
              },
            ],
          },
        },
  )
}
const weatherCall = {
  tool_calls: [
    {
      index: 0,
      id: 'call_a',
      type: 'function',
      function: { name: 'weather', arguments: '{"city":"Oslo"}' },
    },
  ],
}

describe.each(['generateText', 'streamText'] as const)(
  'ai@7 %s: tools the SDK does not run',
  (mode) => {
    for (const finish of ['length', 'content_filter']) {
      it(`a tool call in an answer cut by ${finish} (7.0.70): not run, no tool span, the finish reason said`, async () => {
        const server = await answerServer(weatherCall, finish)
        const { tracer, exporter, model } = traced(server.url)
        let ran = false
        const weather = ai.tool({
          inputSchema: z.object({ city: z.string() }),
          execute: async () => {
            ran = true
            return 1
          },
        })
        const out = await run(mode, {
          model,
          prompt: 'w',
          stopWhen: ai.stepCountIs(3),
          tools: { weather },
        })
        expect(out.finishReason).toBe(finish === 'length' ? 'length' : 'content-filter')
        expect(ran).toBe(false)
        await tracer.flush()
        oneTrace(exporter.spans)
        expect(tools(exporter.spans)).toHaveLength(0)
        const call = callSpan(exporter.spans)
        expect(call.status).toBe('ok')
        expect(call.attributes[CALL_ATTR.finishReason]).toBe(finish)
        expect(call.attributes['tokentrail.call.tool_calls']).toBe(1)
      })
    }

    it("toolChoice 'required' answered in text: the call is an error, as the user saw", async () => {
      const server = await answerServer({ content: 'no tools today' }, 'stop')
      const { tracer, exporter, model } = traced(server.url)
      const args = {
        model,
        prompt: 'w',
        toolChoice: 'required' as const,
        tools: { weather: slowWeather(1, false) },
      }
      if (mode === 'generateText')
        await expect(ai.generateText(args)).rejects.toMatchObject({
          name: 'AI_ToolChoiceViolationError',
        })
      else {
        const result = ai.streamText({ ...args, onError: () => {} })
        await result.consumeStream()
        expect(await result.finishReason).toBe('error')
      }
      await tracer.flush()
      oneTrace(exporter.spans)
      expect(llmSpans(exporter.spans)[0]!.status).toBe('ok')
      expect(callSpan(exporter.spans).status).toBe('error')
    })
  },
)

it('ai@7 experimental_toolCallers (a local caller runs a tool only it may call): the caller is a tool span with its input and result, one trace', async () => {
  const server = await serveWire((_path, body) =>
    body.messages.some((m: any) => m.role === 'tool')
      ? {
          sse: [
            chunk({ role: 'assistant', content: 'done' }),
            chunk({}, 'stop'),
            'data: [DONE]\n\n',
          ],
        }
      : {
          sse: [
            chunk({
              role: 'assistant',
              tool_calls: [
                {
                  index: 0,
                  id: 'call_code',
                  type: 'function',
                  function: { name: 'code', arguments: '{"cities":["Oslo","Rome"]}' },
                },
              ],
            }),
            chunk({}, 'tool_calls'),
            'data: [DONE]\n\n',
          ],
        },
  )
  const { tracer, exporter, model } = traced(server.url)
  const weather = ai.tool({
    description: 'weather of a city',
    inputSchema: z.object({ city: z.string() }),
    execute: async ({ city }) => ({ city, celsius: 21 }),
  })
  const input = z.object({ cities: z.array(z.string()) })
  const code = ai.experimental_toolCaller(
    ai.tool({ description: 'run code', inputSchema: input, execute: async () => 'unbound' }),
    {
      type: 'local',
      bind: (bound: any) =>
        ai.tool({
          description: 'run code',
          inputSchema: input,
          execute: async ({ cities }, options) =>
            Promise.all(
              cities.map((city, i) =>
                bound.weather.execute({ city }, { ...options, toolCallId: `inner_${i}` }),
              ),
            ),
        }),
    },
  )
  const result = ai.streamText({
    model,
    prompt: 'Weather?',
    stopWhen: ai.stepCountIs(3),
    tools: { weather, code },
    experimental_toolCallers: { weather: ['code'] },
  })
  expect(await result.text).toBe('done')
  const steps = await result.steps
  expect(steps[0]!.toolResults.map((r: any) => r.output)).toEqual([
    [
      { city: 'Oslo', celsius: 21 },
      { city: 'Rome', celsius: 21 },
    ],
  ])
  await tracer.flush()
  oneTrace(exporter.spans)
  // The SDK sends no event for the calls the caller makes itself: they are inside its span.
  const [span, ...more] = tools(exporter.spans)
  expect(more).toHaveLength(0)
  expect(span!.name).toBe('execute_tool code')
  expect(span!.parentSpanId).toBe(llmSpans(exporter.spans)[0]!.spanId)
  expect(span!.attributes[ATTR.toolCallArguments]).toBe('{"cities":["Oslo","Rome"]}')
  expect(span!.attributes[ATTR.toolCallResult]).toBe(
    '[{"city":"Oslo","celsius":21},{"city":"Rome","celsius":21}]',
  )
})
