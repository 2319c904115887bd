import type { LanguageModelV4StreamPart } from '@ai-sdk/provider'
import { tracingMiddleware } from '@tokentrail/ai-sdk'
import {
  createTracer,
  injectTraceContext,
  SAMPLING_ATTR,
  type SpanData,
  type Tracer,
} from '@tokentrail/core'
import { encodeOtlpTraces } from '@tokentrail/core/otlp'
import { memoryExporter, memoryMetricExporter } from '@tokentrail/core/testing'
import { generateText, simulateReadableStream, streamText, wrapLanguageModel } from 'ai'
import { MockLanguageModelV4 } from 'ai/test'
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { tracing } from '../src/index.js'
import { deferred, executionContext } from './helpers.js'

// 1,000 mixed requests through the real Hono adapter and the real AI SDK with Tokentrail's own
// middleware, trace-complete sampling at p = 0.1.
type Kind = 'error' | 'slow' | 'expensive' | 'cancelled' | 'normal'
const kindOf = (i: number): Kind =>
  (['error', 'slow', 'expensive', 'cancelled'] as const)[i % 10] ?? 'normal'

const SLOW_MS = 150
const usageOf = (input: number, output: number) => ({
  inputTokens: { total: input, noCache: input, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: output, text: output, reasoning: undefined },
})
const TOKENS: Record<Kind, [number, number]> = {
  error: [0, 0],
  slow: [30, 10],
  // gpt-4o list price: 30,000 in + 2,000 out ≈ $0.095, over the $0.05 rule.
  expensive: [30_000, 2_000],
  cancelled: [0, 0],
  normal: [30, 10],
}

function mock(kind: Kind) {
  const [input, output] = TOKENS[kind]
  const chunks: LanguageModelV4StreamPart[] = [
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
  return new MockLanguageModelV4({
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
}

function model(tracer: Tracer, kind: Kind) {
  return wrapLanguageModel({ model: mock(kind), middleware: tracingMiddleware({ tracer }) })
}

function sampledApp(tracer: Tracer) {
  const app = new Hono()
  app.use('/api/*', tracing({ tracer, traceIdHeader: 'x-trace-id' }))
  app.onError((error, c) => c.text(error.message, 500))
  app.post('/api/chat/:kind/:mode', async (c) => {
    const kind = c.req.param('kind') as Kind
    if (c.req.param('mode') === 'generate') {
      const { text } = await generateText({
        model: model(tracer, kind),
        prompt: 'hi',
        maxRetries: 0,
      })
      return c.json({ text })
    }
    return streamText({ model: model(tracer, kind), prompt: 'hi' }).toTextStreamResponse()
  })
  return app
}

const modeOf = (kind: Kind, i: number) =>
  kind === 'error' || kind === 'expensive'
    ? 'generate'
    : kind === 'slow' || kind === 'cancelled'
      ? 'stream'
      : i % 2 === 0
        ? 'stream'
        : 'generate'

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

describe('trace-complete sampling through Hono and the AI SDK', () => {
  it('1,000 mixed requests at p = 0.1: every error, slow, expensive and cancelled trace complete, ~10 % of the rest, metrics exact', async () => {
    const exporter = memoryExporter()
    const metrics = memoryMetricExporter()
    const tracer = createTracer({
      serviceName: 'hono-sampling',
      exporters: [exporter],
      metrics: { exporters: [metrics] },
      flushIntervalMs: 600_000,
      maxQueueSize: 10_000,
      sampleRate: 0.1,
      sampling: { slowerThanMs: SLOW_MS, costAboveUsd: 0.05 },
    })
    const app = sampledApp(tracer)
    const context = executionContext()
    const requests: { kind: Kind; traceId: string }[] = []
    const N = Number(process.env.SAMPLING_N ?? 1000)
    for (let wave = 0; wave < N; wave += 50) {
      await Promise.all(
        Array.from({ length: 50 }, async (_, j) => {
          const i = wave + j
          const kind = kindOf(i)
          const response = await app.request(
            `/api/chat/${kind}/${modeOf(kind, i)}`,
            { method: 'POST' },
            {},
            context,
          )
          const traceId = response.headers.get('x-trace-id')!
          expect(traceId).toMatch(/^[0-9a-f]{32}$/)
          requests.push({ kind, traceId })
          if (kind === 'error') {
            expect(response.status).toBe(500)
            await response.text()
          } else if (kind === 'cancelled') {
            const reader = response.body!.getReader()
            await reader.read()
            await reader.cancel()
          } else expect(await response.text()).toMatch(/Hello there!/)
        }),
      )
    }
    // The flushes the adapter handed to waitUntil are all it takes.
    await Promise.all(context.promises)
    expect(requests).toHaveLength(N)

    const byTrace = new Map<string, SpanData[]>()
    for (const span of exporter.spans) {
      const list = byTrace.get(span.traceId) ?? []
      list.push(span)
      byTrace.set(span.traceId, list)
    }
    let normalBelow = 0
    let normals = 0
    for (const { kind, traceId } of requests) {
      const spans = byTrace.get(traceId) ?? []
      const root = spans.find((s) => s.kind === 'http')
      const reason = root?.attributes[SAMPLING_ATTR.reason]
      const slowRoot = root !== undefined && root.endTime - root.startTime > SLOW_MS
      if (kind === 'normal') {
        normals++
        const below = ratio(traceId) < 0.1
        if (below) normalBelow++
        // Kept exactly when the trace id falls under p, or (on a loaded machine) it really was slow.
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
      // Complete: the request span, the AI SDK call span and its LLM step span, every parent there.
      expectWhole(spans, root!)
      expect(root!.attributes[SAMPLING_ATTR.decision]).toBe('keep')
    }
    // Binomial(600, 0.1): mean 60, sd 7.3; outside ±6 sd about once in 10⁹ runs.
    expect(normals).toBe(0.6 * N)
    const sd = Math.sqrt(normals * 0.1 * 0.9)
    expect(normalBelow).toBeGreaterThanOrEqual(normals * 0.1 - 6 * sd)
    expect(normalBelow).toBeLessThanOrEqual(normals * 0.1 + 6 * sd)

    // Metrics count all 1,000 calls, kept or not.
    await tracer.flush()
    expect(sumOf(metrics, 'tokentrail.llm.calls')).toBe(N)
    expect(sumOf(metrics, 'tokentrail.llm.errors')).toBe(N / 10)
    expect(sumOf(metrics, 'gen_ai.client.token.usage', 'input')).toBe(
      30 * 0.7 * N + 30_000 * 0.1 * N,
    )
    const stats = tracer.stats()
    expect(stats.sampling!.keptTraces + stats.sampling!.droppedTraces).toBe(N)
    expect(stats.sampling).toMatchObject({ openTraces: 0, bufferedSpans: 0, spanCapDrops: 0 })
    expect(stats.exported).toBe(exporter.spans.length)
    expect(stats.exported + stats.notSampled).toBe(3 * N)
  }, 300_000)

  it('holds 1,000 open traces within its budget, and all of them whole when the budget allows', async () => {
    for (const budget of [20_000, 300]) {
      const exporter = memoryExporter()
      const metrics = memoryMetricExporter()
      const tracer = createTracer({
        serviceName: 'hono-sampling-open',
        exporters: [exporter],
        metrics: { exporters: [metrics] },
        flushIntervalMs: 600_000,
        maxQueueSize: 10_000,
        sampleRate: 0.1,
        sampling: { maxBufferedSpans: budget, maxBufferedBytes: budget * 2048 },
      })
      const gate = deferred()
      const app = new Hono()
      app.use('/api/*', tracing({ tracer }))
      app.post('/api/open', async () => {
        // One finished call (buffered), then a stream held open until the gate opens.
        await generateText({ model: model(tracer, 'normal'), prompt: 'hi' })
        const held = wrapLanguageModel({
          model: new MockLanguageModelV4({
            modelId: 'gpt-4o',
            doStream: async (options) => {
              await gate.promise
              return mock('normal').doStream(options)
            },
          }),
          middleware: tracingMiddleware({ tracer }),
        })
        return streamText({ model: held, prompt: 'hi' }).toTextStreamResponse()
      })
      const context = executionContext()
      let peak = 0
      const responses = await Promise.all(
        Array.from({ length: 1000 }, async () => {
          const response = await app.request('/api/open', { method: 'POST' }, {}, context)
          peak = Math.max(peak, tracer.stats().sampling!.bufferedSpans)
          return response
        }),
      )
      const open = tracer.stats().sampling!
      expect(peak).toBeLessThanOrEqual(budget)
      expect(open.bufferedBytes).toBeLessThanOrEqual(budget * 2048)
      if (budget === 20_000) {
        expect(open.openTraces).toBe(1000)
        // The finished generateText of each: its call span and LLM step span.
        expect(open.bufferedSpans).toBe(2000)
        expect(open.decidedEarly + open.headFallback).toBe(0)
      } else expect(open.decidedEarly + open.headFallback).toBeGreaterThan(0)
      gate.resolve()
      await Promise.all(responses.map((r) => r.text()))
      await Promise.all(context.promises)
      await tracer.flush()
      const done = tracer.stats().sampling!
      expect(done).toMatchObject({ openTraces: 0, bufferedSpans: 0, bufferedBytes: 0 })
      expect(sumOf(metrics, 'tokentrail.llm.calls')).toBe(2000)
      if (budget === 20_000) {
        // Nothing was decided early: every kept trace has all its spans (request, then a call
        // span and an LLM step span for each of the two model calls).
        const counts = new Map<string, number>()
        for (const s of exporter.spans) counts.set(s.traceId, (counts.get(s.traceId) ?? 0) + 1)
        for (const n of counts.values()) expect(n).toBe(5)
        expect(counts.size).toBe(done.keptTraces)
      }
    }
  }, 300_000)
})

describe('redaction through Hono and the AI SDK', () => {
  it('takes configured values out of every exported span and the OTLP bytes, while the app and the client see them unchanged', async () => {
    const exporter = memoryExporter()
    const tracer = createTracer({
      serviceName: 'hono-redaction',
      exporters: [exporter],
      flushIntervalMs: 600_000,
      metrics: false,
      redaction: { patterns: [{ name: 'ORDER', pattern: /ORD-\d{6}/ }] },
    })
    const secrets = [
      'jane.doe@example.com',
      '4111 1111 1111 1111',
      '+1 415-555-2671',
      'ORD-123456',
      '203.0.113.7',
    ]
    const answer = `Call ${secrets[2]} about ${secrets[3]}.`
    const streamed = wrapLanguageModel({
      model: new MockLanguageModelV4({
        modelId: 'gpt-4o',
        doStream: async () => ({
          stream: simulateReadableStream({
            chunks: [
              { type: 'stream-start', warnings: [] },
              { type: 'text-start', id: 't' },
              { type: 'text-delta', id: 't', delta: answer },
              { type: 'text-end', id: 't' },
              {
                type: 'finish',
                usage: usageOf(12, 8),
                finishReason: { unified: 'stop', raw: 'stop' },
              },
            ] as LanguageModelV4StreamPart[],
          }),
        }),
      }),
      middleware: tracingMiddleware({ tracer }),
    })
    const app = new Hono()
    app.use('/api/*', tracing({ tracer, traceIdHeader: 'x-trace-id' }))
    const seenByApp: string[] = []
    app.post('/api/support', async (c) => {
      const { message } = (await c.req.json()) as { message: string }
      seenByApp.push(message)
      c.var.span.setAttribute('client.address', secrets[4])
      const result = streamText({
        model: streamed,
        messages: [{ role: 'user', content: message }],
      })
      return result.toTextStreamResponse()
    })
    const message = `I am ${secrets[0]}, card ${secrets[1]}, order ${secrets[3]}`
    const context = executionContext()
    const response = await app.request(
      '/api/support',
      { method: 'POST', body: JSON.stringify({ message }) },
      {},
      context,
    )
    // The client gets the model's words as they were; the app saw the message as sent.
    expect(await response.text()).toBe(answer)
    expect(seenByApp).toEqual([message])
    await Promise.all(context.promises)

    const spans = exporter.trace(response.headers.get('x-trace-id')!)
    expect(spans.map((s) => s.kind).sort()).toEqual(['http', 'internal', 'llm'])
    const call = spans.find((s) => s.kind === 'llm')!
    expect(call.attributes['gen_ai.input.messages']).toContain('[EMAIL]')
    expect(call.attributes['gen_ai.input.messages']).toContain('[CREDIT_CARD]')
    const bytes = new TextEncoder().encode(encodeOtlpTraces(spans))
    const text = new TextDecoder().decode(bytes)
    for (const secret of secrets) expect(text).not.toContain(secret)
    // Counted per rule (how often depends on how many attributes carry the text).
    const counts = tracer.stats().redaction!
    for (const rule of ['email', 'creditCard', 'phone', 'ORDER', 'ip'])
      expect(counts[rule], rule).toBeGreaterThanOrEqual(1)
  })
})

describe('text sampling through Hono and the AI SDK', () => {
  it('with text rate 0 keeps the numbers of every kept trace, and prompt and output text only for traces with an error', async () => {
    const exporter = memoryExporter()
    const tracer = createTracer({
      serviceName: 'hono-text-sampling',
      exporters: [exporter],
      flushIntervalMs: 600_000,
      metrics: false,
      sampleRate: 1,
      sampling: { text: { rate: 0 } },
    })
    const replying = (reply: string) =>
      wrapLanguageModel({
        model: new MockLanguageModelV4({
          modelId: 'gpt-4o',
          doGenerate: async () => ({
            content: [{ type: 'text', text: reply }],
            finishReason: { unified: 'stop', raw: 'stop' },
            usage: usageOf(12, 8),
            warnings: [],
          }),
        }),
        middleware: tracingMiddleware({ tracer }),
      })
    const app = new Hono()
    app.use('/api/*', tracing({ tracer, traceIdHeader: 'x-trace-id' }))
    app.onError((error, c) => c.text(error.message, 500))
    app.post('/api/:outcome', async (c) => {
      const outcome = c.req.param('outcome')
      const { text } = await generateText({
        model: replying(`reply-${outcome}-7c1e`),
        prompt: `prompt-${outcome}-5b2f`,
      })
      if (outcome === 'fails') throw new Error('after the model')
      return c.text(text)
    })
    const context = executionContext()
    const ok = await app.request('/api/works', { method: 'POST' }, {}, context)
    expect(await ok.text()).toBe('reply-works-7c1e')
    const failed = await app.request('/api/fails', { method: 'POST' }, {}, context)
    expect(failed.status).toBe(500)
    await failed.text()
    await Promise.all(context.promises)

    const okSpans = exporter.trace(ok.headers.get('x-trace-id')!)
    const failedSpans = exporter.trace(failed.headers.get('x-trace-id')!)
    expect(okSpans).toHaveLength(3)
    expect(failedSpans).toHaveLength(3)
    const okJson = JSON.stringify(okSpans)
    expect(okJson).not.toContain('prompt-works-5b2f')
    expect(okJson).not.toContain('reply-works-7c1e')
    const okCall = okSpans.find((s) => s.kind === 'llm')!
    expect(okCall.attributes['gen_ai.usage.input_tokens']).toBe(12)
    expect(okCall.attributes['gen_ai.usage.output_tokens']).toBe(8)
    const okRoot = okSpans.find((s) => s.kind === 'http')!
    expect(okRoot.attributes[SAMPLING_ATTR.text]).toBe(false)
    const failedJson = JSON.stringify(failedSpans)
    expect(failedJson).toContain('prompt-fails-5b2f')
    expect(failedJson).toContain('reply-fails-7c1e')
    expect(tracer.stats().sampling!.textLeftOut).toBe(1)
  })
})

describe('what a child service sees', () => {
  it('a trace-complete caller sends sampled=1 with tokentrail=tc; a trace-complete child decides for itself, a head-sampling child records all', async () => {
    const make = (name: string, sampling: false | object) => {
      const exporter = memoryExporter()
      const tracer = createTracer({
        serviceName: name,
        exporters: [exporter],
        flushIntervalMs: 600_000,
        metrics: false,
        sampleRate: 0,
        sampling: sampling as never,
      })
      return { exporter, tracer }
    }
    const caller = make('caller', {})
    const tcChild = make('child-trace-complete', {})
    const headChild = make('child-head', false)
    const seen: { traceparent: string | null; tracestate: string | null }[] = []
    const childApp = (tracer: Tracer) => {
      const app = new Hono()
      app.use('*', tracing({ tracer }))
      app.onError((error, c) => c.text(error.message, 500))
      app.get('/work/:outcome', (c) => {
        seen.push({
          traceparent: c.req.header('traceparent') ?? null,
          tracestate: c.req.header('tracestate') ?? null,
        })
        if (c.req.param('outcome') === 'fail') throw new Error('child failed')
        return c.text('done')
      })
      return app
    }
    const children = { tc: childApp(tcChild.tracer), head: childApp(headChild.tracer) }
    const app = new Hono()
    app.use('*', tracing({ tracer: caller.tracer }))
    app.get('/call/:child/:outcome', async (c) => {
      const headers = injectTraceContext(new Headers(), c.var.span)
      const child = children[c.req.param('child') as 'tc' | 'head']
      const response = await child.request(`/work/${c.req.param('outcome')}`, { headers })
      return c.text(await response.text())
    })
    for (const path of ['/call/tc/ok', '/call/tc/fail', '/call/head/ok'])
      await (await app.request(path)).text()
    for (const { tracer } of [caller, tcChild, headChild]) await tracer.flush()

    expect(seen).toHaveLength(3)
    for (const headers of seen) {
      expect(headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/)
      expect(headers.tracestate).toBe('tokentrail=tc')
    }
    // The caller (p = 0, no error of its own) kept none of its traces.
    expect(caller.exporter.spans).toHaveLength(0)
    // The trace-complete child kept only the trace where it failed, on its own rule.
    expect(tcChild.exporter.spans).toHaveLength(1)
    expect(tcChild.exporter.spans[0]!.attributes[SAMPLING_ATTR.reason]).toBe('error')
    // The head-sampling child honours sampled=1 and records everything.
    expect(headChild.exporter.spans).toHaveLength(1)
    expect(headChild.exporter.spans[0]!.traceState).toBe('tokentrail=tc')
  })
})
