const HEX: string[] = []
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, '0'))

// One getRandomValues call fills ids for many spans: the call itself costs more than the bytes.
const POOL_SIZE = 4096
const pool = new Uint8Array(POOL_SIZE)
let offset = POOL_SIZE

// The pairs of one id, joined into one flat string: `+=` past 12 characters makes a rope of cons
// strings (10 for a trace id) that each open span holds until the id is flattened at export.
const parts: string[] = []

function hex(bytes: number): string {
  if (offset + bytes > POOL_SIZE) {
    crypto.getRandomValues(pool)
    offset = 0
  }
  parts.length = bytes
  let zero = true
  for (let i = 0; i < bytes; i++) {
    const b = pool[offset++]!
    if (b !== 0) zero = false
    parts[i] = HEX[b]!
  }
  // All-zero ids are invalid in W3C Trace Context; the odds are tiny but the fix is free.
  return zero ? hex(bytes) : parts.join('')
}

/** A new random 32-hex-character trace id. */
export function newTraceId(): string {
  return hex(16)
}

/** A new random 16-hex-character span id. */
export function newSpanId(): string {
  return hex(8)
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
