import type { SpanData } from '@tokentrail/core'

/** A child this much earlier than its parent, on another service, counts as clock skew. */
export const SKEW_MS = 10

/** A span that starts before its parent, recorded by another service: their clocks differ. */
export interface ClockSkew {
  span: SpanData
  parent: SpanData
  /** How far before its parent the span starts, in ms: the least the two clocks differ by. */
  earlyMs: number
}

/**
 * The clock skews between services in a trace, the largest of each caller → callee pair. Nothing
 * starts before what started it, so a child on another machine that does has a clock behind its
 * caller's: the trace's duration and the offsets across the two are off by at least that much.
 */
export function clockSkews(spans: readonly SpanData[]): ClockSkew[] {
  const byId = new Map(spans.map((s) => [s.spanId, s]))
  const worst = new Map<string, ClockSkew>()
  for (const span of spans) {
    const parent = span.parentSpanId ? byId.get(span.parentSpanId) : undefined
    if (!parent || parent.resource.serviceName === span.resource.serviceName) continue
    const earlyMs = parent.startTime - span.startTime
    if (!(earlyMs >= SKEW_MS)) continue
    const pair = JSON.stringify([parent.resource.serviceName, span.resource.serviceName])
    const seen = worst.get(pair)
    if (!seen || earlyMs > seen.earlyMs) worst.set(pair, { span, parent, earlyMs })
  }
  return [...worst.values()]
}
