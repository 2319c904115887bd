// Store benchmark: what the SQLite writes of ingest cost per span, in-process, statement by
// statement. Fills a file store to START spans with 512-span batches of 5-span chat traces (prepared
// beforehand, as the decode thread prepares them), then times WINDOW more spans: the main thread's
// CPU per span (from /proc) and, per statement, its time per span and per call. It never fails on
// timing. Run after a build (it loads dist/):
//   node --disable-warning=ExperimentalWarning bench/store-bench.ts
//   START=900000 WINDOW=100000 SPLIT=1 node … bench/store-bench.ts
// SPLIT=1 sends each trace's root span (it ends last) in the next batch, as an exporter that sends
// while a trace still runs does: the trace row is then updated and its index rows rewritten.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync, StatementSync } from 'node:sqlite'
import type { SpanData } from '@tokentrail/core'
import type { PreparedBatch } from '../src/store/store-schema.ts'
import { chatTrace } from './chat-trace.ts'

// The built store (the sources import `.js` paths Node cannot run as TypeScript); typed by them, so
// the typecheck does not read dist/ while a parallel build rewrites it.
const dist = (path: string) => new URL(`../dist/store/${path}`, import.meta.url).href
const { TraceStore } = (await import(dist('store.js'))) as typeof import('../src/store/store.ts')
const { prepareBatch } = (await import(
  dist('store-schema.js')
)) as typeof import('../src/store/store-schema.ts')

const START = Number(process.env.START ?? 200_000)
const WINDOW = Number(process.env.WINDOW ?? 50_000)
const SPLIT = process.env.SPLIT === '1'
const BATCH = 512
// Traces spread over the last 24 h, as collector-bench sends them.
const gap = 86_400_000 / ((START + WINDOW) / 5)
const startAt = Date.now() - 86_400_000
let n = 0
let queued: SpanData[] = []
let deferred: SpanData[] = []
function nextBatch(): PreparedBatch {
  const batch = deferred
  const later: SpanData[] = []
  while (batch.length < BATCH) {
    if (!queued.length) {
      queued = chatTrace(startAt + n * gap, n++)
      if (SPLIT) later.push(queued.pop()!)
    }
    batch.push(queued.shift()!)
  }
  deferred = later
  return prepareBatch(batch)
}

// Time per statement (by its SQL) and per `exec` (BEGIN, COMMIT), while `timing` is on.
const spent = new Map<string, { calls: number; ms: number }>()
let timing = false
function timed<A extends unknown[], R>(key: (self: never) => string, call: (...args: A) => R) {
  return function (this: never, ...args: A): R {
    if (!timing) return call.apply(this, args)
    const t = performance.now()
    try {
      return call.apply(this, args)
    } finally {
      const k = key(this)
      const entry = spent.get(k) ?? { calls: 0, ms: 0 }
      entry.calls++
      entry.ms += performance.now() - t
      spent.set(k, entry)
    }
  }
}
const sqlOf = (s: StatementSync) => s.sourceSQL.replace(/\s+/g, ' ').slice(0, 80)
for (const method of ['run', 'get', 'all'] as const)
  StatementSync.prototype[method] = timed(
    sqlOf,
    StatementSync.prototype[method] as (...args: unknown[]) => unknown,
  ) as never
DatabaseSync.prototype.exec = timed(
  () => 'exec (BEGIN / COMMIT)',
  DatabaseSync.prototype.exec as (...args: unknown[]) => unknown,
) as never

/** CPU seconds of this process's main thread (the one that writes the store), from /proc. */
function mainCpuSeconds(): number {
  const fields = readFileSync(`/proc/${process.pid}/task/${process.pid}/stat`, 'utf8')
    .split(') ')[1]!
    .split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

const dir = mkdtempSync(join(tmpdir(), 'tokentrail-store-bench-'))
try {
  const store = new TraceStore({ path: join(dir, 'traces.db'), maxTraces: 0 })
  let stored = 0
  while (stored < START) {
    store.insertPrepared(nextBatch())
    stored += BATCH
  }
  const batches: PreparedBatch[] = []
  for (let left = WINDOW; left > 0; left -= BATCH) batches.push(nextBatch())
  const spans = batches.length * BATCH
  const load = loadavg()
  const cpu0 = mainCpuSeconds()
  const t0 = performance.now()
  timing = true
  for (const batch of batches) store.insertPrepared(batch)
  timing = false
  const wallMs = performance.now() - t0
  const cpu = mainCpuSeconds() - cpu0
  console.log(
    `store ingest at ${stored.toLocaleString('en')} → ${(stored + spans).toLocaleString('en')} stored spans${SPLIT ? ', every trace split over two batches' : ''}: ${Math.round(spans / cpu).toLocaleString('en')} spans per main-thread CPU second (${((cpu * 1e6) / spans).toFixed(1)} µs per span), ${Math.round(spans / (wallMs / 1000)).toLocaleString('en')} spans/s wall; load average ${load.map((l) => l.toFixed(1)).join(' ')}`,
  )
  console.log('\n| statement | µs per span (wall) | calls | µs per call |\n|---|---:|---:|---:|')
  for (const [sql, { calls, ms }] of [...spent].sort((a, b) => b[1].ms - a[1].ms))
    console.log(
      `| \`${sql}\` | ${((ms * 1000) / spans).toFixed(2)} | ${calls.toLocaleString('en')} | ${((ms * 1000) / calls).toFixed(1)} |`,
    )
  console.log(`| all of insertPrepared | ${((wallMs * 1000) / spans).toFixed(2)} | | |`)
  store.close()
} finally {
  rmSync(dir, { recursive: true, force: true })
}
