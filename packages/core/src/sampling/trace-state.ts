// What a tracer needs of sampling at start-up, kept apart from the sampler itself (loaded later).

/** Attributes of the root span of a kept trace. */
export const SAMPLING_ATTR = {
  decision: 'tokentrail.sampling.decision',
  reason: 'tokentrail.sampling.reason',
  /** `trace_complete`, `early` (over budget, before the root ended) or `head` (over budget, at the start). */
  decidedAt: 'tokentrail.sampling.decided_at',
  rate: 'tokentrail.sampling.rate',
  /** 1 / rate for traces kept by probability, 1 for rule-kept ones: weight to re-scale counts. */
  weight: 'tokentrail.sampling.weight',
  text: 'tokentrail.sampling.text_recorded',
  spansDropped: 'tokentrail.sampling.spans_dropped',
  /** On a failed span kept alone from a trace that was decided without a look at it (over budget). */
  partial: 'tokentrail.sampling.partial',
} as const

/** The tracestate member a trace-complete root sends downstream: "sampled=1, decision deferred". */
export const DEFERRED_TRACESTATE = 'tokentrail=tc'

/** True when a tracestate says the upstream service defers its decision to the end of the trace. */
export function isDeferred(traceState: string | undefined): boolean {
  return traceState?.split(',').some((m) => m.trim() === DEFERRED_TRACESTATE) === true
}

/** Lower 56 bits of the trace id, so every service decides the same for one trace. */
export function traceIdRatio(traceId: string): number {
  return Number.parseInt(traceId.slice(18), 16) / 2 ** 56
}
