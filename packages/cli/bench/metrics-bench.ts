// Metrics benchmark: what a dashboard figure costs from /v1/metrics compared with from traces.
// The same LLM calls go to `tokentrail dev` twice, as spans (/v1/traces) and as the GenAI metrics
// core derives from them (/v1/metrics); prints bytes, ingest time and stats query time with ratios.
// It never fails on timing.
//   pnpm --filter @tokentrail/cli bench:metrics        (CALLS=20000 by default)
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { startCollector, summarizeMetrics } from '@tokentrail/cli'
import { ATTR, createTracer, type MetricsSnapshot, type SpanData } from '@tokentrail/core'
import { encodeOtlpMetrics, encodeOtlpTraces } from '@tokentrail/core/otlp'

const CALLS = Number(process.env.CALLS ?? 20_000)
const MODELS = 20
const BATCH = 512

// The calls, recorded by core's real tracer; spans and the metric snapshot are kept as exported.
const spans: SpanData[] = []
let snapshot: MetricsSnapshot | undefined
const tracer = createTracer({
  serviceName: 'chat-api',
  exporters: [
    {
      name: 'keep',
      async export(batch) {
        spans.push(...batch)
        return { code: 'success' }
      },
    },
  ],
  maxQueueSize: CALLS * 2 + 10,
  metrics: {
    exporters: [
      {
        name: 'keep',
        async export(s) {
          snapshot = s
          return { code: 'success' }
        },
      },
    ],
  },
})
const start = Date.now() - 3_600_000
for (let n = 0; n < CALLS; n++) {
  const model = `model-${n % MODELS}`
  const at = start + n * 100
  const span = tracer.startSpan(`chat ${model}`, {
    kind: 'llm',
    startTime: at,
    attributes: {
      [ATTR.operationName]: 'chat',
      [ATTR.providerName]: 'openai',
      [ATTR.requestModel]: model,
      [ATTR.usageInputTokens]: 100 + (n % 900),
      [ATTR.usageOutputTokens]: 20 + (n % 300),
      [ATTR.ttftMs]: 80 + (n % 400),
      [ATTR.costUsd]: 0.0001,
    },
  })
  span.end({ endTime: at + 200 + (n % 2000), ...(n % 25 === 0 ? { status: 'error' } : {}) })
}
await tracer.flush({ timeoutMs: 60_000 })
if (spans.length !== CALLS || !snapshot)
  throw new Error(`expected ${CALLS} spans and a snapshot, got ${spans.length}`)

const rows: string[][] = []
function row(figure: string, traces: string, metrics: string, ratio: string) {
  rows.push([figure, traces, metrics, ratio])
  console.log(`  ${figure}: traces ${traces}, metrics ${metrics} (${ratio})`)
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!

const dir = mkdtempSync(join(tmpdir(), 'tokentrail-metrics-bench-'))
try {
  const collector = await startCollector({ port: 0, db: join(dir, 'bench.db'), maxTraces: 0 })
  const post = async (path: string, body: string) => {
    const response = await fetch(`${collector.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    })
    if (!response.ok) throw new Error(`${path} answered ${response.status}`)
    await response.arrayBuffer()
  }
  const traceBodies: string[] = []
  for (let i = 0; i < spans.length; i += BATCH)
    traceBodies.push(encodeOtlpTraces(spans.slice(i, i + BATCH)))
  const metricsBody = encodeOtlpMetrics(snapshot)
  const traceBytes = traceBodies.reduce((n, b) => n + Buffer.byteLength(b), 0)
  const metricBytes = Buffer.byteLength(metricsBody)
  row(
    `bytes sent for ${CALLS.toLocaleString('en')} calls, ${MODELS} models`,
    `${(traceBytes / 1e6).toFixed(2)} MB`,
    `${(metricBytes / 1e3).toFixed(1)} kB`,
    `${(traceBytes / metricBytes).toFixed(0)}× smaller`,
  )

  let t = performance.now()
  for (const body of traceBodies) await post('/v1/traces', body)
  const traceMs = performance.now() - t
  const metricRuns: number[] = []
  for (let i = 0; i < 20; i++) {
    t = performance.now()
    await post('/v1/metrics', metricsBody)
    metricRuns.push(performance.now() - t)
  }
  const points = snapshot.metrics.reduce((n, m) => n + m.points.length, 0)
  row(
    `ingest over HTTP (metrics: one cumulative export of ${points} points, median of 20)`,
    `${traceMs.toFixed(0)} ms`,
    `${median(metricRuns).toFixed(2)} ms`,
    `${(traceMs / median(metricRuns)).toFixed(0)}× faster`,
  )

  // Both in process, the work behind GET /api/stats: HTTP on a busy 2-CPU machine adds noise.
  const statsRuns = { traces: [] as number[], metrics: [] as number[] }
  for (let i = 0; i < 10; i++) {
    t = performance.now()
    collector.store.stats()
    statsRuns.traces.push(performance.now() - t)
    t = performance.now()
    summarizeMetrics(collector.store.metrics.series())
    statsRuns.metrics.push(performance.now() - t)
  }
  row(
    'per-model stats, in process (traces: store.stats(); metrics: series + summary)',
    `${median(statsRuns.traces).toFixed(1)} ms`,
    `${median(statsRuns.metrics).toFixed(2)} ms`,
    `${(median(statsRuns.traces) / median(statsRuns.metrics)).toFixed(0)}× faster`,
  )
  const summary = (await (await fetch(`${collector.url}/api/stats`)).json()) as {
    models: { calls: number }[]
    metrics: { models: { calls: number }[] }
  }
  const callsFromMetrics = summary.metrics.models.reduce((n, m) => n + m.calls, 0)
  const callsFromTraces = summary.models.reduce((n, m) => n + m.calls, 0)
  if (callsFromMetrics !== CALLS || callsFromTraces !== CALLS)
    throw new Error(`calls: ${callsFromTraces} from traces, ${callsFromMetrics} from metrics`)
  await collector.close()

  console.log('\n| figure | from traces | from metrics | ratio |\n|---|---|---|---|')
  for (const r of rows) console.log(`| ${r.join(' | ')} |`)
  console.log(`\nNode ${process.version}, node:sqlite, ${cpus().length} CPUs`)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
