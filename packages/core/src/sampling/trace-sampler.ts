import type { Attributes, SpanData } from '../types.js'
import { decide, type SamplingReason, summarize, textRatio } from './decide.js'
import type { SamplerShared } from './lazy-sampler.js'
import type { ResolvedSampling } from './options.js'

/** Counters of trace-complete sampling, in `tracer.stats().sampling`. */
export interface SamplingStats {
  /** Traces with spans still open or waiting for their root span. */
  openTraces: number
  /** Spans held until their trace is decided, now. */
  bufferedSpans: number
  /** Estimated bytes of those spans, now. */
  bufferedBytes: number
  keptTraces: number
  droppedTraces: number
  /** Kept traces by reason: error, cancelled, slow, cost, tokens, keep (predicate), rate, parent. */
  kept: Record<string, number>
  /** Spans of sampled-out traces: recorded (so metrics stay exact), then not exported. */
  droppedSpans: number
  /** Spans past `maxSpansPerTrace`, dropped from their trace. */
  spanCapDrops: number
  /** Traces decided before their root ended because the buffer was over budget. */
  decidedEarly: number
  /** Traces decided when they started (head sampling) because the buffer was over budget. */
  headFallback: number
  /** Kept traces whose prompt and output text was left out by text sampling. */
  textLeftOut: number
  /** Failed spans kept alone (marked `tokentrail.sampling.partial`) from traces decided without a look at them. */
  partialSpans: number
}

interface Decision {
  keep: boolean
  reason: SamplingReason
  text: boolean
  at: 'trace_complete' | 'early' | 'head'
}

interface Entry {
  rootSpanId: string | undefined
  open: number
  spans: SpanData[] | undefined
  bytes: number
  decision: Decision | undefined
  capDrops: number
  /** A failed span is among `spans`: past the cap, only the first one still goes in. */
  failed?: boolean
}

/** Rough bytes a finished span holds, to bound the buffer without serialising it. */
export function estimateBytes(span: SpanData): number {
  let bytes = 160 + span.name.length
  const attributes = span.attributes
  for (const key in attributes) {
    const value = attributes[key]
    bytes +=
      key.length +
      16 +
      (typeof value === 'string' ? value.length : Array.isArray(value) ? value.length * 16 : 8)
  }
  for (const event of span.events) {
    bytes += 48 + event.name.length
    const ea = event.attributes
    if (ea)
      for (const key in ea) {
        const value = ea[key]
        bytes += key.length + 16 + (typeof value === 'string' ? value.length : 8)
      }
  }
  if (span.error) bytes += span.error.message.length + (span.error.stack?.length ?? 0)
  return bytes
}

/**
 * Holds each trace's finished spans until its local root span ends (or every span it started has
 * ended), then keeps or drops the whole trace at once. Bounded: a per-trace span cap, and a total
 * span and byte budget past which the oldest traces are decided early and new traces are decided
 * at their start, until the buffer is back under half its budget.
 */
export class TraceSampler {
  private readonly entries = new Map<string, Entry>()
  private fallback = false
  private buffered = 0
  private bytes = 0
  private readonly counts = {
    keptTraces: 0,
    droppedTraces: 0,
    droppedSpans: 0,
    spanCapDrops: 0,
    decidedEarly: 0,
    headFallback: 0,
    textLeftOut: 0,
    partialSpans: 0,
  }
  private readonly kept: Record<string, number> = {}

  constructor(
    private readonly rules: ResolvedSampling,
    private readonly rate: number,
    private readonly release: (span: SpanData) => void,
    private readonly onError: (where: string, error: unknown) => void,
    private readonly shared: SamplerShared,
    /** Where the one line about spans of kept traces left out over the cap goes (the tracer's `warn`). */
    private warn?: (message: string) => void,
  ) {}

  /** The trace falls within `rate`, the same decision every service makes for it. */
  private byRate(traceId: string): boolean {
    return this.rate >= 1 || (this.rate > 0 && this.shared.traceIdRatio(traceId) < this.rate)
  }

  /**
   * A recording span started. `upstream`: a remote parent said sampled=1 without deferring
   * (`kept`), or sampled=0 (`dropped`: recorded for metrics only).
   */
  onStart(
    traceId: string,
    spanId: string,
    localRoot: boolean,
    upstream?: 'kept' | 'dropped',
  ): void {
    let entry = this.entries.get(traceId)
    if (!entry) {
      entry = {
        rootSpanId: localRoot ? spanId : undefined,
        open: 0,
        spans: [],
        bytes: 0,
        decision: undefined,
        capDrops: 0,
      }
      if (upstream === 'kept')
        this.settle(entry, 'parent', this.textFor(traceId, false), 'trace_complete')
      else if (upstream === 'dropped') this.settle(entry, 'not_sampled', false, 'trace_complete')
      else if (this.fallback && !this.underHalf()) {
        this.counts.headFallback++
        const keep = this.byRate(traceId)
        this.settle(entry, keep ? 'rate' : 'not_sampled', this.textFor(traceId, false), 'head')
      } else this.fallback = false
      this.entries.set(traceId, entry)
      if (this.entries.size > this.rules.maxBufferedSpans) this.trim()
    } else if (localRoot && entry.rootSpanId === undefined) entry.rootSpanId = spanId
    entry.open++
  }

  /** A recording span ended: buffer it, or pass it on when its trace is decided. */
  onEnd(span: SpanData): void {
    const entry = this.entries.get(span.traceId)
    if (!entry) {
      // Its trace was evicted while this span was open: decide it alone, as head sampling would.
      const keep = (this.rules.keepErrors && span.status === 'error') || this.byRate(span.traceId)
      if (!keep) this.counts.droppedSpans++
      else if (span.status === 'error' && this.rules.keepErrors) this.releasePartial(span)
      else this.release(span)
      return
    }
    entry.open--
    if (entry.decision) {
      this.pass(entry, span)
      if (entry.open <= 0) this.entries.delete(span.traceId)
      return
    }
    const spans = entry.spans!
    // Past the cap the root still goes in, and so does the trace's first failed span: left out,
    // a long run that fails late was decided as if nothing had failed.
    if (
      spans.length >= this.rules.maxSpansPerTrace &&
      span.spanId !== entry.rootSpanId &&
      (span.status !== 'error' || entry.failed)
    ) {
      entry.capDrops++
      this.counts.spanCapDrops++
    } else {
      if (span.status === 'error') entry.failed = true
      const size = estimateBytes(span)
      spans.push(span)
      entry.bytes += size
      this.buffered++
      this.bytes += size
    }
    if (span.spanId === entry.rootSpanId || entry.open <= 0)
      this.decideEntry(span.traceId, entry, 'trace_complete')
    else if (
      this.buffered > this.rules.maxBufferedSpans ||
      this.bytes > this.rules.maxBufferedBytes
    )
      this.trim()
  }

  /** Decides every trace still waiting, with what is known so far (on shutdown). */
  decideAll(): void {
    for (const [traceId, entry] of this.entries) {
      if (!entry.decision) {
        this.counts.decidedEarly++
        this.decideEntry(traceId, entry, 'early')
      }
    }
    this.entries.clear()
  }

  stats(): SamplingStats {
    return {
      openTraces: this.entries.size,
      bufferedSpans: this.buffered,
      bufferedBytes: this.bytes,
      ...this.counts,
      kept: { ...this.kept },
    }
  }

  // Only what is buffered counts here: traces that wait for a leaked span hold no spans, and must
  // not keep the fallback on for good.
  private underHalf(): boolean {
    return (
      this.buffered <= this.rules.maxBufferedSpans / 2 &&
      this.bytes <= this.rules.maxBufferedBytes / 2
    )
  }

  private overBudget(): boolean {
    return (
      this.buffered > this.rules.maxBufferedSpans ||
      this.bytes > this.rules.maxBufferedBytes ||
      this.entries.size > this.rules.maxBufferedSpans
    )
  }

  // Oldest first (a Map iterates in insertion order). Too many traces tracked: forget decided ones
  // that only wait for stray spans. Too many spans or bytes: decide waiting traces early, and fall
  // back to deciding new traces at their start.
  private trim(): void {
    const maxTraces = this.rules.maxBufferedSpans
    if (this.entries.size > maxTraces)
      for (const [traceId, entry] of this.entries) {
        if (this.entries.size <= maxTraces) break
        if (entry.decision) this.entries.delete(traceId)
      }
    if (!this.overBudget()) return
    if (this.buffered > this.rules.maxBufferedSpans || this.bytes > this.rules.maxBufferedBytes)
      this.fallback = true
    for (const [traceId, entry] of this.entries) {
      if (!this.overBudget()) return
      if (entry.decision) continue
      this.counts.decidedEarly++
      this.decideEntry(traceId, entry, 'early')
      if (this.entries.size > maxTraces) this.entries.delete(traceId)
    }
  }

  private textFor(traceId: string, error: boolean): boolean {
    const { textRate, textErrors } = this.rules
    return textRate >= 1 || (textErrors && error) || textRatio(traceId) < textRate
  }

  private settle(entry: Entry, reason: SamplingReason, text: boolean, at: Decision['at']): void {
    const keep = reason !== 'not_sampled'
    entry.decision = { keep, reason, text, at }
    if (keep) {
      this.counts.keptTraces++
      this.kept[reason] = (this.kept[reason] ?? 0) + 1
      if (!text) this.counts.textLeftOut++
    } else this.counts.droppedTraces++
  }

  private decideEntry(traceId: string, entry: Entry, at: Decision['at']): void {
    const spans = entry.spans!
    const summary = summarize(traceId, spans, entry.rootSpanId)
    const reason = decide(summary, this.rules, this.byRate(traceId), (error) =>
      this.onError('sampling.keep', error),
    )
    this.settle(entry, reason, this.textFor(traceId, summary.error), at)
    this.buffered -= spans.length
    this.bytes -= entry.bytes
    entry.spans = undefined
    entry.bytes = 0
    for (const span of spans) this.pass(entry, span)
    if (entry.open <= 0) this.entries.delete(traceId)
  }

  // Spans of a kept trace left out over the cap: said once (its root says how many, and
  // stats().sampling.spanCapDrops counts them all), as the root goes out.
  private sayCapDrops(spans: number): void {
    const warn = this.warn
    if (!warn) return
    this.warn = undefined
    try {
      warn(
        `${spans} ${spans === 1 ? 'span' : 'spans'} of a kept trace dropped: it had more than sampling.maxSpansPerTrace (${this.rules.maxSpansPerTrace}) spans waiting for its decision, so it is sent without them (its root says how many in ${this.shared.SAMPLING_ATTR.spansDropped}). A larger maxSpansPerTrace keeps more; tracer.stats().sampling.spanCapDrops counts them.`,
      )
    } catch {}
  }

  private releasePartial(span: SpanData): void {
    this.counts.partialSpans++
    this.release({
      ...span,
      attributes: { ...span.attributes, [this.shared.SAMPLING_ATTR.partial]: true },
    })
  }

  private pass(entry: Entry, span: SpanData): void {
    const decision = entry.decision!
    if (!decision.keep) {
      // Decided at its start, over budget: a failure still leaves a trace of itself.
      if (decision.at === 'head' && this.rules.keepErrors && span.status === 'error')
        this.releasePartial(span)
      else this.counts.droppedSpans++
      return
    }
    const isRoot = span.spanId === entry.rootSpanId
    // Head-decided traces had no look at errors: a failing span keeps its own text.
    const text =
      decision.text ||
      (decision.at !== 'trace_complete' && this.rules.textErrors && span.status === 'error')
    if (text && !isRoot) {
      this.release(span)
      return
    }
    const { INPUT_CONTENT_KEYS, OUTPUT_CONTENT_KEYS, SAMPLING_ATTR } = this.shared
    const attributes: Attributes = {}
    for (const key in span.attributes)
      if (text || (!INPUT_CONTENT_KEYS.has(key) && !OUTPUT_CONTENT_KEYS.has(key)))
        attributes[key] = span.attributes[key]!
    if (isRoot) {
      attributes[SAMPLING_ATTR.decision] = 'keep'
      attributes[SAMPLING_ATTR.reason] = decision.reason
      attributes[SAMPLING_ATTR.decidedAt] = decision.at
      attributes[SAMPLING_ATTR.rate] = this.rate
      attributes[SAMPLING_ATTR.weight] =
        decision.reason === 'rate' && this.rate > 0 ? 1 / this.rate : 1
      attributes[SAMPLING_ATTR.text] = decision.text
      if (entry.capDrops > 0) {
        attributes[SAMPLING_ATTR.spansDropped] = entry.capDrops
        this.sayCapDrops(entry.capDrops)
      }
    }
    this.release({ ...span, attributes })
  }
}
