// Apart from propagation.ts so the tracer takes only this, not the header parsers, at start-up.

// What a W3C tracestate header can hold: printable ASCII, at most 512 characters kept.
const HEADER_TEXT = /^[\x20-\x7e]{1,512}$/

/**
 * The `tracestate` of a parent from outside: a string as it is, and OpenTelemetry's `TraceState`
 * object (what an OpenTelemetry span's `spanContext()` holds) through its `serialize()`, kept when
 * it is header text; anything else is dropped. Never throws.
 */
export function foreignTraceState(value: unknown): string | undefined {
  if (typeof value === 'string' || value === undefined) return value
  try {
    const serialize = (value as { serialize?: unknown } | null)?.serialize
    const text = typeof serialize === 'function' ? serialize.call(value) : undefined
    return typeof text === 'string' && HEADER_TEXT.test(text) ? text : undefined
  } catch {
    return undefined
  }
}
