// Retention by size: past `maxDbBytes` the oldest traces are deleted and their pages reused, so a
// collector left running under a chatty app keeps its file about that size instead of filling the
// disk. Through the collector over HTTP, as an exporter sends.
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { startCollector } from '../src/index.js'
import { onCleanup, runCapture, tempDir } from './helpers.js'
import { hexId, postSpans, span } from './synthetic.js'

const MB = 1024 * 1024

function bigTrace(startTime: number) {
  const traceId = hexId(32)
  return span({
    traceId,
    spanId: hexId(16),
    name: `chat ${traceId.slice(0, 6)}`,
    startTime,
    attributes: { 'gen_ai.input.messages': hexId(32).repeat(600) },
  })
}

describe('--max-db-size', () => {
  it('deletes the oldest traces past the size, keeps the newest, and the file stays about that size', async () => {
    const db = join(tempDir(), 'traces.db')
    const c = await startCollector({ port: 0, db, maxDbBytes: 2 * MB, log: () => {} })
    let closed = false
    onCleanup(() => (closed ? undefined : c.close()))
    const sent: string[] = []
    const start = Date.now() - 1_000_000
    // 400 traces of ~20 KB each: about 8 MB sent, four times the cap.
    for (let batch = 0; batch < 40; batch++) {
      const spans = Array.from({ length: 10 }, (_, i) => bigTrace(start + batch * 10 + i))
      sent.push(...spans.map((s) => s.traceId))
      expect(await postSpans(c.url, spans)).toBe(200)
      // Never far past the cap: one batch (~200 KB) over it at most, before its sweep.
      expect(c.store.usedBytes()).toBeLessThanOrEqual(2 * MB + 300_000)
    }
    const kept = c.store.counts.traces
    expect(kept).toBeGreaterThan(40)
    expect(kept).toBeLessThan(120)
    // The newest are the ones kept, every one of them.
    const listed: string[] = []
    let cursor: string | undefined
    do {
      const page = await fetch(
        `${c.url}/api/traces?limit=1000${cursor ? `&cursor=${cursor}` : ''}`,
      ).then((r) => r.json())
      listed.push(...page.traces.map((t: { traceId: string }) => t.traceId))
      cursor = page.nextCursor
    } while (cursor)
    expect(listed.sort()).toEqual(sent.slice(-kept).sort())
    expect((await fetch(`${c.url}/api/traces/${sent[0]}`)).status).toBe(404)
    const stats = await fetch(`${c.url}/api/stats`).then((r) => r.json())
    expect(stats.collector.tracesDeletedByRetention).toBe(400 - kept)
    await c.close()
    closed = true
    // Closed, the write-ahead log is folded in: the file is the size of what is kept.
    expect(statSync(db).size).toBeLessThan(2.5 * MB)
  })

  it('refuses a size below 1 MiB, naming the option', async () => {
    await expect(startCollector({ port: 0, db: ':memory:', maxDbBytes: 4096 })).rejects.toThrow(
      'maxDbBytes must be 0 (no limit) or a whole number of bytes ≥ 1048576 (1 MiB), got 4096',
    )
    const bad = await runCapture([
      'dev',
      '--port',
      '0',
      '--db',
      ':memory:',
      '--max-db-size',
      '10kb',
    ])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain(
      '--max-db-size must be a size of 1mb or more such as 2gb or 500mb, or 0 for no limit; got "10kb"',
    )
    const none = await startCollector({ port: 0, db: ':memory:', maxDbBytes: 0 })
    await none.close()
  })
})
