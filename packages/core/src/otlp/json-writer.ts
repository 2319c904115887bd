// Writes JSON straight into UTF-8 bytes: no string pieces to join, flatten and encode afterwards.
// Strings are escaped as JSON.stringify escapes them, in the same pass that writes them.

import { Utf8Sink } from './utf8.js'

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1
const HEX = new TextEncoder().encode('0123456789abcdef')
const BACKSLASH = 0x5c
const QUOTE = 0x22
// Longer strings are encoded natively (see Utf8Sink) and scanned 4 bytes at a time; shorter ones
// are cheaper written char by char than the call into native code.
const LONG = 48
// Runs of at least this many words with nothing to escape are copied by one native call, which
// costs about what 50 word writes do.
const RUN = 64

// By ASCII code, the letter after the backslash JSON.stringify writes, 0 when the character stays.
const ESCAPE = new Uint8Array(128)
for (let code = 0; code < 0x20; code++) ESCAPE[code] = 0x75 // \u00XX
ESCAPE[0x08] = 0x62 // \b
ESCAPE[0x09] = 0x74 // \t
ESCAPE[0x0a] = 0x6e // \n
ESCAPE[0x0c] = 0x66 // \f
ESCAPE[0x0d] = 0x72 // \r
ESCAPE[QUOTE] = QUOTE
ESCAPE[BACKSLASH] = BACKSLASH

/**
 * Of four UTF-8 bytes read as one little-endian word, 0x80 in each byte that needs a look: one JSON
 * escapes (below 0x20, `"`, `\`), or 0xEF, the lead byte of U+FFFD, which UTF-8 encoding writes for a
 * lone surrogate (JSON.stringify writes `\udXXX` instead). Exact per byte: no borrow between bytes.
 */
function flagged(word: number): number {
  const low = word & 0x7f7f7f7f
  const quote = (word ^ 0x22222222) & 0x7f7f7f7f
  const backslash = (word ^ 0x5c5c5c5c) & 0x7f7f7f7f
  // Each sum is cut back to 32 bits at once (`| 0`): the engine then adds in one 32-bit register
  // instead of checking for overflow into a double (the scan ran at ~3 ns a word that way).
  const escapes = ~(
    (((low + 0x60606060) | 0) & ((quote + 0x7f7f7f7f) | 0) & ((backslash + 0x7f7f7f7f) | 0)) |
    word
  )
  // Most words of most texts are ASCII: no lead byte to look for.
  if ((word & 0x80808080) === 0) return escapes & 0x80808080
  const lead = word ^ 0xefefefef
  const replacement = ~(((lead & 0x7f7f7f7f) + 0x7f7f7f7f) | 0 | lead)
  return (escapes | replacement) & 0x80808080
}

// Words are read signed (Int32Array): a Uint32Array read past 2^31 is a number the engine may hold as
// a double, which every bit operation then converts back.
// The tail of a long string that needs escapes is moved here first, then written back escaped.
let scratch = new Uint8Array(16 * 1024)
let scratchWords = new Int32Array(scratch.buffer)

/** A growing UTF-8 buffer that JSON is written into. */
export class JsonWriter extends Utf8Sink {
  pos = 0
  private view: DataView
  private words: Int32Array

  constructor(size = 16 * 1024) {
    super((size + 7) & ~7)
    this.view = new DataView(this.buf.buffer)
    this.words = new Int32Array(this.buf.buffer)
  }

  /** Makes room for `extra` more bytes (and 4 spare, for the word-wide writes). */
  ensure(extra: number): void {
    const needed = this.pos + extra + 4
    if (needed <= this.buf.length) return
    let size = Math.max(64, this.buf.length * 2)
    while (size < needed) size *= 2
    const next = new Uint8Array(size)
    next.set(this.buf.subarray(0, this.pos))
    this.buf = next
    this.view = new DataView(next.buffer)
    this.words = new Int32Array(next.buffer)
  }

  /** One ASCII byte. */
  byte(code: number): void {
    this.ensure(1)
    this.buf[this.pos++] = code
  }

  /** Bytes prepared earlier (a constant piece of JSON), copied as they are. */
  bytes(bytes: Uint8Array): void {
    const length = bytes.length
    this.ensure(length)
    // A native copy costs about what 16 bytes cost one by one, whatever the length.
    if (length > 16) {
      this.buf.set(bytes, this.pos)
      this.pos += length
      return
    }
    const buf = this.buf
    let pos = this.pos
    for (let i = 0; i < length; i++) buf[pos++] = bytes[i]!
    this.pos = pos
  }

  /** ASCII text that needs no escaping (numbers, constant names). */
  ascii(text: string): void {
    const length = text.length
    this.ensure(length)
    const buf = this.buf
    let pos = this.pos
    for (let i = 0; i < length; i++) buf[pos++] = text.charCodeAt(i)
    this.pos = pos
  }

  /** A string as a quoted JSON string, escaped as JSON.stringify escapes it. */
  string(value: string): void {
    this.ensure(1)
    this.buf[this.pos++] = QUOTE
    // The word scan reads bytes in little-endian order: elsewhere, char by char.
    if (value.length < LONG || !LITTLE_ENDIAN || !this.encoded(value)) this.chars(value, true)
    this.ensure(1)
    this.buf[this.pos++] = QUOTE
  }

  /** Text already escaped for inside a JSON string (no quotes), written as UTF-8 as it is. */
  escaped(text: string): void {
    if (text.length < LONG) {
      this.chars(text, false)
      return
    }
    this.ensure(text.length * 3)
    this.pos += this.utf8At(text, this.pos)
  }

  /** The bytes written: a view of the buffer, valid until the writer is written to again. */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.pos)
  }

  // Char by char: UTF-8 by hand, escapes as JSON.stringify writes them, lone surrogates as \udXXX.
  private chars(text: string, escaping: boolean): void {
    const length = text.length
    this.ensure(length * 6)
    const buf = this.buf
    let pos = this.pos
    for (let i = 0; i < length; i++) {
      let code = text.charCodeAt(i)
      if (code < 0x80) {
        const letter = escaping ? ESCAPE[code]! : 0
        if (letter === 0) buf[pos++] = code
        else {
          buf[pos++] = BACKSLASH
          buf[pos++] = letter
          if (letter === 0x75) pos = writeHex4(buf, pos, code)
        }
      } else if (code < 0x800) {
        buf[pos++] = 0xc0 | (code >> 6)
        buf[pos++] = 0x80 | (code & 0x3f)
      } else if (code < 0xd800 || code > 0xdfff) {
        buf[pos++] = 0xe0 | (code >> 12)
        buf[pos++] = 0x80 | ((code >> 6) & 0x3f)
        buf[pos++] = 0x80 | (code & 0x3f)
      } else {
        const next = i + 1 < length ? text.charCodeAt(i + 1) : 0
        if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          code = 0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00)
          i++
          buf[pos++] = 0xf0 | (code >> 18)
          buf[pos++] = 0x80 | ((code >> 12) & 0x3f)
          buf[pos++] = 0x80 | ((code >> 6) & 0x3f)
          buf[pos++] = 0x80 | (code & 0x3f)
        } else if (escaping) {
          buf[pos++] = BACKSLASH
          buf[pos++] = 0x75
          pos = writeHex4(buf, pos, code)
        } else {
          // An escaped form holds no lone surrogate; were one there, U+FFFD as UTF-8 encoding writes.
          buf[pos++] = 0xef
          buf[pos++] = 0xbf
          buf[pos++] = 0xbd
        }
      }
    }
    this.pos = pos
  }

  // Long text: `utf8At` writes the UTF-8, then a scan 4 bytes at a time finds the first byte
  // to escape; from there the rest is moved aside and written back with its escapes. Returns false
  // when the text holds a lone surrogate (or U+FFFD), having moved `pos` back: `chars` writes it.
  private encoded(text: string): boolean {
    this.ensure(text.length * 3)
    const start = this.pos
    const end = start + this.utf8At(text, start)
    const buf = this.buf
    let at = start
    // Byte by byte up to a word boundary, then word by word, then the last bytes.
    for (;;) {
      while (at < end && (at & 3) !== 0 && !needsLook(buf[at]!)) at++
      if (at < end && (at & 3) === 0) {
        const words = this.words
        const last = end >>> 2
        let word = at >>> 2
        while (word < last && flagged(words[word]!) === 0) word++
        at = word << 2
        while (at < end && !needsLook(buf[at]!)) at++
      }
      if (at >= end) {
        this.pos = end
        return true
      }
      if (buf[at] === 0xef) {
        if (buf[at + 1] === 0xbf && buf[at + 2] === 0xbd) return false
        at++
        continue
      }
      break
    }
    // `at` holds the first byte to escape: move the rest aside, then write it back escaped.
    const rest = end - at
    if (scratch.length < rest + 4) {
      let size = scratch.length * 2
      while (size < rest + 4) size *= 2
      scratch = new Uint8Array(size)
      scratchWords = new Int32Array(scratch.buffer)
    }
    const source = scratch
    const sourceWords = scratchWords
    source.set(buf.subarray(at, end))
    // A lone surrogate further on is found by the copy below, which then gives up.
    this.pos = at
    this.ensure(rest * 6)
    const out = this.buf
    const view = this.view
    let pos = at
    const full = rest >>> 2
    let index = 0
    while (index < full) {
      let word = sourceWords[index]!
      let flags = flagged(word)
      if (flags === 0) {
        // A run of words with nothing to escape (a message's text between the quotes of its JSON):
        // found first, then copied, a long one by one native call.
        const begin = index
        while (++index < full && (flags = flagged((word = sourceWords[index]!))) === 0);
        if (index - begin >= RUN) {
          out.set(source.subarray(begin << 2, index << 2), pos)
          pos += (index - begin) << 2
        } else
          for (let at = begin; at < index; at++) {
            view.setUint32(pos, sourceWords[at]!, LITTLE_ENDIAN)
            pos += 4
          }
        if (index === full) break
      }
      // Each flagged byte: the bytes before it as one word write, then its escape.
      let done = 0
      do {
        const byte = (31 - Math.clz32(flags & -flags)) >>> 3
        view.setUint32(pos, word >>> (done << 3), LITTLE_ENDIAN)
        pos += byte - done
        const code = (word >>> (byte << 3)) & 0xff
        if (code === 0xef) {
          const offset = (index << 2) + byte
          if (source[offset + 1] === 0xbf && source[offset + 2] === 0xbd) {
            this.pos = start
            return false
          }
          out[pos++] = code
        } else pos = writeEscape(out, pos, code)
        done = byte + 1
        flags &= flags - 1
      } while (flags !== 0)
      if (done < 4) {
        view.setUint32(pos, word >>> (done << 3), LITTLE_ENDIAN)
        pos += 4 - done
      }
      index++
    }
    for (let offset = full << 2; offset < rest; offset++) {
      const code = source[offset]!
      if (code === 0xef && source[offset + 1] === 0xbf && source[offset + 2] === 0xbd) {
        this.pos = start
        return false
      }
      if (code < 0x80 && ESCAPE[code] !== 0) pos = writeEscape(out, pos, code)
      else out[pos++] = code
    }
    if (scratch.length > 1024 * 1024) {
      scratch = new Uint8Array(16 * 1024)
      scratchWords = new Int32Array(scratch.buffer)
    }
    this.pos = pos
    return true
  }
}

function needsLook(code: number): boolean {
  return code === 0xef || (code < 0x80 && ESCAPE[code] !== 0)
}

function writeEscape(buf: Uint8Array, pos: number, code: number): number {
  const letter = ESCAPE[code]!
  buf[pos++] = BACKSLASH
  buf[pos++] = letter
  return letter === 0x75 ? writeHex4(buf, pos, code) : pos
}

function writeHex4(buf: Uint8Array, pos: number, code: number): number {
  buf[pos++] = HEX[code >> 12]!
  buf[pos++] = HEX[(code >> 8) & 0xf]!
  buf[pos++] = HEX[(code >> 4) & 0xf]!
  buf[pos++] = HEX[code & 0xf]!
  return pos
}
