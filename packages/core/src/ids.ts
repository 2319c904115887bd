// One getRandomValues call fills ids for many spans: the call itself costs more than the bytes.
const POOL_SIZE = 4096
const pool = new Uint8Array(POOL_SIZE)
let offset = POOL_SIZE

// Hex digits by value, as char codes. An id is made by one String.fromCharCode call: a flat string
// (`+=` past 12 characters makes a rope of cons strings, 10 for a trace id, that each open span
// holds), and three times faster than joining the pairs.
const DIGITS = new Uint8Array(16)
for (let i = 0; i < 16; i++) DIGITS[i] = i.toString(16).charCodeAt(0)
const hi = (byte: number | undefined): number => DIGITS[byte! >> 4]!
const lo = (byte: number | undefined): number => DIGITS[byte! & 15]!

// Where `bytes` fresh random bytes start in the pool. All-zero ids are invalid in W3C Trace
// Context; the odds are tiny but the fix is free: such bytes are skipped.
function take(bytes: number): number {
  for (;;) {
    if (offset + bytes > POOL_SIZE) {
      crypto.getRandomValues(pool)
      offset = 0
    }
    const start = offset
    offset += bytes
    for (let i = start; i < offset; i++) if (pool[i] !== 0) return start
  }
}

/** A new random 32-hex-character trace id. */
export function newTraceId(): string {
  const i = take(16)
  const p = pool
  // biome-ignore format: one pair per byte
  return String.fromCharCode(hi(p[i]), lo(p[i]), hi(p[i + 1]), lo(p[i + 1]), hi(p[i + 2]), lo(p[i + 2]), hi(p[i + 3]), lo(p[i + 3]), hi(p[i + 4]), lo(p[i + 4]), hi(p[i + 5]), lo(p[i + 5]), hi(p[i + 6]), lo(p[i + 6]), hi(p[i + 7]), lo(p[i + 7]), hi(p[i + 8]), lo(p[i + 8]), hi(p[i + 9]), lo(p[i + 9]), hi(p[i + 10]), lo(p[i + 10]), hi(p[i + 11]), lo(p[i + 11]), hi(p[i + 12]), lo(p[i + 12]), hi(p[i + 13]), lo(p[i + 13]), hi(p[i + 14]), lo(p[i + 14]), hi(p[i + 15]), lo(p[i + 15]))
}

/** A new random 16-hex-character span id. */
export function newSpanId(): string {
  const i = take(8)
  const p = pool
  // biome-ignore format: one pair per byte
  return String.fromCharCode(hi(p[i]), lo(p[i]), hi(p[i + 1]), lo(p[i + 1]), hi(p[i + 2]), lo(p[i + 2]), hi(p[i + 3]), lo(p[i + 3]), hi(p[i + 4]), lo(p[i + 4]), hi(p[i + 5]), lo(p[i + 5]), hi(p[i + 6]), lo(p[i + 6]), hi(p[i + 7]), lo(p[i + 7]))
}

const TRACE_ID = /^[0-9a-f]{32}$/
const SPAN_ID = /^[0-9a-f]{16}$/

/** True for a lowercase 32-hex trace id that is not all zeros. */
export function isValidTraceId(id: string): boolean {
  return TRACE_ID.test(id) && id !== '00000000000000000000000000000000'
}

/** True for a lowercase 16-hex span id that is not all zeros. */
export function isValidSpanId(id: string): boolean {
  return SPAN_ID.test(id) && id !== '0000000000000000'
}
