import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type SpanData, TokentrailError } from '@tokentrail/core'
import { describe, expect, it } from 'vitest'
import { openTraceStore, type TraceStore } from '../src/index.js'
import { chatTrace, onCleanup, tempDir } from './helpers.js'

function store(options: Parameters<typeof openTraceStore>[0] = {}): TraceStore {
  const s = openTraceStore({ path: join(tempDir(), 'traces.db'), ...options })
  onCleanup(() => s.close())
  return s
}

/** Moves a trace in time, keeping its shape. */
function shift(spans: SpanData[], ms: number): SpanData[] {
  return spans.map((s) => ({ ...s, startTime: s.startTime + ms, endTime: s.endTime + ms }))
}

describe('trace store', () => {
  it('makes a new file with 8 KB pages and reopens it as it is', async () => {
    const path = join(tempDir(), 'traces.db')
    const first = openTraceStore({ path })
    first.insert(await chatTrace())
    const pageSize = (s: TraceStore) =>
      (s.db.prepare('PRAGMA page_size').get() as { page_size: number }).page_size
    expect(pageSize(first)).toBe(8192)
    first.close()
    const again = store({ path })
    expect(pageSize(again)).toBe(8192)
    expect(again.listTraces().traces).toHaveLength(1)
  })

  it('makes its search indexes merge 16 segments at a time, and still finds after many commits', async () => {
    const s = store({ path: join(tempDir(), 'traces.db') })
    for (const table of ['trace_search', 'trace_attrs'])
      expect(s.db.prepare(`SELECT v FROM ${table}_config WHERE k = 'automerge'`).get()).toEqual({
        v: 16,
      })
    // One commit per trace: 40 segments, merged as they pile up; every trace is still found.
    for (let i = 0; i < 40; i++) s.insert(await chatTrace({ prompt: `question number ${i}x` }))
    for (const i of [0, 17, 39])
      expect(s.listTraces({ text: `question number ${i}x` }).traces).toHaveLength(1)
    expect(s.listTraces({ text: 'no such question' }).traces).toHaveLength(0)
    expect(s.listTraces({ tags: ['no-such-tag'] }).traces).toHaveLength(0)
  })

  it('keeps a trace row with root, status, model, tokens, cost and TTFT', async () => {
    const s = store()
    const spans = await chatTrace({ fail: true })
    // Children end (and are exported) before the root: insert in that order, in two batches.
    const root = spans.find((x) => !x.parentSpanId)!
    const result = s.insert(spans.filter((x) => x !== root))
    expect(result.inserted).toBe(2)
    s.insert([root])
    const [trace] = s.listTraces().traces
    expect(trace).toMatchObject({
      traceId: root.traceId,
      rootName: 'POST /api/chat',
      rootSpanId: root.spanId,
      status: 'error',
      service: 'chat-api',
      model: 'gpt-4o-mini',
      spanCount: 3,
      errorCount: 2,
      inputTokens: 21,
      outputTokens: 34,
      totalTokens: 55,
      costUsd: 0.000123,
      ttftMs: 12.5,
      errorMessage: 'weather service unreachable',
    })
    expect(trace!.durationMs).toBeCloseTo(root.endTime - root.startTime, 6)
    const detail = s.getTrace(root.traceId)!
    expect(detail.spans.map((x) => x.spanId).sort()).toEqual(spans.map((x) => x.spanId).sort())
    expect(detail.spans.find((x) => x.kind === 'tool')).toEqual(
      spans.find((x) => x.kind === 'tool'),
    )
    expect(detail.waterfall).toHaveLength(3)
    expect(detail.waterfall[0]!.spanId).toBe(root.spanId)
    expect(detail.waterfall.slice(1).map((row) => [row.depth, row.parentSpanId])).toEqual([
      [1, root.spanId],
      [1, root.spanId],
    ])
  })

  it('stores a re-sent span once, so exporter retries do not double count', async () => {
    const s = store()
    const spans = await chatTrace()
    s.insert(spans)
    const again = s.insert(spans)
    expect(again).toMatchObject({ inserted: 0, duplicates: 3 })
    expect(s.listTraces().traces[0]).toMatchObject({ spanCount: 3, inputTokens: 21 })
    expect(s.counts).toEqual({ traces: 1, spans: 3 })
  })

  it('filters by status, model, service, text and time, newest first, with paging', async () => {
    const s = store()
    const base = Date.now() - 60_000
    for (let i = 0; i < 7; i++) {
      const spans = await chatTrace({
        fail: i % 3 === 0,
        model: i % 2 ? 'gpt-4o' : 'claude-x',
        service: i < 4 ? 'api' : 'worker',
        prompt: `question number ${i}`,
      })
      const offset = base + i * 1000 - Math.min(...spans.map((x) => x.startTime))
      s.insert(shift(spans, offset))
    }
    const ids = (q: Parameters<TraceStore['listTraces']>[0]) =>
      s
        .listTraces(q)
        .traces.map((t) =>
          Number(
            /number (\d)/.exec(
              s.getTrace(t.traceId)!.spans.find((x) => x.kind === 'llm')!.attributes[
                'gen_ai.input.messages'
              ] as string,
            )![1],
          ),
        )
    expect(ids({})).toEqual([6, 5, 4, 3, 2, 1, 0])
    expect(ids({ status: 'error' })).toEqual([6, 3, 0])
    expect(ids({ model: 'gpt-4o' })).toEqual([5, 3, 1])
    expect(ids({ service: 'worker' })).toEqual([6, 5, 4])
    expect(ids({ text: 'NUMBER 4' })).toEqual([4])
    expect(ids({ from: base + 2000, to: base + 5000 })).toEqual([4, 3, 2])
    expect(ids({ status: 'error', model: 'claude-x' })).toEqual([6, 0])
    const first = s.listTraces({ limit: 3 })
    expect(first.nextCursor).toBeDefined()
    const second = s.listTraces({ limit: 3, cursor: first.nextCursor })
    const third = s.listTraces({ limit: 3, cursor: second.nextCursor })
    expect(third.nextCursor).toBeUndefined()
    const all = [...first.traces, ...second.traces, ...third.traces].map((t) => t.traceId)
    expect(all).toEqual(s.listTraces().traces.map((t) => t.traceId))
    expect(() => s.listTraces({ cursor: 'nope' })).toThrow(TokentrailError)
    expect(() => s.listTraces({ limit: 0 })).toThrow(/limit must be a whole number from 1 to 1000/)
  })

  it('finds traces by unique prefix and says when a prefix is ambiguous', async () => {
    const s = store()
    const a = await chatTrace()
    const b = await chatTrace()
    const rename = (spans: SpanData[], id: string) => spans.map((x) => ({ ...x, traceId: id }))
    s.insert(rename(a, `abcdef01${'1'.repeat(24)}`))
    s.insert(rename(b, `abcdef02${'2'.repeat(24)}`))
    expect(s.resolveTraceId('abcdef01')).toEqual({
      found: true,
      traceId: `abcdef01${'1'.repeat(24)}`,
    })
    expect(s.resolveTraceId('ABCDEF02')).toEqual({
      found: true,
      traceId: `abcdef02${'2'.repeat(24)}`,
    })
    expect(s.resolveTraceId('abcdef')).toMatchObject({ found: false, reason: 'ambiguous' })
    expect(s.resolveTraceId('ffffff')).toMatchObject({ found: false, reason: 'unknown' })
    expect(s.resolveTraceId('xyz')).toMatchObject({ found: false, reason: 'unknown' })
    expect(s.lastTrace()?.trace.traceId).toBeDefined()
  })

  it('keeps at most maxTraces, deleting the oldest traces with their spans', async () => {
    const s = store({ maxTraces: 3 })
    const start = Date.now() - 10_000
    const traces: string[] = []
    for (let i = 0; i < 5; i++) {
      const spans = await chatTrace()
      s.insert(shift(spans, start + i * 100 - spans[0]!.startTime))
      traces.push(spans[0]!.traceId)
      s.sweep()
    }
    expect(s.counts).toEqual({ traces: 3, spans: 9 })
    expect(s.listTraces().traces.map((t) => t.traceId)).toEqual(traces.slice(2).reverse())
    expect(s.getTrace(traces[0]!)).toBeUndefined()
  })

  it('deletes traces older than maxAgeMs', async () => {
    const s = store({ maxAgeMs: 60_000 })
    const old = await chatTrace()
    const fresh = await chatTrace()
    s.insert(shift(old, -120_000))
    s.insert(fresh)
    expect(s.sweep()).toBe(1)
    expect(s.listTraces().traces.map((t) => t.traceId)).toEqual([fresh[0]!.traceId])
  })

  it('computes error rate and latency/TTFT percentiles, tokens and cost by model', async () => {
    const s = store()
    for (let i = 0; i < 10; i++) {
      const spans = (await chatTrace({ model: i < 8 ? 'gpt-4o' : 'mini', fail: i === 0 })).map(
        (x) =>
          x.kind === 'llm'
            ? {
                ...x,
                endTime: x.startTime + (i + 1) * 100,
                attributes: { ...x.attributes, 'tokentrail.ttft_ms': (i + 1) * 10 },
                status: i === 1 ? ('error' as const) : x.status,
              }
            : x,
      )
      s.insert(spans)
    }
    const stats = s.stats()
    expect(stats.traces).toMatchObject({ count: 10, errors: 2, errorRate: 0.2 })
    const gpt = stats.models.find((m) => m.model === 'gpt-4o')!
    expect(gpt).toMatchObject({
      calls: 8,
      errors: 1,
      errorRate: 0.125,
      inputTokens: 168,
      outputTokens: 272,
    })
    expect(gpt.latencyMs.p50).toBeCloseTo(400, 6)
    expect(gpt.latencyMs.p95).toBeCloseTo(800, 6)
    expect(gpt.ttftMs).toEqual({ p50: 40, p95: 80, p99: 80 })
    expect(gpt.costUsd).toBeCloseTo(8 * 0.000123, 9)
    expect(stats.models.find((m) => m.model === 'mini')?.calls).toBe(2)
    expect(stats.store).toEqual({ traces: 10, spans: 30 })
  })

  it('persists across reopen and refuses a file that is not a trace database', async () => {
    const dir = tempDir()
    const path = join(dir, 'traces.db')
    const first = openTraceStore({ path })
    first.insert(await chatTrace())
    first.close()
    const second = openTraceStore({ path })
    expect(second.counts).toEqual({ traces: 1, spans: 3 })
    second.close()
    const junk = join(dir, 'junk.db')
    writeFileSync(junk, 'not sqlite at all, just text that is long enough to be read as a header')
    expect(() => openTraceStore({ path: junk })).toThrow(/is not a tokentrail trace database.*--db/)
    expect(() => openTraceStore({ path: ':memory:', maxTraces: -1 })).toThrow(/maxTraces must be/)
  })
})
