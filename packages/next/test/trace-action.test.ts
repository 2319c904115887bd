import { createTracer } from '@tokentrail/core'
import { generateText, wrapLanguageModel } from 'ai'
import { MockLanguageModelV4 } from 'ai/test'
import { notFound, permanentRedirect, redirect } from 'next/navigation.js'
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

  it("ends the span ok when the action ends with Next's redirect(), permanentRedirect() or notFound()", async () => {
    const { tracer, exporter } = testTracer()
    const thrown: unknown[] = []
    for (const [name, end] of [
      ['save', () => redirect('/done')],
      ['open', () => notFound()],
      ['moved', () => permanentRedirect('/new')],
    ] as const) {
      const act = traceAction(name, async () => end(), { tracer })
      // The very same throw reaches Next, which answers it.
      const error = await act().then(
        () => undefined,
        (e: unknown) => e,
      )
      expect((error as { digest?: unknown }).digest).toEqual(expect.any(String))
      thrown.push(error)
    }
    await vercel.settle()
    expect(exporter.span('action save')).toMatchObject({
      status: 'ok',
      attributes: { 'tokentrail.action.control_flow': 'redirect' },
    })
    expect(exporter.span('action open')).toMatchObject({
      status: 'ok',
      attributes: { 'tokentrail.action.control_flow': 'not_found' },
    })
    expect(exporter.span('action moved')).toMatchObject({
      status: 'ok',
      attributes: { 'tokentrail.action.control_flow': 'redirect' },
    })
    for (const span of exporter.spans) expect(span.error).toBeUndefined()
    expect(thrown).toHaveLength(3)
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
