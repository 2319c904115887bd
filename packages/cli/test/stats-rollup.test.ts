// Issue 17, item 2: stats loaded and sorted every row in JS (3.1 s over 24 h at 1M spans). They now
// come from a rollup kept at ingest; this checks it against an exact count from the rows, at 100k
// spans, through trace updates, duplicates and retention deletes. (Speed: see bench/.)

import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import type { SpanData } from '@tokentrail/core'
import { describe, expect, it } from 'vitest'
import { openTraceStore } from '../src/index.js'
import { onCleanup, tempDir } from './helpers.js'
import { hexId, span } from './synthetic.js'

const MODELS = ['gpt-4o', 'gpt-4o-mini', 'claude']

function exact(path: string, from: number, to: number) {
  const db = new DatabaseSync(path, { readOnly: true })
  try {
    const traces = db
      .prepare(
        "SELECT end_time - start_time AS d, status = 'error' AS e FROM traces WHERE start_time >= ? AND start_time < ? ORDER BY d",
      )
      .all(from, to) as { d: number; e: number }[]
    const spans = db
      .prepare(
        'SELECT model, status, end_time - start_time AS d, input_tokens AS i, output_tokens AS o FROM spans WHERE model IS NOT NULL AND start_time >= ? AND start_time < ?',
      )
      .all(from, to) as { model: string; status: string; d: number; i: number; o: number }[]
    const at = (sorted: number[], p: number) =>
      sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!
    const models = new Map<string, { calls: number; errors: number; input: number; d: number[] }>()
    for (const s of spans) {
      let m = models.get(s.model)
      if (!m) models.set(s.model, (m = { calls: 0, errors: 0, input: 0, d: [] }))
      m.calls++
      if (s.status === 'error') m.errors++
      m.input += s.i
      m.d.push(s.d)
    }
    for (const m of models.values()) m.d.sort((a, b) => a - b)
    return {
      count: traces.length,
      errors: traces.reduce((n, t) => n + t.e, 0),
      p95: traces.length
        ? at(
            traces.map((t) => t.d),
            95,
          )
        : null,
      models,
      at,
    }
  } finally {
    db.close()
  }
}

describe('stats from the ingest rollup', () => {
  it('agree with the rows at 100k spans, through updates, duplicates and retention', () => {
    const path = join(tempDir(), 'traces.db')
    const store = openTraceStore({ path, maxTraces: 40_000 })
    onCleanup(() => store.close())
    const day = 86_400_000
    const start = Date.now() - day
    const roots: SpanData[] = []
    for (let batch = 0; batch < 100; batch++) {
      const spans: SpanData[] = []
      for (let i = 0; i < 500; i++) {
        const n = batch * 500 + i
        const t = start + n * (day / 50_000)
        const traceId = hexId(32)
        const root = span({
          traceId,
          spanId: hexId(16),
          kind: 'http',
          startTime: t,
          endTime: t + 50 + (n % 997),
          status: n % 13 === 0 ? 'error' : 'ok',
        })
        roots.push(root)
        spans.push(
          root,
          span({
            traceId,
            spanId: hexId(16),
            parentSpanId: root.spanId,
            kind: 'llm',
            startTime: t + 1,
            endTime: t + 20 + ((n * 7) % 811),
            status: n % 17 === 0 ? 'error' : 'ok',
            attributes: {
              'gen_ai.request.model': MODELS[n % 3]!,
              'gen_ai.usage.input_tokens': n % 100,
              'tokentrail.ttft_ms': n % 50,
            },
          }),
        )
      }
      store.insert(spans)
      // A retried batch changes nothing.
      if (batch % 10 === 0) store.insert(spans)
      store.sweep()
    }
    // Late spans extend existing traces (earlier start, new error): their rows are re-counted.
    const late = roots.slice(-200).map((root, i) =>
      span({
        traceId: root.traceId,
        spanId: hexId(16),
        parentSpanId: root.spanId,
        startTime: root.startTime - 5,
        endTime: root.endTime + 100,
        status: i % 2 ? 'error' : 'ok',
      }),
    )
    store.insert(late)
    expect(store.counts.traces).toBe(40_000)

    const windows: [number, number][] = [
      [0, Number.MAX_SAFE_INTEGER],
      [start + 12_345_678, start + day - 7_654_321], // hours, minutes and raw edges
      [start + day - 90_000 + 17, start + day - 60_000 - 3], // inside one minute and a half
      [start + day - 30_000, start + day - 29_000], // within one minute
    ]
    for (const [from, to] of windows) {
      const stats = store.stats({ from, to })
      const truth = exact(path, from, to)
      expect(stats.traces.count).toBe(truth.count)
      expect(stats.traces.errors).toBe(truth.errors)
      if (truth.p95 === null) expect(stats.traces.durationMs.p95).toBeNull()
      else {
        // Within one histogram bin (2^(1/16), 4.4 %) of the exact nearest-rank value.
        expect(stats.traces.durationMs.p95!).toBeGreaterThanOrEqual(truth.p95 / 1.045)
        expect(stats.traces.durationMs.p95!).toBeLessThanOrEqual(truth.p95 * 1.045)
      }
      expect(stats.models.map((m) => m.model).sort()).toEqual([...truth.models.keys()].sort())
      for (const model of stats.models) {
        const m = truth.models.get(model.model)!
        expect(model.calls).toBe(m.calls)
        expect(model.errors).toBe(m.errors)
        expect(model.inputTokens).toBe(m.input)
        const p50 = truth.at(m.d, 50)
        expect(model.latencyMs.p50!).toBeGreaterThanOrEqual(p50 / 1.045)
        expect(model.latencyMs.p50!).toBeLessThanOrEqual(p50 * 1.045)
      }
    }
    // An old database without the rollup gets it rebuilt once, with the same answers.
    const before = store.stats()
    store.close()
    const raw = new DatabaseSync(path)
    raw.exec('DROP TABLE stat_hist; DROP TABLE stat_totals')
    raw.close()
    const reopened = openTraceStore({ path, maxTraces: 40_000 })
    onCleanup(() => reopened.close())
    expect(reopened.stats()).toEqual(before)
  }, 120_000)
})
