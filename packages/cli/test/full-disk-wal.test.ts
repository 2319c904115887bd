// After a full disk, what the WAL gathered goes into the database file as soon as a write succeeds
// again: before, the checkpoint worker stopped for good at its first SQLITE_FULL, and nothing
// copied the WAL until it reached 40 MB or the collector stopped, so the WAL kept growing on the
// disk that had just run full. Through the collector over HTTP, as an exporter sends.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { openTraceStore, startCollector } from '../src/index.js'
import { onCleanup, tempDir } from './helpers.js'
import { hexId, postSpans, span } from './synthetic.js'

const size = (path: string) => (existsSync(path) ? statSync(path).size : 0)

function spans(n: number, text = 200) {
  return Array.from({ length: n }, () =>
    span({
      traceId: hexId(32),
      spanId: hexId(16),
      name: 'call',
      attributes: {
        note: Math.random()
          .toString(36)
          .repeat(Math.ceil(text / 11))
          .slice(0, text),
      },
    }),
  )
}

// A tmpfs of `mb` megabytes (root only: skipped elsewhere), unmounted after the test.
function smallDisk(mb: number): string | undefined {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return undefined
  const dir = mkdtempSync(join(tmpdir(), 'tokentrail-small-disk-'))
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${mb}m`, 'tmpfs', dir], { stdio: 'ignore' })
  } catch {
    rmSync(dir, { recursive: true, force: true })
    return undefined
  }
  onCleanup(() => {
    execFileSync('umount', [dir], { stdio: 'ignore' })
    rmSync(dir, { recursive: true, force: true })
  })
  return dir
}

describe('after a full disk', () => {
  it('the first write that succeeds again has the WAL copied into the database file', async () => {
    const path = join(tempDir(), 'traces.db')
    const store = openTraceStore({ path })
    onCleanup(() => store.close())
    const c = await startCollector({ port: 0, store, log: () => {} })
    onCleanup(() => c.close())
    // A small store: its WAL (under a MB here) is copied at 40 MB or at close, as designed.
    expect(await postSpans(c.url, spans(2000))).toBe(200)
    const fileBefore = size(path)
    expect(size(`${path}-wal`)).toBeGreaterThan(fileBefore + 500_000)
    // SQLite's own page limit makes the next write fail exactly as a full disk does (SQLITE_FULL).
    const db = (store as unknown as { db: import('node:sqlite').DatabaseSync }).db
    const { page_count } = db.prepare('PRAGMA page_count').get() as { page_count: number }
    db.exec(`PRAGMA max_page_count = ${page_count}`)
    expect(await postSpans(c.url, spans(2000))).toBe(503)
    db.exec('PRAGMA max_page_count = 1073741823')
    expect(await postSpans(c.url, spans(10))).toBe(200)
    await expect.poll(() => size(path), { timeout: 10_000 }).toBeGreaterThan(fileBefore + 500_000)
    expect(store.counts.spans).toBe(2010)
  })

  it('a real full disk (tmpfs, root only): checkpoints go on once space is back, and the WAL stops growing', async (context) => {
    const disk = smallDisk(32)
    if (!disk) return context.skip()
    const path = join(disk, 'traces.db')
    const store = openTraceStore({ path })
    onCleanup(() => store.close())
    const c = await startCollector({ port: 0, store, log: () => {} })
    onCleanup(() => c.close())
    const filler = join(disk, 'filler')
    writeFileSync(filler, Buffer.alloc(12 * 1024 * 1024))
    // Past 5,000 spans the checkpoint worker runs; the disk fills while it does.
    let status = 200
    for (let i = 0; i < 100 && status === 200; i++) status = await postSpans(c.url, spans(500, 600))
    expect(status).toBe(503)
    expect(store.counts.spans).toBeGreaterThan(5000)
    const fileAtFull = size(path)
    rmSync(filler)
    expect(await postSpans(c.url, spans(100, 600))).toBe(200)
    // The checkpoint copies into the file what the WAL gathered (before, nothing did: the worker
    // had stopped at its SQLITE_FULL); then the file keeps its size while nothing is written.
    await expect.poll(() => size(path), { timeout: 10_000 }).toBeGreaterThan(fileAtFull)
    let last = -1
    await expect
      .poll(
        async () => {
          const now = size(path)
          const still = now === last
          last = now
          await new Promise((resolve) => setTimeout(resolve, 200))
          return still
        },
        { timeout: 10_000 },
      )
      .toBe(true)
    // The WAL starts over from its beginning: more spans take no more room in it. (A file still for
    // 200 ms does not prove the checkpoint's last pass ended on a loaded machine: first a POST that
    // leaves the WAL as it was.)
    await expect
      .poll(
        async () => {
          const before = size(`${path}-wal`)
          expect(await postSpans(c.url, spans(100, 600))).toBe(200)
          return size(`${path}-wal`) === before
        },
        { timeout: 10_000, interval: 200 },
      )
      .toBe(true)
    const wal = size(`${path}-wal`)
    for (let i = 0; i < 4; i++) expect(await postSpans(c.url, spans(100, 600))).toBe(200)
    expect(size(`${path}-wal`)).toBe(wal)
  }, 60_000)

  it('a disk already full at start is said as full, and the start leaves no empty database behind', async (context) => {
    const disk = smallDisk(1)
    if (!disk) return context.skip()
    writeFileSync(join(disk, 'filler'), Buffer.alloc(0))
    try {
      writeFileSync(join(disk, 'filler'), Buffer.alloc(2 * 1024 * 1024))
    } catch {}
    const path = join(disk, 'data', 'traces.db')
    await expect(startCollector({ port: 0, db: path, log: () => {} })).rejects.toThrow(
      `cannot write to the trace database at ${path}: the disk is full`,
    )
    expect(readdirSync(disk)).toEqual(['filler'])
  })
})
