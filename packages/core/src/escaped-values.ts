/**
 * A string value's JSON-escaped form (no outer quotes), as its writer has it: the string, or a
 * function that makes it when the OTLP JSON encoder needs it (so a writer that knows how to make it
 * cheaply, as the AI SDK adapter knows where a prompt's texts sit in its JSON, holds no second copy
 * of a long text until export).
 */
export type EscapedForm = string | (() => string)

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
