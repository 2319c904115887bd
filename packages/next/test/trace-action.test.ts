import { createTracer } from '@tokentrail/core'
import { generateText, wrapLanguageModel } from 'ai'
import { MockLanguageModelV4 } from 'ai/test'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { traceAction } from '../src/index.js'
import { fakeVercelContext, testTracer } from './helpers.js'

let vercel: ReturnType<typeof fakeVercelContext>
beforeEach(() => {
  vercel = fakeVercelContext()
})
afterEach(() => {
  vercel.uninstall()
})

function generatingModel(tracer: ReturnType<typeof testTracer>['tracer']) {
  const model = new MockLanguageModelV4({
    modelId: 'mock-1',
    doGenerate: async () => ({
      content: [{ type: 'text', text: 'A summary.' }],
      finishReason: { unified: 'stop', raw: 'stop' },
      usage: {
        inputTokens: { total: 4, noCache: 4, cacheRead: 0, cacheWrite: 0 },
        outputTokens: { total: 2, text: 2, reasoning: 0 },
      },
      warnings: [],
    }),
  })
  return wrapLanguageModel({
    model,
    middleware: {
      specificationVersion: 'v4',
      wrapGenerate: ({ doGenerate }: any) =>
        tracer.withSpan('chat mock-1', { kind: 'llm' }, doGenerate),
    } as any,
  })
}

describe('traceAction', () => {
  it('wraps a server action: model spans nest, the result passes through, waitUntil flushes', async () => {
    const { tracer, exporter } = testTracer()
    const summarize = traceAction(
      'summarize',
      async (text: string) =>
        (await generateText({ model: generatingModel(tracer), prompt: `Summarize ${text}` })).text,
      { tracer },
    )
    expect(await summarize('this')).toBe('A summary.')
    expect(vercel.promises).toHaveLength(1)
    await vercel.settle()
    const action = exporter.span('action summarize')
    const model = exporter.span('chat mock-1')
    expect(action.status).toBe('ok')
    expect(action.attributes['tokentrail.flush.via']).toBe('waitUntil')
    expect(model.parentSpanId).toBe(action.spanId)
  })

  it('rethrows the same error and still flushes the failed span', async () => {
    const { tracer, exporter } = testTracer()
    const failure = new RangeError('too long')
    const act = traceAction(
      'save',
      async () => {
        throw failure
      },
      { tracer },
    )
    await expect(act()).rejects.toBe(failure)
    await vercel.settle()
    expect(exporter.span('action save')).toMatchObject({
      status: 'error',
      error: { type: 'RangeError' },
    })
  })

  it('calls the action straight through when tracing is off, and names bad arguments', async () => {
    const tracer = createTracer({ enabled: false })
    const act = traceAction('noop', async (n: number) => n * 2, { tracer })
    expect(await act(21)).toBe(42)
    expect(vercel.promises).toHaveLength(0)
    expect(() => traceAction('', async () => 1)).toThrow(/name must be a non-empty string/)
    expect(() => traceAction('x', async () => 1, { flushTimeoutMs: 0 })).toThrow(/flushTimeoutMs/)
  })
})
