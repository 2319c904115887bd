import type { TraceIdentityQuery } from '../store/trace-index.js'
import { parseTime } from '../time.js'
import { parseCost, parseMinDuration } from '../viewer/units.js'
import { HttpError } from './http-error.js'

// Read the same way by the viewer's live filters (viewer/list.js).
export { parseCost, parseMinDuration }

/** Splits `key=value` at the first `=`; undefined when there is no key. */
export function parseAttribute(text: string): [string, string] | undefined {
  const cut = text.indexOf('=')
  if (cut < 1) return undefined
  return [text.slice(0, cut).trim(), text.slice(cut + 1)]
}

/**
 * Reads the identity filters of `/api/traces`: `tag` and `attr` (`key=value`) may repeat;
 * `minDuration` is milliseconds or a duration such as `2s`; `minCost` is US dollars.
 */
export function readIdentityQuery(params: URLSearchParams, query: TraceIdentityQuery): void {
  const tags = params.getAll('tag').filter(Boolean)
  if (tags.length) query.tags = tags
  const attrs = params.getAll('attr').filter(Boolean)
  if (attrs.length) {
    query.attributes = {}
    for (const attr of attrs) {
      const pair = parseAttribute(attr)
      if (!pair) throw new HttpError(400, `attr must be key=value, got "${attr.slice(0, 100)}"`)
      query.attributes[pair[0]] = pair[1]
    }
  }
  const minDuration = params.get('minDuration')
  if (minDuration) {
    const ms = parseMinDuration(minDuration)
    if (ms === undefined)
      throw new HttpError(
        400,
        `minDuration must be milliseconds or a duration such as 2s, got "${minDuration.slice(0, 60)}"`,
      )
    query.minDurationMs = ms
  }
  const minCost = params.get('minCost')
  if (minCost) {
    const usd = parseCost(minCost)
    if (usd === undefined)
      throw new HttpError(
        400,
        `minCost must be US dollars such as 0.01, got "${minCost.slice(0, 60)}"`,
      )
    query.minCostUsd = usd
  }
}

/** Rows of a trace answered when `limit` is not given: enough for any ordinary trace. */
export const TRACE_PAGE_ROWS = 1000

/**
 * Reads the page of `/api/traces/:id` and `/api/last`: `offset` (default 0), `limit` (default
 * 1000 rows, or `all`) and `full`.
 */
export function readTracePage(params: URLSearchParams): {
  offset: number
  limit: number
  lean: boolean
} {
  const offset = params.get('offset') || '0'
  const limit = params.get('limit') || String(TRACE_PAGE_ROWS)
  if (!/^\d{1,9}$/.test(offset))
    throw new HttpError(400, `offset must be a whole number ≥ 0, got "${offset.slice(0, 20)}"`)
  if (limit !== 'all' && !(/^\d{1,9}$/.test(limit) && Number(limit) >= 1))
    throw new HttpError(400, `limit must be a whole number ≥ 1 or all, got "${limit.slice(0, 20)}"`)
  return {
    offset: Number(offset),
    limit: limit === 'all' ? Number.POSITIVE_INFINITY : Number(limit),
    // Long attribute strings of big spans are cut unless `full=1`; one span whole is
    // `/api/traces/:id/spans/:spanId`.
    lean: !(params.get('full') === '1' || params.get('full') === 'true'),
  }
}

/** A `from`/`to` parameter: epoch milliseconds, an ISO date or an age such as `15m`. */
export function readTime(params: URLSearchParams, key: string): number | undefined {
  const value = params.get(key)
  if (!value) return undefined
  const parsed = parseTime(value)
  if (parsed === undefined)
    throw new HttpError(
      400,
      `${key} must be epoch milliseconds, an ISO date or an age such as 15m, got "${value.slice(0, 60)}"`,
    )
  return parsed
}

/** A list's `limit` parameter, 1 to 1000. */
export function readLimit(params: URLSearchParams): number | undefined {
  const value = params.get('limit')
  if (!value) return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1 || n > 1000)
    throw new HttpError(
      400,
      `limit must be a whole number from 1 to 1000, got "${value.slice(0, 20)}"`,
    )
  return n
}
