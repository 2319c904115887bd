import { setFlagsFromString } from 'node:v8'
import { generateText, stepCountIs, streamText, tool, wrapLanguageModel } from 'ai'
import { MockLanguageModelV4 } from 'ai/test'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { tracingMiddleware, withTraceMetadata } from '../src/index.js'
import { gatedStream, setup, textParts, usage } from './helpers.js'

// V8's own answer, for functions compiled after the flag is set.
setFlagsFromString('--allow-natives-syntax')
const hasFastProperties = new Function('object', 'return %HasFastProperties(object)') as (
  object: object,
) => boolean

// A chat history long enough that every optional attribute of an LLM span is set.
const history = Array.from({ length: 6 }, (_, i) => ({
  role: i % 2 === 0 ? ('user' as const) : ('assistant' as const),
  content: `turn ${i}: ${'words '.repeat(20)}`,
}))

describe('the attributes of the spans the middleware writes', () => {
  // A dictionary-mode object (what ~17+ keys written through a variable make) is larger, slower to
  // build, and slower for the tracer's scrub and the OTLP encoder to walk.
  it('are fast objects, for generateText and streamText, with settings, metadata, tools and a second step', async () => {
    const { tracer, exporter } = setup()
    let calls = 0
    const model = wrapLanguageModel({
      model: new MockLanguageModelV4({
        doGenerate: async () => ({
          content:
            calls++ === 0
              ? [
                  {
                    type: 'tool-call',
                    toolCallId: 'c1',
                    toolName: 'weather',
                    input: '{"city":"Oslo"}',
                  },
                ]
              : [
                  { type: 'reasoning', text: 'thinking' },
                  { type: 'text', text: 'sunny' },
                ],
          finishReason:
            calls === 1
              ? { unified: 'tool-calls', raw: 'tool_calls' }
              : { unified: 'stop', raw: 'stop' },
          usage: usage(120, 30, { cacheRead: 20, reasoning: 5 }),
          warnings: [{ type: 'other', message: 'note' }],
          response: { id: `resp-${calls}`, modelId: 'gpt-4o-2024-08-06', timestamp: new Date(0) },
        }),
        doStream: async () => ({ stream: simulated(textParts(['Hello ', 'world'])) }),
      }),
      middleware: tracingMiddleware({
        tracer,
        metadata: { userId: 'u1', sessionId: 's1', tags: ['a'] },
      }),
    })
    const weather = tool({
      inputSchema: z.object({ city: z.string() }),
      execute: async ({ city }) => ({ city, celsius: 21 }),
    })
    const settings = {
      temperature: 0.2,
      maxOutputTokens: 256,
      topP: 0.9,
      seed: 7,
      stopSequences: ['END'],
    }
    await withTraceMetadata({ sessionId: 's2' }, () =>
      generateText({
        model,
        system: 'Be brief.',
        messages: [...history, { role: 'user', content: 'Weather in Oslo?' }],
        tools: { weather },
        stopWhen: stepCountIs(2),
        ...settings,
      }),
    )
    const streamed = streamText({ model, system: 'Be brief.', messages: history, ...settings })
    for await (const _ of streamed.textStream) {
    }
    await tracer.flush()
    const llm = exporter.spans.filter((s) => s.kind === 'llm')
    const callSpans = exporter.spans.filter(
      (s) => s.attributes['gen_ai.operation.name'] === 'invoke_agent',
    )
    expect(llm).toHaveLength(3)
    expect(callSpans).toHaveLength(2)
    for (const span of [...llm, ...callSpans]) {
      expect(Object.keys(span.attributes).length).toBeGreaterThan(8)
      expect(hasFastProperties(span.attributes)).toBe(true)
    }
    expect(Math.max(...llm.map((s) => Object.keys(s.attributes).length))).toBeGreaterThan(25)
  })

  it('record the tags and stop sequences a stream began with, when its caller changes them before it ends', async () => {
    const { tracer, exporter } = setup()
    let release = () => {}
    const gate = new Promise<void>((resolve) => (release = resolve))
    const { stream } = gatedStream(textParts(['Hello ', 'world']), 4, gate)
    const tags = ['chat']
    const stopSequences = ['END']
    const model = wrapLanguageModel({
      model: new MockLanguageModelV4({ doStream: async () => ({ stream }) }),
      middleware: tracingMiddleware({ tracer, metadata: { tags } }),
    })
    const iterator = streamText({ model, prompt: 'hi', stopSequences }).textStream[
      Symbol.asyncIterator
    ]()
    expect((await iterator.next()).value).toBe('Hello ')
    await new Promise((resolve) => setTimeout(resolve, 5))
    tags.push('later')
    stopSequences.push('LATER')
    release()
    while (!(await iterator.next()).done) {}
    await tracer.flush()
    const llm = exporter.span('chat mock-model-id')
    expect(llm.attributes['tokentrail.tags']).toEqual(['chat'])
    expect(llm.attributes['gen_ai.request.stop_sequences']).toEqual(['END'])
    expect(exporter.span('streamText mock-model-id').attributes['tokentrail.tags']).toEqual([
      'chat',
    ])
  })
})

function simulated<T>(parts: T[]): ReadableStream<T> {
  return new ReadableStream({
    start(controller) {
      for (const part of parts) controller.enqueue(part)
      controller.close()
    },
  })
}
