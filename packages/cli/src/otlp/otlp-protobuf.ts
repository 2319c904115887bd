import { TokentrailError } from '@tokentrail/core'
import {
  MAX_VALUE_NESTING,
  type OtlpAnyValue,
  type OtlpKeyValue,
  type OtlpSpan,
  type OtlpTracesRequest,
} from './otlp-decode.js'

// Field numbers from opentelemetry-proto: collector/trace/v1/trace_service.proto,
// trace/v1/trace.proto, common/v1/common.proto, resource/v1/resource.proto.
export const VARINT = 0
export const I64 = 1
export const LEN = 2
export const I32 = 5

const WIRE_NAMES = ['varint', 'fixed64', 'length-delimited', 'start-group', 'end-group', 'fixed32']

/** A bounded view of one message inside the request buffer. */
export class Reader {
  pos: number
  constructor(
    readonly buf: Uint8Array,
    start: number,
    readonly end: number,
    readonly path: string,
  ) {
    this.pos = start
  }

  fail(message: string): never {
    throw new TokentrailError(`protobuf ${this.path} at byte ${this.pos}: ${message}`)
  }

  varint(): number {
    // Values above 2^53 lose precision; only enums, counts and lengths are read this way.
    let result = 0
    let shift = 1
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail('truncated varint')
      const byte = this.buf[this.pos++]!
      result += (byte & 0x7f) * shift
      if (byte < 0x80) return result
      shift *= 128
    }
    return this.fail('varint longer than 10 bytes')
  }

  varintBig(): bigint {
    let result = 0n
    let shift = 0n
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail('truncated varint')
      const byte = this.buf[this.pos++]!
      result |= BigInt(byte & 0x7f) << shift
      if (byte < 0x80) return BigInt.asIntN(64, result)
      shift += 7n
    }
    return this.fail('varint longer than 10 bytes')
  }

  fixed64(): bigint {
    if (this.pos + 8 > this.end) this.fail('truncated fixed64')
    const view = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8)
    this.pos += 8
    return view.getBigUint64(0, true)
  }

  double(): number {
    if (this.pos + 8 > this.end) this.fail('truncated double')
    const view = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8)
    this.pos += 8
    return view.getFloat64(0, true)
  }

  /** Start and end of a length-delimited field. */
  span(): [number, number] {
    const length = this.varint()
    const start = this.pos
    if (start + length > this.end)
      this.fail(
        `length ${length} runs past the end of the message (${this.end - start} bytes left)`,
      )
    this.pos = start + length
    return [start, start + length]
  }

  child(path: string): Reader {
    const [start, end] = this.span()
    return new Reader(this.buf, start, end, path)
  }

  string(): string {
    const [start, end] = this.span()
    return Buffer.from(this.buf.buffer, this.buf.byteOffset + start, end - start).toString('utf8')
  }

  bytes(): Uint8Array {
    const [start, end] = this.span()
    return this.buf.subarray(start, end)
  }

  hex(expected: number, name: string): string {
    const [start, end] = this.span()
    if (end - start === 0) return ''
    if (end - start !== expected) this.fail(`${name} must be ${expected} bytes, got ${end - start}`)
    return Buffer.from(this.buf.buffer, this.buf.byteOffset + start, expected).toString('hex')
  }

  /** Reads a tag; returns [field, wireType]. */
  tag(): [number, number] {
    const tag = this.varint()
    const field = Math.floor(tag / 8)
    if (field === 0) this.fail('field number 0 is invalid')
    return [field, tag & 7]
  }

  expect(wire: number, actual: number, field: string): void {
    if (wire !== actual)
      this.fail(
        `${field} has wire type ${WIRE_NAMES[actual] ?? actual}, expected ${WIRE_NAMES[wire]}`,
      )
  }

  /** Skips a field this decoder does not need, so newer senders still work. */
  skip(wire: number): void {
    switch (wire) {
      case VARINT:
        this.varint()
        return
      case I64:
        if (this.pos + 8 > this.end) this.fail('truncated fixed64')
        this.pos += 8
        return
      case LEN:
        this.span()
        return
      case I32:
        if (this.pos + 4 > this.end) this.fail('truncated fixed32')
        this.pos += 4
        return
      default:
        this.fail(`unsupported wire type ${wire}`)
    }
  }
}

function anyValue(r: Reader, depth = 0): OtlpAnyValue {
  if (depth > MAX_VALUE_NESTING) r.fail(`values nested deeper than ${MAX_VALUE_NESTING} levels`)
  const value: OtlpAnyValue = {}
  while (r.pos < r.end) {
    const [field, wire] = r.tag()
    switch (field) {
      case 1:
        r.expect(LEN, wire, 'string_value')
        value.stringValue = r.string()
        break
      case 2:
        r.expect(VARINT, wire, 'bool_value')
        value.boolValue = r.varint() !== 0
        break
      case 3:
        r.expect(VARINT, wire, 'int_value')
        value.intValue = r.varintBig()
        break
      case 4:
        r.expect(I64, wire, 'double_value')
        value.doubleValue = r.double()
        break
      case 5: {
        r.expect(LEN, wire, 'array_value')
        const inner = r.child(`${r.path}.arrayValue`)
        const values: OtlpAnyValue[] = []
        while (inner.pos < inner.end) {
          const [f, w] = inner.tag()
          if (f === 1) {
            inner.expect(LEN, w, 'values')
            values.push(anyValue(inner.child(`${inner.path}.values[${values.length}]`), depth + 1))
          } else inner.skip(w)
        }
        value.arrayValue = { values }
        break
      }
      case 6: {
        r.expect(LEN, wire, 'kvlist_value')
        const inner = r.child(`${r.path}.kvlistValue`)
        const values: OtlpKeyValue[] = []
        while (inner.pos < inner.end) {
          const [f, w] = inner.tag()
          if (f === 1) {
            inner.expect(LEN, w, 'values')
            values.push(keyValue(inner.child(`${inner.path}.values[${values.length}]`), depth + 1))
          } else inner.skip(w)
        }
        value.kvlistValue = { values }
        break
      }
      case 7:
        r.expect(LEN, wire, 'bytes_value')
        value.bytesValue = r.bytes()
        break
      default:
        r.skip(wire)
    }
  }
  return value
}

function keyValue(r: Reader, depth = 0): OtlpKeyValue {
  const kv: OtlpKeyValue = { key: '' }
  while (r.pos < r.end) {
    const [field, wire] = r.tag()
    if (field === 1) {
      r.expect(LEN, wire, 'key')
      kv.key = r.string()
    } else if (field === 2) {
      r.expect(LEN, wire, 'value')
      kv.value = anyValue(r.child(`${r.path}.value`), depth)
    } else r.skip(wire)
  }
  return kv
}

export function attributeList(r: Reader, list: OtlpKeyValue[], name: string, wire: number): void {
  r.expect(LEN, wire, name)
  list.push(keyValue(r.child(`${r.path}.${name}[${list.length}]`)))
}

function event(r: Reader): NonNullable<OtlpSpan['events']>[number] {
  const out: NonNullable<OtlpSpan['events']>[number] = { attributes: [] }
  while (r.pos < r.end) {
    const [field, wire] = r.tag()
    if (field === 1) {
      r.expect(I64, wire, 'time_unix_nano')
      out.timeUnixNano = r.fixed64()
    } else if (field === 2) {
      r.expect(LEN, wire, 'name')
      out.name = r.string()
    } else if (field === 3) attributeList(r, out.attributes!, 'attributes', wire)
    else r.skip(wire)
  }
  return out
}

function status(r: Reader): NonNullable<OtlpSpan['status']> {
  const out: NonNullable<OtlpSpan['status']> = {}
  while (r.pos < r.end) {
    const [field, wire] = r.tag()
    if (field === 2) {
      r.expect(LEN, wire, 'message')
      out.message = r.string()
    } else if (field === 3) {
      r.expect(VARINT, wire, 'code')
      out.code = r.varint()
    } else r.skip(wire)
  }
  return out
}

function span(r: Reader): OtlpSpan {
  const out: OtlpSpan = { attributes: [], events: [] }
  while (r.pos < r.end) {
    const [field, wire] = r.tag()
    switch (field) {
      case 1:
        r.expect(LEN, wire, 'trace_id')
        out.traceId = r.hex(16, 'trace_id')
        break
      case 2:
        r.expect(LEN, wire, 'span_id')
        out.spanId = r.hex(8, 'span_id')
        break
      case 3:
        r.expect(LEN, wire, 'trace_state')
        out.traceState = r.string()
        break
      case 4:
        r.expect(LEN, wire, 'parent_span_id')
        out.parentSpanId = r.hex(8, 'parent_span_id')
        break
      case 5:
        r.expect(LEN, wire, 'name')
        out.name = r.string()
        break
      case 6:
        r.expect(VARINT, wire, 'kind')
        out.kind = r.varint()
        break
      case 7:
        r.expect(I64, wire, 'start_time_unix_nano')
        out.startTimeUnixNano = r.fixed64()
        break
      case 8:
        r.expect(I64, wire, 'end_time_unix_nano')
        out.endTimeUnixNano = r.fixed64()
        break
      case 9:
        attributeList(r, out.attributes!, 'attributes', wire)
        break
      case 11:
        r.expect(LEN, wire, 'events')
        out.events!.push(event(r.child(`${r.path}.events[${out.events!.length}]`)))
        break
      case 15:
        r.expect(LEN, wire, 'status')
        out.status = status(r.child(`${r.path}.status`))
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
  const root = new Reader(body, 0, body.length, 'ExportTraceServiceRequest')
  const resourceSpans: NonNullable<OtlpTracesRequest['resourceSpans']> = []
  while (root.pos < root.end) {
    const [field, wire] = root.tag()
    if (field !== 1) {
      root.skip(wire)
      continue
    }
    root.expect(LEN, wire, 'resource_spans')
    const rs = root.child(`resourceSpans[${resourceSpans.length}]`)
    const entry: NonNullable<OtlpTracesRequest['resourceSpans']>[number] = { scopeSpans: [] }
    while (rs.pos < rs.end) {
      const [f, w] = rs.tag()
      if (f === 1) {
        rs.expect(LEN, w, 'resource')
        const res = rs.child(`${rs.path}.resource`)
        const attributes: OtlpKeyValue[] = []
        while (res.pos < res.end) {
          const [rf, rw] = res.tag()
          if (rf === 1) attributeList(res, attributes, 'attributes', rw)
          else res.skip(rw)
        }
        entry.resource = { attributes }
      } else if (f === 2) {
        rs.expect(LEN, w, 'scope_spans')
        const ss = rs.child(`${rs.path}.scopeSpans[${entry.scopeSpans!.length}]`)
        const spans: OtlpSpan[] = []
        while (ss.pos < ss.end) {
          const [sf, sw] = ss.tag()
          if (sf === 2) {
            ss.expect(LEN, sw, 'spans')
            spans.push(span(ss.child(`${ss.path}.spans[${spans.length}]`)))
          } else ss.skip(sw)
        }
        entry.scopeSpans!.push({ spans })
      } else rs.skip(w)
    }
    resourceSpans.push(entry)
  }
  return { resourceSpans }
}

/** Encodes a `google.rpc.Status` (code, message), the body OTLP/HTTP protobuf errors carry. */
export function encodeRpcStatus(code: number, message: string): Uint8Array {
  const text = Buffer.from(message, 'utf8')
  const out: number[] = [0x08, code]
  out.push(0x12)
  let length = text.length
  while (length >= 0x80) {
    out.push((length & 0x7f) | 0x80)
    length >>>= 7
  }
  out.push(length)
  return Buffer.concat([Buffer.from(out), text])
}
