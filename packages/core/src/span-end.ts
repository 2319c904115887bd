// What a span meets as it ends: the scrub every span gets (credentials never leave, under a key
// named like one or inside text: attribute values, event attributes, the error, the name; prompt
// and output text leave only when switched on), the `redact` hook's call, the batch processors
// that queue spans for the exporters, and the rest of a flush. Loaded by `import()` as a tracer is made, not awaited, so
// start-up code does not parse it or the text scrub (secret-text.ts); spans that end before it
// lands wait in the tracer (`RecordingTracer.unscrubbed`), in order.
import type { ResolvedLimits } from './attributes.js'
import type { ResolvedConfig } from './config.js'
import type { TracerLoss } from './delivery-log.js'
import type { LazyMetrics } from './lazy-metrics.js'
import { maskedUrl } from './masked-url.js'
import { BatchProcessor, type FlushOutcome, type FlushWait } from './processor.js'
import type { FeatureHelpers } from './recording-tracer.js'
import type { LazyRedactor } from './redaction/lazy-redactor.js'
import type { LazySampler } from './sampling/lazy-sampler.js'
import {
  redactCutText,
  redactSecretsInJson,
  redactSecretsInName,
  redactSecretsInText,
} from './secret-text.js'
import type { TextScrub } from './span.js'
import type { FlushResult } from './tracer.js'
import type { Attributes, AttributeValue, SpanData, SpanEvent } from './types.js'

/** The text scrub for the adapters' own texts (see `scrubLater`), loaded with this code. */
export const textScrub: TextScrub = {
  text: redactSecretsInText,
  json: redactSecretsInJson,
  cut: redactCutText,
}

/**
 * What a span whose writes wait for the text scrub (`scrubLater`) hands its tracer when it ends
 * before this code has loaded: its data, made with the scrub.
 */
export interface LateSpan {
  scrubbedData(scrub: TextScrub): SpanData
}

/** Where an exporter sends, for messages: its URL (masked) when it has one, else its name. */
function exporterTarget(exporter: { name: string; url?: unknown }): string {
  return typeof exporter.url === 'string'
    ? maskedUrl(exporter.url)
    : `the ${exporter.name || 'custom'} exporter`
}

/** What the span-end path needs of its tracer (RecordingTracer). */
export interface SpanEndHost {
  readonly config: ResolvedConfig
  /** Filled here: one batch processor per exporter (no span reaches them before this loads). */
  readonly processors: BatchProcessor[]
  /** A shutdown has closed the exporters: processors made after it are shut at once. */
  readonly closed: boolean
  readonly drops: { redacted: number; redactError: number }
  /** Flushes that timed out waiting for lazily loaded code (in stats().flushTimeouts). */
  scrubTimeouts: number
  /** Spans ended and held until some lazily loaded code lands. */
  readonly waiting: number
  /** Spans dropped because this code could not load before (a flush since has not said them), and why. */
  scrubLost: import('./delivery-log.js').ScrubLost | undefined
  readonly sampler: LazySampler | undefined
  readonly redactor: LazyRedactor | undefined
  readonly metrics: LazyMetrics | undefined
  /** What waits for the optional features to load (undefined once they have). */
  early: unknown[][] | undefined
  holdEarly(item: [kind: 'end' | 'export' | 'metrics', span: SpanData]): void
  /** Resolves once the optional features have loaded (or failed to); undefined when none wait. */
  featuresReady(): Promise<void> | undefined
  /** Waits for the lines under way (losses, bad input). */
  said(): Promise<void>
  redactFailed(spans: number, why: TracerLoss, error: unknown): void
  onInternalError(where: string, error: unknown): void
}

/**
 * The path a tracer's ended spans take, with the tracer's batch processors (made here, into
 * `host.processors`): `ended` scrubs one, counts it in the GenAI metrics and hands it to the
 * sampler or to `export`, the export boundary (redaction rules, the user's hook, then every
 * processor; `lost`: why the redaction code could not load, so a span that needs it is dropped and
 * counted); `flush` is the rest of a flush.
 */
export function spanEndOf(host: SpanEndHost, helpers: FeatureHelpers) {
  const { config, processors } = host
  for (const exporter of config.exporters) {
    const processor = new BatchProcessor(exporter, {
      maxQueueSize: config.maxQueueSize,
      maxBatchSize: config.maxBatchSize,
      flushIntervalMs: config.flushIntervalMs,
      exportTimeoutMs: config.exportTimeoutMs,
      retry: config.retry,
      onError: (where, error) => host.onInternalError(where, error),
      delivery: {
        target: exporterTarget(exporter),
        sinks: { warn: config.warn, debug: config.debug },
      },
    })
    processors.push(processor)
    // Loaded after a shutdown that could not wait for it, which closed the exporters itself: shut
    // (later spans dropped and counted), without closing the exporter again.
    if (host.closed) processor.shutClosed()
  }
  const scrub = spanScrub(
    config.recordInputs,
    config.recordOutputs,
    config.limits.maxStringLength,
    helpers,
  )
  const hook = config.redact ? redactHook(config.redact, host, config.limits, helpers) : undefined

  const exportSpan = (span: SpanData, lost?: unknown): void => {
    const { redactor } = host
    if (config.redaction && !redactor) {
      if (lost !== undefined || !host.early) host.redactFailed(1, 'redaction load', lost)
      else host.holdEarly(['export', span])
      return
    }
    if (redactor) {
      if (!redactor.loaded) {
        redactor.hold(span)
        return
      }
      try {
        span = redactor.loaded.span(span)
      } catch (error) {
        // A span that could not be redacted must not leave unredacted.
        host.redactFailed(1, 'redaction', error)
        return
      }
    }
    if (hook) {
      const result = hook(span)
      if (!result) return
      // What the hook wrote is scrubbed as setAttribute's values are (a credential, a key named
      // like one), also when it changed the span in place: on a copy, as the attributes may be
      // the hook's own object.
      span = scrub({ ...result, attributes: { ...result.attributes } })
    }
    for (const processor of processors) processor.onEnd(span)
  }

  const ended = (data: SpanData): void => {
    // A span that ended before this code loaded, with an adapter's writes waiting for the text
    // scrub: they run first (see `scrubLater`), then the span is scrubbed as any other.
    const late = (data as Partial<LateSpan>).scrubbedData
    const span = scrub(late ? late(textScrub) : data)
    const { metrics, sampler } = host
    if (metrics) {
      try {
        metrics.record(span)
      } catch (error) {
        host.onInternalError('metrics', error)
      }
    } else if (host.early && config.metrics.exporters.length > 0) host.holdEarly(['metrics', span])
    if (!config.sampling) exportSpan(span)
    else if (!sampler) {
      if (host.early) host.holdEarly(['end', span])
      else exportSpan(span)
    } else {
      try {
        sampler.onEnd(span)
      } catch (error) {
        host.onInternalError('sampling', error)
      }
    }
  }

  /**
   * The rest of a flush, once the spans it waits for went on: spans held while sampling or
   * redaction load reach the queues first (nothing held: no await, so the flush counts the spans
   * queued before it, not those that come after; a first flush waits for the sampler, as a loop
   * measuring its budget expects it there); then the queues, and the metrics after them. `spans`:
   * the queues' outcomes, when taken already as the spans held before the flush went on.
   */
  const flush = async (
    options: { metrics?: boolean } | undefined,
    timeoutMs: number,
    wait: FlushWait,
    startedAt: number,
    spans?: Promise<FlushOutcome[]>,
  ): Promise<FlushResult> => {
    // Each within what is left of the bound: code that has not loaded by then leaves the spans
    // held for it pending (never sent unsampled or unredacted), and the flush says which.
    const left = () => timeoutMs - (Date.now() - startedAt)
    const features = host.early?.length || config.sampling ? host.featuresReady() : undefined
    let late =
      features && !(await helpers.within(features, left())) && 'sampling, redaction or metrics'
    const sampling = late ? undefined : host.sampler?.ready()
    if (sampling && !(await helpers.within(sampling, left()))) late = 'sampling'
    const redaction = late ? undefined : host.redactor?.ready()
    if (redaction && !(await helpers.within(redaction, left()))) late = 'redaction'
    if (late) {
      host.scrubTimeouts++
      return {
        ok: false,
        pending:
          host.waiting +
          (sampling ? host.sampler!.stats().bufferedSpans : 0) +
          processors.reduce((n, p) => n + p.undelivered, 0),
        reason: `flush timed out after ${timeoutMs} ms: the ${late} code had not loaded`,
      }
    }
    spans ??= Promise.all(processors.map((p) => p.flushOutcome(timeoutMs, wait, startedAt)))
    const metrics = host.metrics
    const [outcomes, metricsOk] = await Promise.all([
      spans,
      options?.metrics !== false && metrics
        ? metrics.exportAfter(spans, timeoutMs, startedAt)
        : true,
    ])
    await host.said()
    const pending = processors.reduce((n, p) => n + p.undelivered, 0)
    const reasons: string[] = []
    outcomes.forEach((outcome, i) => {
      if (!outcome.ok) reasons.push(`${exporterTarget(processors[i]!.exporter)}: ${outcome.reason}`)
    })
    // A failed metrics export leaves the flush ok: its spans arrived, the failure is said once per
    // destination and counted (stats().metrics.failures), and the next export carries the totals.
    // A traces-only backend (404 on /v1/metrics) made every flush `ok: false` for good.
    if (metricsOk === 'late') reasons.push('metrics not sent: the flush ran out of time')
    const result: FlushResult =
      reasons.length === 0
        ? { ok: true, pending }
        : { ok: false, pending, reason: reasons.join('; ') }
    // Spans dropped since the last flush because this code could not load then: not ok.
    return host.scrubLost ? (await import('./delivery-log.js')).lostFlush(host, result) : result
  }

  /**
   * At shutdown: traces still waiting are decided with what is known, so nothing kept is lost. The
   * code they wait for gets what is left of the bound; not in by then, the spans held for it are
   * dropped and counted (never sent unsampled or unredacted), and said.
   */
  const settle = async (timeoutMs: number, startedAt: number): Promise<void> => {
    const left = () => timeoutMs - (Date.now() - startedAt)
    let late = !(await helpers.within(host.featuresReady(), left()))
      ? 'features'
      : !(await helpers.within(host.sampler?.ready(), left()))
        ? 'sampling'
        : ''
    if (!late) {
      host.sampler?.decideAll()
      if (!(await helpers.within(host.redactor?.ready(), left()))) late = 'redaction'
    }
    if (late) (await import('./delivery-log.js')).dropLate(host, late)
  }

  return { ended, export: exportSpan, flush, settle }
}

/** The scrub of one tracer: returns the span to export (`data`, changed in place, or a copy). */
function spanScrub(
  recordInputs: boolean,
  recordOutputs: boolean,
  max: number,
  helpers: FeatureHelpers,
): (data: SpanData) => SpanData {
  const {
    INPUT_CONTENT_KEYS,
    OUTPUT_CONTENT_KEYS,
    isSecretKey,
    REDACTED,
    truncate,
    truncateValue,
  } = helpers

  // A scrubbed value kept within the length limit (a JSON value stays JSON).
  const withinLimit = (value: AttributeValue): AttributeValue =>
    typeof value === 'string' && value.length > max ? truncateValue(value, max) : value

  // A value with its credentials replaced: the whole value under a key named like one, tokens and
  // keys inside text.
  const scrubbedValue = (key: string, value: AttributeValue): AttributeValue => {
    if (isSecretKey(key)) return REDACTED
    if (typeof value === 'string') return redactSecretsInText(value)
    // A list of texts (stop sequences, tags, a command's arguments): each item as a text is. The
    // same array when none changes.
    if (Array.isArray(value)) {
      let copy: unknown[] | undefined
      for (let i = 0; i < value.length; i++) {
        const item = value[i]
        if (typeof item !== 'string') continue
        const clean = redactSecretsInText(item)
        if (clean !== item) (copy ??= [...value])[i] = clean
      }
      return (copy as AttributeValue | undefined) ?? value
    }
    return value
  }

  // Credentials in event attributes (an exception's message and stack): the same rules as span
  // attributes. Events that hold none are kept as they are; the others are copied, not changed.
  const scrubEvents = (events: readonly SpanEvent[]): readonly SpanEvent[] => {
    let scrubbed: SpanEvent[] | undefined
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!
      // An event's name is text the app makes too (`retry ${url}`), as a span's is.
      const name = redactSecretsInName(event.name)
      if (name !== event.name) (scrubbed ??= [...events])[i] = { ...event, name }
      const attributes = event.attributes
      if (!attributes) continue
      let copy: Attributes | undefined
      for (const key in attributes) {
        const value = attributes[key]!
        const clean =
          key === 'exception.stacktrace' &&
          typeof value === 'string' &&
          typeof attributes['exception.message'] === 'string'
            ? scrubbedStack(
                value,
                attributes['exception.message'],
                redactSecretsInText(attributes['exception.message']),
              )
            : scrubbedValue(key, value)
        if (clean !== value) (copy ??= { ...attributes })[key] = withinLimit(clean)
      }
      if (copy) (scrubbed ??= [...events])[i] = { ...event, name, attributes: copy }
    }
    return scrubbed ?? events
  }

  return (data) => {
    const attributes = data.attributes as Attributes
    for (const key in attributes) {
      if (
        (!recordInputs && INPUT_CONTENT_KEYS.has(key)) ||
        (!recordOutputs && OUTPUT_CONTENT_KEYS.has(key))
      ) {
        delete attributes[key]
        continue
      }
      const value = attributes[key]!
      const clean = scrubbedValue(key, value)
      // `[REDACTED]` can be longer than a key that `maxStringLength` cut short: cut again.
      if (clean !== value) attributes[key] = withinLimit(clean)
    }
    // An error's message and stack are also in its `exception` event: redacted there too.
    const events = data.events.length > 0 ? scrubEvents(data.events) : data.events
    // A name the app made from a URL or a command (`fetch ${url}`) may hold a credential, as any
    // text may; words after `Bearer`/`Basic` or `sk-` are a name's own (see redactSecretsInName).
    // (Under 16 characters nothing is looked at; ~80 ns for a name such as `generateText gpt-4o-2024-08-06`.)
    const name = redactSecretsInName(data.name)
    if (data.error) {
      const { message, stack } = data.error
      const clean = redactSecretsInText(message)
      const error = {
        type: data.error.type,
        message: clean === message ? clean : truncate(clean, max),
        ...(stack ? { stack: truncate(scrubbedStack(stack, message, clean), max) } : {}),
      }
      return { ...data, name, events, error }
    }
    return events === data.events && name === data.name ? data : { ...data, name, events }
  }
}

// A stack starts with its error's message: scrubbed as the message was (a short text, where more
// is looked for than in a long one, such as a `-` name: `x-api-key: …`), then as a whole.
function scrubbedStack(stack: string, message: string, cleanMessage: string): string {
  const at = cleanMessage === message ? -1 : stack.indexOf(message)
  return redactSecretsInText(
    at === -1 ? stack : stack.slice(0, at) + cleanMessage + stack.slice(at + message.length),
  )
}

/**
 * The user's `redact` hook, once for every exporter: the span to export (the one given, or the
 * hook's copy), or undefined when the hook dropped it (counted) or failed (dropped, counted and
 * said: a span that could not be redacted is never sent).
 */
function redactHook(
  redact: (span: SpanData) => SpanData | null | undefined,
  host: {
    readonly drops: { redacted: number }
    redactFailed(spans: number, why: TracerLoss, error: unknown): void
  },
  limits: ResolvedLimits,
  helpers: FeatureHelpers,
): (span: SpanData) => SpanData | undefined {
  return (span) => {
    let result: SpanData | null | undefined
    try {
      result = redact(span)
    } catch (error) {
      host.redactFailed(1, 'redact hook', error)
      return undefined
    }
    if (result === null) {
      host.drops.redacted++
      return undefined
    }
    // Nothing returned: the span as the hook left it (changed in place, maybe).
    if (result === undefined) result = span
    if (!isSpanData(result)) {
      host.redactFailed(1, 'redact result', result)
      return undefined
    }
    return storable(result, limits, helpers)
  }
}

// The hook's span with its attribute values as setAttribute stores them: one it set to null, NaN,
// an object or a bigint failed the encoding of the whole batch it joined (every span in it
// retried, then dropped, as "Cannot read properties of null"), or gave a body the receiver
// refused. Copied where needed, never changed in place. Only with a hook: ~150 ns for 24
// attributes (Node 22; ~1 µs when the object is in dictionary mode).
function storable(span: SpanData, limits: ResolvedLimits, helpers: FeatureHelpers): SpanData {
  const attributes = storableAttributes(span.attributes, limits, helpers)
  let events: SpanEvent[] | undefined
  for (let i = 0; i < span.events.length; i++) {
    const event = span.events[i]!
    const clean = event.attributes && storableAttributes(event.attributes, limits, helpers)
    if (clean !== event.attributes)
      (events ??= [...span.events])[i] = { ...event, attributes: clean }
  }
  return attributes === span.attributes && events === undefined
    ? span
    : { ...span, attributes, events: events ?? span.events }
}

function storableAttributes(
  attributes: Attributes,
  limits: ResolvedLimits,
  { sanitizeValue, storedAsGiven }: FeatureHelpers,
): Attributes {
  let copy: Attributes | undefined
  for (const key in attributes) {
    const value = attributes[key]
    if (storedAsGiven(value, limits)) continue
    copy ??= { ...attributes }
    const clean = sanitizeValue(value, limits)
    if (clean === undefined) delete copy[key]
    else copy[key] = clean
  }
  return copy ?? attributes
}

// What the redact hook must hand back for the encoders (a Promise from an async hook, or a copy
// missing a field, would fail the whole batch it joins).
function isSpanData(span: SpanData): boolean {
  return (
    typeof span?.traceId === 'string' &&
    typeof span.spanId === 'string' &&
    typeof span.name === 'string' &&
    typeof span.startTime === 'number' &&
    typeof span.endTime === 'number' &&
    typeof span.attributes === 'object' &&
    span.attributes !== null &&
    Array.isArray(span.events) &&
    !!span.resource
  )
}
