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

function anyValue(value: AttributeValue): string {
  switch (typeof value) {
    case 'string':
      return `{"stringValue":${str(value)}}`
    case 'boolean':
      return `{"boolValue":${value}}`
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

function keyValues(attributes: Attributes, extra?: string): string {
  let out = '['
  let first = true
  for (const key in attributes) {
    if (!first) out += ','
    first = false
    out += `{"key":${str(key)},"value":${anyValue(attributes[key]!)}}`
  }
  if (extra) out += first ? extra : `,${extra}`
  return `${out}]`
}

function encodeSpan(span: SpanData): string {
  let extra: string | undefined
  if (span.kind !== 'internal')
    extra = `{"key":"${KIND_ATTRIBUTE}","value":{"stringValue":"${span.kind}"}}`
  if (span.status === 'cancelled') {
    const cancelled = `{"key":"${STATUS_ATTRIBUTE}","value":{"stringValue":"cancelled"}}`
    extra = extra ? `${extra},${cancelled}` : cancelled
  }
  let out = `{"traceId":"${span.traceId}","spanId":"${span.spanId}"`
  if (span.parentSpanId) out += `,"parentSpanId":"${span.parentSpanId}"`
  if (span.traceState) out += `,"traceState":${str(span.traceState)}`
  out += `,"name":${str(span.name)},"kind":${OTLP_SPAN_KIND[span.kind] ?? 1}`
  out += `,"startTimeUnixNano":"${msToNanos(span.startTime)}","endTimeUnixNano":"${msToNanos(span.endTime)}"`
  out += `,"attributes":${keyValues(span.attributes, extra)},"droppedAttributesCount":0,"events":[`
  for (let i = 0; i < span.events.length; i++) {
    const event = span.events[i]!
    if (i > 0) out += ','
    out += `{"timeUnixNano":"${msToNanos(event.time)}","name":${str(event.name)},"attributes":${keyValues(event.attributes ?? {})},"droppedAttributesCount":0}`
  }
  out += '],"droppedEventsCount":0,"status":'
  if (span.status === 'error') {
    const message = span.error?.message
    out += message ? `{"code":2,"message":${str(message)}}` : '{"code":2}'
  } else out += span.status === 'ok' ? '{"code":1}' : '{"code":0}'
  return `${out},"links":[],"droppedLinksCount":0}`
}

function encodeResource(resource: Resource): string {
  const attributes: Attributes = { 'service.name': resource.serviceName, ...resource.attributes }
  return `{"attributes":${keyValues(attributes)},"droppedAttributesCount":0}`
}

/** Encodes finished spans as an OTLP/HTTP JSON `ExportTraceServiceRequest` body. */
export function encodeOtlpTraces(spans: readonly SpanData[]): string {
  // Spans of one tracer share one resource object, so grouping by identity is exact and cheap.
  const groups = new Map<Resource, string[]>()
  for (const span of spans) {
    let group = groups.get(span.resource)
    if (!group) groups.set(span.resource, (group = []))
    group.push(encodeSpan(span))
  }
  const resourceSpans: string[] = []
  for (const [resource, encoded] of groups) {
    resourceSpans.push(
      `{"resource":${encodeResource(resource)},"scopeSpans":[{"scope":{"name":"${SCOPE_NAME}","version":"${SCOPE_VERSION}"},"spans":[${encoded.join(',')}]}]}`,
    )
  }
  return `{"resourceSpans":[${resourceSpans.join(',')}]}`
}
