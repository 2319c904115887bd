import type { AttributeValue } from './types.js'

/** Limits applied to attribute values at the boundary. */
export interface AttributeLimits {
  /**
   * Longest string kept; longer ones are cut to this length, ending with `…[truncated N chars]`
   * (or `…` when the limit is too short for it).
   * @default 65536
   */
  maxStringLength?: number | undefined
  /**
   * Most attributes one span keeps; later keys are dropped and counted.
   * @default 256
   */
  maxAttributes?: number | undefined
  /**
   * Longest array kept; the rest is cut.
   * @default 1000
   */
  maxArrayLength?: number | undefined
  /**
   * Deepest nesting serialised when an object becomes JSON.
   * @default 8
   */
  maxDepth?: number | undefined
}

export type ResolvedLimits = Required<AttributeLimits>

export const DEFAULT_LIMITS: ResolvedLimits = {
  maxStringLength: 65_536,
  maxAttributes: 256,
  maxArrayLength: 1000,
  maxDepth: 8,
}

import { isSecretKey, REDACTED } from './secret-key.js'

const canCheckWellFormed = typeof (String.prototype as any).isWellFormed === 'function'

/**
 * Replaces lone surrogates, which UTF-8 (and so OTLP/protobuf) cannot carry, with U+FFFD. A
 * receiver may refuse a whole batch over one of them.
 */
export function wellFormed(text: string): string {
  return canCheckWellFormed && !(text as any).isWellFormed() ? (text as any).toWellFormed() : text
}

/**
 * Cuts `text` to at most `max` characters, as OpenTelemetry's attribute length limit does, the
 * marker included: `…[truncated N chars]`, or a bare `…` when `max` leaves no room for the marker
 * beside some text. Never cuts a surrogate pair in half.
 */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text
  let end = max
  let marker = '…'
  // N depends on where the text is cut and the cut on the marker's length: a few rounds settle it.
  for (let round = 0; round < 4; round++) {
    marker = `…[truncated ${text.length - end} chars]`
    if (end + marker.length <= max) break
    end = max - marker.length
  }
  if (marker.length >= max) {
    marker = '…'
    end = max - 1
  }
  end = Math.max(0, end)
  const last = text.charCodeAt(end - 1)
  if (last >= 0xd800 && last <= 0xdbff) {
    end--
    // One character more cut can add a digit to N, which the character cut makes room for.
    if (marker !== '…') marker = `…[truncated ${text.length - end} chars]`
  }
  return `${text.slice(0, end)}${marker}`
}

/**
 * Cuts an attribute value to `max` characters. A JSON text (an AI SDK call's messages, an object
 * made JSON) stays valid JSON, so a backend can still parse it: its strings are cut to one length,
 * the longest that lets the whole fit, each ending in `…`. What cannot fit so is cut as text.
 */
export function truncateValue(text: string, max: number): string {
  if (text.length <= max) return text
  const first = text.charCodeAt(0)
  if (first === 0x5b || first === 0x7b) {
    try {
      const cut = shrinkJson(JSON.parse(text), max)
      if (cut !== undefined) return cut
    } catch {}
  }
  return truncate(text, max)
}

// The marker `truncate` ends a cut text with.
const CUT_MARKER = /…(?:\[truncated \d+ chars\])?$/

function shrinkJson(value: unknown, max: number): string | undefined {
  // Each string's length and its escaped length; with every string empty, what is left is the frame.
  const lengths: [raw: number, escaped: number][] = []
  const frame = JSON.stringify(value, (_key, v) => {
    if (typeof v !== 'string') return v
    lengths.push([v.length, JSON.stringify(v).length - 2])
    return ''
  }).length
  if (frame >= max) return undefined
  // The estimated size with strings cut to `keep` characters (plus the `…`).
  const size = (keep: number): number => {
    let total = frame
    for (const [raw, escaped] of lengths)
      total += raw <= keep ? escaped : Math.ceil((keep * escaped) / raw) + 1
    return total
  }
  let low = 0
  let high = max
  while (low < high) {
    const mid = (low + high + 1) >> 1
    if (size(mid) <= max) low = mid
    else high = mid - 1
  }
  for (let keep = low, i = 0; i < 4; i++, keep = Math.floor(keep * 0.8)) {
    const limit = keep
    // A string `safeJson` already cut ends in its marker: cut again, its text is, not the marker
    // (which would be left half, naming a count that no longer holds).
    const cut = JSON.stringify(value, (_key, v) => {
      if (typeof v !== 'string' || v.length <= limit) return v
      const marked = CUT_MARKER.exec(v)
      return `${(marked ? v.slice(0, marked.index) : v).slice(0, limit)}…`
    })
    if (cut.length <= max) return cut
  }
  return undefined
}

/** Serialises any value to JSON without ever throwing: cycles, BigInt, functions, symbols and deep nesting become markers. */
export function safeJson(value: unknown, limits: ResolvedLimits = DEFAULT_LIMITS): string {
  const seen: unknown[] = []
  const walk = (input: unknown, depth: number): unknown => {
    switch (typeof input) {
      case 'string':
        return truncate(input, limits.maxStringLength)
      case 'number':
        return Number.isFinite(input) ? input : String(input)
      case 'boolean':
        return input
      case 'bigint':
        return input.toString()
      case 'undefined':
        return undefined
      case 'function':
        return `[Function ${input.name || 'anonymous'}]`
      case 'symbol':
        return input.toString()
    }
    if (input === null) return null
    if (seen.includes(input)) return '[Circular]'
    if (depth >= limits.maxDepth) return '[MaxDepth]'
    if (input instanceof Date)
      return Number.isNaN(input.getTime()) ? 'Invalid Date' : input.toISOString()
    if (input instanceof Error) return { name: input.name, message: input.message }
    if (input instanceof Uint8Array || input instanceof ArrayBuffer)
      return `[Binary ${input.byteLength} bytes]`
    if (typeof (input as any).toJSON === 'function') {
      try {
        return walk((input as any).toJSON(), depth)
      } catch {
        return '[Unserializable]'
      }
    }
    seen.push(input)
    try {
      if (Array.isArray(input)) {
        const out = input.slice(0, limits.maxArrayLength).map((item) => {
          const v = walk(item, depth + 1)
          return v === undefined ? null : v
        })
        if (input.length > limits.maxArrayLength)
          out.push(`[${input.length - limits.maxArrayLength} more]`)
        return out
      }
      const entries: [string, unknown][] =
        input instanceof Map
          ? [...input.entries()].map(([k, v]) => [String(k), v])
          : Object.entries(input as object)
      const out: Record<string, unknown> = {}
      let count = 0
      for (const [key, item] of entries) {
        if (count++ >= limits.maxAttributes) {
          out['…'] = `${entries.length - limits.maxAttributes} more keys`
          break
        }
        if (isSecretKey(key)) {
          out[key] = REDACTED
          continue
        }
        const v = walk(item, depth + 1)
        if (v !== undefined) out[key] = v
      }
      return out
    } catch {
      return '[Unserializable]'
    } finally {
      seen.pop()
    }
  }
  try {
    return JSON.stringify(walk(value, 0)) ?? 'null'
  } catch {
    return '"[Unserializable]"'
  }
}

/** Whether a list holds one primitive type only (finite numbers), or nothing. */
export function isHomogeneousPrimitiveArray(value: unknown[]): boolean {
  if (value.length === 0) return true
  const first = typeof value[0]
  if (first !== 'string' && first !== 'number' && first !== 'boolean') return false
  for (let i = 1; i < value.length; i++) if (typeof value[i] !== first) return false
  if (first === 'number') for (const n of value) if (!Number.isFinite(n)) return false
  return true
}

/**
 * Turns any input into a storable attribute value, or `undefined` to skip it.
 * Primitives pass through; objects become JSON; non-finite numbers become strings.
 */
export function sanitizeValue(
  value: unknown,
  limits: ResolvedLimits = DEFAULT_LIMITS,
): AttributeValue | undefined {
  switch (typeof value) {
    case 'string':
      return wellFormed(
        value.length > limits.maxStringLength
          ? truncateValue(value, limits.maxStringLength)
          : value,
      )
    case 'number':
      return Number.isFinite(value) ? value : String(value)
    case 'boolean':
      return value
    case 'bigint':
      return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString()
    case 'undefined':
      return undefined
    case 'function':
    case 'symbol':
      return safeJson(value, limits).slice(1, -1)
  }
  if (value === null) return undefined
  // A list longer than maxArrayLength becomes JSON text, as a mixed one does, ending in its
  // "[N more]" marker: cut as a list, nothing would say items are missing.
  if (
    Array.isArray(value) &&
    value.length <= limits.maxArrayLength &&
    isHomogeneousPrimitiveArray(value)
  ) {
    if (typeof value[0] === 'string')
      return (value as string[]).map((s) => wellFormed(truncate(s, limits.maxStringLength)))
    return value.slice() as number[] | boolean[]
  }
  if (value instanceof Date && !Number.isNaN(value.getTime())) return value.toISOString()
  return truncateValue(safeJson(value, limits), limits.maxStringLength)
}
