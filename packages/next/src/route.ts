type Params = Record<string, string | string[] | undefined>

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

/**
 * Rebuilds an App Router pattern such as `/api/chat/[id]` from a path and its resolved params, so
 * span names stay low-cardinality. Segments that match no param stay as they are.
 */
export function inferRoute(path: string, params: unknown): string {
  if (params === null || typeof params !== 'object') return path
  const decoded = path.split('/').map(decode)
  // null marks a segment folded into a catch-all.
  const out: (string | null)[] = path.split('/')
  const taken = new Set<number>([0])
  const free = (i: number) => !taken.has(i) && i < decoded.length
  const entries = Object.entries(params as Params)
  // Catch-alls first: their runs are longer and more telling than single values. Next allows one
  // only as a route's last segment, so its run ends the path: `/api/files/files` under
  // `/api/[...path]` is not `/api/[...path]/files`. (Searched from the end, then leftward, should
  // the path end otherwise, as with a trailing slash.)
  for (const [name, value] of entries) {
    if (!Array.isArray(value) || value.length === 0) continue
    for (let start = decoded.length - value.length; start >= 1; start--) {
      if (!value.every((part, k) => free(start + k) && decoded[start + k] === String(part)))
        continue
      out[start] = `[...${name}]`
      for (let k = 0; k < value.length; k++) {
        taken.add(start + k)
        if (k > 0) out[start + k] = null
      }
      break
    }
  }
  // Next lists params in the order of their segments. Taken from the last, each at the rightmost
  // match left of the one after it: `/api/users/me/[id]` with id `me` keeps its static `me`, and
  // `/api/[org]/[repo]` at `/api/x/x` is not named `/api/[repo]/[org]`.
  let before = decoded.length
  for (let k = entries.length - 1; k >= 0; k--) {
    const [name, value] = entries[k]!
    if (typeof value !== 'string') continue
    for (let i = before - 1; i > 0; i--) {
      if (free(i) && decoded[i] === value) {
        out[i] = `[${name}]`
        taken.add(i)
        before = i
        break
      }
    }
  }
  return out.filter((segment) => segment !== null).join('/')
}
