// Exporter-side faults through the hono-chat example under load: the collector down, slow (5 s a
// request), answering 500, answering 429 with Retry-After, resetting connections mid-body, and
// restarted mid-run. The app must serve every request as it does untraced, and every span must be
// delivered after recovery or counted as dropped.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Fault, type FaultProxy, startFaultProxy } from '../src/fault-proxy.js'
import { FULL, recordFigure } from '../src/figures.js'
import { percentile } from '../src/load.js'
import { type Child, startCollectorProcess, startMockProcess } from '../src/processes.js'
import { runScenario, type ScenarioResult, unaccounted } from '../src/scenario.js'

const CONCURRENCY = FULL ? 8 : 4
const LOAD_MS = FULL ? 15_000 : 4000
const OUTAGE_MS = FULL ? 6000 : 3000
const LONG_OUTAGE_MS = 25_000
/** Under the 5 s that five retries a second apart last. */
const RETRY_AFTER_OUTAGE_MS = 3500
const MB = 1024 * 1024
const COLUMNS = [
  'scenario',
  'served',
  'p50 ms',
  'p99 ms',
  'untraced p50/p99 ms',
  '+p50 ms',
  '+p99 ms',
  'app exceptions',
  'spans ended',
  'delivered',
  'counted lost',
  'unaccounted',
  'complete traces',
  'RSS start→peak→end MB',
]

let dir: string
let collector: Child
let mock: Child
let proxy: FaultProxy

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tokentrail-faults-'))
  mock = await startMockProcess({ firstChunkDelayMs: 20, chunkDelayMs: 2 })
  collector = await startCollectorProcess({ db: join(dir, 'traces.db') })
  proxy = await startFaultProxy(collector.url)
})

afterAll(async () => {
  await proxy?.close()
  await collector?.stop()
  await mock?.stop()
  rmSync(dir, { recursive: true, force: true })
})

async function restartCollector() {
  const port = new URL(collector.url).port
  await collector.stop()
  collector = await startCollectorProcess({ db: join(dir, 'traces.db'), port: Number(port) })
  proxy.target = collector.url
}

/** A fault from `at` to `at + length` ms into the run. */
function window(fault: Fault, length: number, at = 500) {
  return async (elapsed: number) => {
    await proxy.set(elapsed >= at && elapsed < at + length ? fault : 'pass')
  }
}

function record(name: string, result: ScenarioResult) {
  const latencies = result.load.latencies
  const p50 = percentile(latencies, 50)
  const p99 = percentile(latencies, 99)
  const base = {
    p50: percentile(result.untraced.latencies, 50),
    p99: percentile(result.untraced.latencies, 99),
  }
  const { tracer, exceptions } = result.stats
  const lost = tracer.failed + tracer.dropped.queueFull + tracer.dropped.shutdown + tracer.rejected
  recordFigure(
    'Faults: hono-chat under load, exporting through a fault proxy to tokentrail dev',
    COLUMNS,
    {
      scenario: name,
      served: `${result.load.ok}/${result.load.sent}`,
      'p50 ms': p50,
      'p99 ms': p99,
      'untraced p50/p99 ms': `${base.p50.toFixed(1)} / ${base.p99.toFixed(1)}`,
      '+p50 ms': p50 - base.p50,
      '+p99 ms': p99 - base.p99,
      'app exceptions': exceptions.uncaught + exceptions.unhandled + result.load.failed,
      'spans ended': tracer.ended,
      delivered: result.delivered.spans,
      'counted lost': lost,
      unaccounted: unaccounted(tracer),
      'complete traces': result.stats.enabled
        ? `${result.delivered.complete}/${result.load.ok}`
        : '',
      'RSS start→peak→end MB': `${(result.rss.start / MB).toFixed(0)}→${(result.rss.peak / MB).toFixed(0)}→${(result.rss.end / MB).toFixed(0)}`,
    },
  )
}

/** Checks that hold in every scenario: the app saw no failure and no span went missing silently. */
function expectHarmless(result: ScenarioResult) {
  expect(result.load.failures).toEqual([])
  expect(result.untraced.failures).toEqual([])
  expect(result.load.ok).toBeGreaterThan(0)
  expect(result.stats.exceptions).toMatchObject({ uncaught: 0, unhandled: 0 })
  expect(unaccounted(result.stats.tracer)).toBe(0)
  expect(result.stats.tracer.queued).toBe(0)
  // Memory stays bounded: the queue holds at most 2048 spans.
  expect(result.rss.peak).toBeLessThan(400 * MB)
}

function scenario(
  service: string,
  during?: (elapsed: number) => Promise<void> | void,
  windowMs?: number,
) {
  return runScenario({
    service,
    tracing: true,
    proxy,
    collectorUrl: () => collector.url,
    mockUrl: mock.url,
    durationMs: LOAD_MS,
    concurrency: CONCURRENCY,
    during,
    windowMs,
  })
}

describe('exporter faults under load', () => {
  it('baseline: tracing off in both copies', async () => {
    const off = await runScenario({
      service: 'faults-off',
      tracing: false,
      proxy,
      collectorUrl: () => collector.url,
      mockUrl: mock.url,
      durationMs: LOAD_MS,
      concurrency: CONCURRENCY,
    })
    record('tracing off in both (noise floor)', off)
    expectHarmless(off)
    expect(off.stats.tracer.started).toBe(0)
  })

  it('healthy collector: every span and trace arrives', async () => {
    const result = await scenario('faults-healthy')
    record('healthy collector', result)
    expectHarmless(result)
    expect(result.delivered.spans).toBe(result.stats.tracer.ended)
    expect(result.delivered.complete).toBe(result.load.ok)
  })

  it('healthy collector, no flush per request (batches by size and interval only)', async () => {
    const result = await runScenario({
      service: 'faults-healthy-batched',
      tracing: true,
      flushPerRequest: false,
      proxy,
      collectorUrl: () => collector.url,
      mockUrl: mock.url,
      durationMs: LOAD_MS,
      concurrency: CONCURRENCY,
    })
    record('healthy collector, tracing({ flush: false })', result)
    expectHarmless(result)
    expect(result.delivered.spans).toBe(result.stats.tracer.ended)
  })

  // Retry budgets: backoff 1 + 1.5 + 2.25 + 3.4 + 5 s ≈ 13 s; with `Retry-After: 1`, 5 × 1 s.
  const short: [string, Fault, number][] = [
    [`collector down ${OUTAGE_MS / 1000} s (closed port)`, 'down', OUTAGE_MS],
    [`429 + Retry-After: 1 for ${RETRY_AFTER_OUTAGE_MS / 1000} s`, '429', RETRY_AFTER_OUTAGE_MS],
    [`connection reset mid-body for ${OUTAGE_MS / 1000} s`, 'reset', OUTAGE_MS],
  ]
  for (const [name, fault, outage] of short)
    it(`${name}: shorter than the retry budget, so every span arrives after recovery`, async () => {
      const result = await scenario(`faults-${fault}`, window(fault, outage), outage + 500)
      record(name, result)
      expectHarmless(result)
      expect(result.stats.tracer.retried).toBeGreaterThan(0)
      expect(result.delivered.spans).toBe(result.stats.tracer.ended)
      expect(result.stats.tracer.exported).toBe(result.stats.tracer.ended)
      expect(result.delivered.complete).toBe(result.load.ok)
    })

  it(`collector slow (5 s a request) for ${OUTAGE_MS / 1000} s: served as usual; spans arrive or are counted`, async () => {
    const result = await scenario('faults-slow', window('slow', OUTAGE_MS), OUTAGE_MS + 500)
    record(`collector slow (5 s/request) for ${OUTAGE_MS / 1000} s`, result)
    expectHarmless(result)
    const { tracer } = result.stats
    expect(result.delivered.spans).toBe(tracer.exported)
    expect(tracer.exported + tracer.dropped.queueFull).toBe(tracer.ended)
  })

  it(`500s for ${OUTAGE_MS / 1000} s: not retried (OTLP), counted as failed`, async () => {
    const result = await scenario('faults-500', window('500', OUTAGE_MS), OUTAGE_MS + 500)
    record(`500s for ${OUTAGE_MS / 1000} s`, result)
    expectHarmless(result)
    const { tracer } = result.stats
    expect(proxy.counts['500']).toBeGreaterThan(0)
    expect(tracer.failed).toBeGreaterThan(0)
    expect(result.delivered.spans).toBe(tracer.exported)
    expect(tracer.exported + tracer.failed).toBe(tracer.ended)
  })

  it('collector restarted mid-run: every span arrives', async () => {
    let restarted = false
    const result = await scenario('faults-restart', async (elapsed) => {
      if (!restarted && elapsed > LOAD_MS / 2) {
        restarted = true
        await restartCollector()
      }
    })
    record('collector restarted mid-run', result)
    expect(restarted).toBe(true)
    expectHarmless(result)
    expect(result.delivered.spans).toBe(result.stats.tracer.ended)
    expect(result.delivered.complete).toBe(result.load.ok)
  })

  it.skipIf(!FULL)(
    `collector down ${LONG_OUTAGE_MS / 1000} s, longer than the retry budget: drops are counted`,
    async () => {
      const result = await scenario(
        'faults-down-long',
        window('down', LONG_OUTAGE_MS),
        LONG_OUTAGE_MS + 500,
      )
      record(`collector down ${LONG_OUTAGE_MS / 1000} s (over the retry budget)`, result)
      expectHarmless(result)
      const { tracer } = result.stats
      expect(tracer.failed + tracer.dropped.queueFull).toBeGreaterThan(0)
      expect(result.delivered.spans).toBe(tracer.exported)
    },
  )
})
