import { TokentrailError } from '../errors.js'
import {
  ANY_VALUE,
  type Field,
  I32,
  I64,
  KEY_VALUE,
  LEN,
  RESOURCE,
  RESOURCE_ITEMS,
  SCOPE,
  SCOPE_ITEMS,
  VALUES,
  VARINT,
  WIRE_NAMES,
} from './protobuf-schema.js'

/** An OTLP `AnyValue`, as OTLP/JSON writes it or as the protobuf decoder returns it. */
export interface OtlpAnyValue {
  stringValue?: string
  boolValue?: boolean
  intValue?: string | number | bigint
  doubleValue?: number | string
  arrayValue?: { values?: OtlpAnyValue[] }
  kvlistValue?: { values?: OtlpKeyValue[] }
  bytesValue?: string | Uint8Array
}

/** An OTLP `KeyValue`. */
export interface OtlpKeyValue {
  key: string
  value?: OtlpAnyValue
}

const utf8 = new TextDecoder()
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

/** A bounded view of one message inside a request buffer; errors name the path and byte offset. */
export class ProtobufReader {
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

  child(path: string): ProtobufReader {
    const [start, end] = this.span()
    return new ProtobufReader(this.buf, start, end, path)
  }

  string(): string {
    const [start, end] = this.span()
    return utf8.decode(this.buf.subarray(start, end))
  }

  bytes(): Uint8Array {
    const [start, end] = this.span()
    return this.buf.subarray(start, end)
  }

  /** A trace or span id as lowercase hex; empty for a zero-length field. */
  hex(expected: number, name: string): string {
    const [start, end] = this.span()
    if (end - start === 0) return ''
    if (end - start !== expected) this.fail(`${name} must be ${expected} bytes, got ${end - start}`)
    let out = ''
    for (let i = start; i < end; i++) out += HEX[this.buf[i]!]
    return out
  }

  /** Reads a tag; returns [field number, wire type]. */
  tag(): [number, number] {
    const tag = this.varint()
    const no = Math.floor(tag / 8)
    if (no === 0) this.fail('field number 0 is invalid')
    return [no, tag & 7]
  }

  /** Checks that a field arrived with the wire type the schema gives it. */
  check(field: Field, actual: number): void {
    if (field.wire !== actual)
      this.fail(
        `${field.name} has wire type ${WIRE_NAMES[actual] ?? actual}, expected ${WIRE_NAMES[field.wire]}`,
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

/** Values nested deeper than this are refused, so a hostile body cannot exhaust the stack. */
export const MAX_VALUE_NESTING = 64

function readValues<T>(
  r: ProtobufReader,
  name: string,
  read: (child: ProtobufReader) => T,
): { values: T[] } {
  const inner = r.child(`${r.path}.${name}`)
  const values: T[] = []
  while (inner.pos < inner.end) {
    const [no, wire] = inner.tag()
    if (no === VALUES.values.no) {
      inner.check(VALUES.values, wire)
      values.push(read(inner.child(`${inner.path}.values[${values.length}]`)))
    } else inner.skip(wire)
  }
  return { values }
}

/** Decodes an `AnyValue` message into its OTLP/JSON shape (64-bit ints as bigint). */
export function readAnyValue(r: ProtobufReader, depth = 0): OtlpAnyValue {
  if (depth > MAX_VALUE_NESTING) r.fail(`values nested deeper than ${MAX_VALUE_NESTING} levels`)
  const value: OtlpAnyValue = {}
  while (r.pos < r.end) {
    const [no, wire] = r.tag()
    switch (no) {
      case ANY_VALUE.stringValue.no:
        r.check(ANY_VALUE.stringValue, wire)
        value.stringValue = r.string()
        break
      case ANY_VALUE.boolValue.no:
        r.check(ANY_VALUE.boolValue, wire)
        value.boolValue = r.varint() !== 0
        break
      case ANY_VALUE.intValue.no:
        r.check(ANY_VALUE.intValue, wire)
        value.intValue = r.varintBig()
        break
      case ANY_VALUE.doubleValue.no:
        r.check(ANY_VALUE.doubleValue, wire)
        value.doubleValue = r.double()
        break
      case ANY_VALUE.arrayValue.no:
        r.check(ANY_VALUE.arrayValue, wire)
        value.arrayValue = readValues(r, 'arrayValue', (c) => readAnyValue(c, depth + 1))
        break
      case ANY_VALUE.kvlistValue.no:
        r.check(ANY_VALUE.kvlistValue, wire)
        value.kvlistValue = readValues(r, 'kvlistValue', (c) => readKeyValue(c, depth + 1))
        break
      case ANY_VALUE.bytesValue.no:
        r.check(ANY_VALUE.bytesValue, wire)
        value.bytesValue = r.bytes()
        break
      default:
        r.skip(wire)
    }
  }
  return value
}

/** Decodes a `KeyValue` message. */
export function readKeyValue(r: ProtobufReader, depth = 0): OtlpKeyValue {
  const kv: OtlpKeyValue = { key: '' }
  while (r.pos < r.end) {
    const [no, wire] = r.tag()
    if (no === KEY_VALUE.key.no) {
      r.check(KEY_VALUE.key, wire)
      kv.key = r.string()
    } else if (no === KEY_VALUE.value.no) {
      r.check(KEY_VALUE.value, wire)
      kv.value = readAnyValue(r.child(`${r.path}.value`), depth)
    } else r.skip(wire)
  }
  return kv
}

/** Reads one repeated `KeyValue` field (the tag is already read) onto `list`. */
export function readAttribute(
  r: ProtobufReader,
  list: OtlpKeyValue[],
  field: Field,
  wire: number,
): void {
  r.check(field, wire)
  list.push(readKeyValue(r.child(`${r.path}.${field.name}[${list.length}]`)))
}

/** One `Resource{Spans,Metrics}` entry: the resource, then its scopes with their items. */
export interface OtlpResourceEntry<T> {
  resource?: { attributes: OtlpKeyValue[] }
  scopes: { scope: { name?: string; version?: string }; items: T[] }[]
}

/**
 * Decodes the envelope every OTLP export request shares — resource entries, each with a resource
 * and scope entries holding the items — and hands each item's message to `readItem`.
 * `names` gives the request's own field names for error paths (`resourceSpans`, `scopeSpans`, `spans`).
 */
export function readEnvelope<T>(
  body: Uint8Array,
  request: string,
  entry: Field,
  names: { resource: string; scope: string; item: string },
  readItem: (r: ProtobufReader) => T,
): OtlpResourceEntry<T>[] {
  const root = new ProtobufReader(body, 0, body.length, request)
  const out: OtlpResourceEntry<T>[] = []
  while (root.pos < root.end) {
    const [no, wire] = root.tag()
    if (no !== entry.no) {
      root.skip(wire)
      continue
    }
    root.check(entry, wire)
    const rs = root.child(`${names.resource}[${out.length}]`)
    const current: OtlpResourceEntry<T> = { scopes: [] }
    while (rs.pos < rs.end) {
      const [f, w] = rs.tag()
      if (f === RESOURCE_ITEMS.resource.no) {
        rs.check(RESOURCE_ITEMS.resource, w)
        const res = rs.child(`${rs.path}.resource`)
        const attributes: OtlpKeyValue[] = []
        while (res.pos < res.end) {
          const [rf, rw] = res.tag()
          if (rf === RESOURCE.attributes.no) readAttribute(res, attributes, RESOURCE.attributes, rw)
          else res.skip(rw)
        }
        current.resource = { attributes }
      } else if (f === RESOURCE_ITEMS.scopeItems.no) {
        rs.check(RESOURCE_ITEMS.scopeItems, w)
        const ss = rs.child(`${rs.path}.${names.scope}[${current.scopes.length}]`)
        const scope: { name?: string; version?: string } = {}
        const items: T[] = []
        while (ss.pos < ss.end) {
          const [sf, sw] = ss.tag()
          if (sf === SCOPE_ITEMS.scope.no) {
            ss.check(SCOPE_ITEMS.scope, sw)
            const sc = ss.child(`${ss.path}.scope`)
            while (sc.pos < sc.end) {
              const [cf, cw] = sc.tag()
              if (cf === SCOPE.name.no) {
                sc.check(SCOPE.name, cw)
                scope.name = sc.string()
              } else if (cf === SCOPE.version.no) {
                sc.check(SCOPE.version, cw)
                scope.version = sc.string()
              } else sc.skip(cw)
            }
          } else if (sf === SCOPE_ITEMS.items.no) {
            ss.check(SCOPE_ITEMS.items, sw)
            items.push(readItem(ss.child(`${ss.path}.${names.item}[${items.length}]`)))
          } else ss.skip(sw)
        }
        current.scopes.push({ scope, items })
      } else rs.skip(w)
    }
    out.push(current)
  }
  return out
}
