import type { WaterfallRow } from './store.js'

/** A trace's spans as columns, sorted by start time (ties in any fixed order); span ids unique. */
export interface SpanColumns {
  ids: readonly string[]
  parents: readonly (string | null | undefined)[]
  starts: readonly number[]
  ends: readonly number[]
}

/**
 * The waterfall rows `offset` to `offset + limit` of one trace, and how many rows it has: the same
 * rows as `waterfall()` (core's `buildSpanTree` + `flattenSpanTree`: children by start time, a
 * parent cycle cut at its earliest span, depth first), built over typed arrays with no node
 * objects, and row objects only for the page. Linear in the spans, whatever the depth.
 */
export function waterfallPage(
  { ids, parents, starts, ends }: SpanColumns,
  offset = 0,
  limit = Number.POSITIVE_INFINITY,
): { rows: WaterfallRow[]; total: number } {
  const n = ids.length
  const index = new Map<string, number>()
  for (let i = 0; i < n; i++) index.set(ids[i]!, i)
  const parent = new Int32Array(n).fill(-1)
  for (let i = 0; i < n; i++) {
    const id = parents[i]
    if (!id) continue
    const p = index.get(id)
    if (p !== undefined && p !== i) parent[i] = p
  }
  // Each node is visited once: a walk up the parents either reaches a finished node or comes back
  // to itself (a cycle), whose earliest span loses its parent.
  const state = new Uint8Array(n)
  const walk = new Int32Array(n)
  for (let first = 0; first < n; first++) {
    if (state[first] !== 0) continue
    let length = 0
    let at = first
    while (at !== -1 && state[at] === 0) {
      state[at] = 1
      walk[length++] = at
      at = parent[at]!
    }
    if (at !== -1 && state[at] === 1) {
      let k = 0
      while (walk[k] !== at) k++
      let earliest = at
      for (; k < length; k++) if (starts[walk[k]!]! < starts[earliest]!) earliest = walk[k]!
      parent[earliest] = -1
    }
    for (let k = 0; k < length; k++) state[walk[k]!] = 2
  }
  // Children as linked lists, appended in start order (the input order).
  const firstChild = new Int32Array(n).fill(-1)
  const lastChild = new Int32Array(n).fill(-1)
  const nextSibling = new Int32Array(n).fill(-1)
  for (let i = 0; i < n; i++) {
    const p = parent[i]!
    if (p === -1) continue
    if (lastChild[p] === -1) firstChild[p] = i
    else nextSibling[lastChild[p]!] = i
    lastChild[p] = i
  }
  let traceStart = Number.POSITIVE_INFINITY
  for (let i = 0; i < n; i++) if (starts[i]! < traceStart) traceStart = starts[i]!
  const depth = new Int32Array(n)
  const rows: WaterfallRow[] = []
  const end = offset + limit
  let k = 0
  const emit = (i: number) => {
    if (k >= offset && k < end) {
      const row: WaterfallRow = {
        spanId: ids[i]!,
        depth: depth[i]!,
        offset: starts[i]! - traceStart,
        durationMs: ends[i]! - starts[i]!,
      }
      if (parent[i] !== -1) row.parentSpanId = ids[parent[i]!]!
      rows.push(row)
    }
    k++
  }
  for (let root = 0; root < n; root++) {
    if (parent[root] !== -1) continue
    // Depth first without a stack: down to the first child, else on to the next sibling of the
    // nearest ancestor that has one.
    let node = root
    for (;;) {
      emit(node)
      const child = firstChild[node]!
      if (child !== -1) {
        depth[child] = depth[node]! + 1
        node = child
        continue
      }
      while (node !== root && nextSibling[node] === -1) node = parent[node]!
      if (node === root) break
      const sibling = nextSibling[node]!
      depth[sibling] = depth[node]!
      node = sibling
    }
  }
  return { rows, total: n }
}
