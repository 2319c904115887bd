// Compiles redaction paths, already checked when the tracer was made (json-path.ts), into the
// matchers the redactor runs: loaded with it, on first use, not at start-up.

/** One step of a JSON path: a key, an index, or any key or index. */
export type Segment = { key: string } | { index: number } | { any: true }

/** A compiled attribute or JSON-path rule. */
export interface PathRule {
  /** The rule as written, counted in `stats().redaction` as `path:<rule>`. */
  readonly path: string
  /** Matches an attribute key that is replaced whole. */
  readonly whole: (key: string) => boolean
  /** The attribute key holding JSON, and the path inside it; undefined for whole-key rules. */
  readonly json?: { readonly key: string; readonly segments: readonly Segment[] }
}

function glob(pattern: string): (key: string) => boolean {
  if (!pattern.includes('*')) return (key) => key === pattern
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*')
  const regex = new RegExp(`^${source}$`)
  return (key) => regex.test(key)
}

/** Compiles a path that `checkPath` accepted (see json-path.ts for the forms). */
export function compilePath(path: string): PathRule {
  const dollar = path.indexOf('$')
  const split = dollar >= 0 ? dollar : path.indexOf('[')
  if (split < 0) return { path, whole: glob(path) }
  const segments: Segment[] = []
  const token = /\.([^.[\]]+)|\[(\*|\d+)\]/g
  for (const match of path.slice(dollar >= 0 ? split + 1 : split).matchAll(token)) {
    if (match[1] !== undefined) segments.push(match[1] === '*' ? { any: true } : { key: match[1] })
    else segments.push(match[2] === '*' ? { any: true } : { index: Number(match[2]) })
  }
  return { path, whole: () => false, json: { key: path.slice(0, split), segments } }
}
