/**
 * A string value's JSON-escaped form (no outer quotes), as its writer has it: the string, or a
 * function that makes it when the OTLP JSON encoder needs it (so a writer that knows how to make it
 * cheaply, as the AI SDK adapter knows where a prompt's texts sit in its JSON, holds no second copy
 * of a long text until export).
 */
export type EscapedForm = string | (() => string)

/** A string attribute value and its escaped form. */
export class KnownEscaped {
  // Made by a constructor, not as a `[value, form]` array literal: V8 tracks literals by allocation
  // site and, once most of a site's objects have outlived a young GC (spans waiting in a batch),
  // allocates its later objects straight in the old generation; from there each one kept its young
  // value (an LLM span's prompt JSON) and its form's closure alive through every young GC until a
  // full one, which copied them and promoted them (about 23 KB per call with a 20 KB history).
  // Objects made by a constructor are not pretenured that way.
  declare readonly value: string
  declare readonly form: EscapedForm
  constructor(value: string, form: EscapedForm) {
    this.value = value
    this.form = form
  }
}

/** Escaped forms of string attribute values by key. */
export type EscapedForms = Map<string, KnownEscaped>

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
