const UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
}
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/
const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }

/** Parses a duration such as `500ms`, `30s`, `15m`, `2h`, `7d` into milliseconds. */
export function parseDuration(value: string): number | undefined {
  const match = DURATION.exec(value.trim().toLowerCase())
  return match ? Number(match[1]) * UNITS[match[2]!]! : undefined
}

/** Parses epoch milliseconds, an ISO date, or an age (`15m` = fifteen minutes ago). */
export function parseTime(value: string, now = Date.now()): number | undefined {
  const text = value.trim()
  if (/^\d{10,}$/.test(text)) return Number(text)
  const age = parseDuration(text)
  if (age !== undefined) return now - age
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const time = Date.parse(text)
    return Number.isNaN(time) ? undefined : time
  }
  return undefined
}

/** Parses a byte size such as `16mb`, `512kb` or `1048576`. */
export function parseSize(value: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?$/.exec(value.trim().toLowerCase())
  if (!match) return undefined
  return Math.floor(Number(match[1]) * SIZE_UNITS[match[2] ?? 'b']!)
}
