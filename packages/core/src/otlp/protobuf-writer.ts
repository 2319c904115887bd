import { Utf8Sink } from './utf8.js'

const utf8 = new TextEncoder()

/** Bytes of `value` as a varint. */
export function varintSize(value: number): number {
  let size = 1
  while (value >= 0x80) {
    value = Math.floor(value / 0x80)
    size++
  }
  return size
}

const HEX_VALUES = new Int8Array(128).fill(-1)
for (let i = 0; i < 16; i++) {
  HEX_VALUES['0123456789abcdef'.charCodeAt(i)] = i
  HEX_VALUES['0123456789ABCDEF'.charCodeAt(i)] = i
}

/**
 * Writes protobuf into one growing buffer. A nested message reserves one length byte and, when it
 * ends longer than 127 bytes, slides its bytes right to make room: most messages (attributes,
 * values) are short, so this beats a separate sizing pass.
 */
export class ProtobufWriter extends Utf8Sink {
  pos = 0
  private view: DataView

  constructor(size = 16 * 1024) {
    super(size)
    this.view = new DataView(this.buf.buffer)
  }

  reset(): void {
    this.pos = 0
  }

  ensure(extra: number): void {
    const needed = this.pos + extra
    if (needed <= this.buf.length) return
    let size = Math.max(64, this.buf.length * 2)
    while (size < needed) size *= 2
    const next = new Uint8Array(size)
    next.set(this.buf.subarray(0, this.pos))
    this.buf = next
    this.view = new DataView(next.buffer)
  }

  /** A non-negative integer up to 2^53 as a varint. */
  varint(value: number): void {
    this.ensure(10)
    const buf = this.buf
    let pos = this.pos
    while (value >= 0x80) {
      buf[pos++] = (value % 0x80) | 0x80
      value = Math.floor(value / 0x80)
    }
    buf[pos++] = value
    this.pos = pos
  }

  /** A safe integer as an `int64` varint (negatives take 10 bytes, two's complement). */
  int64(value: number): void {
    if (value >= 0) {
      this.varint(value)
      return
    }
    this.ensure(10)
    let big = BigInt.asUintN(64, BigInt(value))
    for (let i = 0; i < 9; i++) {
      this.buf[this.pos++] = Number(big & 0x7fn) | 0x80
      big >>= 7n
    }
    this.buf[this.pos++] = Number(big)
  }

  /** A tag from the schema (every tag used is below 128, so one byte). */
  tag(tag: number): void {
    this.ensure(1)
    this.buf[this.pos++] = tag
  }

  double(value: number): void {
    this.ensure(8)
    this.view.setFloat64(this.pos, value, true)
    this.pos += 8
  }

  fixed64(low: number, high: number): void {
    this.ensure(8)
    this.view.setUint32(this.pos, low, true)
    this.view.setUint32(this.pos + 4, high, true)
    this.pos += 8
  }

  /** Epoch milliseconds (with a fraction, kept to the microsecond) as fixed64 nanoseconds. */
  millisAsNanos(ms: number): void {
    let whole = Math.floor(ms)
    let micros = Math.round((ms - whole) * 1e3)
    if (micros >= 1e3) {
      whole += 1
      micros -= 1e3
    }
    // whole * 1e6 passes 2^53, so multiply the two 32-bit halves apart, each exactly.
    const wholeLow = whole % 0x1_0000_0000
    const wholeHigh = Math.floor(whole / 0x1_0000_0000)
    const low = wholeLow * 1e6 + micros * 1e3
    this.fixed64(low % 0x1_0000_0000, wholeHigh * 1e6 + Math.floor(low / 0x1_0000_0000))
  }

  /** A length-delimited string. */
  string(value: string): void {
    const length = value.length
    if (length < 43) {
      // Fewer than 43 UTF-16 units make fewer than 128 UTF-8 bytes: one length byte.
      this.ensure(1 + length * 3)
      const buf = this.buf
      const start = this.pos + 1
      let pos = start
      for (let i = 0; i < length; i++) {
        const code = value.charCodeAt(i)
        if (code >= 0x80) {
          pos = start + utf8.encodeInto(value, buf.subarray(start)).written
          break
        }
        buf[pos++] = code
      }
      buf[this.pos] = pos - start
      this.pos = pos
      return
    }
    const header = varintSize(length * 3)
    this.ensure(header + length * 3)
    const written = this.utf8At(value, this.pos + header)
    const actual = varintSize(written)
    if (actual < header)
      this.buf.copyWithin(this.pos + actual, this.pos + header, this.pos + header + written)
    this.varint(written)
    this.pos += written
  }

  /** Bytes prepared earlier (a cached field), copied as they are. */
  raw(bytes: Uint8Array): void {
    const length = bytes.length
    this.ensure(length)
    const buf = this.buf
    let pos = this.pos
    for (let i = 0; i < length; i++) buf[pos++] = bytes[i]!
    this.pos = pos
  }

  /** A hex id (trace or span id) as length-delimited bytes. */
  hexBytes(hex: string): void {
    const length = hex.length >>> 1
    this.ensure(1 + length)
    const buf = this.buf
    buf[this.pos++] = length
    for (let i = 0; i < length; i++)
      buf[this.pos++] =
        (HEX_VALUES[hex.charCodeAt(2 * i)]! << 4) | HEX_VALUES[hex.charCodeAt(2 * i + 1)]!
  }

  /** Starts a nested message; pass the result to `end`. */
  begin(): number {
    this.ensure(1)
    return this.pos++
  }

  /** Ends a nested message started at `start`, writing its length in front of it. */
  end(start: number): void {
    const length = this.pos - start - 1
    if (length < 0x80) {
      this.buf[start] = length
      return
    }
    const extra = varintSize(length) - 1
    this.ensure(extra)
    this.buf.copyWithin(start + 1 + extra, start + 1, this.pos)
    let value = length
    let pos = start
    while (value >= 0x80) {
      this.buf[pos++] = (value % 0x80) | 0x80
      value = Math.floor(value / 0x80)
    }
    this.buf[pos] = value
    this.pos += extra
  }

  /** What was written from byte `from` on, as a view: valid until the writer is used again. */
  written(from = 0): Uint8Array {
    return this.buf.subarray(from, this.pos)
  }

  /** A copy of what was written. A buffer grown past 1 MB by a large batch is let go. */
  finish(): Uint8Array {
    const out = this.buf.slice(0, this.pos)
    if (this.buf.length > 1024 * 1024) {
      this.buf = new Uint8Array(16 * 1024)
      this.view = new DataView(this.buf.buffer)
    }
    return out
  }
}
