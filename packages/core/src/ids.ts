// Hex digits by value. An id is made by one `String.fromCharCode` call, as one flat string: adding
// 2-digit pieces one by one made a rope (10 pieces for a trace id), held with the span until export.
const DIGIT: number[] = []
for (let i = 0; i < 16; i++) DIGIT.push('0123456789abcdef'.charCodeAt(i))
const SPAN_CODES: number[] = new Array(16).fill(0)
const TRACE_CODES: number[] = new Array(32).fill(0)

// One getRandomValues call fills ids for many spans: the call itself costs more than the bytes.
const POOL_SIZE = 4096
const pool = new Uint8Array(POOL_SIZE)
let offset = POOL_SIZE

function hex(codes: number[]): string {
  const bytes = codes.length / 2
  if (offset + bytes > POOL_SIZE) {
    crypto.getRandomValues(pool)
    offset = 0
  }
  let zero = true
  for (let i = 0; i < codes.length; i += 2) {
    const b = pool[offset++]!
    if (b !== 0) zero = false
    codes[i] = DIGIT[b >> 4]!
    codes[i + 1] = DIGIT[b & 15]!
  }
  // All-zero ids are invalid in W3C Trace Context; the odds are tiny but the fix is free.
  return zero ? hex(codes) : String.fromCharCode.apply(null, codes)
}

/** A new random 32-hex-character trace id. */
export function newTraceId(): string {
  return hex(TRACE_CODES)
}

/** A new random 16-hex-character span id. */
export function newSpanId(): string {
  return hex(SPAN_CODES)
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
