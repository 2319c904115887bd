import { escapedValues } from '../attributes.js'
import type { Attributes, AttributeValue, Resource, SpanData, SpanKind } from '../types.js'

/** OTLP SpanKind numbers. */
export const OTLP_SPAN_KIND: Record<SpanKind, number> = {
  internal: 1,
  http: 2,
  llm: 3,
  queue: 5,
  tool: 1,
}

/** Attribute that keeps Tokentrail's own span kind across OTLP. */
export const KIND_ATTRIBUTE = 'tokentrail.span.kind'
/** Attribute that keeps a `cancelled` status across OTLP, which has no such code. */
export const STATUS_ATTRIBUTE = 'tokentrail.span.status'

export const SCOPE_NAME = '@tokentrail/core'
export const SCOPE_VERSION = '0.1.0'

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

const str = JSON.stringify

// Short strings repeat across spans (models, providers, operation names): keep their JSON form.
const quoted = new Map<string, string>()
function quote(value: string): string {
  if (value.length > 64) return str(value)
  let encoded = quoted.get(value)
  if (encoded === undefined) {
    encoded = str(value)
    if (quoted.size < 4096) quoted.set(value, encoded)
  }
  return encoded
}

function anyValue(value: AttributeValue): string {
  switch (typeof value) {
    case 'string':
      return `{"stringValue":${quote(value)}}`
    case 'boolean':
      return value ? '{"boolValue":true}' : '{"boolValue":false}'
    case 'number':
      return Number.isSafeInteger(value) ? `{"intValue":"${value}"}` : `{"doubleValue":${value}}`
  }
  let out = '{"arrayValue":{"values":['
  for (let i = 0; i < value.length; i++) {
    if (i > 0) out += ','
    out += anyValue(value[i] as AttributeValue)
  }
  return `${out}]}}`
}

// Attribute keys repeat across spans (gen_ai.*), so their encoded prefix is worth keeping.
const keyPrefixes = new Map<string, string>()
function keyPrefix(key: string): string {
  let prefix = keyPrefixes.get(key)
  if (prefix === undefined) {
    prefix = `{"key":${str(key)},"value":`
    if (keyPrefixes.size < 2048) keyPrefixes.set(key, prefix)
  }
  return prefix
}

function appendKeyValues(out: string, attributes: Attributes, extra?: string): string {
  out += '['
  let first = true
  // Long texts whose writer already escaped them (see setTrustedAttributes) are not escaped again.
  const escaped = escapedValues.get(attributes)
  for (const key in attributes) {
    if (!first) out += ','
    first = false
    out += keyPrefix(key)
    const value = attributes[key]!
    const known = escaped?.get(key)
    if (known !== undefined && known[0] === value) out += `{"stringValue":"${known[1]}"}`
    else out += anyValue(value)
    out += '}'
  }
  if (extra) out += first ? extra : `,${extra}`
  return `${out}]`
}

// Appends to one growing string: V8 flattens a single append chain cheaply, where nested
// templates and join() make ropes of ropes that cost more to flatten than to build.
function encodeSpan(out: string, span: SpanData, more: Attributes | undefined): string {
  let extra: string | undefined
  if (more) {
    const list = appendKeyValues('', more)
    if (list.length > 2) extra = list.slice(1, -1)
  }
  if (span.kind !== 'internal') {
    const kind = `{"key":"${KIND_ATTRIBUTE}","value":{"stringValue":"${span.kind}"}}`
    extra = extra ? `${extra},${kind}` : kind
  }
  if (span.status === 'cancelled') {
    const cancelled = `{"key":"${STATUS_ATTRIBUTE}","value":{"stringValue":"cancelled"}}`
    extra = extra ? `${extra},${cancelled}` : cancelled
  }
  out += `{"traceId":"${span.traceId}","spanId":"${span.spanId}"`
  if (span.parentSpanId) out += `,"parentSpanId":"${span.parentSpanId}"`
  if (span.traceState) out += `,"traceState":${str(span.traceState)}`
  out += `,"name":${quote(span.name)},"kind":${OTLP_SPAN_KIND[span.kind] ?? 1}`
  out += `,"startTimeUnixNano":"${msToNanos(span.startTime)}","endTimeUnixNano":"${msToNanos(span.endTime)}"`
  out = appendKeyValues(`${out},"attributes":`, span.attributes, extra)
  out += ',"droppedAttributesCount":0,"events":['
  for (let i = 0; i < span.events.length; i++) {
    const event = span.events[i]!
    if (i > 0) out += ','
    out += `{"timeUnixNano":"${msToNanos(event.time)}","name":${quote(event.name)},"attributes":`
    out = appendKeyValues(out, event.attributes ?? {})
    out += ',"droppedAttributesCount":0}'
  }
  out += '],"droppedEventsCount":0,"status":'
  if (span.status === 'error') {
    const message = span.error?.message
    out += message ? `{"code":2,"message":${str(message)}}` : '{"code":2}'
  } else out += span.status === 'ok' ? '{"code":1}' : '{"code":0}'
  return `${out},"links":[],"droppedLinksCount":0}`
}

/**
 * Encodes finished spans as an OTLP/HTTP JSON `ExportTraceServiceRequest` body.
 * `extra(span)` may add attributes to a span on the wire (the backend mappings do).
 */
export function encodeOtlpTraces(
  spans: readonly SpanData[],
  extra?: (span: SpanData) => Attributes | undefined,
): string {
  // Spans of one tracer share one resource object, so grouping by identity is exact and cheap.
  const groups = new Map<Resource, SpanData[]>()
  for (const span of spans) {
    let group = groups.get(span.resource)
    if (!group) groups.set(span.resource, (group = []))
    group.push(span)
  }
  let out = '{"resourceSpans":['
  let firstGroup = true
  for (const [resource, group] of groups) {
    if (!firstGroup) out += ','
    firstGroup = false
    out = appendKeyValues(`${out}{"resource":{"attributes":`, {
      'service.name': resource.serviceName,
      ...resource.attributes,
    })
    out += `,"droppedAttributesCount":0},"scopeSpans":[{"scope":{"name":"${SCOPE_NAME}","version":"${SCOPE_VERSION}"},"spans":[`
    for (let i = 0; i < group.length; i++) {
      if (i > 0) out += ','
      out = encodeSpan(out, group[i]!, extra?.(group[i]!))
    }
    out += ']}]}'
  }
  return `${out}]}`
}
