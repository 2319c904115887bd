// The store builds trace pages with waterfallPage (typed arrays, rows only for the page); it must
// give exactly the rows of waterfall() (core's buildSpanTree + flattenSpanTree) for any shape.
import type { SpanData } from '@tokentrail/core'
import { describe, expect, it } from 'vitest'
import { waterfall } from '../src/store/store.js'
import { waterfallPage } from '../src/store/waterfall-page.js'

/** A seeded generator, so a failure can be replayed. */
function random(seed: number) {
  return () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31
    return seed / 2 ** 31
  }
}

function shape(seed: number, n: number): SpanData[] {
  const next = random(seed)
  const ids = Array.from({ length: n }, (_, i) => `s${seed}-${i}`)
  const spans = ids.map((spanId, i) => {
    const roll = next()
    // Parents anywhere (cycles and self-parents included), missing parents, roots; equal starts.
    const parentSpanId =
      roll < 0.1
        ? undefined
        : roll < 0.15
          ? 'missing'
          : roll < 0.18
            ? spanId
            : ids[Math.floor(next() * n)]
    const startTime = 1000 + Math.floor(next() * n)
    return {
      traceId: 't',
      spanId,
      parentSpanId,
      name: spanId,
      kind: 'internal',
      startTime,
      endTime: startTime + Math.floor(next() * 50),
      status: 'ok',
      attributes: {},
      events: [],
      resource: { serviceName: 's', attributes: {} },
    } as SpanData
  })
  // As the store reads them: by start time, ties in a fixed order.
  return spans.sort((a, b) => a.startTime - b.startTime)
}

const columns = (spans: SpanData[]) => ({
  ids: spans.map((s) => s.spanId),
  parents: spans.map((s) => s.parentSpanId),
  starts: spans.map((s) => s.startTime),
  ends: spans.map((s) => s.endTime),
})

describe('waterfallPage', () => {
  it('gives the rows of waterfall() for random shapes with cycles, self-parents and ties', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const spans = shape(seed, 1 + (seed % 60))
      const expected = waterfall(spans)
      expect(waterfallPage(columns(spans))).toEqual({ rows: expected, total: expected.length })
      expect(waterfallPage(columns(spans), 3, 7).rows).toEqual(expected.slice(3, 10))
    }
  })

  it('builds a 16,000-span cycle and a 10,000-deep chain', () => {
    for (const [n, cycle] of [
      [16_000, true],
      [10_000, false],
    ] as const) {
      const ids = Array.from({ length: n }, (_, i) => `c${i}`)
      const spans = ids
        .map(
          (spanId, i) =>
            ({
              traceId: 't',
              spanId,
              parentSpanId: i + 1 < n ? ids[i + 1] : cycle ? ids[0] : undefined,
              name: spanId,
              kind: 'internal',
              startTime: 1000 + (n - i),
              endTime: 1000 + 2 * n - (n - i),
              status: 'ok',
              attributes: {},
              events: [],
              resource: { serviceName: 's', attributes: {} },
            }) as SpanData,
        )
        .sort((a, b) => a.startTime - b.startTime)
      const expected = waterfall(spans)
      const page = waterfallPage(columns(spans), n - 1000, 1000)
      expect(page.total).toBe(n)
      expect(page.rows).toEqual(expected.slice(n - 1000))
      expect(page.rows.at(-1)!.depth).toBe(n - 1)
    }
  })
})
