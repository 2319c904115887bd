// Load: chat requests at high concurrency against the Hono and Next examples, traced and exporting
// to `tokentrail dev`; every trace must arrive complete (root + 2 LLM spans + the tool span),
// counted by querying the collector's HTTP API.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import buildNext from '../../examples/next-chat/test/build.ts'
import {
  countComplete,
  getTrace,
  listAllTraces,
  SPANS_PER_CHAT_TRACE,
} from '../src/collector-api.js'
import { FULL, recordFigure } from '../src/figures.js'
import { percentile, runLoad } from '../src/load.js'
import {
  type Child,
  startAppProcess,
  startCollectorProcess,
  startMockProcess,
  startNextProcess,
} from '../src/processes.js'

const TOTAL = FULL ? 10_000 : 500
const NEXT_TOTAL = FULL ? 10_000 : 200
const CONCURRENCY = FULL ? 100 : 50
const MB = 1024 * 1024
const COLUMNS = [
  'app',
  'requests',
  'concurrency',
  'served',
  'req/s',
  'p50 ms',
  'p99 ms',
  'complete traces',
  'spans stored',
  'app RSS before→after MB',
  'collector RSS before→after MB',
]

let dir: string
let collector: Child
let mock: Child

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tokentrail-load-'))
  mock = await startMockProcess({ firstChunkDelayMs: 20, chunkDelayMs: 2 })
  collector = await startCollectorProcess({ db: join(dir, 'traces.db') })
})

afterAll(async () => {
  await collector?.stop()
  await mock?.stop()
  rmSync(dir, { recursive: true, force: true })
})

/** Polls the collector until `expected` traces of `service` are there, or `timeoutMs` passed. */
async function waitForTraces(service: string, expected: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs
  let rows = await listAllTraces(collector.url, service)
  while (
    rows.filter((r) => r.spanCount === SPANS_PER_CHAT_TRACE).length < expected &&
    Date.now() < deadline
  ) {
    await new Promise((resolve) => setTimeout(resolve, 500))
    rows = await listAllTraces(collector.url, service)
  }
  return rows
}

/** A sample of traces, fetched whole: one http root, two LLM calls under it, one tool call. */
async function expectShape(traceIds: string[], toolName: string) {
  for (const id of traceIds.slice(0, 25)) {
    const { spans } = await getTrace(collector.url, id)
    const root = spans.find((s) => !s.parentSpanId)!
    expect(root).toMatchObject({ kind: 'http', name: 'POST /api/chat', status: 'ok' })
    // request → AI SDK call → two steps; the tool under the step that asked for it
    const call = spans.find((s) => s.attributes['gen_ai.operation.name'] === 'invoke_agent')!
    expect(call.parentSpanId).toBe(root.spanId)
    const llm = spans.filter((s) => s.kind === 'llm')
    expect(llm.map((s) => s.parentSpanId)).toEqual([call.spanId, call.spanId])
    const tools = spans.filter((s) => s.kind === 'tool')
    expect(tools.map((s) => s.name)).toEqual([`execute_tool ${toolName}`])
    expect(llm.map((s) => s.spanId)).toContain(tools[0]!.parentSpanId)
  }
}

describe('load', () => {
  it(`hono-chat: ${TOTAL} requests at concurrency ${CONCURRENCY}, every trace complete`, async () => {
    const service = 'load-hono'
    const app = await startAppProcess({
      tracing: true,
      otlpEndpoint: collector.url,
      mockUrl: mock.url,
      service,
    })
    try {
      const rssBefore = { app: app.rss(), collector: collector.rss() }
      const load = await runLoad({
        url: `${app.url}/api/chat`,
        total: TOTAL,
        concurrency: CONCURRENCY,
      })
      await fetch(`${app.url}/__flush?timeoutMs=60000`, { method: 'POST' })
      const rows = await waitForTraces(service, TOTAL, 30_000)
      const counted = countComplete(rows, load.traceIds, SPANS_PER_CHAT_TRACE)
      recordFigure('Load: traced chat requests exporting to tokentrail dev', COLUMNS, {
        app: 'hono-chat (Node)',
        requests: TOTAL,
        concurrency: CONCURRENCY,
        served: load.ok,
        'req/s': (load.ok / load.wallMs) * 1000,
        'p50 ms': percentile(load.latencies, 50),
        'p99 ms': percentile(load.latencies, 99),
        'complete traces': `${counted.complete}/${TOTAL}`,
        'spans stored': counted.spans,
        'app RSS before→after MB': `${(rssBefore.app / MB).toFixed(0)}→${(app.rss() / MB).toFixed(0)}`,
        'collector RSS before→after MB': `${(rssBefore.collector / MB).toFixed(0)}→${(collector.rss() / MB).toFixed(0)}`,
      })
      expect(load.failures).toEqual([])
      expect(load.ok).toBe(TOTAL)
      expect(load.traceIds).toHaveLength(TOTAL)
      expect(counted).toMatchObject({
        complete: TOTAL,
        partial: 0,
        missing: 0,
        spans: TOTAL * SPANS_PER_CHAT_TRACE,
      })
      await expectShape(load.traceIds, 'weather')
    } finally {
      await app.stop()
    }
  })

  it(`next-chat (next start): ${NEXT_TOTAL} requests at concurrency ${CONCURRENCY}, every trace complete`, async () => {
    buildNext()
    const service = 'load-next'
    const next = await startNextProcess({ otlpEndpoint: collector.url, mockUrl: mock.url, service })
    try {
      const body = JSON.stringify({
        id: 'load',
        trigger: 'submit-message',
        messages: [
          {
            id: 'm1',
            role: 'user',
            parts: [{ type: 'text', text: 'Weather in Paris? Use the tool' }],
          },
        ],
      })
      await runLoad({ url: `${next.url}/api/chat`, total: 20, concurrency: 5, body })
      const rssBefore = { app: next.rss(), collector: collector.rss() }
      const load = await runLoad({
        url: `${next.url}/api/chat`,
        total: NEXT_TOTAL,
        concurrency: CONCURRENCY,
        body,
      })
      const rows = await waitForTraces(service, NEXT_TOTAL + 20, 30_000)
      const counted = countComplete(rows, load.traceIds, SPANS_PER_CHAT_TRACE)
      recordFigure('Load: traced chat requests exporting to tokentrail dev', COLUMNS, {
        app: 'next-chat (next start)',
        requests: NEXT_TOTAL,
        concurrency: CONCURRENCY,
        served: load.ok,
        'req/s': (load.ok / load.wallMs) * 1000,
        'p50 ms': percentile(load.latencies, 50),
        'p99 ms': percentile(load.latencies, 99),
        'complete traces': `${counted.complete}/${NEXT_TOTAL}`,
        'spans stored': counted.spans,
        'app RSS before→after MB': `${(rssBefore.app / MB).toFixed(0)}→${(next.rss() / MB).toFixed(0)}`,
        'collector RSS before→after MB': `${(rssBefore.collector / MB).toFixed(0)}→${(collector.rss() / MB).toFixed(0)}`,
      })
      expect(load.failures).toEqual([])
      expect(load.ok).toBe(NEXT_TOTAL)
      expect(load.traceIds).toHaveLength(NEXT_TOTAL)
      expect(counted).toMatchObject({ complete: NEXT_TOTAL, partial: 0, missing: 0 })
      await expectShape(load.traceIds, 'getWeather')
    } finally {
      await next.stop()
    }
  })
})
