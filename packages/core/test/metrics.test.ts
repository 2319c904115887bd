import { afterEach, describe, expect, it, vi } from 'vitest'
import { ATTR, createTracer, describeTracer, type MetricData } from '../src/index.js'
import { DURATION_BUCKETS, OVERFLOW_ATTRIBUTE, TOKEN_BUCKETS } from '../src/metrics.js'
import { memoryExporter, memoryMetricExporter } from '../src/testing.js'

afterEach(() => vi.unstubAllEnvs())

function setup(metrics: NonNullable<Parameters<typeof createTracer>[0]>['metrics'] = {}) {
  const exporter = memoryMetricExporter()
  const tracer = createTracer({
    serviceName: 'metrics-test',
    exporters: [memoryExporter()],
    metrics: metrics === false ? false : { exporters: [exporter], ...metrics },
  })
  return { exporter, tracer }
}

function llmCall(
  tracer: ReturnType<typeof createTracer>,
  {
    model = 'gpt-4o',
    input = 10,
    output = 20,
    ms = 100,
    error = false,
    ttft = 50,
    chunks = 11,
  } = {},
) {
  const start = 1_000_000
  const span = tracer.startSpan(`chat ${model}`, {
    kind: 'llm',
    startTime: start,
    attributes: {
      [ATTR.operationName]: 'chat',
      [ATTR.providerName]: 'openai',
      [ATTR.requestModel]: model,
      [ATTR.responseModel]: `${model}-2024`,
      [ATTR.usageInputTokens]: input,
      [ATTR.usageOutputTokens]: output,
      [ATTR.usageCacheReadInputTokens]: 4,
      [ATTR.ttftMs]: ttft,
      [ATTR.timeToLastChunkMs]: ttft + (chunks - 1) * 5,
      [ATTR.chunkCount]: chunks,
      [ATTR.costUsd]: 0.25,
      'user.id': 'never-a-metric-attribute',
    },
  })
  if (error) span.recordError(Object.assign(new Error('rate limited'), { name: 'APICallError' }))
  span.end({ endTime: start + ms })
}

function points(metric: MetricData | undefined) {
  if (!metric) throw new Error('metric missing')
  return metric.points as any[]
}

describe('GenAI metrics from finished spans', () => {
  it('N calls with known usage give exact counts, sums and buckets', async () => {
    const { exporter, tracer } = setup()
    for (let i = 0; i < 5; i++) llmCall(tracer, { input: 10, output: 300, ms: 100 })
    llmCall(tracer, { input: 2000, output: 1, ms: 3000, error: true })
    await tracer.flush()

    const tokens = points(exporter.metric('gen_ai.client.token.usage'))
    const byType = (type: string) =>
      tokens.filter((p) => p.attributes['gen_ai.token.type'] === type)
    const input = byType('input')
    expect(input).toHaveLength(1) // same model/provider: one series per token type
    expect(input[0]).toMatchObject({ count: 6, sum: 5 * 10 + 2000, min: 10, max: 2000 })
    // buckets [≤1, ≤4, ≤16, ≤64, ≤256, ≤1024, ≤4096, …]: 10 → ≤16 (index 2), 2000 → ≤4096 (index 6)
    expect(input[0].bucketCounts[2]).toBe(5)
    expect(input[0].bucketCounts[6]).toBe(1)
    expect(input[0].bucketCounts.reduce((a: number, b: number) => a + b, 0)).toBe(6)
    expect(input[0].bucketCounts).toHaveLength(TOKEN_BUCKETS.length + 1)
    expect(byType('output')[0]).toMatchObject({ count: 6, sum: 1501 })
    expect(byType('cached_input')[0]).toMatchObject({ count: 6, sum: 24 })
    expect(input[0].attributes).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.response.model': 'gpt-4o-2024',
      'gen_ai.token.type': 'input',
    })

    const duration = points(exporter.metric('gen_ai.client.operation.duration'))
    const ok = duration.find((p) => !p.attributes['error.type'])
    const failed = duration.find((p) => p.attributes['error.type'])
    expect(ok).toMatchObject({ count: 5, sum: 0.5 })
    expect(ok.bucketCounts[DURATION_BUCKETS.indexOf(0.16)]).toBe(5) // 0.1 s → ≤0.16
    expect(failed).toMatchObject({ count: 1, sum: 3, attributes: { 'error.type': 'APICallError' } })

    const ttft = points(exporter.metric('gen_ai.client.operation.time_to_first_chunk'))
    expect(ttft[0]).toMatchObject({ count: 6, sum: 0.3 })
    // One measurement per output chunk after the first: 6 calls of 11 chunks, 5 ms apart.
    const perChunk = points(exporter.metric('gen_ai.client.operation.time_per_output_chunk'))
    expect(perChunk[0].count).toBe(60)
    expect(perChunk[0].sum).toBeCloseTo(60 * 0.005, 10)

    const sum = (name: string) => points(exporter.metric(name)).reduce((n, p) => n + p.value, 0)
    expect(sum('tokentrail.llm.calls')).toBe(6)
    expect(sum('tokentrail.llm.errors')).toBe(1)
    expect(sum('tokentrail.llm.cost')).toBeCloseTo(1.5, 10)
    expect(JSON.stringify(exporter.snapshots)).not.toContain('never-a-metric-attribute')
  })

  it('tool spans give duration, calls and errors by tool name', async () => {
    const { exporter, tracer } = setup()
    for (const [name, fails] of [
      ['weather', false],
      ['weather', true],
      ['search', false],
    ] as const) {
      const span = tracer.startSpan(`execute_tool ${name}`, {
        kind: 'tool',
        startTime: 0,
        attributes: { [ATTR.operationName]: 'execute_tool', [ATTR.toolName]: name },
      })
      if (fails) span.recordError(new TypeError('bad input'))
      span.end({ endTime: 20 })
    }
    await tracer.flush()
    const calls = points(exporter.metric('tokentrail.tool.calls'))
    expect(calls.find((p) => p.attributes['gen_ai.tool.name'] === 'weather').value).toBe(2)
    expect(points(exporter.metric('tokentrail.tool.errors'))).toEqual([
      {
        attributes: {
          'gen_ai.operation.name': 'execute_tool',
          'gen_ai.tool.name': 'weather',
          'error.type': 'TypeError',
        },
        value: 1,
      },
    ])
    expect(
      points(exporter.metric('tokentrail.tool.duration')).reduce((n, p) => n + p.count, 0),
    ).toBe(3)
  })

  it('is cumulative: each flush carries the totals so far', async () => {
    const { exporter, tracer } = setup()
    llmCall(tracer)
    await tracer.flush()
    llmCall(tracer)
    await tracer.flush()
    await tracer.flush() // nothing new: no export
    expect(exporter.snapshots).toHaveLength(2)
    expect(
      points(exporter.snapshots[1]!.metrics.find((m) => m.name === 'tokentrail.llm.calls'))[0]
        .value,
    ).toBe(2)
    expect(exporter.snapshots[1]!.startTime).toBe(exporter.snapshots[0]!.startTime)
  })

  it('sends every series each interval, changed or not, as OpenTelemetry does; a flush only what changed', async () => {
    const { exporter, tracer } = setup({ exportIntervalMs: 40 })
    llmCall(tracer)
    await tracer.flush()
    await tracer.flush() // nothing new: no export
    expect(exporter.snapshots).toHaveLength(1)
    // Nothing recorded since: the interval still sends the totals (a quiet series is not stale).
    await new Promise((resolve) => setTimeout(resolve, 150))
    expect(exporter.snapshots.length).toBeGreaterThanOrEqual(3)
    for (const snapshot of exporter.snapshots)
      expect(points(snapshot.metrics.find((m) => m.name === 'tokentrail.llm.calls'))[0].value).toBe(
        1,
      )
    await tracer.shutdown()
  })

  it('enforces the cardinality limit with one overflow series', async () => {
    const { exporter, tracer } = setup({ cardinalityLimit: 10 })
    for (let i = 0; i < 500; i++) llmCall(tracer, { model: `model-${i}` })
    await tracer.flush()
    const calls = points(exporter.metric('tokentrail.llm.calls'))
    expect(calls).toHaveLength(10)
    const overflow = calls.find((p) => p.attributes[OVERFLOW_ATTRIBUTE] === true)
    expect(overflow.value).toBe(491)
    expect(calls.reduce((n, p) => n + p.value, 0)).toBe(500)
  })

  it('exports no empty series when every value was rejected', async () => {
    const { exporter, tracer } = setup()
    llmCall(tracer, { input: -5, output: Number.NaN })
    await tracer.flush()
    const tokens = exporter.metric('gen_ai.client.token.usage')
    const types = (tokens?.points ?? []).map((p) => p.attributes['gen_ai.token.type'])
    expect(types).toEqual(['cached_input'])
    expect(JSON.stringify(exporter.snapshots)).not.toContain('Infinity')
  })

  it('switches off by option and by env', async () => {
    const off = setup(false)
    llmCall(off.tracer)
    await off.tracer.flush()
    expect(off.exporter.snapshots).toHaveLength(0)
    expect(off.tracer.stats().metrics.exports).toBe(0)

    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', 'http://127.0.0.1:1')
    // (The metrics code loads by import() after the tracer is made: asked of its description.)
    const metricExporters = () => describeTracer(createTracer())!.metricExporters
    vi.stubEnv('TOKENTRAIL_METRICS', 'false')
    expect(metricExporters()).toHaveLength(0)
    vi.stubEnv('TOKENTRAIL_METRICS', 'true')
    vi.stubEnv('OTEL_METRICS_EXPORTER', 'none')
    expect(metricExporters()).toHaveLength(0)
    vi.stubEnv('OTEL_METRICS_EXPORTER', 'otlp')
    expect(metricExporters().map((e) => e.name)).toEqual(['otlp-metrics'])
  })

  it('rejects bad metric options with a clear message', () => {
    expect(() =>
      createTracer({ exporters: [memoryExporter()], metrics: { cardinalityLimit: 0 } }),
    ).toThrow(/metrics.cardinalityLimit must be a whole number/)
    // A variable it cannot use is passed over (said once), as OpenTelemetry says: not a throw.
    vi.stubEnv('OTEL_METRIC_EXPORT_INTERVAL', 'soon')
    expect(() => createTracer({ exporters: [memoryExporter()] })).not.toThrow()
  })
})
