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

// `ignoreBOM`: a string that starts with U+FEFF keeps it, as protobuf means and as Node's
// `Buffer#utf8Slice` reads it (the default decoder drops it).
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true })
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

/** Node's `Buffer`: it decodes a slice of itself without a view object, a third faster. */
type NodeBuffer = Uint8Array & { utf8Slice?: (start: number, end: number) => string }

/**
 * Reads the text of the UTF-8 bytes of `buf` from `start` to `end`, U+FFFD for bytes that are not
 * UTF-8 (as `TextDecoder` reads them, a leading U+FEFF kept): how a `ProtobufReader` decodes
 * strings, replaceable where the runtime has a faster way.
 */
export type Utf8Reader = (buf: Uint8Array, start: number, end: number) => string

const decoderText: Utf8Reader = (buf, start, end) => utf8.decode(buf.subarray(start, end))
const bufferText: Utf8Reader = (buf, start, end) => (buf as NodeBuffer).utf8Slice!(start, end)

/**
 * A bounded view of one message inside a request buffer; errors name the path and byte offset.
 * Written for the collector's ingest, ~40 fields per span: `next()` and `field()` allocate
 * nothing beyond the child reader, a child's path is built only when an error names it, and a
 * string from a Node `Buffer` is read by the buffer itself (the same text `TextDecoder` gives,
 * U+FFFD for bytes that are not UTF-8), or by the `text` reader a decoder sets.
 */
export class ProtobufReader {
  pos: number
  /** The wire type of the tag `next()` read last. */
  wire = 0
  private readonly parent: ProtobufReader | undefined
  /** The whole path of a root reader, or a child's field name under its parent. */
  private readonly label: string
  /** A child's index in its repeated field, or -1. */
  private readonly index: number
  /**
   * How `string()` decodes: a Node `Buffer`'s own decoder, else `TextDecoder`; set on a root
   * before reading to decode another way. A child reader takes its parent's.
   */
  text: Utf8Reader

  constructor(
    readonly buf: Uint8Array,
    start: number,
    readonly end: number,
    path: string,
    parent?: ProtobufReader,
    index = -1,
  ) {
    this.pos = start
    this.parent = parent
    this.label = path
    this.index = index
    this.text = parent
      ? parent.text
      : typeof (buf as NodeBuffer).utf8Slice === 'function'
        ? bufferText
        : decoderText
  }

  /** Where this message is in the request, for errors: `resourceSpans[0].scopeSpans[0].spans[3]`. */
  get path(): string {
    if (this.parent === undefined) return this.label
    const own = this.index < 0 ? this.label : `${this.label}[${this.index}]`
    return `${this.parent.path}.${own}`
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
    const start = this.skipLength()
    return [start, this.pos]
  }

  /** Moves past a length-delimited field; returns where its bytes start (they end at `pos`). */
  private skipLength(): number {
    const length = this.varint()
    const start = this.pos
    if (start + length > this.end)
      this.fail(
        `length ${length} runs past the end of the message (${this.end - start} bytes left)`,
      )
    this.pos = start + length
    return start
  }

  /** The length-delimited field as a reader; `path` is its whole path (see `field`). */
  child(path: string): ProtobufReader {
    const start = this.skipLength()
    const child = new ProtobufReader(this.buf, start, this.pos, path)
    child.text = this.text
    return child
  }

  /**
   * The length-delimited field as a reader named `name` under this one (`name[index]` in a
   * repeated field): `child` with a path made only if an error needs it.
   */
  field(name: string, index = -1): ProtobufReader {
    const start = this.skipLength()
    return new ProtobufReader(this.buf, start, this.pos, name, this, index)
  }

  string(): string {
    const start = this.skipLength()
    return this.text(this.buf, start, this.pos)
  }

  bytes(): Uint8Array {
    const start = this.skipLength()
    return this.buf.subarray(start, this.pos)
  }

  /** A trace or span id as lowercase hex; empty for a zero-length field. */
  hex(expected: number, name: string): string {
    const start = this.skipLength()
    const end = this.pos
    if (end - start === 0) return ''
    if (end - start !== expected) this.fail(`${name} must be ${expected} bytes, got ${end - start}`)
    let out = ''
    for (let i = start; i < end; i++) out += HEX[this.buf[i]!]
    return out
  }

  /** Reads a tag; returns [field number, wire type]. */
  tag(): [number, number] {
    const no = this.next()
    return [no, this.wire]
  }

  /** Reads a tag: returns its field number; its wire type is in `wire`. */
  next(): number {
    const tag = this.varint()
    const no = Math.floor(tag / 8)
    if (no === 0) this.fail('field number 0 is invalid')
    this.wire = tag & 7
    return no
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
        this.skipLength()
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
  const inner = r.field(name)
  const values: T[] = []
  while (inner.pos < inner.end) {
    const no = inner.next()
    const wire = inner.wire
    if (no === VALUES.values.no) {
      inner.check(VALUES.values, wire)
      values.push(read(inner.field('values', values.length)))
    } else inner.skip(wire)
  }
  return { values }
}

/** Decodes an `AnyValue` message into its OTLP/JSON shape (64-bit ints as bigint). */
export function readAnyValue(r: ProtobufReader, depth = 0): OtlpAnyValue {
  if (depth > MAX_VALUE_NESTING) r.fail(`values nested deeper than ${MAX_VALUE_NESTING} levels`)
  const value: OtlpAnyValue = {}
  while (r.pos < r.end) {
    const no = r.next()
    const wire = r.wire
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
    const no = r.next()
    const wire = r.wire
    if (no === KEY_VALUE.key.no) {
      r.check(KEY_VALUE.key, wire)
      kv.key = r.string()
    } else if (no === KEY_VALUE.value.no) {
      r.check(KEY_VALUE.value, wire)
      kv.value = readAnyValue(r.field('value'), depth)
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
  list.push(readKeyValue(r.field(field.name, list.length)))
}

/** One `Resource{Spans,Metrics}` entry: the resource, then its scopes with their items. */
export interface OtlpResourceEntry<T> {
  resource?: { attributes: OtlpKeyValue[] }
  scopes: { scope: { name?: string; version?: string }; items: T[] }[]
}

/**
 * Decodes the envelope every OTLP export request shares — resource entries, each with a resource
 * and scope entries holding the items — and hands each item's message to `readItem`.
 * `names` gives the request's own field names for error paths (`resourceSpans`, `scopeSpans`, `spans`);
 * `text`, how strings are decoded (see `ProtobufReader.text`).
 */
export function readEnvelope<T>(
  body: Uint8Array,
  request: string,
  entry: Field,
  names: { resource: string; scope: string; item: string },
  readItem: (r: ProtobufReader) => T,
  text?: Utf8Reader,
): OtlpResourceEntry<T>[] {
  const root = new ProtobufReader(body, 0, body.length, request)
  if (text) root.text = text
  const out: OtlpResourceEntry<T>[] = []
  while (root.pos < root.end) {
    const no = root.next()
    const wire = root.wire
    if (no !== entry.no) {
      root.skip(wire)
      continue
    }
    root.check(entry, wire)
    const rs = root.child(`${names.resource}[${out.length}]`)
    const current: OtlpResourceEntry<T> = { scopes: [] }
    while (rs.pos < rs.end) {
      const f = rs.next()
      const w = rs.wire
      if (f === RESOURCE_ITEMS.resource.no) {
        rs.check(RESOURCE_ITEMS.resource, w)
        const res = rs.field('resource')
        const attributes: OtlpKeyValue[] = []
        while (res.pos < res.end) {
          const rf = res.next()
          const rw = res.wire
          if (rf === RESOURCE.attributes.no) readAttribute(res, attributes, RESOURCE.attributes, rw)
          else res.skip(rw)
        }
        current.resource = { attributes }
      } else if (f === RESOURCE_ITEMS.scopeItems.no) {
        rs.check(RESOURCE_ITEMS.scopeItems, w)
        const ss = rs.field(names.scope, current.scopes.length)
        const scope: { name?: string; version?: string } = {}
        const items: T[] = []
        while (ss.pos < ss.end) {
          const sf = ss.next()
          const sw = ss.wire
          if (sf === SCOPE_ITEMS.scope.no) {
            ss.check(SCOPE_ITEMS.scope, sw)
            const sc = ss.field('scope')
            while (sc.pos < sc.end) {
              const cf = sc.next()
              const cw = sc.wire
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
            items.push(readItem(ss.field(names.item, items.length)))
          } else ss.skip(sw)
        }
        current.scopes.push({ scope, items })
      } else rs.skip(w)
    }
    out.push(current)
  }
  return out
}
