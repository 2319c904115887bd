// @ts-check
// Durations and costs as the collector reads them, for its API and CLI and for the viewer's live
// filters alike: the browser loads this module as it is, the server imports it.

/** @type {Record<string, number>} */
const DURATION_UNITS = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
}
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/

/**
 * Parses a duration such as `500ms`, `30s`, `15m`, `2h`, `7d` into milliseconds.
 * @param {string} value
 * @returns {number | undefined}
 */
export function parseDuration(value) {
  const match = DURATION.exec(value.trim().toLowerCase())
  return match
    ? Number(match[1]) * /** @type {number} */ (DURATION_UNITS[match[2] ?? ''])
    : undefined
}

/**
 * Reads a minimum duration: milliseconds (`2000`) or a duration (`2s`).
 * @param {string} text
 * @returns {number | undefined}
 */
export function parseMinDuration(text) {
  if (/^\d+(\.\d+)?$/.test(text.trim())) return Number(text)
  return parseDuration(text)
}

/**
 * Reads a cost in US dollars (`0.01`, `$0.01`).
 * @param {string} text
 * @returns {number | undefined}
 */
export function parseCost(text) {
  const match = /^\$?(\d+(?:\.\d+)?(?:e-?\d+)?)$/i.exec(text.trim())
  return match ? Number(match[1]) : undefined
}
