// A trace answer that holds every span is read in one pass and sorted in JS; a page of a bigger
// trace is read ids first, then its spans' JSON. Both must answer what the spans say, in start order.
import { join } from 'node:path'
import type { SpanData } from '@tokentrail/core'
import { describe, expect, it } from 'vitest'
import { openTraceStore } from '../src/index.js'
import { waterfall } from '../src/store/store.js'
import { onCleanup, tempDir } from './helpers.js'

/** A seeded generator, so a failure can be replayed. */
function random(seed: number) {
  return () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31
    return seed / 2 ** 31
  }
}

describe('trace reads', () => {
  it('answer every span in start order (ties in the order stored), with the waterfall, whole or paged', () => {
    const store = openTraceStore({ path: join(tempDir(), 'traces.db') })
    onCleanup(() => store.close())
    const next = random(7)
    const n = 3000
    const ids = Array.from({ length: n }, (_, i) => `${(i + 1).toString(16).padStart(16, '0')}`)
    const spans: SpanData[] = ids.map((spanId, i) => {
      const roll = next()
      const startTime = 1_000_000 + Math.floor(next() * 500) // many equal start times
      return {
        traceId: 'ab'.repeat(16),
        spanId,
        // Cycles, self-parents, missing parents and roots.
        parentSpanId:
          roll < 0.05
            ? undefined
            : roll < 0.08
              ? 'ffffffffffffffff'
              : roll < 0.1
                ? spanId
                : ids[Math.floor(next() * n)],
        name: `span ${i}`,
        kind: 'internal',
        startTime,
        endTime: startTime + Math.floor(next() * 100),
        status: 'ok',
        attributes: { i },
        events: [],
        resource: { serviceName: 's', attributes: {} },
      }
    })
    // Stored in a shuffled order, in batches: the order stored breaks ties in start time.
    const stored = [...spans].sort(() => next() - 0.5)
    for (let i = 0; i < n; i += 700) store.insert(stored.slice(i, i + 700))
    const storedAt = new Map(stored.map((s, i) => [s.spanId, i]))
    const expected = [...spans].sort(
      (a, b) => a.startTime - b.startTime || storedAt.get(a.spanId)! - storedAt.get(b.spanId)!,
    )
    const traceId = 'ab'.repeat(16)
    for (const lean of [false, true]) {
      const whole = JSON.parse(store.getTraceJson(traceId, { lean })!)
      expect(whole.spans.map((s: SpanData) => s.spanId)).toEqual(expected.map((s) => s.spanId))
      expect(whole.spans[5]).toEqual(expected[5])
      expect(whole.waterfall).toEqual(waterfall(expected))
      expect(whole.page).toEqual({ offset: 0, limit: n, total: n })
      // A page (fewer rows than spans): its rows of the same waterfall, its spans in start order.
      const page = JSON.parse(store.getTraceJson(traceId, { offset: 100, limit: 2000, lean })!)
      expect(page.waterfall).toEqual(whole.waterfall.slice(100, 2100))
      const inPage = new Set(page.waterfall.map((r: { spanId: string }) => r.spanId))
      expect(page.spans.map((s: SpanData) => s.spanId).sort()).toEqual([...inPage].sort())
      const starts = page.spans.map((s: SpanData) => s.startTime)
      expect(starts).toEqual([...starts].sort((a, b) => a - b))
      expect(page.page).toEqual({ offset: 100, limit: 2000, total: n })
    }
  })
})
