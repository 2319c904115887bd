import type { MetricsSnapshot } from '../metrics.js'
import {
  ANY_VALUE,
  EVENT,
  HISTOGRAM_POINT,
  KEY_VALUE,
  METRIC,
  METRIC_DATA,
  METRICS_REQUEST,
  NUMBER_POINT,
  REQUEST,
  RESOURCE,
  RESOURCE_ITEMS,
  SCOPE,
  SCOPE_ITEMS,
  SPAN,
  STATUS,
  VALUES,
} from '../otlp/protobuf-schema.js'
import { ProtobufWriter, varintSize } from '../otlp/protobuf-writer.js'
import type { Attributes, AttributeValue, Resource, SpanData } from '../types.js'
import {
  droppedCount,
  KIND_ATTRIBUTE,
  OTLP_SPAN_KIND,
  SCOPE_NAME,
  SCOPE_VERSION,
  STATUS_ATTRIBUTE,
} from './otlp-json.js'

// Encoding is synchronous, so one writer serves every call and its buffer is kept warm.
const writer = new ProtobufWriter()

function anyValue(w: ProtobufWriter, value: AttributeValue): void {
  switch (typeof value) {
    case 'string':
      w.tag(ANY_VALUE.stringValue.tag)
      w.string(value)
      return
    case 'boolean':
      w.tag(ANY_VALUE.boolValue.tag)
      w.varint(value ? 1 : 0)
      return
    case 'number':
      if (Number.isSafeInteger(value)) {
        w.tag(ANY_VALUE.intValue.tag)
        w.int64(value)
      } else {
        w.tag(ANY_VALUE.doubleValue.tag)
        w.double(value)
      }
      return
  }
  w.tag(ANY_VALUE.arrayValue.tag)
  const array = w.begin()
  for (let i = 0; i < value.length; i++) {
    w.tag(VALUES.values.tag)
    const item = w.begin()
    anyValue(w, value[i] as AttributeValue)
    w.end(item)
  }
  w.end(array)
}

// Attribute keys repeat across spans (gen_ai.*): keep each one's encoded `key` field.
const keyFields = new Map<string, Uint8Array>()
const keyWriter = new ProtobufWriter(256)
function keyField(key: string): Uint8Array {
  let field = keyFields.get(key)
  if (field === undefined) {
    keyWriter.reset()
    keyWriter.tag(KEY_VALUE.key.tag)
    keyWriter.string(key)
    field = keyWriter.finish()
    if (keyFields.size < 2048) keyFields.set(key, field)
  }
  return field
}

function keyValue(w: ProtobufWriter, tag: number, key: string, value: AttributeValue): void {
  w.tag(tag)
  const start = w.begin()
  w.raw(keyField(key))
  w.tag(KEY_VALUE.value.tag)
  const inner = w.begin()
  anyValue(w, value)
  w.end(inner)
  w.end(start)
}

function attributes(w: ProtobufWriter, tag: number, attrs: Attributes | undefined): void {
  for (const key in attrs) keyValue(w, tag, key, attrs[key]!)
}

// A dropped count (droppedAttributesCount, droppedEventsCount). Left out when 0, the proto3
// default, as the JSON encoder's constant 0 says the same.
function droppedField(w: ProtobufWriter, tag: number, n: number | undefined): void {
  if (n === undefined) return
  const count = droppedCount(n)
  if (count === 0) return
  w.tag(tag)
  w.varint(count)
}

function span(w: ProtobufWriter, s: SpanData, extra: Attributes | undefined): void {
  w.tag(SCOPE_ITEMS.items.tag)
  const start = w.begin()
  w.tag(SPAN.traceId.tag)
  w.hexBytes(s.traceId)
  w.tag(SPAN.spanId.tag)
  w.hexBytes(s.spanId)
  if (s.traceState) {
    w.tag(SPAN.traceState.tag)
    w.string(s.traceState)
  }
  if (s.parentSpanId) {
    w.tag(SPAN.parentSpanId.tag)
    w.hexBytes(s.parentSpanId)
  }
  w.tag(SPAN.name.tag)
  w.string(s.name)
  w.tag(SPAN.kind.tag)
  w.varint(OTLP_SPAN_KIND[s.kind] ?? 1)
  w.tag(SPAN.startTimeUnixNano.tag)
  w.millisAsNanos(s.startTime)
  w.tag(SPAN.endTimeUnixNano.tag)
  w.millisAsNanos(s.endTime)
  attributes(w, SPAN.attributes.tag, s.attributes)
  attributes(w, SPAN.attributes.tag, extra)
  if (s.kind !== 'internal') keyValue(w, SPAN.attributes.tag, KIND_ATTRIBUTE, s.kind)
  if (s.status === 'cancelled') keyValue(w, SPAN.attributes.tag, STATUS_ATTRIBUTE, 'cancelled')
  droppedField(w, SPAN.droppedAttributesCount.tag, s.droppedAttributesCount)
  for (const event of s.events) {
    w.tag(SPAN.events.tag)
    const e = w.begin()
    w.tag(EVENT.timeUnixNano.tag)
    w.millisAsNanos(event.time)
    w.tag(EVENT.name.tag)
    w.string(event.name)
    attributes(w, EVENT.attributes.tag, event.attributes)
    droppedField(w, EVENT.droppedAttributesCount.tag, event.droppedAttributesCount)
    w.end(e)
  }
  droppedField(w, SPAN.droppedEventsCount.tag, s.droppedEventsCount)
  // Unset (empty) unless it failed: see otlp-json.ts's STATUS_UNSET.
  w.tag(SPAN.status.tag)
  const status = w.begin()
  if (s.status === 'error') {
    const message = s.error?.message
    if (message) {
      w.tag(STATUS.message.tag)
      w.string(message)
    }
    w.tag(STATUS.code.tag)
    w.varint(2)
  }
  w.end(status)
  w.end(start)
}

function resourceMessage(w: ProtobufWriter, resource: Resource): void {
  w.tag(RESOURCE_ITEMS.resource.tag)
  const res = w.begin()
  // As the JSON encoder's `{ 'service.name': …, ...attributes }`: first, and the attribute wins.
  const name = resource.attributes['service.name'] ?? resource.serviceName
  keyValue(w, RESOURCE.attributes.tag, 'service.name', name)
  for (const key in resource.attributes)
    if (key !== 'service.name') keyValue(w, RESOURCE.attributes.tag, key, resource.attributes[key]!)
  w.end(res)
}

function scope(w: ProtobufWriter): void {
  w.tag(SCOPE_ITEMS.scope.tag)
  const sc = w.begin()
  w.tag(SCOPE.name.tag)
  w.string(SCOPE_NAME)
  w.tag(SCOPE.version.tag)
  w.string(SCOPE_VERSION)
  w.end(sc)
}

// Bytes per span of the last body written into a caller's writer: the next body starts with about
// that much room, so its buffer rarely grows (each growth copies all written so far).
let bytesPerSpan = 512

// Room before the spans for what precedes them in a one-resource body: the tags and lengths of
// ResourceSpans and ScopeSpans (5 bytes each covers any length up to 32 GB), with the resource and
// scope messages themselves.
const HEAD_ROOM = 12

// The encoded resource message, ScopeSpans tag and scope message of a resource object (one per
// tracer): the same bytes start every body. `scopeAt`: where the ScopeSpans length goes.
interface Head {
  bytes: Uint8Array
  scopeAt: number
}
const heads = new WeakMap<Resource, Head>()
const headWriter = new ProtobufWriter(256)
function head(resource: Resource): Head {
  let found = heads.get(resource)
  if (found === undefined) {
    headWriter.reset()
    resourceMessage(headWriter, resource)
    headWriter.tag(RESOURCE_ITEMS.scopeItems.tag)
    const scopeAt = headWriter.pos
    scope(headWriter)
    found = { bytes: headWriter.finish(), scopeAt }
    if (Object.isFrozen(resource) && Object.isFrozen(resource.attributes))
      heads.set(resource, found)
  }
  return found
}

/**
 * Encodes finished spans as an OTLP/HTTP protobuf `ExportTraceServiceRequest` body.
 * `extra(span)` may add attributes to a span on the wire (the backend mappings do). With `into`,
 * the body is written into that writer's buffer and the bytes returned are a view of it: valid
 * until the writer is used again (without, a copy).
 */
export function encodeOtlpTracesProtobuf(
  spans: readonly SpanData[],
  extra?: (span: SpanData) => Attributes | undefined,
  into?: ProtobufWriter,
): Uint8Array {
  // Spans of one tracer share one resource object, so grouping by identity is exact and cheap.
  const groups = new Map<Resource, SpanData[]>()
  for (const s of spans) {
    let group = groups.get(s.resource)
    if (!group) groups.set(s.resource, (group = []))
    group.push(s)
  }
  const w = into ?? writer
  w.reset()
  if (into && groups.size === 1) {
    // One resource (one tracer: the usual body). The spans are written first, after room for what
    // precedes them, and the lengths of ResourceSpans and ScopeSpans then put in front of them,
    // once known: ending those two messages the usual way would slide the whole body along by a
    // byte or two, twice.
    const [[resource, group]] = groups as Map<Resource, SpanData[]>
    const { bytes: headBytes, scopeAt } = head(resource)
    const room = headBytes.length + HEAD_ROOM
    w.ensure(room + Math.ceil(group.length * bytesPerSpan * 1.1) + 1024)
    w.pos = room
    for (const s of group) span(w, s, extra?.(s))
    const end = w.pos
    const scopeSpans = headBytes.length - scopeAt + (end - room)
    const resourceSpans = scopeAt + varintSize(scopeSpans) + scopeSpans
    const start = room - (1 + varintSize(resourceSpans) + varintSize(scopeSpans) + headBytes.length)
    w.pos = start
    w.tag(REQUEST.resourceSpans.tag)
    w.varint(resourceSpans)
    w.raw(headBytes.subarray(0, scopeAt))
    w.varint(scopeSpans)
    w.raw(headBytes.subarray(scopeAt))
    w.pos = end
    if (group.length > 0) bytesPerSpan = Math.ceil((end - start) / group.length)
    return w.written(start)
  }
  for (const [resource, group] of groups) {
    w.tag(REQUEST.resourceSpans.tag)
    const rs = w.begin()
    resourceMessage(w, resource)
    w.tag(RESOURCE_ITEMS.scopeItems.tag)
    const ss = w.begin()
    scope(w)
    for (const s of group) span(w, s, extra?.(s))
    w.end(ss)
    w.end(rs)
  }
  return into ? w.written() : w.finish()
}

const CUMULATIVE = 2

function packedUint64(w: ProtobufWriter, tag: number, values: readonly number[]): void {
  w.tag(tag)
  w.varint(values.length * 8)
  for (const value of values) w.fixed64(value % 0x1_0000_0000, Math.floor(value / 0x1_0000_0000))
}

/** Encodes a metrics snapshot as an OTLP/HTTP protobuf `ExportMetricsServiceRequest` (cumulative). */
export function encodeOtlpMetricsProtobuf(snapshot: MetricsSnapshot): Uint8Array {
  const w = writer
  w.reset()
  w.tag(METRICS_REQUEST.resourceMetrics.tag)
  const rm = w.begin()
  resourceMessage(w, snapshot.resource)
  w.tag(RESOURCE_ITEMS.scopeItems.tag)
  const sm = w.begin()
  scope(w)
  for (const metric of snapshot.metrics) {
    w.tag(SCOPE_ITEMS.items.tag)
    const m = w.begin()
    w.tag(METRIC.name.tag)
    w.string(metric.name)
    if (metric.description) {
      w.tag(METRIC.description.tag)
      w.string(metric.description)
    }
    if (metric.unit) {
      w.tag(METRIC.unit.tag)
      w.string(metric.unit)
    }
    if (metric.type === 'histogram') {
      w.tag(METRIC.histogram.tag)
      const h = w.begin()
      for (const p of metric.points) {
        w.tag(METRIC_DATA.dataPoints.tag)
        const dp = w.begin()
        attributes(w, HISTOGRAM_POINT.attributes.tag, p.attributes)
        w.tag(HISTOGRAM_POINT.startTimeUnixNano.tag)
        w.millisAsNanos(snapshot.startTime)
        w.tag(HISTOGRAM_POINT.timeUnixNano.tag)
        w.millisAsNanos(snapshot.time)
        w.tag(HISTOGRAM_POINT.count.tag)
        w.fixed64(p.count % 0x1_0000_0000, Math.floor(p.count / 0x1_0000_0000))
        w.tag(HISTOGRAM_POINT.sum.tag)
        w.double(p.sum)
        packedUint64(w, HISTOGRAM_POINT.bucketCounts.tag, p.bucketCounts)
        w.tag(HISTOGRAM_POINT.explicitBounds.tag)
        w.varint(metric.boundaries.length * 8)
        for (const bound of metric.boundaries) w.double(bound)
        if (p.count > 0) {
          w.tag(HISTOGRAM_POINT.min.tag)
          w.double(p.min)
          w.tag(HISTOGRAM_POINT.max.tag)
          w.double(p.max)
        }
        w.end(dp)
      }
      w.tag(METRIC_DATA.aggregationTemporality.tag)
      w.varint(CUMULATIVE)
      w.end(h)
    } else {
      w.tag(METRIC.sum.tag)
      const s = w.begin()
      for (const p of metric.points) {
        w.tag(METRIC_DATA.dataPoints.tag)
        const dp = w.begin()
        w.tag(NUMBER_POINT.startTimeUnixNano.tag)
        w.millisAsNanos(snapshot.startTime)
        w.tag(NUMBER_POINT.timeUnixNano.tag)
        w.millisAsNanos(snapshot.time)
        if (metric.isInteger && Number.isSafeInteger(p.value)) {
          // as_int is sfixed64; cumulative counters are never negative.
          w.tag(NUMBER_POINT.asInt.tag)
          w.fixed64(p.value % 0x1_0000_0000, Math.floor(p.value / 0x1_0000_0000))
        } else {
          w.tag(NUMBER_POINT.asDouble.tag)
          w.double(p.value)
        }
        attributes(w, NUMBER_POINT.attributes.tag, p.attributes)
        w.end(dp)
      }
      w.tag(METRIC_DATA.aggregationTemporality.tag)
      w.varint(CUMULATIVE)
      // Up-down counters (queue size, live spans) are sums that are not monotonic; proto3 omits false.
      if (metric.isMonotonic !== false) {
        w.tag(METRIC_DATA.isMonotonic.tag)
        w.varint(1)
      }
      w.end(s)
    }
    w.end(m)
  }
  w.end(sm)
  w.end(rm)
  return w.finish()
}
