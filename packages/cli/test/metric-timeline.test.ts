// Issue 15: the GenAI metrics over time. Each point received adds what it counted since the
// previous point of its producer run to its minute, so cumulative totals are not counted twice.
import { join } from 'node:path'
import { ATTR, createTracer, otlpExporter, otlpMetricsExporter } from '@tokentrail/core'
import { describe, expect, it } from 'vitest'
import { type Collector, startCollector } from '../src/index.js'
import type { TimeSeries } from '../src/store/timeseries.js'
import { onCleanup, tempDir } from './helpers.js'
import { CALLS, recordCalls } from './metrics-helpers.js'

async function collector(): Promise<Collector> {
  const c = await startCollector({ port: 0, db: join(tempDir(), 'traces.db') })
  onCleanup(() => c.close())
  return c
}

async function timeline(c: Collector, query: string): Promise<TimeSeries> {
  const response = await fetch(`${c.url}/api/timeseries?source=metrics&${query}`)
  expect(response.status).toBe(200)
  return (await response.json()) as TimeSeries
}

const total = (values: (number | null)[]) => values.reduce<number>((n, v) => n + (v ?? 0), 0)

/** An OTLP/JSON cumulative histogram point of `gen_ai.client.operation.duration`. */
function durationPoint(at: number, runStart: number, counts: number[], sum: number) {
  const ns = (ms: number) => `${BigInt(ms) * 1_000_000n}`
  return JSON.stringify({
    resourceMetrics: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'chat-api' } }] },
        scopeMetrics: [
          {
            scope: { name: 'other-sdk' },
            metrics: [
              {
                name: 'gen_ai.client.operation.duration',
                unit: 's',
                histogram: {
                  aggregationTemporality: 2,
                  dataPoints: [
                    {
                      attributes: [
                        { key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o' } },
                      ],
                      startTimeUnixNano: ns(runStart),
                      timeUnixNano: ns(at),
                      count: String(counts.reduce((a, b) => a + b, 0)),
                      sum,
                      bucketCounts: counts.map(String),
                      explicitBounds: [0.1, 1, 10],
                    },
                  ],
                },
              },
            ],
          },
        ],
      },
    ],
  })
}

describe('metric points over time', () => {
  it('adds what each export of core’s cumulative metrics counted, never the running totals', async () => {
    const c = await collector()
    const tracer = createTracer({
      serviceName: 'chat-api',
      exporters: [],
      metrics: { exporters: [otlpMetricsExporter({ url: `${c.url}/v1/metrics` })] },
    })
    // Three exports of running totals: after 5 calls, 10 calls and 15 calls.
    for (let round = 0; round < 3; round++) {
      recordCalls(tracer, CALLS)
      await tracer.flush()
    }
    expect(tracer.stats().metrics).toEqual({ exports: 3, failures: 0 })
    const data = await timeline(c, 'by=model&from=1h')
    const gpt4o = data.series.find((s) => s.key === 'gpt-4o')!
    const mini = data.series.find((s) => s.key === 'mini')!
    const calls = (model: string) => CALLS.filter((call) => call.model === model)
    expect(total(gpt4o.calls)).toBe(3 * calls('gpt-4o').length)
    expect(total(mini.calls)).toBe(3 * calls('mini').length)
    const tokens = (model: string) =>
      3 * calls(model).reduce((n, call) => n + call.input + call.output, 0)
    expect(total(gpt4o.tokens)).toBe(tokens('gpt-4o'))
    expect(total(mini.tokens)).toBe(tokens('mini'))
    expect(total(gpt4o.costUsd)).toBeCloseTo(
      3 * calls('gpt-4o').reduce((n, call) => n + (call.cost ?? 0), 0),
      9,
    )
    // One call in four of gpt-4o fails; latency and TTFT come from the histograms (ms).
    const bucket = gpt4o.calls.findIndex((n) => n > 0)
    expect(gpt4o.errorRate[bucket]).toBeCloseTo(
      gpt4o.calls[bucket]! && 1 / calls('gpt-4o').length,
      9,
    )
    expect(gpt4o.latencyP50[bucket]).toBeGreaterThan(50)
    expect(gpt4o.latencyP50[bucket]).toBeLessThan(2500)
    expect(gpt4o.latencyP95[bucket]).toBeGreaterThanOrEqual(gpt4o.latencyP50[bucket]!)
    expect(gpt4o.ttftP50[bucket]).toBeGreaterThan(0)
    // By service, the same calls.
    const byService = await timeline(c, 'by=service&from=1h')
    expect(byService.series.map((s) => s.key)).toEqual(['chat-api'])
    expect(total(byService.series[0]!.calls)).toBe(3 * CALLS.length)
  }, 30_000)

  // Cached and reasoning tokens, sent as token types of their own, were added to input and output
  // again: one call of 6 input (3 cached) and 8 output tokens read 17.
  it('counts tokens as input plus output, as the traces do: cached and reasoning ones are parts of those', async () => {
    const c = await collector()
    const tracer = createTracer({
      serviceName: 'chat-api',
      exporters: [otlpExporter({ url: `${c.url}/v1/traces` })],
      metrics: { exporters: [otlpMetricsExporter({ url: `${c.url}/v1/metrics` })] },
    })
    tracer
      .startSpan('chat gpt-4o', {
        kind: 'llm',
        attributes: {
          [ATTR.operationName]: 'chat',
          [ATTR.providerName]: 'openai',
          [ATTR.requestModel]: 'gpt-4o',
          [ATTR.usageInputTokens]: 6,
          [ATTR.usageCacheReadInputTokens]: 3,
          [ATTR.usageOutputTokens]: 8,
          [ATTR.usageReasoningOutputTokens]: 5,
        },
      })
      .end()
    expect((await tracer.flush()).ok).toBe(true)
    const fromMetrics = (await timeline(c, 'by=model&from=1h')).series.find(
      (s) => s.key === 'gpt-4o',
    )!
    const traces = await fetch(`${c.url}/api/timeseries?source=traces&by=model&from=1h`)
    const fromTraces = ((await traces.json()) as TimeSeries).series.find((s) => s.key === 'gpt-4o')!
    expect(total(fromMetrics.tokens)).toBe(14)
    expect(total(fromTraces.tokens)).toBe(14)
    await tracer.shutdown()
  })

  it('places each increment in the minute it was counted, and a restarted producer’s run whole', async () => {
    const c = await collector()
    const t0 = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000
    const post = (body: string) =>
      fetch(`${c.url}/v1/metrics`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      }).then((r) => expect(r.status).toBe(200))
    await post(durationPoint(t0 + 60_000, t0, [1, 1, 0, 0], 0.6))
    await post(durationPoint(t0 + 10 * 60_000, t0, [1, 3, 1, 0], 6))
    // The same total again (a retried export) adds nothing; an older one is stale.
    await post(durationPoint(t0 + 10 * 60_000, t0, [1, 3, 1, 0], 6))
    await post(durationPoint(t0 + 5 * 60_000, t0, [1, 2, 0, 0], 1))
    // The producer restarted: a new run, counted whole.
    await post(durationPoint(t0 + 20 * 60_000, t0 + 15 * 60_000, [0, 0, 2, 0], 8))
    const data = await timeline(c, `by=model&from=${t0}&to=${t0 + 30 * 60_000}`)
    expect(data.bucketMs).toBe(60_000)
    const at = (minute: number) => data.buckets.indexOf(t0 + minute * 60_000)
    const [gpt4o] = data.series
    expect(gpt4o!.key).toBe('gpt-4o')
    expect(gpt4o!.calls[at(1)]).toBe(2)
    expect(gpt4o!.calls[at(10)]).toBe(3)
    expect(gpt4o!.calls[at(5)]).toBe(0)
    expect(gpt4o!.calls[at(20)]).toBe(2)
    expect(total(gpt4o!.calls)).toBe(7)
    // Minute 10 counted one call in (0.1, 1] s and one in (1, 10] s: p50 within the first.
    expect(gpt4o!.latencyP50[at(10)]).toBeGreaterThan(100)
    expect(gpt4o!.latencyP50[at(10)]).toBeLessThanOrEqual(1000)
    expect(gpt4o!.latencyP50[at(20)]).toBeGreaterThan(1000)
    expect(gpt4o!.latencyP50[at(5)]).toBeNull()
    const bad = await fetch(`${c.url}/api/timeseries?source=spans`)
    expect(bad.status).toBe(400)
    expect((await bad.json()).error).toBe('source must be traces or metrics, got "spans"')
  }, 30_000)
})
