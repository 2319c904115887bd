/**
 * A string value's JSON-escaped form (no outer quotes), as its writer has it: the string, or a
 * function that makes it when the OTLP JSON encoder needs it (so a writer that knows how to make it
 * cheaply, as the AI SDK adapter knows where a prompt's texts sit in its JSON, holds no second copy
 * of a long text until export).
 */
export type EscapedForm = string | (() => string)

/** Escaped forms of string attribute values by key: `[value, escaped]`. */
export type EscapedForms = Map<string, readonly [string, EscapedForm]>

// The key of the escaped forms on a span's attribute object: a symbol, non-enumerable, so no
// reader of the attributes (for…in, Object.keys, spread, JSON) sees it.
const FORMS: unique symbol = Symbol()

/**
 * The JSON-escaped forms of string attribute values whose writer already had them, kept on the
 * span's attribute object itself. The OTLP JSON encoder uses one when the value is still that
 * string, instead of escaping a long text a second time.
 *
 * On the object, not in a WeakMap keyed by it: V8's young-generation GC holds the values of a
 * long-lived (old-generation) WeakMap strongly, and only a full GC drops them with their keys, so
 * every exported span's prompt JSON (20 KB for a long chat) stayed reachable after its export,
 * copied by each young GC and promoted to the old generation on the way. Held by the object, the
 * forms die with the span.
 *
 * A module of its own: span.ts (start-up) and the OTLP JSON encoder (loaded on first export) share
 * it, and esbuild puts a module both import into a chunk of its own, fetched and compressed apart
 * from the entry; here that chunk is these few lines, not all of attributes.ts.
 */
export function escapedForms(attributes: object): EscapedForms | undefined {
  return (attributes as { [FORMS]?: EscapedForms })[FORMS]
}

/** Keeps `forms` on `attributes` (see `escapedForms`); false when the object cannot take them. */
export function keepEscapedForms(attributes: object, forms: EscapedForms): boolean {
  if (!Object.isExtensible(attributes)) return false
  // Defined once per object (read-only): a span's later write merges into a new object.
  Object.defineProperty(attributes, FORMS, { value: forms })
  return true
}
