import { type EscapedForm, escapedForms } from '../escaped-values.js'
import { JsonWriter } from '../otlp/json-writer.js'
import type { Attributes, AttributeValue, Resource, SpanData, SpanKind } from '../types.js'
import { VERSION } from '../version.js'

/** OTLP SpanKind numbers (no prototype: a made-up kind finds nothing). */
export const OTLP_SPAN_KIND: Record<SpanKind, number> = Object.assign(Object.create(null), {
  internal: 1,
  http: 2,
  llm: 3,
  queue: 5,
  tool: 1,
})

/** Attribute that keeps Tokentrail's own span kind across OTLP. */
export const KIND_ATTRIBUTE = 'tokentrail.span.kind'
/** Attribute that keeps a `cancelled` status across OTLP, which has no such code. */
export const STATUS_ATTRIBUTE = 'tokentrail.span.status'

export const SCOPE_NAME = '@tokentrail/core'
export const SCOPE_VERSION = VERSION

/**
 * Epoch milliseconds (with a fraction) to a decimal string of nanoseconds, without float overflow.
 * A double near 1.7e12 ms resolves about 0.25 µs, so the fraction is kept to the microsecond.
 */
export function msToNanos(ms: number): string {
  let whole = Math.floor(ms)
  let micros = Math.round((ms - whole) * 1e3)
  if (micros >= 1e3) {
    whole += 1
    micros -= 1e3
  }
  if (whole === 0) return String(micros * 1e3)
  return `${whole}${micros.toString().padStart(3, '0')}000`
}

// The constant pieces of the body, encoded once.
const utf8 = new TextEncoder()
const piece = (text: string) => utf8.encode(text)
const COMMA = 0x2c
const CLOSE = 0x7d
const QUOTE = 0x22
const RESOURCE_SPANS = piece('{"resourceSpans":[')
const RESOURCE = piece('{"resource":{"attributes":[')
const SCOPE = piece(
  `],"droppedAttributesCount":0},"scopeSpans":[{"scope":{"name":"${SCOPE_NAME}","version":"${SCOPE_VERSION}"},"spans":[`,
)
const GROUP_END = piece(']}]}')
const BODY_END = piece(']}')
const TRACE_ID = piece('{"traceId":')
const SPAN_ID = piece(',"spanId":')
const PARENT_SPAN_ID = piece(',"parentSpanId":')
const TRACE_STATE = piece(',"traceState":')
const NAME = piece(',"name":')
// Lookups by a span's kind have no prototype: a kind made up by hand (`constructor`) finds nothing,
// not an Object method whose text would break the batch's body.
const KIND: Record<string, Uint8Array> = Object.create(null)
for (const [kind, number] of Object.entries(OTLP_SPAN_KIND))
  KIND[kind] = piece(`,"kind":${number},"startTimeUnixNano":"`)
const KIND_OTHER = piece(',"kind":1,"startTimeUnixNano":"')
const END_TIME = piece('","endTimeUnixNano":"')
const ATTRIBUTES = piece('","attributes":[')
const EVENTS = piece('],"droppedAttributesCount":0,"events":[')
// The same with a count other than 0 (a span past its limits): the count goes between the two.
const DROPPED_ATTRIBUTES = piece('],"droppedAttributesCount":')
const EVENTS_AFTER_COUNT = piece(',"events":[')
const EVENT = piece('{"timeUnixNano":"')
const EVENT_NAME = piece('","name":')
const EVENT_ATTRIBUTES = piece(',"attributes":[')
const EVENT_END = piece('],"droppedAttributesCount":0}')
const EVENT_DROPPED_ATTRIBUTES = piece('],"droppedAttributesCount":')
const STATUS = piece('],"droppedEventsCount":0,"status":')
const DROPPED_EVENTS = piece('],"droppedEventsCount":')
const STATUS_AFTER_COUNT = piece(',"status":')
const STATUS_MESSAGE = piece('{"code":2,"message":')
const STATUS_ERROR = piece('{"code":2}')
// A span that did not fail is Unset, ended well or cancelled (`tokentrail.span.status` tells which):
// OpenTelemetry leaves Ok to the app ("Instrumentation Libraries SHOULD NOT set the status code to
// Ok"), and the GenAI conventions follow its recording-errors rules.
const STATUS_UNSET = piece('{"code":0}')
const SPAN_END = piece(',"links":[],"droppedLinksCount":0}')
const REST = '],"droppedAttributesCount":0,"events":[],"droppedEventsCount":0,"status":'
const REST_UNSET = piece(`${REST}{"code":0},"links":[],"droppedLinksCount":0}`)
const STRING_VALUE = piece('{"stringValue":')
const TRUE_VALUE = piece('{"boolValue":true}')
const FALSE_VALUE = piece('{"boolValue":false}')
const INT_VALUE = piece('{"intValue":"')
const INT_VALUE_END = piece('"}')
const DOUBLE_VALUE = piece('{"doubleValue":')
const ARRAY_VALUE = piece('{"arrayValue":{"values":[')
const ARRAY_VALUE_END = piece(']}}')
const KIND_KEY_VALUE = (kind: string) =>
  piece(`{"key":"${KIND_ATTRIBUTE}","value":{"stringValue":"${kind}"}}`)
const KIND_VALUES: Record<string, Uint8Array> = Object.create(null)
for (const kind of Object.keys(OTLP_SPAN_KIND)) KIND_VALUES[kind] = KIND_KEY_VALUE(kind)
const CANCELLED = piece(`{"key":"${STATUS_ATTRIBUTE}","value":{"stringValue":"cancelled"}}`)

function writeValue(out: JsonWriter, value: AttributeValue): void {
  switch (typeof value) {
    case 'string':
      out.bytes(STRING_VALUE)
      out.string(value)
      out.byte(CLOSE)
      return
    case 'boolean':
      out.bytes(value ? TRUE_VALUE : FALSE_VALUE)
      return
    case 'number':
      if (Number.isSafeInteger(value)) {
        out.bytes(INT_VALUE)
        out.ascii(String(value))
        out.bytes(INT_VALUE_END)
      } else {
        out.bytes(DOUBLE_VALUE)
        out.ascii(String(value))
        out.byte(CLOSE)
      }
      return
  }
  out.bytes(ARRAY_VALUE)
  for (let i = 0; i < value.length; i++) {
    if (i > 0) out.byte(COMMA)
    writeValue(out, value[i] as AttributeValue)
  }
  out.bytes(ARRAY_VALUE_END)
}

// Attribute keys repeat across spans (gen_ai.*): their encoded `{"key":…,"value":` is kept.
const keyPrefixes = new Map<string, Uint8Array>()
function keyPrefix(key: string): Uint8Array {
  let prefix = keyPrefixes.get(key)
  if (prefix === undefined) {
    const out = new JsonWriter(64)
    out.ascii('{"key":')
    out.string(key)
    out.ascii(',"value":')
    prefix = out.finish()
    if (keyPrefixes.size < 2048) keyPrefixes.set(key, prefix)
  }
  return prefix
}

// Short string values repeat too (providers, models, operation names): their whole key-value is
// kept, by key then value. A key with many values (ids) stops adding at 64, all keys at 4096.
const MAX_CACHED_VALUE = 32
let cachedPairs = 0
const pairs = new Map<string, Map<string, Uint8Array>>()
function pair(key: string, value: string): Uint8Array | undefined {
  let byValue = pairs.get(key)
  let bytes = byValue?.get(value)
  if (bytes !== undefined || cachedPairs >= 4096 || (byValue && byValue.size >= 64)) return bytes
  if (!byValue) pairs.set(key, (byValue = new Map()))
  const out = new JsonWriter(64)
  out.bytes(keyPrefix(key))
  writeValue(out, value)
  out.byte(CLOSE)
  bytes = out.finish()
  byValue.set(value, bytes)
  cachedPairs++
  return bytes
}

// The escaped form a writer gave (see setTrustedAttributes); undefined when making it failed, and
// the encoder then escapes the value itself.
function escapedText(form: EscapedForm): string | undefined {
  if (typeof form === 'string') return form
  try {
    const text = form()
    return typeof text === 'string' ? text : undefined
  } catch {
    return undefined
  }
}

/** Writes `attributes` as OTLP key-values; `comma` says one is already in the list. */
function writeKeyValues(out: JsonWriter, attributes: Attributes, comma: boolean): boolean {
  // Long texts whose writer already escaped them (see setTrustedAttributes) are not escaped again.
  const escaped = escapedForms(attributes)
  for (const key in attributes) {
    if (comma) out.byte(COMMA)
    comma = true
    const value = attributes[key]!
    if (typeof value === 'string' && value.length <= MAX_CACHED_VALUE) {
      const bytes = pair(key, value)
      if (bytes !== undefined) {
        out.bytes(bytes)
        continue
      }
    }
    out.bytes(keyPrefix(key))
    const known = escaped?.get(key)
    const form = known !== undefined && known[0] === value ? escapedText(known[1]) : undefined
    if (form !== undefined) {
      out.bytes(STRING_VALUE)
      out.byte(QUOTE)
      out.escaped(form)
      out.byte(QUOTE)
      out.byte(CLOSE)
    } else writeValue(out, value)
    out.byte(CLOSE)
  }
  return comma
}

/** A dropped count from the span (a positive integer), else 0. */
export function droppedCount(n: number | undefined): number {
  return typeof n === 'number' && n > 0 && Number.isSafeInteger(n) ? n : 0
}

/** Writes what `msToNanos` returns, without making the string. */
function writeNanos(out: JsonWriter, ms: number): void {
  let whole = Math.floor(ms)
  let micros = Math.round((ms - whole) * 1e3)
  if (micros >= 1e3) {
    whole += 1
    micros -= 1e3
  }
  if (whole === 0) {
    out.ascii(String(micros * 1e3))
    return
  }
  // The digits of `whole` written one by one: String(whole) made a string per timestamp (a time
  // in ms is past the small integers whose strings the engine keeps), four per LLM call.
  if (whole > Number.MAX_SAFE_INTEGER) out.ascii(String(whole))
  else {
    let digits = 1
    for (let at = 10; at <= whole; at *= 10) digits++
    out.ensure(digits)
    const buf = out.buf
    for (let i = out.pos + digits - 1, left = whole; left > 0; i--) {
      const next = Math.floor(left / 10)
      buf[i] = 0x30 + (left - next * 10)
      left = next
    }
    out.pos += digits
  }
  out.ensure(6)
  const buf = out.buf
  let pos = out.pos
  buf[pos++] = 0x30 + Math.floor(micros / 100)
  buf[pos++] = 0x30 + (Math.floor(micros / 10) % 10)
  buf[pos++] = 0x30 + (micros % 10)
  buf[pos++] = 0x30
  buf[pos++] = 0x30
  buf[pos++] = 0x30
  out.pos = pos
}

function writeSpan(out: JsonWriter, span: SpanData, more: Attributes | undefined): void {
  out.bytes(TRACE_ID)
  out.string(span.traceId)
  out.bytes(SPAN_ID)
  out.string(span.spanId)
  if (span.parentSpanId) {
    out.bytes(PARENT_SPAN_ID)
    out.string(span.parentSpanId)
  }
  if (span.traceState) {
    out.bytes(TRACE_STATE)
    out.string(span.traceState)
  }
  out.bytes(NAME)
  out.string(span.name)
  out.bytes(KIND[span.kind] ?? KIND_OTHER)
  writeNanos(out, span.startTime)
  out.bytes(END_TIME)
  writeNanos(out, span.endTime)
  out.bytes(ATTRIBUTES)
  let comma = writeKeyValues(out, span.attributes, false)
  if (more) comma = writeKeyValues(out, more, comma)
  const kindValue = span.kind === 'internal' ? undefined : KIND_VALUES[span.kind]
  if (kindValue) {
    if (comma) out.byte(COMMA)
    comma = true
    out.bytes(kindValue)
  }
  if (span.status === 'cancelled') {
    if (comma) out.byte(COMMA)
    out.bytes(CANCELLED)
  }
  // Most spans have no events, no error message and nothing dropped at their limits: the rest of
  // the span is then one piece.
  const droppedAttributes = span.droppedAttributesCount
  const droppedEvents = span.droppedEventsCount
  if (
    span.events.length === 0 &&
    span.status !== 'error' &&
    droppedAttributes === undefined &&
    droppedEvents === undefined
  ) {
    out.bytes(REST_UNSET)
    return
  }
  const attributesCount = droppedCount(droppedAttributes)
  if (attributesCount === 0) out.bytes(EVENTS)
  else {
    out.bytes(DROPPED_ATTRIBUTES)
    out.ascii(String(attributesCount))
    out.bytes(EVENTS_AFTER_COUNT)
  }
  for (let i = 0; i < span.events.length; i++) {
    const event = span.events[i]!
    if (i > 0) out.byte(COMMA)
    out.bytes(EVENT)
    writeNanos(out, event.time)
    out.bytes(EVENT_NAME)
    out.string(event.name)
    out.bytes(EVENT_ATTRIBUTES)
    if (event.attributes) writeKeyValues(out, event.attributes, false)
    const eventCount = droppedCount(event.droppedAttributesCount)
    if (eventCount === 0) out.bytes(EVENT_END)
    else {
      out.bytes(EVENT_DROPPED_ATTRIBUTES)
      out.ascii(String(eventCount))
      out.byte(CLOSE)
    }
  }
  const eventsCount = droppedCount(droppedEvents)
  if (eventsCount === 0) out.bytes(STATUS)
  else {
    out.bytes(DROPPED_EVENTS)
    out.ascii(String(eventsCount))
    out.bytes(STATUS_AFTER_COUNT)
  }
  if (span.status === 'error') {
    const message = span.error?.message
    if (message) {
      out.bytes(STATUS_MESSAGE)
      out.string(message)
      out.byte(CLOSE)
    } else out.bytes(STATUS_ERROR)
  } else out.bytes(STATUS_UNSET)
  out.bytes(SPAN_END)
}

// Bytes per span of the last body: the next buffer starts about that size, so it rarely grows.
let bytesPerSpan = 512

/**
 * Encodes finished spans as an OTLP/HTTP JSON `ExportTraceServiceRequest` body, as UTF-8 bytes.
 * `extra(span)` may add attributes to a span on the wire (the backend mappings do). With `into`,
 * the body is written into that writer's buffer (from its start) and the bytes returned are a view
 * of it: valid until the writer is used again.
 */
export function encodeOtlpTracesBytes(
  spans: readonly SpanData[],
  extra?: (span: SpanData) => Attributes | undefined,
  into?: JsonWriter,
): Uint8Array {
  // Spans of one tracer share one resource object, so grouping by identity is exact and cheap.
  const groups = new Map<Resource, SpanData[]>()
  for (const span of spans) {
    let group = groups.get(span.resource)
    if (!group) groups.set(span.resource, (group = []))
    group.push(span)
  }
  const size = Math.ceil(spans.length * bytesPerSpan * 1.1) + 1024
  const out = into ?? new JsonWriter(size)
  out.pos = 0
  out.ensure(size)
  out.bytes(RESOURCE_SPANS)
  let firstGroup = true
  for (const [resource, group] of groups) {
    if (!firstGroup) out.byte(COMMA)
    firstGroup = false
    out.bytes(RESOURCE)
    writeKeyValues(out, { 'service.name': resource.serviceName, ...resource.attributes }, false)
    out.bytes(SCOPE)
    for (let i = 0; i < group.length; i++) {
      if (i > 0) out.byte(COMMA)
      writeSpan(out, group[i]!, extra?.(group[i]!))
    }
    out.bytes(GROUP_END)
  }
  out.bytes(BODY_END)
  if (spans.length > 0) bytesPerSpan = Math.ceil(out.pos / spans.length)
  return out.finish()
}

const utf8Decoder = new TextDecoder()

/**
 * Encodes finished spans as an OTLP/HTTP JSON `ExportTraceServiceRequest` body.
 * `extra(span)` may add attributes to a span on the wire (the backend mappings do).
 */
export function encodeOtlpTraces(
  spans: readonly SpanData[],
  extra?: (span: SpanData) => Attributes | undefined,
): string {
  return utf8Decoder.decode(encodeOtlpTracesBytes(spans, extra))
}
