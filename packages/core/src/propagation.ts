import type { BaggageLeftOut } from './baggage-notice.js'
import { type ContextSpan, getActiveContextSpan } from './context.js'
import { isValidSpanId, isValidTraceId } from './ids.js'
import { lazy } from './lazy.js'
import { foreignTraceState } from './trace-state.js'
import type { SpanContext } from './types.js'

/** Where trace context travels: `Headers`, a plain header object, or any object such as a queue job's payload. */
export type Carrier = Headers | { get(name: string): string | null } | Record<string, unknown>

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/

/** Parses a W3C `traceparent`; anything malformed gives `undefined`, never a throw. */
export function parseTraceparent(value: unknown, traceState?: unknown): SpanContext | undefined {
  if (typeof value !== 'string' || value.length < 55 || value.length > 512) return undefined
  const header = value.trim()
  const match = TRACEPARENT.exec(header)
  if (!match) return undefined
  const [, version, traceId, spanId, flags, rest] = match
  if (version === 'ff') return undefined
  if (version === '00' && rest !== undefined) return undefined
  if (!isValidTraceId(traceId!) || !isValidSpanId(spanId!)) return undefined
  const state = parseTracestate(traceState)
  return {
    traceId: traceId!,
    spanId: spanId!,
    traceFlags: Number.parseInt(flags!, 16) & 0xff,
    isRemote: true,
    ...(state ? { traceState: state } : {}),
  }
}

/** Formats a span context as a W3C `traceparent` header value. */
export function formatTraceparent(context: SpanContext): string {
  return `00-${context.traceId}-${context.spanId}-${(context.traceFlags & 1) === 1 ? '01' : '00'}`
}

const TRACESTATE_MEMBER =
  /^(?:[a-z0-9][_0-9a-z\-*/]{0,255}|[a-z0-9][_0-9a-z\-*/]{0,240}@[a-z][_0-9a-z\-*/]{0,13})=[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/

/** Validates a `tracestate` value; an invalid one is dropped whole, a long one trimmed to 512 characters. */
export function parseTracestate(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > 8192) return undefined
  const members = value
    .split(',')
    .map((m) => m.trim())
    .filter((m) => m !== '')
  if (members.length === 0 || members.length > 32) return undefined
  const keys = new Set<string>()
  for (const member of members) {
    if (!TRACESTATE_MEMBER.test(member)) return undefined
    const key = member.slice(0, member.indexOf('='))
    if (keys.has(key)) return undefined
    keys.add(key)
  }
  let kept = members
  if (kept.join(',').length > 512) kept = kept.filter((m) => m.length <= 128)
  while (kept.length > 0 && kept.join(',').length > 512) kept = kept.slice(0, -1)
  return kept.length > 0 ? kept.join(',') : undefined
}

function read(carrier: Carrier, name: string): string | undefined {
  try {
    if (typeof (carrier as Headers).get === 'function') {
      const value = (carrier as Headers).get(name)
      return typeof value === 'string' ? value : undefined
    }
    const record = carrier as Record<string, unknown>
    let value = record[name]
    if (value === undefined) {
      for (const key in record) {
        if (key.toLowerCase() === name) {
          value = record[key]
          break
        }
      }
    }
    // One value per header line (Node's headersDistinct, a Lambda event's multiValueHeaders): W3C
    // combines tracestate and baggage lines into one list, and two traceparent lines make it invalid.
    if (Array.isArray(value))
      value = value.every((line) => typeof line === 'string') ? value.join(',') : undefined
    return typeof value === 'string' ? value : undefined
  } catch {
    return undefined
  }
}

// Into a plain object under the key it has already in any case (`Baggage`, `Traceparent`): a
// second key of another case went out as a second header line (fetch, undici), which W3C combines
// for baggage (the old members again, past its limits) and reads as invalid for traceparent.
function write(carrier: Carrier, name: string, value: string): void {
  if (typeof (carrier as Headers).set === 'function') {
    ;(carrier as Headers).set(name, value)
    return
  }
  const record = carrier as Record<string, unknown>
  let key = name
  if (!(name in record))
    for (const each in record)
      if (each.toLowerCase() === name) {
        key = each
        break
      }
  record[key] = value
}

/** Reads `traceparent`/`tracestate` from a carrier; malformed values give `undefined` (start a new trace). */
export function extractTraceContext(carrier: Carrier | null | undefined): SpanContext | undefined {
  if (carrier === null || typeof carrier !== 'object') return undefined
  return parseTraceparent(read(carrier, 'traceparent'), read(carrier, 'tracestate'))
}

/**
 * Writes `traceparent` (and `tracestate`) for `span` into a carrier and returns the carrier.
 * Does nothing for a disabled tracer's span.
 */
export function injectTraceContext<C extends Carrier>(
  carrier: C,
  span: ContextSpan | SpanContext | undefined,
): C {
  if (!span || carrier === null || typeof carrier !== 'object') return carrier
  try {
    const context = 'spanContext' in span ? span.spanContext() : span
    if (!isValidTraceId(context.traceId) || !isValidSpanId(context.spanId)) return carrier
    write(carrier, 'traceparent', formatTraceparent(context))
    const traceState = foreignTraceState(context.traceState)
    if (traceState) write(carrier, 'tracestate', traceState)
  } catch {}
  return carrier
}

const BAGGAGE_KEY = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
// W3C Baggage lets a receiver drop members past 8,192 bytes (extractBaggage drops those members);
// 180 members is what OpenTelemetry's propagator and extractBaggage keep (W3C's draft said 180,
// its 2024 drafts guarantee 64).
const BAGGAGE_MEMBERS = 180
const BAGGAGE_BYTES = 8192

/** Reads W3C `baggage` into a plain object; malformed members are skipped, never thrown. */
export function extractBaggage(carrier: Carrier | null | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  if (carrier === null || typeof carrier !== 'object') return out
  const whole = read(carrier, 'baggage')
  if (!whole) return out
  // Past 8,192 bytes the members that do not fit are dropped, not the header (W3C lets a receiver
  // do so): the members before them are kept whole.
  const cut = whole.length > BAGGAGE_BYTES ? whole.lastIndexOf(',', BAGGAGE_BYTES) : whole.length
  const header = cut > 0 ? whole.slice(0, cut) : ''
  let count = 0
  for (const member of header.split(',')) {
    if (++count > BAGGAGE_MEMBERS) break
    const [pair] = member.split(';')
    const index = pair!.indexOf('=')
    if (index <= 0) continue
    const key = pair!.slice(0, index).trim()
    if (!BAGGAGE_KEY.test(key)) continue
    try {
      out[key] = decodeURIComponent(pair!.slice(index + 1).trim())
    } catch {}
  }
  return out
}

const baggageNotice = lazy(() => import('./baggage-notice.js'))

const NOTICE = Symbol.for('tokentrail.tracer.notice')

// Said once per kind through the warnings of the active span's tracer, else the process-wide one
// (read, not made: getTracer() here would tie this module to the tracer's).
function sayLeftOut(leftOut: BaggageLeftOut): void {
  const active = getActiveContextSpan() as { owner?: unknown } | undefined
  baggageNotice().then(
    (m) => {
      const tracer = (active?.owner ??
        (globalThis as Record<symbol, unknown>)[Symbol.for('tokentrail.tracer.default')] ??
        {}) as Record<symbol, ((key: string, message: string) => void) | undefined>
      for (const [key, message] of m.baggageLeftOutLines(leftOut)) tracer[NOTICE]?.(key, message)
    },
    () => {},
  )
}

/**
 * Writes entries into a carrier's W3C `baggage` header and returns the carrier. Members already
 * in the carrier (forwarded from upstream, or an earlier call) are kept after the entries given,
 * except those an entry replaces by key. Numbers, booleans and bigints are written as text; other
 * values and keys that are not header tokens are left out. Members that would take the header
 * past 180 members or W3C's 8,192 bytes are left out, so the receiver (extractBaggage included)
 * does not discard the whole header. What is left out is said once through the tracer's warnings.
 */
export function injectBaggage<C extends Carrier>(
  carrier: C,
  entries: Record<string, string | number | boolean | bigint>,
): C {
  if (
    carrier === null ||
    typeof carrier !== 'object' ||
    entries === null ||
    typeof entries !== 'object'
  )
    return carrier
  let header = ''
  let count = 0
  let over = 0
  let invalid: string[] | undefined
  const given = new Set<string>()
  const add = (member: string) => {
    // Percent-encoded and token keys are ASCII: length is bytes.
    if (
      count === BAGGAGE_MEMBERS ||
      header.length + (count ? 1 : 0) + member.length > BAGGAGE_BYTES
    )
      over++
    else header += count++ ? `,${member}` : member
  }
  for (const [key, value] of Object.entries(entries)) {
    const kind = typeof value
    if (
      !BAGGAGE_KEY.test(key) ||
      (kind !== 'string' &&
        kind !== 'boolean' &&
        kind !== 'bigint' &&
        !(kind === 'number' && Number.isFinite(value)))
    ) {
      ;(invalid ??= []).push(key)
      continue
    }
    given.add(key)
    add(`${key}=${encodeURIComponent(String(value))}`)
  }
  // What the carrier holds already goes on after them, as it came (properties included); an
  // entry given replaces the member of its key. OpenTelemetry's propagator writes its context's
  // whole baggage (what came in, plus what was set), so nothing from upstream is lost there either.
  // A key the carrier has twice is read by receivers (extractBaggage, OpenTelemetry) as its last
  // value: that one is kept, where the first was.
  const existing = read(carrier, 'baggage')
  if (existing) {
    const members = new Map<string, string>()
    for (const raw of existing.split(',')) {
      const member = raw.trim()
      const index = member.indexOf('=')
      if (index <= 0) continue
      const key = member.slice(0, index).trim()
      if (BAGGAGE_KEY.test(key) && !given.has(key)) members.set(key, member)
    }
    for (const member of members.values()) add(member)
  }
  if (count > 0 && header !== existing) write(carrier, 'baggage', header)
  if (over > 0 || invalid) sayLeftOut({ invalid: invalid ?? [], over })
  return carrier
}
