import { TokentrailError } from './errors.js'
import type { SpanKind } from './types.js'

// Edit distance with case ignored, so `servicename` finds `serviceName` at distance 0.
function distance(a: string, b: string): number {
  a = a.toLowerCase()
  b = b.toLowerCase()
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++)
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      )
    previous = current
  }
  return previous[b.length]!
}

/** The valid key closest to `key`, when one is close enough to be a likely typo. */
export function closestKey(key: string, valid: readonly string[]): string | undefined {
  let best: string | undefined
  let bestScore = Number.POSITIVE_INFINITY
  for (const candidate of valid) {
    const score = distance(key, candidate)
    if (score < bestScore) {
      bestScore = score
      best = candidate
    }
  }
  const near = key.length <= 4 ? 1 : Math.max(3, Math.floor(key.length / 3))
  if (best !== undefined && bestScore <= near) return best
  // Failing a near spelling, a shared stem: `skipPaths` → `skip`.
  const lower = key.toLowerCase()
  return valid.find((c) => lower.startsWith(c.toLowerCase()) || c.toLowerCase().startsWith(lower))
}

/**
 * Names a Map, a Set, an array, a `Headers` or a `URLSearchParams` given where a plain object of
 * keys belongs (options, header values, attributes, a price table): none has keys of its own to
 * read, so its entries would be lost without a word (`tracingMiddleware(new Map([['recordInputs',
 * false]]))` recorded the inputs). Undefined for anything else (a class instance's own fields are
 * read). With `hint`, how to pass it.
 */
export function collectionName(value: object, hint = false): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const proto = Object.getPrototypeOf(value)
  if (proto === Object.prototype || proto === null) return undefined
  if (Array.isArray(value)) return 'an array'
  // By its tag, not `instanceof`: undici's and node-fetch's own Headers classes (not the global
  // one) and a Map from another realm (node:vm) are not instances of this realm's classes.
  const kind = COLLECTIONS[Object.prototype.toString.call(value)]
  if (!kind) return undefined
  const [name, from] = kind
  return hint && from ? `${name} (pass Object.fromEntries(${from}))` : name
}

const COLLECTIONS: Record<string, [name: string, from?: string]> = {
  '[object Map]': ['a Map', 'map'],
  '[object Set]': ['a Set'],
  '[object Headers]': ['a Headers object', 'headers'],
  '[object URLSearchParams]': ['a URLSearchParams', 'params'],
}

/**
 * Throws a TokentrailError for the first key of `options` that `valid` does not list, naming the
 * closest valid key, and for a Map, a Set or an array given as options. `where` names the factory,
 * such as `otlpExporter`; `aliases` maps common names from other tools to ours (`endpoint` → `url`).
 *
 * @example
 * checkOptionKeys(options, ['url', 'headers'], 'otlpExporter', { endpoint: 'url' })
 * // TokentrailError: otlpExporter: unknown option `endpoint` — did you mean `url`?
 */
export function checkOptionKeys(
  options: object | null | undefined,
  valid: readonly string[],
  where: string,
  aliases: Readonly<Record<string, string>> = {},
): void {
  if (options === null || typeof options !== 'object') return
  const got = collectionName(options, true)
  if (got) throw new TokentrailError(`${where} takes an options object, got ${got}`)
  for (const key of Object.keys(options)) {
    if (valid.includes(key)) continue
    if (valid.length === 0) throw new TokentrailError(`${where} takes no options, got \`${key}\``)
    const suggestion = Object.hasOwn(aliases, key) ? aliases[key] : closestKey(key, valid)
    throw new TokentrailError(
      `${where}: unknown option \`${key}\`${
        suggestion ? ` — did you mean \`${suggestion}\`?` : '.'
      } Valid options: ${valid.join(', ')}.`,
    )
  }
}

/**
 * Throws unless a factory's `options` is an options object or nothing: `otlpExporter('http://…')`
 * or `otlpExporter(null)` would otherwise export to the default URL, or fail as a TypeError.
 * The value is never shown (a URL may hold a password).
 */
export function checkOptionsObject(options: unknown, where: string, example: string): void {
  if (options === undefined) return
  // A URL object reads as options too: its `protocol` getter ("https:") was named as a bad option.
  const got =
    options === null
      ? 'null'
      : typeof options !== 'object'
        ? `a ${typeof options}`
        : typeof URL === 'function' && options instanceof URL
          ? 'a URL object (pass { url: url.href })'
          : collectionName(options)
  if (got)
    throw new TokentrailError(`${where}() takes an options object such as ${example}, got ${got}`)
}

/** A share from 0 to 1 (a string is read as a number), for `sampleRate` and the text sample rate. */
export function shareOf(value: unknown, name: string, of: string): number {
  // A blank string is no number (Number('') is 0: every trace dropped, in silence).
  const rate =
    typeof value === 'string' ? (value.trim() === '' ? Number.NaN : Number(value)) : value
  if (typeof rate !== 'number' || !Number.isFinite(rate) || rate < 0 || rate > 1)
    throw new TokentrailError(
      `${name} must be a number from 0 to 1 (the share of ${of}), got ${shownValue(value)}`,
    )
  return rate
}

/** The kinds a span may have (`SpanKind`), for the check in `tracer.startSpan()`. */
export const SPAN_KINDS: readonly SpanKind[] = ['llm', 'tool', 'http', 'queue', 'internal']

/**
 * A value as a message shows it: `NaN` and `Infinity` as themselves (JSON would print null), a
 * bigint or a cycle without throwing (JSON.stringify throws on them: the message was a TypeError).
 */
export function shownValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'bigint') return String(value)
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return Object.prototype.toString.call(value)
  }
}
