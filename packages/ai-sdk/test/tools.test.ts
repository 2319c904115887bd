import type { LanguageModelV4StreamPart } from '@ai-sdk/provider'
import { ATTR } from '@tokentrail/core'
import { generateText, registerTelemetry, stepCountIs, streamText, tool } from 'ai'
import { convertArrayToReadableStream, MockLanguageModelV4 } from 'ai/test'
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { toolTelemetry, traceModel } from '../src/index.js'
import { outputParts, setup, textParts, usage } from './helpers.js'

function toolCallParts(id: string, name: string, input: string): LanguageModelV4StreamPart[] {
  return [
    { type: 'stream-start', warnings: [] },
    { type: 'tool-input-start', id, toolName: name },
    { type: 'tool-input-delta', id, delta: input },
    { type: 'tool-input-end', id },
    { type: 'tool-call', toolCallId: id, toolName: name, input },
    {
      type: 'finish',
      finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
      usage: usage(10, 5),
    },
  ]
}

const toolCallResult = (id: string, name: string, input: string) => ({
  content: [{ type: 'tool-call' as const, toolCallId: id, toolName: name, input }],
  finishReason: { unified: 'tool-calls' as const, raw: 'tool_calls' },
  usage: usage(10, 5),
  warnings: [],
})

const textResult = (text: string) => ({
  content: [{ type: 'text' as const, text }],
  finishReason: { unified: 'stop' as const, raw: 'stop' },
  usage: usage(30, 8),
  warnings: [],
})

afterEach(() => {
  delete (globalThis as any).AI_SDK_TELEMETRY_INTEGRATIONS
})

describe('tool loops', () => {
  it('streamText: numbered LLM spans and an execute_tool span under one parent', async () => {
    const { tracer, exporter } = setup()
    const model = traceModel(
      new MockLanguageModelV4({
        modelId: 'gpt-4o',
        doStream: [
          {
            stream: convertArrayToReadableStream(
              toolCallParts('call-1', 'weather', '{"city":"Paris"}'),
            ),
          },
          {
            stream: convertArrayToReadableStream(
              textParts(['It is ', '21°C.'], { usage: usage(30, 2) }),
            ),
          },
        ],
      }),
      { tracer },
    )
    const weather = tool({
      inputSchema: z.object({ city: z.string() }),
      execute: async ({ city }) => {
        await new Promise((r) => setTimeout(r, 15))
        return { city, celsius: 21 }
      },
    })
    const text = await tracer.withSpan('POST /api/chat', async () => {
      const result = streamText({
        model,
        prompt: 'Weather in Paris?',
        tools: { weather },
        stopWhen: stepCountIs(5),
        telemetry: { integrations: [toolTelemetry({ tracer })] },
      })
      return result.text
    })
    expect(text).toBe('It is 21°C.')
    await tracer.flush()
    const root = exporter.span('POST /api/chat')
    const llm = exporter.spans.filter((s) => s.kind === 'llm')
    const tools = exporter.spans.filter((s) => s.kind === 'tool')
    expect(llm.map((s) => s.attributes[ATTR.step])).toEqual([0, 1])
    expect(tools).toHaveLength(1)
    const call = exporter.span('streamText gpt-4o')
    expect(call.parentSpanId).toBe(root.spanId)
    for (const span of [...llm, ...tools]) expect(span.traceId).toBe(root.traceId)
    for (const span of llm) expect(span.parentSpanId).toBe(call.spanId)
    const [first, second] = llm
    // The tool runs under the step that asked for it.
    expect(tools[0].parentSpanId).toBe(first.spanId)
    expect(first.attributes[ATTR.responseFinishReasons]).toEqual(['tool_call'])
    expect(outputParts(first).filter((part) => part.type === 'tool_call')).toEqual([
      { type: 'tool_call', id: 'call-1', name: 'weather', arguments: '{"city":"Paris"}' },
    ])
    expect(first.attributes[ATTR.toolNames]).toEqual(['weather'])
    const toolSpan = tools[0]
    expect(toolSpan.name).toBe('execute_tool weather')
    expect(toolSpan.status).toBe('ok')
    expect(toolSpan.attributes).toMatchObject({
      [ATTR.operationName]: 'execute_tool',
      [ATTR.toolName]: 'weather',
      [ATTR.toolCallId]: 'call-1',
      [ATTR.toolCallArguments]: '{"city":"Paris"}',
      [ATTR.toolCallResult]: '{"city":"Paris","celsius":21}',
    })
    expect(toolSpan.endTime - toolSpan.startTime).toBeGreaterThanOrEqual(14)
    expect(toolSpan.startTime).toBeGreaterThanOrEqual(first.startTime)
    expect(second.startTime).toBeGreaterThanOrEqual(toolSpan.endTime)
    // Tokens and cost live on LLM spans only.
    expect(toolSpan.attributes[ATTR.usageInputTokens]).toBeUndefined()
    expect(toolSpan.attributes[ATTR.costUsd]).toBeUndefined()
    expect(first.attributes[ATTR.usageInputTokens]).toBe(10)
    expect(second.attributes[ATTR.usageInputTokens]).toBe(30)
  })

  it('generateText: a failing tool gets an error span, and the loop carries on', async () => {
    const { tracer, exporter } = setup()
    registerTelemetry(toolTelemetry({ tracer }))
    const model = traceModel(
      new MockLanguageModelV4({
        doGenerate: [
          toolCallResult('call-7', 'lookup', '{"id":7}'),
          textResult('Sorry, the lookup failed.'),
        ],
      }),
      { tracer },
    )
    const failure = new Error('database is down')
    const result = await generateText({
      model,
      prompt: 'Look up 7',
      tools: {
        lookup: tool({
          inputSchema: z.object({ id: z.number() }),
          execute: async (): Promise<string> => {
            throw failure
          },
        }),
      },
      stopWhen: stepCountIs(3),
    })
    expect(result.text).toBe('Sorry, the lookup failed.')
    expect(result.steps[0].content.find((p) => p.type === 'tool-error')).toMatchObject({
      error: failure,
    })
    await tracer.flush()
    const toolSpan = exporter.span('execute_tool lookup')
    expect(toolSpan.status).toBe('error')
    expect(toolSpan.error?.message).toBe('database is down')
    expect(toolSpan.attributes[ATTR.toolCallResult]).toBeUndefined()
    expect(
      exporter.spans.filter((s) => s.kind === 'llm').map((s) => s.attributes[ATTR.step]),
    ).toEqual([0, 1])
  })

  it('runs the tool inside its span, so model calls made by the tool nest under it', async () => {
    const { tracer, exporter } = setup()
    const inner = traceModel(
      new MockLanguageModelV4({ modelId: 'gpt-4o-mini', doGenerate: textResult('sub-answer') }),
      {
        tracer,
      },
    )
    const outer = traceModel(
      new MockLanguageModelV4({
        modelId: 'gpt-4o',
        doGenerate: [toolCallResult('call-1', 'research', '{"q":"x"}'), textResult('done')],
      }),
      { tracer },
    )
    await generateText({
      model: outer,
      prompt: 'research x',
      stopWhen: stepCountIs(3),
      telemetry: { integrations: [toolTelemetry({ tracer, recordOutputs: false })] },
      tools: {
        research: tool({
          inputSchema: z.object({ q: z.string() }),
          execute: async ({ q }) => (await generateText({ model: inner, prompt: q })).text,
        }),
      },
    })
    await tracer.flush()
    const toolSpan = exporter.span('execute_tool research')
    const nestedCall = exporter.span('generateText gpt-4o-mini')
    const nested = exporter.span('chat gpt-4o-mini')
    expect(nestedCall.parentSpanId).toBe(toolSpan.spanId)
    expect(nested.parentSpanId).toBe(nestedCall.spanId)
    expect(nested.traceId).toBe(toolSpan.traceId)
    expect(toolSpan.attributes[ATTR.toolCallResult]).toBeUndefined()
  })
})
