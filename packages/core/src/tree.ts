// `@tokentrail/core/tree`: spans placed in their trace's hierarchy, for waterfalls.
import type { SpanData } from './types.js'

/** A span placed in its trace's hierarchy, with timings relative to the trace start. */
export interface SpanTreeNode {
  span: SpanData
  children: SpanTreeNode[]
  depth: number
  /** Milliseconds from the start of the earliest span of the trace. */
  offset: number
  /** Milliseconds. */
  duration: number
}

/**
 * Builds the span tree (for waterfalls) from finished spans: one root per trace, or several when
 * parents are missing. Children are sorted by start time. Linear in the number of spans (after one
 * sort by start time) whatever the input: no recursion (a trace may be thousands of levels deep)
 * and parent links that form a cycle are cut once, the earliest span of the cycle becoming a root.
 */
export function buildSpanTree(spans: readonly SpanData[]): SpanTreeNode[] {
  const traceStart = new Map<string, number>()
  for (const span of spans) {
    const start = traceStart.get(span.traceId)
    if (start === undefined || span.startTime < start) traceStart.set(span.traceId, span.startTime)
  }
  // Span ids per trace (a span id sent twice keeps its last copy), without building key strings.
  const byTrace = new Map<string, Map<string, number>>()
  const nodes: SpanTreeNode[] = []
  for (const span of spans) {
    let ids = byTrace.get(span.traceId)
    if (!ids) byTrace.set(span.traceId, (ids = new Map()))
    const node: SpanTreeNode = {
      span,
      children: [],
      depth: 0,
      offset: span.startTime - traceStart.get(span.traceId)!,
      duration: span.endTime - span.startTime,
    }
    const index = ids.get(span.spanId)
    if (index === undefined) {
      ids.set(span.spanId, nodes.length)
      nodes.push(node)
    } else nodes[index] = node
  }
  const n = nodes.length
  const parent = new Int32Array(n).fill(-1)
  for (let i = 0; i < n; i++) {
    const span = nodes[i]!.span
    if (!span.parentSpanId) continue
    const p = byTrace.get(span.traceId)!.get(span.parentSpanId)
    if (p !== undefined && p !== i) parent[i] = p
  }
  // Hostile input can make parent links form a cycle. Each node is visited once: following
  // parents from an unvisited node either reaches a finished chain or comes back to the current
  // walk, which is a cycle; its earliest span loses its parent and becomes a root.
  const state = new Uint8Array(n) // 0 unvisited, 1 on the current walk, 2 done
  const walk: number[] = []
  for (let first = 0; first < n; first++) {
    if (state[first] !== 0) continue
    walk.length = 0
    let at = first
    while (at !== -1 && state[at] === 0) {
      state[at] = 1
      walk.push(at)
      at = parent[at]!
    }
    if (at !== -1 && state[at] === 1) {
      let earliest = at
      for (let k = walk.indexOf(at); k < walk.length; k++)
        if (nodes[walk[k]!]!.span.startTime < nodes[earliest]!.span.startTime) earliest = walk[k]!
      parent[earliest] = -1
    }
    for (const visited of walk) state[visited] = 2
  }
  // Visiting nodes in start order fills every children list already sorted (ties keep input order).
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => nodes[a]!.span.startTime - nodes[b]!.span.startTime || a - b,
  )
  const roots: SpanTreeNode[] = []
  for (const i of order) {
    const node = nodes[i]!
    const p = parent[i]!
    if (p === -1) roots.push(node)
    else nodes[p]!.children.push(node)
  }
  const stack: SpanTreeNode[] = [...roots]
  while (stack.length) {
    const node = stack.pop()!
    for (const child of node.children) {
      child.depth = node.depth + 1
      stack.push(child)
    }
  }
  return roots
}

/** Flattens a span tree depth-first, the order a waterfall draws rows in. */
export function flattenSpanTree(roots: readonly SpanTreeNode[]): SpanTreeNode[] {
  const out: SpanTreeNode[] = []
  const stack: SpanTreeNode[] = []
  for (let i = roots.length - 1; i >= 0; i--) stack.push(roots[i]!)
  while (stack.length) {
    const node = stack.pop()!
    out.push(node)
    for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]!)
  }
  return out
}
