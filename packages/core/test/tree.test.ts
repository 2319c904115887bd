// Issue 17: parent cycles made tree building O(n²) (16,000 spans: 12.3 s) and deep traces
// overflowed the stack (≥ ~3,000 levels).
import { describe, expect, it } from 'vitest'
import type { SpanData } from '../src/index.js'
import { buildSpanTree, flattenSpanTree } from '../src/tree.js'

const TRACE = 'a'.repeat(32)
const id = (i: number) => i.toString(16).padStart(16, '0')

function spanOf(i: number, parent: number | undefined, start: number): SpanData {
  return {
    traceId: TRACE,
    spanId: id(i),
    ...(parent === undefined ? {} : { parentSpanId: id(parent) }),
    name: `span ${i}`,
    kind: 'internal',
    startTime: start,
    endTime: start + 1,
    status: 'ok',
    attributes: {},
    events: [],
    resource: { serviceName: 'tree', attributes: {} },
  }
}

describe('buildSpanTree', () => {
  it('cuts a 16,000-span parent cycle once: the earliest span becomes the root of a chain', () => {
    const n = 16_000
    // Span i's parent is i + 1; the last one's parent is span 0. Span 5,000 starts first.
    const spans = Array.from({ length: n }, (_, i) =>
      spanOf(i + 1, ((i + 1) % n) + 1, i === 4_999 ? 0 : 10 + i),
    )
    const roots = buildSpanTree(spans)
    expect(roots).toHaveLength(1)
    expect(roots[0]!.span.spanId).toBe(id(5_000))
    const flat = flattenSpanTree(roots)
    expect(flat).toHaveLength(n)
    expect(new Set(flat.map((node) => node.span.spanId)).size).toBe(n)
    expect(flat.at(-1)!.depth).toBe(n - 1)
  })

  it('keeps two separate cycles and a self-parent as separate roots, nothing lost', () => {
    const spans = [
      spanOf(1, 2, 5),
      spanOf(2, 1, 3),
      spanOf(3, 4, 1),
      spanOf(4, 3, 2),
      spanOf(5, 5, 0),
      spanOf(6, 2, 9),
    ]
    const roots = buildSpanTree(spans)
    expect(roots.map((r) => r.span.spanId)).toEqual([id(5), id(3), id(2)])
    expect(flattenSpanTree(roots).map((n) => [n.span.spanId, n.depth])).toEqual([
      [id(5), 0],
      [id(3), 0],
      [id(4), 1],
      [id(2), 0],
      [id(1), 1],
      [id(6), 1],
    ])
  })

  it('builds and flattens a 10,000-deep chain without recursion', () => {
    const n = 10_000
    const spans = Array.from({ length: n }, (_, i) => spanOf(i + 1, i === 0 ? undefined : i, i))
    const flat = flattenSpanTree(buildSpanTree(spans))
    expect(flat).toHaveLength(n)
    expect(flat.map((node) => node.depth)).toEqual(Array.from({ length: n }, (_, i) => i))
  })
})
