import { TokentrailError } from '../errors.js'

// A path after its attribute key: `.name`, `.*`, `[*]` or `[0]`, any number of times.
const SEGMENTS = /^(?:\.[^.[\]]+|\[(?:\*|\d+)\])*$/

/**
 * Checks a redaction path when the tracer is made, naming `where` in the error: `user.email`,
 * `http.request.header.*` (whole attributes) or `gen_ai.input.messages[*].parts[*].content`
 * (inside a JSON attribute: the key ends at the first `[`; use `key[*]` or, for objects,
 * `key$.field`). The redactor compiles it when it loads (path-rule.ts).
 */
export function checkPath(path: unknown, where: string): string {
  if (typeof path !== 'string' || path.trim() === '')
    throw new TokentrailError(`${where} must be a non-empty string such as 'user.email'`)
  const dollar = path.indexOf('$')
  const split = dollar >= 0 ? dollar : path.indexOf('[')
  if (split < 0) return path
  if (split === 0)
    throw new TokentrailError(`${where} must start with an attribute key, got "${path}"`)
  const rest = path.slice(dollar >= 0 ? split + 1 : split)
  if (!SEGMENTS.test(rest))
    throw new TokentrailError(
      `${where} has a bad path "${rest}": use .name, .*, [*] or [0] after the attribute key`,
    )
  return path
}
