import {
  EVENT,
  type ProtobufReader,
  REQUEST,
  RPC_STATUS,
  readAttribute,
  readEnvelope,
  SPAN,
  STATUS,
} from '@tokentrail/core/otlp-protobuf'
import { protobufTextFor } from '../utf8-text.js'
import type { OtlpSpan, OtlpTracesRequest } from './otlp-decode.js'

// `Span.Link` (trace/v1/trace.proto), which core's schema leaves out as its encoder writes no links.
const LINK_FIELDS = {
  traceId: [1, 2],
  spanId: [2, 2],
  traceState: [3, 2],
  attributes: [4, 2],
  droppedAttributesCount: [5, 0],
} as const
const LINK = Object.fromEntries(
  Object.entries(LINK_FIELDS).map(([key, [no, wire]]) => [
    key,
    { no, wire, name: key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), tag: no * 8 + wire },
  ]),
) as { [K in keyof typeof LINK_FIELDS]: (typeof SPAN)['links'] }

function link(r: ProtobufReader): NonNullable<OtlpSpan['links']>[number] {
  const out: NonNullable<OtlpSpan['links']>[number] = { attributes: [] }
  while (r.pos < r.end) {
    const no = r.next()
    const wire = r.wire
    if (no === LINK.traceId.no) {
      r.check(LINK.traceId, wire)
      out.traceId = r.hex(16, LINK.traceId.name)
    } else if (no === LINK.spanId.no) {
      r.check(LINK.spanId, wire)
      out.spanId = r.hex(8, LINK.spanId.name)
    } else if (no === LINK.traceState.no) {
      r.check(LINK.traceState, wire)
      out.traceState = r.string()
    } else if (no === LINK.attributes.no) readAttribute(r, out.attributes!, LINK.attributes, wire)
    else if (no === LINK.droppedAttributesCount.no) {
      r.check(LINK.droppedAttributesCount, wire)
      out.droppedAttributesCount = r.varint()
    } else r.skip(wire)
  }
  return out
}

// Field numbers and wire types come from core's schema module (`@tokentrail/core/otlp-protobuf`),
// the one description the exporter's encoder also writes with.

function event(r: ProtobufReader): NonNullable<OtlpSpan['events']>[number] {
  const out: NonNullable<OtlpSpan['events']>[number] = { attributes: [] }
  while (r.pos < r.end) {
    const no = r.next()
    const wire = r.wire
    if (no === EVENT.timeUnixNano.no) {
      r.check(EVENT.timeUnixNano, wire)
      out.timeUnixNano = r.fixed64()
    } else if (no === EVENT.name.no) {
      r.check(EVENT.name, wire)
      out.name = r.string()
    } else if (no === EVENT.attributes.no) readAttribute(r, out.attributes!, EVENT.attributes, wire)
    else if (no === EVENT.droppedAttributesCount.no) {
      r.check(EVENT.droppedAttributesCount, wire)
      out.droppedAttributesCount = r.varint()
    } else r.skip(wire)
  }
  return out
}

function status(r: ProtobufReader): NonNullable<OtlpSpan['status']> {
  const out: NonNullable<OtlpSpan['status']> = {}
  while (r.pos < r.end) {
    const no = r.next()
    const wire = r.wire
    if (no === STATUS.message.no) {
      r.check(STATUS.message, wire)
      out.message = r.string()
    } else if (no === STATUS.code.no) {
      r.check(STATUS.code, wire)
      out.code = r.varint()
    } else r.skip(wire)
  }
  return out
}

function span(r: ProtobufReader): OtlpSpan {
  const out: OtlpSpan = { attributes: [], events: [] }
  while (r.pos < r.end) {
    const no = r.next()
    const wire = r.wire
    switch (no) {
      case SPAN.traceId.no:
        r.check(SPAN.traceId, wire)
        out.traceId = r.hex(16, SPAN.traceId.name)
        break
      case SPAN.spanId.no:
        r.check(SPAN.spanId, wire)
        out.spanId = r.hex(8, SPAN.spanId.name)
        break
      case SPAN.traceState.no:
        r.check(SPAN.traceState, wire)
        out.traceState = r.string()
        break
      case SPAN.parentSpanId.no:
        r.check(SPAN.parentSpanId, wire)
        out.parentSpanId = r.hex(8, SPAN.parentSpanId.name)
        break
      case SPAN.name.no:
        r.check(SPAN.name, wire)
        out.name = r.string()
        break
      case SPAN.kind.no:
        r.check(SPAN.kind, wire)
        out.kind = r.varint()
        break
      case SPAN.startTimeUnixNano.no:
        r.check(SPAN.startTimeUnixNano, wire)
        out.startTimeUnixNano = r.fixed64()
        break
      case SPAN.endTimeUnixNano.no:
        r.check(SPAN.endTimeUnixNano, wire)
        out.endTimeUnixNano = r.fixed64()
        break
      case SPAN.attributes.no:
        readAttribute(r, out.attributes!, SPAN.attributes, wire)
        break
      case SPAN.events.no:
        r.check(SPAN.events, wire)
        out.events!.push(event(r.field('events', out.events!.length)))
        break
      case SPAN.droppedAttributesCount.no:
        r.check(SPAN.droppedAttributesCount, wire)
        out.droppedAttributesCount = r.varint()
        break
      case SPAN.droppedEventsCount.no:
        r.check(SPAN.droppedEventsCount, wire)
        out.droppedEventsCount = r.varint()
        break
      case SPAN.links.no:
        r.check(SPAN.links, wire)
        out.links ??= []
        out.links.push(link(r.field('links', out.links.length)))
        break
      case SPAN.droppedLinksCount.no:
        r.check(SPAN.droppedLinksCount, wire)
        out.droppedLinksCount = r.varint()
        break
      case SPAN.status.no:
        r.check(SPAN.status, wire)
        out.status = status(r.field('status'))
        break
      default:
        r.skip(wire)
    }
  }
  return out
}

/**
 * Decodes an OTLP/HTTP protobuf `ExportTraceServiceRequest` into its JSON shape (hex ids), ready
 * for `otlpToSpans`. Unknown fields are skipped; malformed input throws a `TokentrailError` that
 * names the field and byte offset.
 */
export function decodeOtlpProtobuf(body: Uint8Array): OtlpTracesRequest {
  const entries = readEnvelope(
    body,
    'ExportTraceServiceRequest',
    REQUEST.resourceSpans,
    { resource: 'resourceSpans', scope: 'scopeSpans', item: 'spans' },
    span,
    protobufTextFor(body),
  )
  return {
    resourceSpans: entries.map((entry) => ({
      ...(entry.resource ? { resource: entry.resource } : {}),
      scopeSpans: entry.scopes.map(({ scope, items }) => ({ scope, spans: items })),
    })),
  }
}

/** A non-negative integer as varint bytes. */
export function varintBytes(value: number): number[] {
  const out: number[] = []
  while (value >= 0x80) {
    out.push((value % 0x80) | 0x80)
    value = Math.floor(value / 0x80)
  }
  out.push(value)
  return out
}

/** Encodes a `google.rpc.Status` (code, message), the body OTLP/HTTP protobuf errors carry. */
export function encodeRpcStatus(code: number, message: string): Uint8Array {
  const text = Buffer.from(message, 'utf8')
  return Buffer.concat([
    Buffer.from([
      RPC_STATUS.code.tag,
      ...varintBytes(code),
      RPC_STATUS.message.tag,
      ...varintBytes(text.length),
    ]),
    text,
  ])
}
