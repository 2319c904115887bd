// The text of UTF-8 bytes as `Buffer#toString('utf8')` reads them, made faster where Node's own
// decoder is slow: request bodies (JSON ingest) and the long strings of a protobuf body.
import { isAscii, transcode } from 'node:buffer'
import type { Utf8Reader } from '@tokentrail/core/otlp-protobuf'
import { nodeAtLeast } from './node-support.js'

/**
 * Node decodes valid UTF-8 with SIMD from 24.13.1 (nodejs/node#61131) and in 26; before it,
 * `toString('utf8')` of a body with any non-ASCII byte takes V8's per-character path: 3.0 µs per
 * span of a bench body (1.1 KB per span, a `°` in its output) on Node 22.23, where ICU's
 * `transcode` to UTF-16 takes 0.9 and Node 24.21's `toString` 0.5. Node 25 takes ICU's way
 * whether or not its release has the change (the text is the same either way).
 */
const SIMD_UTF8 = nodeAtLeast('26') || (nodeAtLeast('24.13.1') && !nodeAtLeast('25'))

/**
 * A body's text, as `body.toString('utf8')` reads it. Without Node's SIMD decoding: an ASCII body
 * is read as Latin-1 (the same characters, without the UTF-8 decoder), another through ICU; a body
 * that is not valid UTF-8 (ICU refuses it), or a Node built without ICU, takes `toString`, which
 * writes U+FFFD for the invalid bytes. ICU's way holds a UTF-16 copy (twice the body's bytes) while
 * the string is made, and a string of over about a million characters is made two bytes per
 * character: for the largest body `--max-body` lets in by default (16 MB) of Latin-1 text, up to
 * 48 MB more for the moment it is read and 16 MB more while it is parsed (a body with characters
 * past U+00FF was two bytes per character before).
 */
export function bodyText(body: Buffer): string {
  if (SIMD_UTF8) return body.toString('utf8')
  if (isAscii(body)) return body.toString('latin1')
  try {
    return transcode(body, 'utf8', 'utf16le').toString('utf16le')
  } catch {
    return body.toString('utf8')
  }
}

/** Protobuf strings from this many bytes are read as `bodyText` reads a body. */
const LONG_STRING = 256

/**
 * The protobuf reader's strings (core's `Utf8Reader`): a short one by the buffer's own decoder
 * (~70 ns), a long one as `bodyText` reads a body. Without Node's SIMD decoding, V8 decodes every
 * byte from the first non-ASCII one on one at a time: a 30 KB prompt in Japanese took 166 µs on
 * Node 22, 12 µs through ICU; an ASCII one is read as Latin-1, a third of the time. Same text in
 * every case, U+FFFD for bytes that are not UTF-8. `buf` is a Node `Buffer`.
 */
export function protobufText(buf: Uint8Array, start: number, end: number): string {
  const bytes = buf as NodeBuffer
  if (SIMD_UTF8 || end - start < LONG_STRING) return bytes.utf8Slice(start, end)
  return bodyText(bytes.subarray(start, end))
}

/**
 * How a protobuf decoder reads the strings of `body`: `protobufText` for a Node `Buffer` (the
 * collector's bodies), core's default reader (undefined) for another caller's `Uint8Array`.
 */
export function protobufTextFor(body: Uint8Array): Utf8Reader | undefined {
  return Buffer.isBuffer(body) ? protobufText : undefined
}

/** `Buffer#utf8Slice`: `toString('utf8', start, end)` without its argument checks (not in Node's types). */
type NodeBuffer = Buffer & { utf8Slice(start: number, end: number): string }
