// String attribute values held as UTF-8 bytes until something reads them as a string.
//
// A long text an adapter writes itself (the ai-sdk prompt and output JSON, 20 KB for a 50-message
// chat) is held from the span's end until its batch is exported. As a string it lives in the JS
// heap, where every young-generation scavenge copies it again; as bytes its backing store lives
// outside the heap and is never copied, and the encoders copy the bytes straight into the body
// (OTLP/JSON escaping them, as it escapes any string) instead of encoding a string to UTF-8.
//
// Readers never see bytes: the attribute is an accessor property that decodes the string on its
// first read (memory exporter, console, redaction rules, a user's `redact` hook or exporter) and
// then turns back into a plain data property holding that string, so every reader gets exactly the
// string the bytes stand for, and an assignment or `delete` works as on any attribute.

// `ignoreBOM`: a leading U+FEFF is part of the text, as it is of the string.
import { nodeBufferClass } from './otlp/utf8.js'

const decoder = new TextDecoder('utf-8', { ignoreBOM: true })

// The bytes of an object's lazy values, by key, in a non-enumerable symbol-keyed property of the
// object itself: spreading, `Object.keys`, `for…in` and JSON never see it, and a WeakMap entry
// per span cost more than everything else here together.
const LAZY: unique symbol = Symbol('tokentrail.utf8')
type Holder = Record<string, unknown> & { [LAZY]?: Record<string, Uint8Array | undefined> }

// One accessor per key, shared by every object (so objects built alike share their shape).
const accessors = new Map<string, PropertyDescriptor>()

function accessor(key: string): PropertyDescriptor {
  let descriptor = accessors.get(key)
  if (descriptor === undefined) {
    descriptor = {
      get(this: Holder) {
        const target = owner(this)
        const bytes = target?.[LAZY]?.[key]
        if (target === undefined || bytes === undefined) return undefined
        const text = decoder.decode(bytes)
        settle(target, key, text)
        return text
      },
      set(this: Holder, value: unknown) {
        const target = owner(this)
        if (target !== undefined) settle(target, key, value)
      },
      enumerable: true,
      configurable: true,
    }
    if (accessors.size < 64) accessors.set(key, descriptor)
  }
  return descriptor
}

// The object that holds the bytes: `this` itself, or one it inherits from.
function owner(from: Holder): Holder | undefined {
  let target: Holder | null = from
  while (target !== null && !Object.hasOwn(target, LAZY)) target = Object.getPrototypeOf(target)
  return target ?? undefined
}

function settle(target: Holder, key: string, value: unknown): void {
  const lazy = target[LAZY]
  try {
    Object.defineProperty(target, key, {
      value,
      writable: true,
      enumerable: true,
      configurable: true,
    })
    if (lazy) lazy[key] = undefined
  } catch {
    // A frozen object keeps the accessor: it decodes again on the next read.
  }
}

/**
 * A copy of `source` (same keys, same order, same values) in which each key of `utf8` present in
 * `source` is the string whose UTF-8 encoding is its bytes, decoded on first read. The bytes must
 * be well-formed UTF-8 and never change afterwards.
 */
export function withUtf8Values(
  source: Record<string, unknown>,
  utf8: Record<string, Uint8Array | undefined>,
): Record<string, unknown> {
  const target: Holder = {}
  const lazy: Record<string, Uint8Array | undefined> = {}
  Object.defineProperty(target, LAZY, { value: lazy })
  for (const key in source) {
    const bytes = utf8[key]
    if (bytes !== undefined && Object.hasOwn(utf8, key)) {
      lazy[key] = bytes
      Object.defineProperty(target, key, accessor(key))
    } else if (key === '__proto__')
      Object.defineProperty(target, key, {
        value: source[key],
        enumerable: true,
        writable: true,
        configurable: true,
      })
    else target[key] = source[key]
  }
  return target
}

/** Whether `target` may hold values as bytes (so `utf8Value` is worth asking). */
export function hasUtf8Values(target: object): boolean {
  return Object.hasOwn(target, LAZY)
}

/**
 * The UTF-8 bytes of `target[key]` when the value is still held as bytes (never read, replaced or
 * deleted since), else undefined. Reading it this way does not decode the string.
 */
export function utf8Value(target: object, key: string): Uint8Array | undefined {
  const bytes = (target as Holder)[LAZY]?.[key]
  if (bytes === undefined) return undefined
  // `delete` or a redefinition leaves the bytes behind: only the accessor itself counts.
  if (Object.getOwnPropertyDescriptor(target, key)?.get !== accessors.get(key)?.get)
    return undefined
  return bytes
}

/** Decodes UTF-8 bytes (the same decoding a lazy value's first read does). */
export function decodeUtf8(bytes: Uint8Array): string {
  return decoder.decode(bytes)
}

// Every credential `redactSecretsInText` replaces holds one of these, all ASCII: bytes without any of
// them decode to a text it returns unchanged.
const SECRET_MARKERS = ['k-', 'Bearer', 'Basic', 'AIza']

/**
 * Whether `redactSecretsInText` could change the text these bytes stand for; false means it
 * would return it as it is. Searched on the bytes where Node's native search is at hand; elsewhere
 * (or for a short text) true, and the caller redacts the decoded string.
 */
export function utf8MayHoldSecret(bytes: Uint8Array): boolean {
  const buffer = bytes.length > 256 ? nodeBufferClass() : null
  if (buffer === null) return true
  const indexOf = buffer.prototype.indexOf
  for (const marker of SECRET_MARKERS) if (indexOf.call(bytes, marker) !== -1) return true
  return false
}
