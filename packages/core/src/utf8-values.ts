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

interface Lazy {
  readonly bytes: Uint8Array
  readonly get: () => string
}

// By attribute object, then key. An entry counts only while the property is still its accessor.
const lazyValues = new WeakMap<object, Map<string, Lazy>>()

function settle(target: Record<string, unknown>, key: string, value: unknown): void {
  lazyValues.get(target)?.delete(key)
  try {
    Object.defineProperty(target, key, {
      value,
      writable: true,
      enumerable: true,
      configurable: true,
    })
  } catch {
    // A frozen object keeps the accessor, which goes on answering the decoded string.
  }
}

/**
 * Makes `target[key]` (an existing or new key) the string whose UTF-8 encoding is `bytes`, decoded
 * on first read. `bytes` must be well-formed UTF-8 and never change afterwards.
 */
export function setUtf8Value(target: Record<string, unknown>, key: string, bytes: Uint8Array): void {
  let text: string | undefined
  const get = () => {
    if (text === undefined) {
      text = decoder.decode(bytes)
      settle(target, key, text)
    }
    return text
  }
  let byKey = lazyValues.get(target)
  if (byKey === undefined) lazyValues.set(target, (byKey = new Map()))
  byKey.set(key, { bytes, get })
  Object.defineProperty(target, key, {
    get,
    set(value: unknown) {
      settle(target, key, value)
    },
    enumerable: true,
    configurable: true,
  })
}

/** Whether `target` has values still held as bytes (so `utf8Value` is worth asking). */
export function hasUtf8Values(target: object): boolean {
  const byKey = lazyValues.get(target)
  return byKey !== undefined && byKey.size > 0
}

/**
 * The UTF-8 bytes of `target[key]` when the value is still held as bytes (never read, replaced or
 * deleted since), else undefined. Reading it this way does not decode the string.
 */
export function utf8Value(target: object, key: string): Uint8Array | undefined {
  const lazy = lazyValues.get(target)?.get(key)
  if (lazy === undefined) return undefined
  // `delete` and a redefinition leave the map entry behind: only the accessor itself counts.
  if (Object.getOwnPropertyDescriptor(target, key)?.get !== lazy.get) {
    lazyValues.get(target)!.delete(key)
    return undefined
  }
  return lazy.bytes
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
