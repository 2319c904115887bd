import type { ResolvedLimits } from './attributes.js'
import { isHomogeneousPrimitiveArray, sanitizeValue, truncate, wellFormed } from './attributes.js'
import { isEpochMs, now } from './clock.js'
import type { ContextSpan } from './context.js'
import { type EscapedForm, escapedForms, keepEscapedForms } from './escaped-values.js'
import type {
  Attributes,
  AttributeValue,
  Resource,
  SpanContext,
  SpanData,
  SpanError,
  SpanEvent,
  SpanKind,
  SpanStatus,
} from './types.js'

/** How to end a span. */
export interface EndOptions {
  /** Final status; defaults to `error` when an error was recorded, else `ok`. */
  status?: SpanStatus | undefined
  /** Epoch milliseconds, or a Date; defaults to now. */
  endTime?: number | Date | undefined
  /**
   * Also end child spans that are still open (status `cancelled`), as a request span does when its
   * body ends before a model stream noticed.
   * @default false
   */
  endOpenChildren?: boolean | undefined
}

/** What `onEnding` callbacks learn about how the span is ending. */
export interface EndingInfo {
  /** The status passed to `end`, if any (the default is decided after the callbacks). */
  status: SpanStatus | undefined
  /** True when the parent ended with `endOpenChildren` while this span was still open. */
  closedByParent: boolean
  /** When the span ends: the time passed to `end` (the parent's, when it closes this span), else now. */
  endTime: number
}

/** A span being recorded. Every method is safe to call after `end()` (it does nothing). */
export interface Span extends ContextSpan {
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId: string | undefined
  readonly name: string
  readonly kind: SpanKind
  /** Epoch milliseconds. */
  readonly startTime: number
  /** False for a sampled-out or disabled span: it records nothing. */
  readonly isRecording: boolean
  readonly ended: boolean
  setAttribute(key: string, value: unknown): this
  setAttributes(attributes: Record<string, unknown>): this
  addEvent(name: string, attributes?: Record<string, unknown>, time?: number): this
  /**
   * Marks the span as failed and keeps the error's type, message and stack, in an `exception`
   * event at `time` (epoch ms, as `addEvent` takes; now when not given).
   */
  recordError(error: unknown, time?: number): this
  updateName(name: string): this
  /** Runs `callback` just before the span ends, however it ends (also when its parent closes it). */
  onEnding(callback: (span: Span, info: EndingInfo) => void): this
  /**
   * Ends the span; only the first call counts. An end time alone (`span.end(Date.now())`, as
   * OpenTelemetry's `span.end(endTime)` takes it) is read as `{ endTime }`.
   */
  end(options?: EndOptions | number | Date): void
}

/** What a recording span reports to. */
export interface SpanOwner {
  readonly limits: ResolvedLimits
  readonly resource: Resource
  onSpanEnd(data: SpanData, span: RecordingSpan): void
  onInternalError(where: string, error: unknown): void
  /** A write to a span that has already ended: counted, and said in debug mode. */
  onLateWrite?(method: string, span: RecordingSpan, key?: string): void
  /** A span ended having refused attributes or events at its limit: counted, and said once. */
  onLimitDrops(span: RecordingSpan, attributes: number, events: number): void
  /** Epoch milliseconds from an `endTime` given; the current time, said, if unusable. */
  timeOf(option: 'endTime', span: string, time: unknown): number
  /** A `status`, attribute key, name or attributes argument the span cannot use: said once. */
  badInput(
    option: 'status' | 'key' | 'name' | 'eventName' | 'endBeforeStart' | 'attributes',
    span: string,
    got: unknown,
    where?: string,
  ): void
  /** Options `end()` does not take: said once each. */
  methodOptions(where: string, options: object, valid: readonly string[]): void
}

const END_OPTIONS = ['status', 'endTime', 'endOpenChildren']

/**
 * The text scrub (secret-text.ts) as an adapter uses it on text it builds itself, before it cuts
 * or embeds it: `text` as every attribute value gets at export, `json` for tool arguments and
 * results, `cut` for a text cut short at its end. Loaded with the span-end code, after start-up
 * (see `textScrub` and `scrubLater` in recording-tracer.ts).
 */
export interface TextScrub {
  text(text: string): string
  json(text: string): string
  cut(text: string): string
}

// `[object Type]` without running any of the value's code: Object.prototype.toString reads
// Symbol.toStringTag, which a Proxy's get trap (or a revoked Proxy) answers with a throw.
const tagOf = (value: unknown): string => {
  try {
    return Object.prototype.toString.call(value)
  } catch {
    return `[object ${typeof value}]`
  }
}

// Ending callbacks a span keeps in an array before it counts them in a map (see endingCallbacks).
const MANY_CALLBACKS = 64

// Where names (span, event), attribute keys and error types are cut: at maxStringLength as values
// are, but never below 1024 characters (a small maxStringLength is meant for prompts, not for
// names). One 2 MB key, a user's object spread into attributes, would make the span too large for
// any receiver.
const nameLimit = (limits: ResolvedLimits): number =>
  limits.maxStringLength > 1024 ? limits.maxStringLength : 1024

/** A name for anything: strings pass, other values are converted without ever throwing. */
export function textOf(value: unknown): string {
  if (typeof value === 'string') return wellFormed(value)
  try {
    return wellFormed(String(value))
  } catch {
    return tagOf(value)
  }
}

/** Turns anything thrown into plain error data. */
export function toSpanError(error: unknown): SpanError {
  // Whatever was thrown (a Proxy, an object without prototype, throwing getters) must not turn
  // into a second error in place of the user's own.
  try {
    if (
      error instanceof Error ||
      (typeof error === 'object' && error !== null && 'message' in error)
    ) {
      const e = error as Error
      const name = typeof e.name === 'string' && e.name !== 'Error' ? e.name : e.constructor?.name
      const stack = e.stack
      return {
        type: typeof name === 'string' && name !== '' ? name : 'Error',
        message: textOf(e.message),
        ...(typeof stack === 'string' ? { stack: wellFormed(stack) } : {}),
      }
    }
    return { type: typeof error, message: textOf(error) }
  } catch {
    return { type: typeof error, message: tagOf(error) }
  }
}

// Texts shorter than this are escaped by the encoder even when the writer gave their escaped form.
const KEEP_ESCAPED_FROM = 1024

/** Whether a trusted write's value is stored as given: no conversion, cut or repair needed. */
export function storedAsGiven(value: unknown, limits: ResolvedLimits): boolean {
  switch (typeof value) {
    case 'boolean':
      return true
    case 'number':
      return Number.isFinite(value)
    case 'string':
      // wellFormed answers one-byte strings at once; a long text takes the checked path.
      return value.length <= limits.maxStringLength && wellFormed(value) === value
    default:
      return Array.isArray(value) && cleanArray(value, limits)
  }
}

// A short list of one primitive type, each stored as given (finish reasons, tool names): kept as a
// copy, so the caller's array (a user's tags) may change later without changing the span.
function cleanArray(value: unknown[], limits: ResolvedLimits): boolean {
  return (
    value.length <= limits.maxArrayLength &&
    isHomogeneousPrimitiveArray(value) &&
    (typeof value[0] !== 'string' || value.every((item) => storedAsGiven(item, limits)))
  )
}

// How many values a trusted write has when every one would be stored as given (see
// setTrustedAttributes) and they fit the attribute limit, so the object can be the span's own; else -1.
function adoptable(attributes: Record<string, unknown>, limits: ResolvedLimits): number {
  if (Object.getPrototypeOf(attributes) !== Object.prototype) return -1
  let count = 0
  for (const key in attributes) {
    const value = attributes[key]
    if (!Object.hasOwn(attributes, key) || !storedAsGiven(value, limits)) return -1
    if (Array.isArray(value)) attributes[key] = value.slice()
    count++
  }
  return count <= limits.maxAttributes ? count : -1
}

// The attributes of a span not written yet (see RecordingSpan's `attributes`): never written to.
const NO_ATTRIBUTES: Attributes = Object.freeze({}) as Attributes

/** A span that records; created by a tracer. */
export class RecordingSpan implements Span {
  // On the prototype (see below): a field less per open span.
  declare readonly isRecording: true
  ended = false
  name: string
  // No attributes yet: one shared empty object, replaced by the span's own on its first write
  // (a span written only as it ends, as the AI SDK's are, holds no empty object while open).
  private attributes: Attributes = NO_ATTRIBUTES
  private attributeCount = 0
  // The fields `declare`d here are set only by what uses them (events, an error, a second open
  // child, a drop at the limits, a parent closing it): a span without is a field smaller for each.
  declare private events: SpanEvent[] | undefined
  declare private error: SpanError | undefined
  // The open children: one alone in `openChild` (most spans with children have one: a call span
  // and its LLM span), in a Set from the second on, so the common case allocates no Set.
  private openChild: RecordingSpan | undefined
  declare private openChildren: Set<RecordingSpan> | undefined
  // One callback as itself, more in an array: most spans have one, and an open span holds it.
  // Past MANY_CALLBACKS, a map of each to how often it was added: thousands of AI SDK calls open
  // at once under one span each remove theirs as they end, and an array's scan and splice made
  // that quadratic (10,000 calls ending in the order they began: 155 ms of CPU in all).
  private endingCallbacks:
    | ((span: Span, info: EndingInfo) => void)
    | ((span: Span, info: EndingInfo) => void)[]
    | Map<(span: Span, info: EndingInfo) => void, number>
    | undefined
  declare private closedByParent: boolean | undefined
  private ending = false
  // Attributes and events refused at the limit, made on the first one: most spans never have any.
  declare private limitDrops: [attributes: number, events: number] | undefined

  // Set by `scrubLater` (recording-tracer.ts, with the writes it keeps here): makes the span's
  // data once those have run. Declared only: no start-up bytes for what only adapters set.
  declare lateData:
    | ((span: RecordingSpan, status: SpanStatus | undefined, endTime: number) => SpanData)
    | undefined
  declare scrubWrites: ((scrub: TextScrub) => void)[] | undefined

  constructor(
    readonly owner: SpanOwner,
    readonly traceId: string,
    readonly spanId: string,
    readonly parentSpanId: string | undefined,
    name: string,
    readonly kind: SpanKind,
    readonly startTime: number,
    private readonly traceState: string | undefined,
    private readonly parent: RecordingSpan | undefined,
    /** The W3C flags it passes on: 0 for a trace recorded only for metrics. */
    private readonly traceFlags = 1,
  ) {
    this.name = name
    if (parent) parent.childOpened(this)
  }

  /** The span `span` was started under in this process (see `localParentOf`). */
  static parentOf(span: RecordingSpan): RecordingSpan | undefined {
    return span.parent
  }

  private childOpened(child: RecordingSpan): void {
    if (this.openChildren) this.openChildren.add(child)
    else if (this.openChild === undefined) this.openChild = child
    else {
      this.openChildren = new Set([this.openChild, child])
      this.openChild = undefined
    }
    if (this.ended) this.openedLate(child)
  }

  // Started under an ended span: the nearest ended ancestor with a `lateChild` callback is told; a
  // live ancestor on the way will see the child end before it does.
  private openedLate(child: RecordingSpan): void {
    for (let at: RecordingSpan | undefined = this; at?.ended; at = at.parent) {
      const callback = lateChildCallbacks.get(at)
      if (callback === undefined) continue
      try {
        callback(child)
      } catch (error) {
        this.owner.onInternalError('lateChild', error)
      }
      return
    }
  }

  /** Ends the children still open, `cancelled` at `endTime`, as `end({ endOpenChildren })` does. */
  closeOpenChildren(endTime: number): void {
    const open = this.openChildren ?? this.openChild
    if (!open) return
    for (const child of open instanceof Set ? [...open] : [open]) {
      // A child already ending (its onEnding ended this span) ends as it was asked to.
      if (child.ending) continue
      child.closedByParent = true
      child.setAttribute('tokentrail.closed_by_parent', true)
      child.end({ status: 'cancelled', endTime, endOpenChildren: true })
    }
  }

  private childEnded(child: RecordingSpan): void {
    if (this.openChild === child) this.openChild = undefined
    else this.openChildren?.delete(child)
  }

  spanContext(): SpanContext {
    const traceFlags = this.traceFlags
    return this.traceState === undefined
      ? { traceId: this.traceId, spanId: this.spanId, traceFlags }
      : { traceId: this.traceId, spanId: this.spanId, traceFlags, traceState: this.traceState }
  }

  setAttribute(key: string, value: unknown): this {
    // OTLP requires a non-empty string key; one bad key must not get the whole batch refused.
    if (this.ended) return this.late('setAttribute', key)
    if (typeof key !== 'string' || key === '') {
      this.owner.badInput('key', this.name, key)
      return this
    }
    key = wellFormed(truncate(key, nameLimit(this.owner.limits)))
    const clean = sanitizeValue(value, this.owner.limits)
    if (clean === undefined) return this
    if (!Object.hasOwn(this.attributes, key)) {
      if (this.attributeCount >= this.owner.limits.maxAttributes) return this.refused(0)
      this.attributeCount++
    }
    const own = this.ownAttributes()
    // A plain assignment to `__proto__` would replace the prototype instead of adding a key.
    if (key === '__proto__')
      Object.defineProperty(own, key, {
        value: clean,
        enumerable: true,
        writable: true,
        configurable: true,
      })
    else own[key] = clean
    return this
  }

  setAttributes(attributes: Record<string, unknown>): this {
    return this.setAttributesGiven(attributes)
  }

  /**
   * `setAttributes`, for attributes given to `where` (`tracer.startSpan()`, `tracer.withSpan()`):
   * a value that is not an object of attributes is said as that method's option.
   */
  setAttributesGiven(attributes: Record<string, unknown>, where?: string): this {
    if (this.ended) return this.late('setAttributes')
    if (
      attributes === null ||
      typeof attributes !== 'object' ||
      // A list would set '0', '1'…; a Map has no own keys to read.
      Array.isArray(attributes) ||
      attributes instanceof Map
    ) {
      if (attributes !== undefined) this.owner.badInput('attributes', this.name, attributes, where)
      return this
    }
    // The caller's object may throw (getters, proxies): keep what was read, never throw back.
    try {
      for (const key in attributes) this.setAttribute(key, attributes[key])
    } catch (error) {
      this.owner.onInternalError('span.setAttributes', error)
    }
    return this
  }

  /** See `setTrustedAttributes`. */
  setTrustedAttributes(
    attributes: Record<string, unknown>,
    escaped?: Record<string, EscapedForm | undefined>,
  ): void {
    if (this.ended) {
      this.late('setAttributes')
      return
    }
    const limits = this.owner.limits
    // The first write of a span whose values are all clean is kept as the span's own object:
    // no copy (a second object per span, held while the span is open).
    const count = adoptable(attributes, limits)
    if (count >= 0 && (this.attributeCount === 0 || this.merge(attributes))) {
      if (this.attributeCount === 0) {
        this.attributes = attributes as Attributes
        this.attributeCount = count
      }
      if (escaped) this.keepEscaped(attributes, escaped)
      return
    }
    const own = this.ownAttributes()
    for (const key in attributes) {
      const value = attributes[key]
      if (value === undefined) continue
      if (!storedAsGiven(value, limits)) {
        this.setAttribute(key, value)
        continue
      }
      if (!Object.hasOwn(own, key)) {
        if (this.attributeCount >= limits.maxAttributes) {
          this.refused(0)
          continue
        }
        this.attributeCount++
      }
      own[key] = (Array.isArray(value) ? value.slice() : value) as AttributeValue
    }
    if (escaped) this.keepEscaped(attributes, escaped)
  }

  // The span's own attributes object, made on the first write that needs one.
  private ownAttributes(): Attributes {
    const own = this.attributes
    return own === NO_ATTRIBUTES ? (this.attributes = {}) : own
  }

  // A later clean write (the LLM span's closing one) and what the span holds become one new object,
  // by spreading: adding a dozen keys one by one to the span's object turns it into a dictionary
  // (a slow, larger object, built key by key and held until export), which the scrub and the
  // encoder then walk. Same keys, values and order as assigning them; false (nothing changed) when
  // the union would pass the attribute limit.
  private merge(attributes: Record<string, unknown>): boolean {
    const own = this.attributes
    let total = this.attributeCount
    for (const key in attributes) if (!Object.hasOwn(own, key)) total++
    if (total > this.owner.limits.maxAttributes) return false
    // Spreading defines keys: a user's `__proto__` key (see setAttribute) stays a key.
    const merged = { ...own, ...attributes } as Attributes
    // Escaped forms kept for the old object: the encoder uses one only while its value is unchanged.
    const known = escapedForms(own)
    if (known) keepEscapedForms(merged, known)
    this.attributes = merged
    this.attributeCount = total
    return true
  }

  private keepEscaped(
    attributes: Record<string, unknown>,
    escaped: Record<string, EscapedForm | undefined>,
  ): void {
    const own = this.attributes
    let known = escapedForms(own)
    for (const key in escaped) {
      const form = escaped[key]
      const value = attributes[key]
      // Only a value stored as given: a cut or replaced one is escaped from scratch. A short text
      // costs the encoder less to escape again than keeping its form costs (a map per span).
      if (
        form === undefined ||
        typeof value !== 'string' ||
        value.length < KEEP_ESCAPED_FROM ||
        own[key] !== value
      )
        continue
      if (!known && !keepEscapedForms(own, (known = new Map()))) return
      known.set(key, [value, form])
    }
  }

  addEvent(name: string, attributes?: Record<string, unknown>, time?: number): this {
    if (this.ended) return this.late('addEvent', name)
    const events = (this.events ??= [])
    if (events.length >= this.owner.limits.maxAttributes) return this.refused(1)
    let clean: Attributes | undefined
    if (attributes && typeof attributes === 'object') {
      clean = {}
      try {
        for (const key in attributes) {
          if (key === '' || key === '__proto__') continue
          const v = sanitizeValue(attributes[key], this.owner.limits)
          if (v !== undefined) clean[wellFormed(truncate(key, nameLimit(this.owner.limits)))] = v
        }
      } catch (error) {
        this.owner.onInternalError('span.addEvent', error)
      }
    }
    if (typeof name !== 'string') this.owner.badInput('eventName', this.name, name)
    const eventName = truncate(textOf(name), nameLimit(this.owner.limits))
    const at = isEpochMs(time) ? time : now()
    events.push(
      clean ? { name: eventName, time: at, attributes: clean } : { name: eventName, time: at },
    )
    return this
  }

  recordError(error: unknown, time?: number): this {
    if (this.ended) return this.late('recordError')
    const { type, message, stack } = toSpanError(error)
    const max = this.owner.limits.maxStringLength
    const data: SpanError = {
      type: truncate(type, nameLimit(this.owner.limits)),
      message: truncate(message, max),
    }
    if (stack) (data as { stack?: string }).stack = truncate(stack, max)
    this.error = data
    const attributes: Record<string, unknown> = {
      'exception.type': data.type,
      'exception.message': data.message,
    }
    if (data.stack) attributes['exception.stacktrace'] = data.stack
    this.addEvent('exception', attributes, time)
    return this
  }

  // An attribute (which 0) or an event (1) refused at the limit: kept count of, for the exported
  // span (OTLP's droppedAttributesCount / droppedEventsCount) and the tracer's stats and notice.
  private refused(which: 0 | 1): this {
    ;(this.limitDrops ??= [0, 0])[which]++
    return this
  }

  private late(method: string, key?: unknown): this {
    try {
      this.owner.onLateWrite?.(method, this, typeof key === 'string' ? key : undefined)
    } catch {}
    return this
  }

  updateName(name: string): this {
    if (this.ended) return this
    if (typeof name === 'string') this.name = wellFormed(name)
    else this.owner.badInput('name', this.name, name)
    return this
  }

  onEnding(callback: (span: Span, info: EndingInfo) => void): this {
    if (this.ended) return this
    const callbacks = this.endingCallbacks
    if (callbacks === undefined) this.endingCallbacks = callback
    else if (callbacks instanceof Map) callbacks.set(callback, (callbacks.get(callback) ?? 0) + 1)
    else if (!Array.isArray(callbacks)) this.endingCallbacks = [callbacks, callback]
    else if (callbacks.length < MANY_CALLBACKS) callbacks.push(callback)
    else {
      const counts = new Map<(span: Span, info: EndingInfo) => void, number>()
      for (const each of callbacks) counts.set(each, (counts.get(each) ?? 0) + 1)
      counts.set(callback, (counts.get(callback) ?? 0) + 1)
      this.endingCallbacks = counts
    }
    return this
  }

  /** Removes a callback `onEnding` added, before the span ends (see `offEnding`). */
  offEnding(callback: (span: Span, info: EndingInfo) => void): void {
    const callbacks = this.endingCallbacks
    if (callbacks === callback) this.endingCallbacks = undefined
    else if (Array.isArray(callbacks)) {
      const at = callbacks.lastIndexOf(callback)
      if (at !== -1) callbacks.splice(at, 1)
    } else if (callbacks instanceof Map) {
      const count = callbacks.get(callback)
      if (count === 1) callbacks.delete(callback)
      else if (count !== undefined) callbacks.set(callback, count - 1)
    }
  }

  private runEnding(callback: (span: Span, info: EndingInfo) => void, info: EndingInfo): void {
    try {
      callback(this, info)
    } catch (error) {
      this.owner.onInternalError('span.onEnding', error)
    }
  }

  end(endOptions?: EndOptions | number | Date): void {
    // An end() from inside this one (an onEnding callback ending its own span, or a child's ending
    // its parent) is the same end: run twice, it sent the span twice and counted it ended twice.
    if (this.ended || this.ending) return
    this.ending = true
    // OpenTelemetry's positional end time, which was ignored in silence before.
    const options =
      typeof endOptions === 'number' || endOptions instanceof Date
        ? { endTime: endOptions }
        : endOptions
    // Taken before the callbacks: what they write (an AI SDK step's totals) is not the span's time.
    const given = options?.endTime
    let endTime = given === undefined ? now() : this.owner.timeOf('endTime', this.name, given)
    // An end given before the start ends at its start. A second or more before it (a time in
    // seconds, another clock) is a mistake, said; less is a clock's rounding (`Date.now()` after
    // a start read to the microsecond) or a parent's end passed to a child begun after it.
    if (endTime < this.startTime && given !== undefined) {
      if (this.startTime - endTime >= 1000 && !this.closedByParent)
        this.owner.badInput('endBeforeStart', this.name, given)
      endTime = this.startTime
    }
    let status = options?.status
    if (options) {
      this.owner.methodOptions('span.end()', options, END_OPTIONS)
      // A status it does not know (`'failed'`) would reach the exporters as a span status no
      // backend reads: said once, and the default decides.
      if (status !== undefined && status !== 'ok' && status !== 'error' && status !== 'cancelled') {
        this.owner.badInput('status', this.name, status)
        status = undefined
      }
    }
    const callbacks = this.endingCallbacks
    if (callbacks) {
      this.endingCallbacks = undefined
      const info: EndingInfo = {
        status,
        closedByParent: this.closedByParent === true,
        endTime,
      }
      if (Array.isArray(callbacks)) for (const callback of callbacks) this.runEnding(callback, info)
      else if (callbacks instanceof Map)
        for (const [callback, count] of callbacks)
          for (let i = 0; i < count; i++) this.runEnding(callback, info)
      else this.runEnding(callbacks, info)
    }
    if (options?.endOpenChildren) this.closeOpenChildren(endTime)
    this.ended = true
    this.parent?.childEnded(this)
    const late = this.lateData
    this.owner.onSpanEnd(late ? late(this, status, endTime) : this.endData(status, endTime), this)
  }

  /** The span's data, as it ends (`end`, or `lateData` for it). */
  endData(status: SpanStatus | undefined, endTime: number): SpanData {
    const data: SpanData = {
      traceId: this.traceId,
      spanId: this.spanId,
      parentSpanId: this.parentSpanId,
      traceState: this.traceState,
      name: truncate(this.name, nameLimit(this.owner.limits)),
      kind: this.kind,
      startTime: this.startTime,
      endTime: Math.max(endTime, this.startTime),
      status: status ?? (this.error ? 'error' : 'ok'),
      attributes: this.attributes === NO_ATTRIBUTES ? {} : this.attributes,
      events: this.events ?? EMPTY_EVENTS,
      error: this.error,
      resource: this.owner.resource,
    }
    // Only a span with drops carries the counts, so every other span keeps one shape.
    const drops = this.limitDrops
    if (drops) {
      const [attributes, events] = drops
      if (attributes > 0) (data as Writable<SpanData>).droppedAttributesCount = attributes
      if (events > 0) (data as Writable<SpanData>).droppedEventsCount = events
      this.owner.onLimitDrops(this, attributes, events)
    }
    return data
  }
}

const EMPTY_EVENTS: readonly SpanEvent[] = Object.freeze([])

Object.defineProperty(RecordingSpan.prototype, 'isRecording', { value: true })

type Writable<T> = { -readonly [K in keyof T]: T[K] }

/**
 * Ends the children of `span` still open, `cancelled` with `tokentrail.closed_by_parent` at
 * `endTime` (default now), as `end({ endOpenChildren: true })` would have: for an adapter that
 * ended the span first and let its children run on. For the adapters.
 */
export function endOpenChildren(span: Span, endTime: number = now()): void {
  if (span instanceof RecordingSpan) span.closeOpenChildren(endTime)
}

/**
 * Removes a callback `span.onEnding(callback)` added, for work that ended before its span: on a
 * span that lives long (a session, a worker's loop) callbacks of work done long ago would
 * otherwise pile up, each holding what it closes over, until the span ends. For the adapters.
 */
export function offEnding(span: Span, callback: (span: Span, info: EndingInfo) => void): void {
  if (span instanceof RecordingSpan) span.offEnding(callback)
}

// Kept apart from the spans: few have one, and a field would cost every span its slot.
const lateChildCallbacks = new WeakMap<RecordingSpan, (child: Span) => void>()

/**
 * Calls `callback` with each span started under `span` after it ended — directly, or under a
 * descendant that had ended too — such as work a request handed to `waitUntil` or `after()`, so an
 * adapter can keep the function alive until that span is sent. For the adapters. Replaces an
 * earlier callback; nothing happens for a span that does not record.
 */
export function onLateChild(span: Span, callback: (child: Span) => void): void {
  if (span instanceof RecordingSpan) lateChildCallbacks.set(span, callback)
}

/**
 * Sets attributes an adapter built itself, without the checks meant for user input: the keys must
 * be constant, valid names (non-empty, never `__proto__`). Finite numbers, booleans, strings within
 * the length limit, and lists of one of these types within the limits (copied) are stored as given;
 * `undefined` is skipped, anything else takes the checked path of `setAttribute`. The span may keep
 * `attributes` itself as its attribute object (the first write, when every value is stored as
 * given): never change it after the call. `escaped` may give, for a string value, its JSON-escaped
 * form without the outer quotes, or a function that makes that form when the OTLP JSON encoder
 * needs it (it must not change what it makes later), when the writer has it cheaply: the encoder
 * then writes it instead of escaping the text again. Never pass user-supplied keys here.
 */
export function setTrustedAttributes(
  span: Span,
  attributes: Record<string, unknown>,
  escaped?: Record<string, EscapedForm | undefined>,
): void {
  if (span instanceof RecordingSpan) span.setTrustedAttributes(attributes, escaped)
  else span.setAttributes(attributes)
}

/** A span that records nothing but keeps its ids, so sampled-out traces still propagate. */
export class NonRecordingSpan implements Span {
  readonly isRecording = false
  readonly parentSpanId = undefined
  readonly name = ''
  readonly kind: SpanKind = 'internal'
  readonly startTime = 0
  ended = false

  constructor(private readonly context: SpanContext) {}

  get traceId() {
    return this.context.traceId
  }
  get spanId() {
    return this.context.spanId
  }
  spanContext(): SpanContext {
    return this.context
  }
  setAttribute(): this {
    return this
  }
  setAttributes(): this {
    return this
  }
  addEvent(): this {
    return this
  }
  recordError(): this {
    return this
  }
  updateName(): this {
    return this
  }
  onEnding(): this {
    return this
  }
  end(): void {
    this.ended = true
  }
}

/** The span a disabled tracer hands out: invalid ids, records nothing, injects nothing. */
export const NOOP_SPAN: Span = new NonRecordingSpan({
  traceId: '00000000000000000000000000000000',
  spanId: '0000000000000000',
  traceFlags: 0,
})

/** The span this one was started under in this process, if any (a remote parent is not one). */
export function localParentOf(span: unknown): Span | undefined {
  return span instanceof RecordingSpan ? RecordingSpan.parentOf(span) : undefined
}
