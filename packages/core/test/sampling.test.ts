import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  createTracer,
  extractTraceContext,
  injectTraceContext,
  SAMPLING_ATTR,
  type SpanData,
  TokentrailError,
  type TracerOptions,
} from '../src/index.js'
import { memoryExporter, memoryMetricExporter } from '../src/testing.js'

function setup(options: TracerOptions = {}) {
  const exporter = memoryExporter()
  const metrics = memoryMetricExporter()
  const tracer = createTracer({
    serviceName: 'sampling-test',
    exporters: [exporter],
    metrics: { exporters: [metrics] },
    flushIntervalMs: 600_000,
    sampleRate: 0,
    sampling: { slowerThanMs: 1000, costAboveUsd: 0.5, tokensAbove: 10_000 },
    ...options,
  })
  return { tracer, exporter, metrics }
}

// A request span with one LLM call beneath it, ended at the times given (pinned, not waited for).
function trace(
  tracer: ReturnType<typeof setup>['tracer'],
  llm: { status?: 'ok' | 'error' | 'cancelled'; attributes?: Record<string, unknown> } = {},
  durationMs = 10,
) {
  const start = 1_700_000_000_000
  const root = tracer.startSpan('POST /chat', { kind: 'http', startTime: start })
  const call = tracer.startSpan('chat m', {
    kind: 'llm',
    parent: root,
    startTime: start + 1,
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'm',
      'gen_ai.usage.input_tokens': 10,
      'gen_ai.usage.output_tokens': 5,
      'gen_ai.input.messages': '[{"role":"user","parts":[{"type":"text","content":"hi"}]}]',
      ...llm.attributes,
    },
  })
  if (llm.status === 'error') call.recordError(new Error('model failed'))
  call.end({ status: llm.status ?? 'ok', endTime: start + 2 })
  root.end({ endTime: start + durationMs })
  return root.traceId
}

function calls(metrics: ReturnType<typeof setup>['metrics']): number {
  const metric = metrics.metric('tokentrail.llm.calls')
  return metric?.type === 'sum' ? metric.points.reduce((n, p) => n + p.value, 0) : 0
}

afterEach(() => vi.unstubAllEnvs())

describe('trace-complete sampling', () => {
  it('keeps whole traces with an error, a cancelled call, a slow root, a high cost or many tokens, and records why on the root', async () => {
    const { tracer, exporter } = setup()
    const ids = {
      error: trace(tracer, { status: 'error' }),
      cancelled: trace(tracer, { status: 'cancelled' }),
      slow: trace(tracer, {}, 1500),
      cost: trace(tracer, { attributes: { 'tokentrail.cost.usd': 0.9 } }),
      tokens: trace(tracer, { attributes: { 'gen_ai.usage.input_tokens': 20_000 } }),
      normal: trace(tracer),
    }
    await tracer.flush()
    for (const reason of ['error', 'cancelled', 'slow', 'cost', 'tokens'] as const) {
      const spans = exporter.trace(ids[reason])
      expect(spans.map((s) => s.name).sort()).toEqual(['POST /chat', 'chat m'])
      const root = spans.find((s) => s.kind === 'http')!
      expect(root.attributes).toMatchObject({
        [SAMPLING_ATTR.decision]: 'keep',
        [SAMPLING_ATTR.reason]: reason,
        [SAMPLING_ATTR.decidedAt]: 'trace_complete',
        [SAMPLING_ATTR.weight]: 1,
      })
    }
    expect(exporter.trace(ids.normal)).toEqual([])
    const stats = tracer.stats()
    expect(stats.sampling).toMatchObject({
      keptTraces: 5,
      droppedTraces: 1,
      droppedSpans: 2,
      bufferedSpans: 0,
      openTraces: 0,
      kept: { error: 1, cancelled: 1, slow: 1, cost: 1, tokens: 1 },
    })
    expect(stats.notSampled).toBe(2)
  })

  it('keeps GenAI metrics exact for sampled-out traces', async () => {
    const { tracer, exporter, metrics } = setup()
    for (let i = 0; i < 20; i++) trace(tracer)
    await tracer.flush()
    expect(exporter.spans).toHaveLength(0)
    expect(calls(metrics)).toBe(20)
  })

  it('keeps the rest with probability sampleRate, decided by trace id like head sampling, with weight 1/rate', async () => {
    const { tracer, exporter } = setup({ sampleRate: 0.25 })
    const ids: string[] = []
    for (let i = 0; i < 400; i++) ids.push(trace(tracer))
    await tracer.flush()
    const ratio = (id: string) => Number.parseInt(id.slice(18), 16) / 2 ** 56
    for (const id of ids) expect(exporter.trace(id).length).toBe(ratio(id) < 0.25 ? 2 : 0)
    const kept = ids.filter((id) => ratio(id) < 0.25).length
    // Binomial(400, 0.25): mean 100, sd 8.7; ±6 sd fails about once in 10⁹ runs.
    expect(kept).toBeGreaterThan(100 - 52)
    expect(kept).toBeLessThan(100 + 52)
    const root = exporter.spans.find((s) => s.kind === 'http')!
    expect(root.attributes[SAMPLING_ATTR.reason]).toBe('rate')
    expect(root.attributes[SAMPLING_ATTR.weight]).toBe(4)
  })

  it('asks the user predicate with the whole trace, and survives a throwing one', async () => {
    const seen: number[] = []
    const debug = vi.fn()
    const { tracer, exporter } = setup({
      debug,
      sampling: {
        keep: (t) => {
          seen.push(t.spans.length)
          if (t.tokens === 16) throw new Error('bad predicate')
          return t.root?.attributes['user.id'] === 'vip'
        },
      },
    })
    const vip = tracer.startSpan('vip', { attributes: { 'user.id': 'vip' } })
    tracer.startSpan('child', { parent: vip }).end()
    vip.end()
    trace(tracer, { attributes: { 'gen_ai.usage.input_tokens': 11 } })
    await tracer.flush()
    expect(seen).toEqual([2, 2])
    expect(exporter.spans.map((s) => s.name).sort()).toEqual(['child', 'vip'])
    expect(exporter.span('vip').attributes[SAMPLING_ATTR.reason]).toBe('keep')
    expect(debug).toHaveBeenCalledWith('sampling.keep failed (reported once)', expect.any(Error))
  })

  it('holds spans until the root ends, then passes late children of a decided trace through', async () => {
    const { tracer, exporter } = setup({ sampleRate: 1 })
    const root = tracer.startSpan('root')
    const early = tracer.startSpan('early', { parent: root })
    const late = tracer.startSpan('late', { parent: root })
    early.end()
    await tracer.flush()
    expect(exporter.spans).toHaveLength(0)
    expect(tracer.stats().sampling).toMatchObject({ bufferedSpans: 1, openTraces: 1 })
    root.end()
    await tracer.flush()
    expect(exporter.spans.map((s) => s.name)).toEqual(['early', 'root'])
    late.end()
    await tracer.flush()
    expect(exporter.spans.map((s) => s.name)).toEqual(['early', 'root', 'late'])
    expect(tracer.stats().sampling!.openTraces).toBe(0)
  })

  it('caps spans per trace and counts the drops on the root', async () => {
    const { tracer, exporter } = setup({ sampleRate: 1, sampling: { maxSpansPerTrace: 3 } })
    const root = tracer.startSpan('root')
    for (let i = 0; i < 5; i++) tracer.startSpan(`c${i}`, { parent: root }).end()
    root.end()
    await tracer.flush()
    expect(exporter.spans.map((s) => s.name)).toEqual(['c0', 'c1', 'c2', 'root'])
    expect(exporter.span('root').attributes[SAMPLING_ATTR.spansDropped]).toBe(2)
    expect(tracer.stats().sampling!.spanCapDrops).toBe(2)
  })

  // The first failed span past the cap was cut with the others: a long run that failed late was
  // decided as if nothing had failed, and dropped whole at a low rate.
  it('keeps a trace whose first failure comes past the cap, and sends that failed span', async () => {
    const { tracer, exporter } = setup({ sampleRate: 0, sampling: { maxSpansPerTrace: 5 } })
    const root = tracer.startSpan('agent run')
    for (let i = 0; i < 6; i++) tracer.startSpan(`step ${i}`, { parent: root }).end()
    tracer.startSpan('failed step', { parent: root }).end({ status: 'error' })
    tracer.startSpan('second failure', { parent: root }).end({ status: 'error' })
    root.end()
    await tracer.flush()
    expect(exporter.spans.map((s) => s.name)).toEqual([
      'step 0',
      'step 1',
      'step 2',
      'step 3',
      'step 4',
      'failed step',
      'agent run',
    ])
    expect(exporter.span('agent run').attributes).toMatchObject({
      [SAMPLING_ATTR.reason]: 'error',
      [SAMPLING_ATTR.spansDropped]: 2,
    })
    expect(tracer.stats().sampling!.spanCapDrops).toBe(2)
  })

  it('says once, as the root of a kept trace goes out, that spans over the cap were left out', async () => {
    const warnings: string[] = []
    const { tracer, exporter } = setup({
      sampleRate: 1,
      sampling: { maxSpansPerTrace: 3 },
      warnings: (message) => warnings.push(message),
    })
    for (const name of ['first', 'second']) {
      const root = tracer.startSpan(name)
      for (let i = 0; i < 5; i++) tracer.startSpan(`${name} ${i}`, { parent: root }).end()
      root.end()
      // No tick in between: said by the time the flush resolves.
      await tracer.flush()
    }
    expect(exporter.spans.filter((s) => s.name === 'first' || s.name === 'second')).toHaveLength(2)
    expect(tracer.stats().sampling!.spanCapDrops).toBe(4)
    expect(warnings).toEqual([
      `2 spans of a kept trace dropped: it had more than sampling.maxSpansPerTrace (3) spans waiting for its decision, so it is sent without them (its root says how many in ${SAMPLING_ATTR.spansDropped}). A larger maxSpansPerTrace keeps more; tracer.stats().sampling.spanCapDrops counts them.`,
    ])
  })

  it('says nothing of spans over the cap in a trace sampled out', async () => {
    const warnings: string[] = []
    const { tracer } = setup({
      sampleRate: 0,
      sampling: { maxSpansPerTrace: 3 },
      warnings: (message) => warnings.push(message),
    })
    const root = tracer.startSpan('dull')
    for (let i = 0; i < 5; i++) tracer.startSpan(`c${i}`, { parent: root }).end()
    root.end()
    await tracer.flush()
    expect(tracer.stats().sampling!.spanCapDrops).toBe(2)
    expect(warnings).toEqual([])
  })

  it('stays within its span budget with many open traces: decides the oldest early, then new ones at their start', async () => {
    const { tracer, exporter, metrics } = setup({
      sampleRate: 0,
      sampling: { maxBufferedSpans: 50 },
    })
    // The sampler loads by import() when the tracer is made; this synchronous loop measures its
    // budget, so it starts once the sampler is there (spans before that are held, then replayed).
    await tracer.flush()
    const roots = []
    let maxBuffered = 0
    for (let i = 0; i < 200; i++) {
      const root = tracer.startSpan('root')
      for (let j = 0; j < 3; j++) {
        const call = tracer.startSpan('chat m', {
          kind: 'llm',
          parent: root,
          attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'm' },
        })
        if (i === 199 && j === 2) call.recordError(new Error('late failure'))
        call.end()
      }
      roots.push(root)
      maxBuffered = Math.max(maxBuffered, tracer.stats().sampling!.bufferedSpans)
    }
    expect(maxBuffered).toBeLessThanOrEqual(50)
    const stats = tracer.stats().sampling!
    expect(stats.decidedEarly).toBeGreaterThan(0)
    expect(stats.headFallback).toBeGreaterThan(0)
    for (const root of roots) root.end()
    await tracer.flush()
    expect(calls(metrics)).toBe(600)
    expect(tracer.stats().sampling!.openTraces).toBe(0)
    // The last trace was decided at its start (over budget, p = 0): its failed call still leaves
    // its own span, marked partial; the rest of that trace is not exported.
    const failed = exporter.spans.filter((s) => s.status === 'error')
    expect(failed).toHaveLength(1)
    expect(failed[0]!.attributes[SAMPLING_ATTR.partial]).toBe(true)
    expect(exporter.trace(failed[0]!.traceId)).toHaveLength(1)
    expect(tracer.stats().sampling!.partialSpans).toBe(1)
  })

  it('records prompt text for only a share of kept traces, and always for errors', async () => {
    const { tracer, exporter } = setup({ sampleRate: 1, sampling: { text: { rate: 0 } } })
    const ok = trace(tracer)
    const failed = trace(tracer, { status: 'error' })
    await tracer.flush()
    const okCall = exporter.trace(ok).find((s) => s.kind === 'llm')!
    expect(okCall.attributes['gen_ai.input.messages']).toBeUndefined()
    expect(okCall.attributes['gen_ai.usage.input_tokens']).toBe(10)
    expect(exporter.trace(ok).find((s) => s.kind === 'http')!.attributes[SAMPLING_ATTR.text]).toBe(
      false,
    )
    const failedCall = exporter.trace(failed).find((s) => s.kind === 'llm')!
    expect(failedCall.attributes['gen_ai.input.messages']).toContain('hi')
    expect(tracer.stats().sampling!.textLeftOut).toBe(1)
  })

  it('respects an upstream sampled=0 and sampled=1, and defers with a marked sampled=1', async () => {
    const { tracer, exporter, metrics } = setup({ sampleRate: 0 })
    const upstream = (flags: string, tracestate?: string) =>
      extractTraceContext(
        new Headers({
          traceparent: `00-0af7651916cd43dd8448eb211c80319${flags === '00' ? 'a' : 'b'}-b7ad6b7169203331-${flags}`,
          ...(tracestate ? { tracestate } : {}),
        }),
      )
    const unsampled = tracer.startSpan('unsampled', { parent: upstream('00') })
    const call = tracer.startSpan('chat m', {
      kind: 'llm',
      parent: unsampled,
      attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'm' },
    })
    // Downstream still hears sampled=0.
    expect(injectTraceContext(new Headers(), call).get('traceparent')).toMatch(/-00$/)
    call.end()
    unsampled.end()
    tracer.startSpan('sampled', { parent: upstream('01') }).end()
    tracer.startSpan('deferred', { parent: upstream('01', 'tokentrail=tc') }).end()
    await tracer.flush()
    expect(exporter.spans.map((s) => s.name)).toEqual(['sampled'])
    expect(exporter.span('sampled').attributes[SAMPLING_ATTR.reason]).toBe('parent')
    expect(tracer.stats().sampling!.droppedTraces).toBe(2)
    // The unsampled trace's model call still counts in the metrics.
    expect(calls(metrics)).toBe(1)
  })

  it('sends sampled=1 with tokentrail=tc downstream while the decision is pending', () => {
    const { tracer } = setup()
    const root = tracer.startSpan('root')
    const headers = new Headers()
    injectTraceContext(headers, root)
    expect(headers.get('traceparent')).toMatch(/-01$/)
    expect(headers.get('tracestate')).toBe('tokentrail=tc')
    root.end()
  })

  it('decides waiting traces on shutdown, so nothing kept is lost', async () => {
    const { tracer, exporter } = setup()
    const root = tracer.startSpan('root')
    const call = tracer.startSpan('chat m', { kind: 'llm', parent: root })
    call.recordError(new Error('boom'))
    call.end()
    await tracer.shutdown()
    expect(exporter.spans.map((s: SpanData) => s.name)).toEqual(['chat m'])
    expect(tracer.stats().sampling!.decidedEarly).toBe(1)
  })

  it('reads its rules from env and checks options whole', () => {
    vi.stubEnv('TOKENTRAIL_TRACES_SAMPLER', 'trace_complete')
    vi.stubEnv('TOKENTRAIL_SAMPLING_SLOWER_THAN_MS', 'off')
    const exporter = memoryExporter()
    const tracer = createTracer({ exporters: [exporter] })
    expect(tracer.stats().sampling).toBeDefined()
    vi.stubEnv('TOKENTRAIL_SAMPLING_COST_ABOVE_USD', 'lots')
    expect(() => createTracer({ exporters: [exporter] })).toThrow(
      'TOKENTRAIL_SAMPLING_COST_ABOVE_USD must be a number ≥ 0, or "off" to turn the rule off; got "lots"',
    )
    vi.stubEnv('TOKENTRAIL_SAMPLING_COST_ABOVE_USD', '0.2')
    vi.stubEnv('TOKENTRAIL_SAMPLING_MAX_BUFFERED_SPANS', 'many')
    expect(() => createTracer({ exporters: [exporter] })).toThrow(
      'TOKENTRAIL_SAMPLING_MAX_BUFFERED_SPANS must be a whole number ≥ 1, got "many"',
    )
    vi.stubEnv('TOKENTRAIL_SAMPLING_MAX_BUFFERED_SPANS', '100')
    expect(() =>
      createTracer({ exporters: [exporter], sampling: { slowerThan: 5 } as never }),
    ).toThrow(
      'createTracer({ sampling }): unknown option `slowerThan` — did you mean `slowerThanMs`?',
    )
    expect(() =>
      createTracer({ exporters: [exporter], sampling: { maxBufferedSpans: 0 } }),
    ).toThrow(TokentrailError)
    vi.stubEnv('TOKENTRAIL_TRACES_SAMPLER', 'tail')
    expect(() => createTracer({ exporters: [exporter], sampling: undefined })).toThrow(
      'TOKENTRAIL_TRACES_SAMPLER must be trace_complete or head, got "tail"',
    )
  })
})

describe('trace-complete sampling with leaked spans', () => {
  it('recovers from roots that never end: the fallback ends, and later errors are kept again', async () => {
    const { tracer, exporter } = setup({ sampleRate: 0, sampling: { maxBufferedSpans: 100 } })
    await tracer.flush() // the sampler loaded: see the budget test above
    // 300 requests whose root span leaks (never ends), each with a finished child.
    for (let i = 0; i < 300; i++) {
      const leaked = tracer.startSpan('leaked')
      tracer.startSpan('child', { parent: leaked }).end()
    }
    const during = tracer.stats().sampling!
    expect(during.bufferedSpans).toBeLessThanOrEqual(100)
    expect(during.openTraces).toBeLessThanOrEqual(100)
    // Then ordinary traffic: the buffer drains, so errors are judged on the whole trace again.
    const ids: string[] = []
    for (let i = 0; i < 200; i++) ids.push(trace(tracer, { status: i % 10 === 0 ? 'error' : 'ok' }))
    await tracer.flush()
    const last = ids.slice(100)
    const keptErrors = last.filter((id) => exporter.trace(id).length === 2)
    expect(keptErrors).toHaveLength(10)
    for (const id of keptErrors)
      expect(
        exporter.trace(id).find((s) => s.kind === 'http')!.attributes[SAMPLING_ATTR.decidedAt],
      ).toBe('trace_complete')
  })
})
