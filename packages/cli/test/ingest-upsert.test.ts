import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { openTraceStore } from '../src/index.js'
import { chatTrace, onCleanup, tempDir } from './helpers.js'
import { llmTrace, postSpans } from './synthetic.js'

/**
 * Segments of an FTS5 index, from its structure record (`<table>_data` row 10): a 4-byte cookie,
 * an optional 4-byte version-2 marker, then the number of levels and of segments as varints.
 */
function segments(store: ReturnType<typeof openTraceStore>, table: string): number {
  const { block } = store.db.prepare(`SELECT block FROM ${table}_data WHERE id = 10`).get() as {
    block: Uint8Array
  }
  let i = 4
  if (block[4] === 0xff && block[5] === 0x00 && block[6] === 0x00 && block[7] === 0x01) i += 4
  const varint = () => {
    let value = 0
    for (;;) {
      const byte = block[i++]!
      value = value * 128 + (byte & 0x7f)
      if (byte < 0x80) return value
    }
  }
  varint() // levels
  return varint()
}

/** Rows of `traces` and of both indexes, once the index caught up (see search-catch-up.test.ts). */
function indexRows(store: ReturnType<typeof openTraceStore>) {
  store.catchUpIndex()
  return store.db
    .prepare(
      'SELECT (SELECT count(*) FROM traces) AS traces, (SELECT count(*) FROM trace_search) AS search, (SELECT count(*) FROM trace_attrs) AS attrs',
    )
    .get()
}

describe('ingest by upsert', () => {
  it('answers the stored spans in the order they came (live viewers and tail show them so)', async () => {
    const a = await chatTrace({ prompt: 'stored earlier' })
    const b = await chatTrace({ prompt: 'new now' })
    const store = openTraceStore({ path: ':memory:' })
    onCleanup(() => store.close())
    store.insert([a[0]!])
    // a's rest updates a stored trace, b is new: spans of both, interleaved, one sent twice.
    const batch = [a[1]!, b[0]!, a[2]!, b[0]!, ...b.slice(1), ...a.slice(3)]
    const result = store.insert(batch)
    const expected = [a[1]!, b[0]!, a[2]!, ...b.slice(1), ...a.slice(3)]
    expect(result.spans.map((s) => s.spanId)).toEqual(expected.map((s) => s.spanId))
    expect(result.traces.map((t) => t.traceId)).toEqual([a[0]!.traceId, b[0]!.traceId])
  })

  it('stores a span sent twice in one batch once, and its trace counts it once', async () => {
    const a = await chatTrace({ prompt: 'twice in a batch' })
    const whole = openTraceStore({ path: ':memory:' })
    const doubled = openTraceStore({ path: ':memory:' })
    onCleanup(() => whole.close())
    onCleanup(() => doubled.close())
    whole.insert(a)
    // A new trace whose batch repeats its model call (and, in a later batch, a retry of all).
    const result = doubled.insert([a[0]!, ...a, a.at(-1)!])
    expect(result).toMatchObject({ inserted: a.length, duplicates: 2 })
    expect(result.traces).toHaveLength(1)
    expect(result.traces[0]).toMatchObject({ spanCount: a.length })
    expect(doubled.insert(a)).toMatchObject({ inserted: 0, duplicates: a.length, traces: [] })
    expect(doubled.getTrace(a[0]!.traceId)).toEqual(whole.getTrace(a[0]!.traceId))
    expect(doubled.listTraces()).toEqual(whole.listTraces())
    expect(doubled.stats()).toEqual(whole.stats())
    expect(doubled.counts).toEqual({ traces: 1, spans: a.length })
    expect(indexRows(doubled)).toEqual({ traces: 1, search: 1, attrs: 1 })
  })

  it('updates a trace an earlier batch stored in place, the same as storing it at once', async () => {
    const a = await chatTrace({ prompt: 'first question' })
    const b = await chatTrace({ prompt: 'second question', fail: true })
    const whole = openTraceStore({ path: ':memory:' })
    const split = openTraceStore({ path: ':memory:' })
    onCleanup(() => whole.close())
    onCleanup(() => split.close())
    whole.insert([...a, ...b])

    // The exporter's order: the model call ends first; the rest of each trace (root last) comes
    // in a later batch, with the first span sent again (an exporter retry).
    const first = split.insert([a[0]!, b[0]!])
    expect(first.traces.map((t) => t.traceId)).toEqual([a[0]!.traceId, b[0]!.traceId])
    const rowids = split.db.prepare('SELECT trace_id, rowid FROM traces ORDER BY trace_id').all()
    expect(split.listTraces({ text: 'execute_tool' }).traces).toEqual([])
    const second = split.insert([a[0]!, ...a.slice(1), ...b.slice(1)])
    expect(second).toMatchObject({ inserted: a.length + b.length - 2, duplicates: 1 })
    expect(second.traces.map((t) => t.traceId)).toEqual([a[0]!.traceId, b[0]!.traceId])
    expect(second.traces[1]).toMatchObject({ status: 'error', spanCount: b.length })

    // Same rows (no delete and re-insert), one search and one attribute row per trace.
    expect(split.db.prepare('SELECT trace_id, rowid FROM traces ORDER BY trace_id').all()).toEqual(
      rowids,
    )
    expect(indexRows(split)).toEqual({ traces: 2, search: 2, attrs: 2 })
    for (const spans of [a, b])
      expect(split.getTrace(spans[0]!.traceId)).toEqual(whole.getTrace(spans[0]!.traceId))
    expect(split.listTraces()).toEqual(whole.listTraces())
    expect(split.stats()).toEqual(whole.stats())
    expect(split.counts).toEqual({ traces: 2, spans: a.length + b.length })

    // What the later batch brought is found: the tool span's name, the failed status.
    expect(split.listTraces({ text: 'execute_tool' }).traces).toHaveLength(2)
    expect(split.listTraces({ text: 'second question' }).traces.map((t) => t.traceId)).toEqual([
      b[0]!.traceId,
    ])
    expect(split.listTraces({ status: 'error' }).traces.map((t) => t.traceId)).toEqual([
      b[0]!.traceId,
    ])
    expect(split.listTraces({ attributes: { 'gen_ai.tool.name': 'weather' } }).traces).toHaveLength(
      2,
    )
  })

  it('writes the index rows of a batch that updates earlier traces and adds new ones as one segment per index', async () => {
    const a = await chatTrace({ prompt: 'first question' })
    const b = await chatTrace({ prompt: 'second question' })
    const c = await chatTrace({ prompt: 'third question' })
    const store = openTraceStore({ path: ':memory:' })
    onCleanup(() => store.close())
    store.insert([a[0]!, b[0]!])
    store.catchUpIndex()
    expect([segments(store, 'trace_search'), segments(store, 'trace_attrs')]).toEqual([1, 1])
    // The stored traces come in reverse order of their rowids, after a new one. Written in that
    // order, each rowid below the one written before it made FTS5 flush its pending terms
    // mid-transaction: three segments for this batch instead of one (and merges sooner). The new
    // trace waits for the catch-up, which writes one more.
    store.insert([...c, ...b.slice(1), ...a.slice(1)])
    expect([segments(store, 'trace_search'), segments(store, 'trace_attrs')]).toEqual([2, 2])
    store.catchUpIndex()
    expect([segments(store, 'trace_search'), segments(store, 'trace_attrs')]).toEqual([3, 3])
    for (const table of ['trace_search', 'trace_attrs'])
      store.db.exec(`INSERT INTO ${table} (${table}) VALUES ('integrity-check')`)
    // Each trace is found by what its first batch brought and by what the second did.
    for (const [spans, prompt] of [
      [a, 'first question'],
      [b, 'second question'],
      [c, 'third question'],
    ] as const)
      expect(
        store.listTraces({ text: prompt }).traces.map((t) => t.traceId),
        prompt,
      ).toEqual([spans[0]!.traceId])
    expect(store.listTraces({ text: 'execute_tool' }).traces).toHaveLength(3)
    expect(store.listTraces({ attributes: { 'gen_ai.tool.name': 'weather' } }).traces).toHaveLength(
      3,
    )
  })

  it('stores a batch that only repeats stored spans as nothing new', async () => {
    const spans = await chatTrace({ prompt: 'once' })
    const store = openTraceStore({ path: ':memory:' })
    onCleanup(() => store.close())
    store.insert(spans)
    const before = store.getTrace(spans[0]!.traceId)
    expect(store.insert(spans)).toEqual({
      inserted: 0,
      duplicates: spans.length,
      spans: [],
      traces: [],
    })
    expect(store.getTrace(spans[0]!.traceId)).toEqual(before)
    expect(indexRows(store)).toEqual({ traces: 1, search: 1, attrs: 1 })
    expect(store.stats().traces.count).toBe(1)
  })

  it('finds a trace by id before and after the index caught up, and merges its later spans either way', async () => {
    const path = join(tempDir(), 'traces.db')
    const store = openTraceStore({ path })
    onCleanup(() => store.close())
    const a = await chatTrace({ prompt: 'caught up' })
    const b = await chatTrace({ prompt: 'waiting' })
    store.insert([a[0]!, b[0]!])
    const idRows = () => store.db.prepare('SELECT count(*) AS n FROM trace_ids').get()
    expect(idRows()).toEqual({ n: 0 })
    // Not in `trace_ids` yet: found all the same, by id, by a prefix and by its id as search text.
    expect(store.getTrace(a[0]!.traceId)!.spans).toHaveLength(1)
    expect(store.resolveTraceId(a[0]!.traceId.slice(0, 10))).toEqual({
      found: true,
      traceId: a[0]!.traceId,
    })
    expect(store.listTraces({ text: a[0]!.traceId }).traces.map((t) => t.traceId)).toEqual([
      a[0]!.traceId,
    ])
    store.catchUpIndex()
    expect(idRows()).toEqual({ n: 2 })
    store.insert(a.slice(1))
    expect(store.getTrace(a[0]!.traceId)!.trace.spanCount).toBe(a.length)
    expect(store.getSpanJson(a[0]!.traceId, a[1]!.spanId)).toBe(JSON.stringify(a[1]))
    expect(store.resolveTraceId(a[0]!.traceId.slice(0, 10)).found).toBe(true)

    // A trace stored after the catch-up, then the file opened again as after a crash: the new
    // connection reads it from `traces` and merges its later spans into it.
    const c = await chatTrace({ prompt: 'after a crash' })
    store.insert([c[0]!])
    const reopened = openTraceStore({ path })
    onCleanup(() => reopened.close())
    reopened.insert([...b.slice(1), ...c.slice(1)])
    expect(reopened.counts).toEqual({ traces: 3, spans: a.length + b.length + c.length })
    for (const spans of [a, b, c])
      expect(reopened.getTrace(spans[0]!.traceId)!.trace.spanCount).toBe(spans.length)
    expect(reopened.resolveTraceId('ffffffffff')).toEqual({ found: false, reason: 'unknown' })
    reopened.catchUpIndex()
    expect(reopened.db.prepare('SELECT count(*) AS n FROM trace_ids').get()).toEqual({ n: 3 })
  })

  it('rolls a failed batch back whole, trace rows and index rows included', async () => {
    const stored = await chatTrace({ prompt: 'kept' })
    const store = openTraceStore({ path: ':memory:' })
    onCleanup(() => store.close())
    store.insert(stored.slice(0, 1))
    const fresh = await chatTrace({ prompt: 'dropped' })
    // A span whose JSON cannot be written makes the insert throw mid-batch.
    const broken = { ...fresh[1]!, attributes: { bad: 1n } } as unknown as (typeof fresh)[number]
    expect(() => store.insert([...stored.slice(1), fresh[0]!, broken])).toThrow()
    expect(store.counts).toEqual({ traces: 1, spans: 1 })
    expect(indexRows(store)).toEqual({ traces: 1, search: 1, attrs: 1 })
    expect(store.listTraces({ text: 'dropped' }).traces).toEqual([])
    // Nor found by id.
    expect(store.getTrace(fresh[0]!.traceId)).toBeUndefined()
    expect(store.stats().traces.count).toBe(1)
    // The same spans go in once the bad one is left out.
    expect(store.insert([...stored.slice(1), fresh[0]!]).inserted).toBe(stored.length)
    expect(store.getTrace(stored[0]!.traceId)!.trace.spanCount).toBe(stored.length)
  })
})

describe('acknowledged spans survive a kill', () => {
  it('keeps every span `tokentrail dev` answered 200 for after SIGKILL, traces split over batches included', async () => {
    const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url))
    expect(
      existsSync(bin),
      'run `pnpm --filter @tokentrail/cli build` first (the test script does)',
    ).toBe(true)
    const db = join(tempDir(), 'traces.db')
    const child = spawn(process.execPath, [bin, 'dev', '--port', '0', '--db', db], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    })
    const exited = new Promise((resolve) => child.on('exit', resolve))
    onCleanup(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await exited
    })
    const url = await new Promise<string>((resolve, reject) => {
      let out = ''
      child.stdout.on('data', (chunk) => {
        out += chunk
        const match = /viewer\s+(http:\/\/[^/\s]+)\//.exec(out)
        if (match) resolve(match[1]!)
      })
      child.on('exit', (code) => reject(new Error(`tokentrail dev exited with ${code}: ${out}`)))
    })
    // 60 batches of 100 traces; each trace's root span comes one batch after its other spans, so
    // every batch both inserts new traces and updates traces of the batch before. Past 10,000
    // spans the background checkpointer copies the WAL while batches keep coming.
    const start = Date.now() - 60_000
    const traces = Array.from({ length: 6000 }, (_, i) => llmTrace(start + i))
    let acknowledged = 0
    for (let b = 0; b <= 60; b++) {
      const batch = [
        ...traces.slice(b * 100, b * 100 + 100).flatMap((t) => t.filter((s) => s.parentSpanId)),
        ...traces.slice((b - 1) * 100, b * 100).flatMap((t) => t.filter((s) => !s.parentSpanId)),
      ]
      expect(await postSpans(url, batch)).toBe(200)
      acknowledged += batch.length
    }
    child.kill('SIGKILL')
    await exited
    const store = openTraceStore({ path: db, maxTraces: 0 })
    onCleanup(() => store.close())
    expect(store.counts).toEqual({ traces: 6000, spans: acknowledged })
    const last = traces[5999]!
    expect(store.getTrace(last[0]!.traceId)!.trace).toMatchObject({
      spanCount: last.length,
      rootName: 'POST /api/chat',
    })
    expect(store.stats().traces.count).toBe(6000)
    // Every trace is found by id: those in `trace_ids` and those stored after the last catch-up.
    for (const trace of traces)
      expect(store.getTrace(trace[0]!.traceId)!.trace.spanCount).toBe(trace.length)
    // The newest traces, some not indexed when the process died: the search catches up first.
    expect(store.listTraces({ text: 'post /api/chat', limit: 1000 }).traces).toHaveLength(1000)
    expect(indexRows(store)).toEqual({ traces: 6000, search: 6000, attrs: 6000 })
  }, 120_000)
})
