import { TokentrailError } from '../errors.js'

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

function parseSegments(rest: string, where: string): Segment[] {
  const segments: Segment[] = []
  const token = /\.([^.[\]]+)|\[(\*|\d+)\]/y
  let at = 0
  while (at < rest.length) {
    token.lastIndex = at
    const match = token.exec(rest)
    if (!match)
      throw new TokentrailError(
        `${where} has a bad path "${rest}": use .name, .*, [*] or [0] after the attribute key`,
      )
    if (match[1] !== undefined) segments.push(match[1] === '*' ? { any: true } : { key: match[1] })
    else segments.push(match[2] === '*' ? { any: true } : { index: Number(match[2]) })
    at = token.lastIndex
  }
  return segments
}

/**
 * Compiles `user.email`, `http.request.header.*` (whole attributes) or
 * `gen_ai.input.messages[*].parts[*].content` (inside a JSON attribute: the key ends at the first
 * `[`; use `key[*]` or, for objects, `key$.field`).
 */
export function compilePath(path: unknown, where: string): PathRule {
  if (typeof path !== 'string' || path.trim() === '')
    throw new TokentrailError(`${where} must be a non-empty string such as 'user.email'`)
  const dollar = path.indexOf('$')
  const bracket = path.indexOf('[')
  const split = dollar >= 0 ? dollar : bracket
  if (split < 0) return { path, whole: glob(path) }
  const key = path.slice(0, split)
  if (key === '')
    throw new TokentrailError(`${where} must start with an attribute key, got "${path}"`)
  const segments = parseSegments(path.slice(dollar >= 0 ? split + 1 : split), where)
  return { path, whole: () => false, json: { key, segments } }
}
