/**
 * A string value's JSON-escaped form (no outer quotes), as its writer had it: one string, or
 * pieces whose concatenation is that form (so a writer that built the value from pieces, as the AI
 * SDK adapter builds a prompt's JSON, hands them over without joining a second long string).
 */
export type EscapedForm = string | readonly string[]

/**
 * The JSON-escaped form of string attribute values whose writer already had it, by the span's
 * attribute object, then key: `[value, escaped]`. The OTLP JSON encoder uses it when the value is
 * still that string, instead of escaping a long text a second time.
 *
 * A module of its own: span.ts (start-up) and the OTLP JSON encoder (loaded on first export) share
 * this one map, and esbuild puts a module both import into a chunk of its own, fetched and
 * compressed apart from the entry; here that chunk is this map, not all of attributes.ts.
 */
export const escapedValues = new WeakMap<object, Map<string, readonly [string, EscapedForm]>>()
