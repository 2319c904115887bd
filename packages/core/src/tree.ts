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

const byStart = (a: SpanTreeNode, b: SpanTreeNode) => a.span.startTime - b.span.startTime

/**
 * Builds the span tree (for waterfalls) from finished spans: one root per trace, or several when
 * parents are missing. Children are sorted by start time. Linear in the number of spans whatever
 * the input: no recursion (a trace may be thousands of levels deep) and parent links that form a
 * cycle are cut once, the earliest span of the cycle becoming a root.
 */
export function buildSpanTree(spans: readonly SpanData[]): SpanTreeNode[] {
  const nodes = new Map<string, SpanTreeNode>()
  const traceStart = new Map<string, number>()
  for (const span of spans) {
    const start = traceStart.get(span.traceId)
    if (start === undefined || span.startTime < start) traceStart.set(span.traceId, span.startTime)
  }
  for (const span of spans) {
    nodes.set(`${span.traceId}:${span.spanId}`, {
      span,
      children: [],
      depth: 0,
      offset: span.startTime - traceStart.get(span.traceId)!,
      duration: span.endTime - span.startTime,
    })
  }
  const parentOf = new Map<SpanTreeNode, SpanTreeNode>()
  for (const node of nodes.values()) {
    const parent = node.span.parentSpanId
      ? nodes.get(`${node.span.traceId}:${node.span.parentSpanId}`)
      : undefined
    if (parent && parent !== node) parentOf.set(node, parent)
  }
  // Hostile input can make parent links form a cycle. Each node is coloured once: following
  // parents from an unvisited node either reaches a finished chain or comes back to the current
  // walk, which is a cycle; its earliest span loses its parent and becomes a root. O(n) overall.
  const state = new Map<SpanTreeNode, 1 | 2>()
  for (const start of nodes.values()) {
    if (state.has(start)) continue
    const walk: SpanTreeNode[] = []
    let node: SpanTreeNode | undefined = start
    while (node && !state.has(node)) {
      state.set(node, 1)
      walk.push(node)
      node = parentOf.get(node)
    }
    if (node && state.get(node) === 1) {
      let earliest = node
      for (let i = walk.indexOf(node); i < walk.length; i++)
        if (byStart(walk[i]!, earliest) < 0) earliest = walk[i]!
      parentOf.delete(earliest)
    }
    for (const visited of walk) state.set(visited, 2)
  }
  const roots: SpanTreeNode[] = []
  for (const node of nodes.values()) {
    const parent = parentOf.get(node)
    if (parent) parent.children.push(node)
    else roots.push(node)
  }
  roots.sort(byStart)
  const stack: SpanTreeNode[] = [...roots]
  while (stack.length) {
    const node = stack.pop()!
    node.children.sort(byStart)
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
