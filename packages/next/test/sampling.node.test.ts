import { tracingMiddleware } from '@tokentrail/ai-sdk'
import {
  createTracer,
  getActiveSpan,
  SAMPLING_ATTR,
  type SpanData,
  type Tracer,
} from '@tokentrail/core'
import { memoryExporter, memoryMetricExporter } from '@tokentrail/core/testing'
import { generateText, simulateReadableStream, streamText, wrapLanguageModel } from 'ai'
import { MockLanguageModelV4 } from 'ai/test'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { withTracing } from '../src/index.js'
import { fakeVercelContext } from './helpers.js'

// 1,000 mixed requests through the real Next adapter (a real Request, waitUntil captured from
// Vercel's request context) and the real AI SDK with Tokentrail's middleware, at p = 0.1.
type Kind = 'error' | 'slow' | 'expensive' | 'cancelled' | 'normal'
const kindOf = (i: number): Kind =>
  (['error', 'slow', 'expensive', 'cancelled'] as const)[i % 10] ?? 'normal'
const SLOW_MS = 150
const N = 1000

const usageOf = (input: number, output: number) => ({
  inputTokens: { total: input, noCache: input, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: output, text: output, reasoning: undefined },
})
const TOKENS: Record<Kind, [number, number]> = {
  error: [0, 0],
  slow: [30, 10],
  expensive: [30_000, 2_000],
  cancelled: [0, 0],
  normal: [30, 10],
}

function model(tracer: Tracer, kind: Kind) {
  const [input, output] = TOKENS[kind]
  // The stream parts of LanguageModelV4 (the provider types are not a dependency here).
  const chunks: any[] = [
    { type: 'stream-start', warnings: [] },
    { type: 'text-start', id: 't' },
    ...['Hello', ' ', 'there', '!'].map((delta) => ({
      type: 'text-delta' as const,
      id: 't',
      delta,
    })),
    { type: 'text-end', id: 't' },
    {
      type: 'finish',
      usage: usageOf(input, output),
      finishReason: { unified: 'stop', raw: 'stop' },
    },
  ]
  const mock = new MockLanguageModelV4({
    modelId: 'gpt-4o',
    doGenerate: async () => {
      if (kind === 'error') throw new Error('model overloaded')
      return {
        content: [{ type: 'text', text: 'Hello there!' }],
        finishReason: { unified: 'stop', raw: 'stop' },
        usage: usageOf(input, output),
        warnings: [],
      }
    },
    doStream: async () => ({
      stream: simulateReadableStream({
        chunks,
        initialDelayInMs: kind === 'slow' ? SLOW_MS + 60 : 0,
        chunkDelayInMs: kind === 'cancelled' ? 20 : 0,
      }),
    }),
  })
  return wrapLanguageModel({ model: mock, middleware: tracingMiddleware({ tracer }) })
}

// One request's trace, whole: request span → AI SDK call span → LLM step span, no parent missing.
function expectWhole(spans: SpanData[], root: SpanData) {
  expect(spans).toHaveLength(3)
  const ids = new Set(spans.map((s) => s.spanId))
  for (const span of spans) if (span !== root) expect(ids.has(span.parentSpanId!)).toBe(true)
  expect(spans.filter((s) => s.kind === 'llm')).toHaveLength(1)
}

const ratio = (traceId: string) => Number.parseInt(traceId.slice(18), 16) / 2 ** 56

function sumOf(metrics: ReturnType<typeof memoryMetricExporter>, name: string, type?: string) {
  const metric = metrics.metric(name)
  if (!metric) return 0
  let total = 0
  for (const point of metric.points) {
    if (type !== undefined && point.attributes['gen_ai.token.type'] !== type) continue
    total += 'value' in point ? point.value : point.sum
  }
  return total
}

let vercel: ReturnType<typeof fakeVercelContext>
beforeEach(() => {
  vercel = fakeVercelContext()
})
afterEach(() => vercel.uninstall())

describe('trace-complete sampling through withTracing and the AI SDK', () => {
  it('1,000 mixed requests at p = 0.1: every error, slow, expensive and cancelled trace complete, ~10 % of the rest, metrics exact, flushed by waitUntil', async () => {
    const exporter = memoryExporter()
    const metrics = memoryMetricExporter()
    const tracer = createTracer({
      serviceName: 'next-sampling',
      exporters: [exporter],
      metrics: { exporters: [metrics] },
      flushIntervalMs: 600_000,
      maxQueueSize: 10_000,
      sampleRate: 0.1,
      sampling: { slowerThanMs: SLOW_MS, costAboveUsd: 0.05 },
    })
    const traceIds = new Map<number, string>()
    const POST = withTracing(
      async (request: Request) => {
        const i = Number(new URL(request.url).searchParams.get('i'))
        const kind = kindOf(i)
        traceIds.set(i, getActiveSpan()!.traceId)
        if (kind === 'error' || kind === 'expensive' || (kind === 'normal' && i % 2 === 1)) {
          const { text } = await generateText({
            model: model(tracer, kind),
            prompt: 'hi',
            maxRetries: 0,
          })
          return Response.json({ text })
        }
        return streamText({ model: model(tracer, kind), prompt: 'hi' }).toTextStreamResponse()
      },
      { tracer },
    )

    for (let wave = 0; wave < N; wave += 50) {
      await Promise.all(
        Array.from({ length: 50 }, async (_, j) => {
          const i = wave + j
          const kind = kindOf(i)
          const request = new Request(`https://app.example/api/chat?i=${i}`, { method: 'POST' })
          if (kind === 'error') {
            const error = await POST(request).catch((e: unknown) => e)
            expect((error as Error).message).toBe('model overloaded')
            return
          }
          const response = await POST(request)
          if (kind === 'cancelled') {
            const reader = response.body!.getReader()
            await reader.read()
            await reader.cancel()
          } else expect(await response.text()).toMatch(/Hello there!/)
        }),
      )
    }
    // Only the flushes handed to waitUntil: nothing else sends.
    expect(vercel.promises).toHaveLength(N)
    const outcomes = await vercel.settle()
    expect(outcomes.every((o) => o.status === 'fulfilled')).toBe(true)

    const byTrace = new Map<string, SpanData[]>()
    for (const span of exporter.spans) {
      const list = byTrace.get(span.traceId) ?? []
      list.push(span)
      byTrace.set(span.traceId, list)
    }
    let normals = 0
    let normalBelow = 0
    for (let i = 0; i < N; i++) {
      const kind = kindOf(i)
      const traceId = traceIds.get(i)!
      const spans = byTrace.get(traceId) ?? []
      const root = spans.find((s) => s.kind === 'http')
      const reason = root?.attributes[SAMPLING_ATTR.reason]
      const slowRoot = root !== undefined && root.endTime - root.startTime > SLOW_MS
      if (kind === 'normal') {
        normals++
        const below = ratio(traceId) < 0.1
        if (below) normalBelow++
        if (spans.length === 0 && !below) continue
        if (reason !== 'rate' || !below) expect(reason === 'slow' && slowRoot).toBe(true)
      } else {
        expect(root, `${kind} trace ${traceId} was not delivered`).toBeDefined()
        const expected = {
          error: 'error',
          slow: 'slow',
          expensive: 'cost',
          cancelled: 'cancelled',
        }[kind]
        if (reason !== expected) expect(reason === 'slow' && slowRoot).toBe(true)
      }
      expectWhole(spans, root!)
    }
    expect(normals).toBe(0.6 * N)
    const sd = Math.sqrt(normals * 0.1 * 0.9)
    expect(normalBelow).toBeGreaterThanOrEqual(normals * 0.1 - 6 * sd)
    expect(normalBelow).toBeLessThanOrEqual(normals * 0.1 + 6 * sd)

    await tracer.flush()
    expect(sumOf(metrics, 'tokentrail.llm.calls')).toBe(N)
    expect(sumOf(metrics, 'tokentrail.llm.errors')).toBe(N / 10)
    expect(sumOf(metrics, 'gen_ai.client.token.usage', 'input')).toBe(
      30 * 0.7 * N + 30_000 * 0.1 * N,
    )
    const stats = tracer.stats()
    expect(stats.sampling!.keptTraces + stats.sampling!.droppedTraces).toBe(N)
    expect(stats.sampling).toMatchObject({ openTraces: 0, bufferedSpans: 0 })
    expect(stats.exported + stats.notSampled).toBe(3 * N)
  }, 300_000)

  it('holds 1,000 open requests within a tight budget: oldest decided early, new ones at their start, metrics exact', async () => {
    const exporter = memoryExporter()
    const metrics = memoryMetricExporter()
    const budget = 300
    const tracer = createTracer({
      serviceName: 'next-sampling-open',
      exporters: [exporter],
      metrics: { exporters: [metrics] },
      flushIntervalMs: 600_000,
      maxQueueSize: 10_000,
      sampleRate: 0.1,
      sampling: { maxBufferedSpans: budget, maxBufferedBytes: budget * 2048 },
    })
    let openGate!: () => void
    const gate = new Promise<void>((resolve) => (openGate = resolve))
    const held = wrapLanguageModel({
      model: new MockLanguageModelV4({
        modelId: 'gpt-4o',
        doStream: async () => {
          await gate
          return {
            stream: simulateReadableStream({
              chunks: [
                { type: 'stream-start', warnings: [] },
                { type: 'text-start', id: 't' },
                { type: 'text-delta', id: 't', delta: 'late' },
                { type: 'text-end', id: 't' },
                {
                  type: 'finish',
                  usage: usageOf(5, 1),
                  finishReason: { unified: 'stop', raw: 'stop' },
                },
              ] as any[],
            }),
          }
        },
      }),
      middleware: tracingMiddleware({ tracer }),
    })
    const POST = withTracing(
      async () => {
        // One finished call (buffered) and a stream held open until the gate opens.
        await generateText({ model: model(tracer, 'normal'), prompt: 'hi' })
        return streamText({ model: held, prompt: 'hi' }).toTextStreamResponse()
      },
      { tracer },
    )
    let peak = 0
    const responses = await Promise.all(
      Array.from({ length: 1000 }, async () => {
        const response = await POST(new Request('https://app.example/api/chat', { method: 'POST' }))
        peak = Math.max(peak, tracer.stats().sampling!.bufferedSpans)
        return response
      }),
    )
    const open = tracer.stats().sampling!
    expect(peak).toBeLessThanOrEqual(budget)
    expect(open.bufferedBytes).toBeLessThanOrEqual(budget * 2048)
    expect(open.decidedEarly + open.headFallback).toBeGreaterThan(0)
    openGate()
    expect(await Promise.all(responses.map((r) => r.text()))).toEqual(Array(1000).fill('late'))
    await vercel.settle()
    expect(tracer.stats().sampling).toMatchObject({ openTraces: 0, bufferedSpans: 0 })
    await tracer.flush()
    expect(sumOf(metrics, 'tokentrail.llm.calls')).toBe(2000)
  }, 300_000)
})
