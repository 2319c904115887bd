import { createTracer } from '@tokentrail/core'
import { memoryExporter, memoryMetricExporter } from '@tokentrail/core/testing'
import { generateText, streamText } from 'ai'
import { convertArrayToReadableStream, MockLanguageModelV4 } from 'ai/test'
import { describe, expect, it } from 'vitest'
import { traceModel } from '../src/index.js'
import { textParts, usage } from './helpers.js'

describe('GenAI metrics from traced calls (real generateText / streamText)', () => {
  it('N calls with known usage give exact token histograms, call counts and cost', async () => {
    const metrics = memoryMetricExporter()
    const tracer = createTracer({
      exporters: [memoryExporter()],
      metrics: { exporters: [metrics] },
    })
    const generating = traceModel(
      new MockLanguageModelV4({
        provider: 'openai.chat',
        modelId: 'gpt-4o',
        doGenerate: async () => ({
          content: [{ type: 'text', text: 'hi' }],
          finishReason: { unified: 'stop', raw: 'stop' },
          usage: usage(100, 20, { cacheRead: 40 }),
          warnings: [],
        }),
      }),
      { tracer },
    )
    const streaming = traceModel(
      new MockLanguageModelV4({
        provider: 'openai.chat',
        modelId: 'gpt-4o',
        doStream: async () => ({
          stream: convertArrayToReadableStream(
            textParts(['a', 'b', 'c'], { usage: usage(7, 3), modelId: 'gpt-4o' }),
          ),
        }),
      }),
      { tracer },
    )
    for (let i = 0; i < 4; i++) await generateText({ model: generating, prompt: 'hello' })
    for (let i = 0; i < 3; i++)
      await streamText({ model: streaming, prompt: 'hello' }).consumeStream()
    await tracer.flush()

    const tokens = metrics.metric('gen_ai.client.token.usage')!.points as any[]
    const sumOf = (type: string) =>
      tokens
        .filter((p) => p.attributes['gen_ai.token.type'] === type)
        .reduce((n, p) => n + p.sum, 0)
    const countOf = (type: string) =>
      tokens
        .filter((p) => p.attributes['gen_ai.token.type'] === type)
        .reduce((n, p) => n + p.count, 0)
    expect(countOf('input')).toBe(7)
    expect(sumOf('input')).toBe(4 * 100 + 3 * 7)
    expect(sumOf('output')).toBe(4 * 20 + 3 * 3)
    expect(sumOf('cached_input')).toBe(4 * 40)
    expect(tokens[0].attributes['gen_ai.request.model']).toBe('gpt-4o')

    const calls = metrics.metric('tokentrail.llm.calls')!.points as any[]
    expect(calls.reduce((n, p) => n + p.value, 0)).toBe(7)
    const ttft = metrics.metric('gen_ai.client.operation.time_to_first_chunk')!.points as any[]
    expect(ttft.reduce((n, p) => n + p.count, 0)).toBe(3) // streams only
    const cost = metrics.metric('tokentrail.llm.cost')!.points as any[]
    expect(cost.reduce((n, p) => n + p.value, 0)).toBeGreaterThan(0)
  })
})
