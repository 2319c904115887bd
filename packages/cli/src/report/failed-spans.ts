import type { SpanData } from '@tokentrail/core'

/**
 * The failed spans of a trace (status `error` with an error recorded), deepest first: that is
 * where an error started; the spans above it only rethrew it. `waterfall` gives each span's depth.
 */
export function failedDeepestFirst(
  spans: readonly SpanData[],
  waterfall: readonly { spanId: string; depth: number }[],
): SpanData[] {
  const depth = new Map<string, number>()
  for (const node of waterfall) depth.set(node.spanId, node.depth)
  return spans
    .filter((s) => s.status === 'error' && s.error)
    .sort((a, b) => (depth.get(b.spanId) ?? 0) - (depth.get(a.spanId) ?? 0))
}
