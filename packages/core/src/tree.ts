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
 * parents are missing. Children are sorted by start time.
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
  const roots: SpanTreeNode[] = []
  for (const node of nodes.values()) {
    const parent = node.span.parentSpanId
      ? nodes.get(`${node.span.traceId}:${node.span.parentSpanId}`)
      : undefined
    if (parent && parent !== node) parent.children.push(node)
    else roots.push(node)
  }
  const byStart = (a: SpanTreeNode, b: SpanTreeNode) => a.span.startTime - b.span.startTime
  const reached = new Set<SpanTreeNode>()
  const visit = (node: SpanTreeNode, depth: number, path: Set<SpanTreeNode>) => {
    reached.add(node)
    node.depth = depth
    node.children.sort(byStart)
    path.add(node)
    node.children = node.children.filter((child) => !path.has(child))
    for (const child of node.children) visit(child, depth + 1, path)
    path.delete(node)
  }
  roots.sort(byStart)
  for (const root of roots) visit(root, 0, new Set())
  // Hostile input can make parent links form a cycle; such spans become roots instead of vanishing.
  for (const node of nodes.values()) {
    if (reached.has(node)) continue
    for (const other of nodes.values()) other.children = other.children.filter((c) => c !== node)
    roots.push(node)
    visit(node, 0, new Set())
  }
  return roots
}

/** Flattens a span tree depth-first, the order a waterfall draws rows in. */
export function flattenSpanTree(roots: readonly SpanTreeNode[]): SpanTreeNode[] {
  const out: SpanTreeNode[] = []
  const walk = (node: SpanTreeNode) => {
    out.push(node)
    for (const child of node.children) walk(child)
  }
  for (const root of roots) walk(root)
  return out
}
