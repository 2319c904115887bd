import { parseDuration } from './viewer/units.js'

export { parseDuration }

const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }

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
