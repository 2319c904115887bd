// The WAL is copied into the database file by a worker thread while ingest goes on, so COMMIT
// stops paying for checkpoints; the ingest connection's own checkpoint (at ~40 MB of WAL) stays a
// backstop. Closing the store leaves one complete file.
import { execFile } from 'node:child_process'
import { existsSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setImmediate as tick } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { openTraceStore } from '../src/index.js'
import { onCleanup, tempDir } from './helpers.js'
import { llmTrace } from './synthetic.js'

const size = (path: string) => (existsSync(path) ? statSync(path).size : 0)

describe('background checkpoints', () => {
  it('copy the WAL into the file during ingest, long before the backstop, and close to one file', async () => {
    const db = join(tempDir(), 'traces.db')
    const store = openTraceStore({ path: db, maxTraces: 0 })
    onCleanup(() => store.close())
    const start = Date.now() - 60_000
    const first = llmTrace(start)
    store.insert(first)
    const fileAtStart = size(db)
    // 12,000 spans, about 10 MB of WAL: a quarter of the size at which the ingest connection
    // would checkpoint by itself. The worker starts, and checkpoints, after 10,000.
    for (let batch = 0; batch < 30; batch++) {
      store.insert(Array.from({ length: 200 }, (_, i) => llmTrace(start + batch * 200 + i)).flat())
      await tick()
    }
    expect(size(`${db}-wal`)).toBeLessThan(40 * 1024 * 1024)
    await expect.poll(() => size(db), { timeout: 10_000 }).toBeGreaterThan(fileAtStart + 1_000_000)
    store.close()
    expect(size(`${db}-wal`)).toBe(0)
    const again = openTraceStore({ path: db, maxTraces: 0 })
    onCleanup(() => again.close())
    expect(again.counts).toEqual({ traces: 6001, spans: 12_002 })
    expect(again.getTrace(first[0]!.traceId)?.spans).toHaveLength(2)
  }, 60_000)

  it('never keep a process alive: a script that stores 12,000 spans and never closes the store exits', async () => {
    const dir = tempDir()
    const script = join(dir, 'no-close.mjs')
    const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url))
    writeFileSync(
      script,
      `import { openTraceStore } from ${JSON.stringify(dist)}
const store = openTraceStore({ path: ${JSON.stringify(join(dir, 'traces.db'))}, maxTraces: 0 })
const start = Date.now() - 60_000
for (let batch = 0; batch < 24; batch++) {
  const spans = []
  for (let i = 0; i < 250; i++) {
    const traceId = (batch * 250 + i).toString(16).padStart(32, '0')
    for (const n of [1, 2])
      spans.push({ traceId, spanId: (batch * 500 + i * 2 + n).toString(16).padStart(16, '0'), name: 'span', kind: 'internal', status: 'ok', startTime: start, endTime: start + 5, attributes: {}, events: [], resource: { serviceName: 'script', attributes: {} } })
  }
  store.insert(spans)
  await new Promise((resolve) => setImmediate(resolve))
}
console.log(store.counts.spans)
`,
    )
    // Hanging past the timeout (the worker holding the event loop) fails the call.
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--disable-warning=ExperimentalWarning', script],
      { timeout: 30_000 },
    )
    expect(stdout.trim()).toBe('12000')
  }, 40_000)
})
