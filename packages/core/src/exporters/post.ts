import type { ExportResult } from '../types.js'
// `fetch` as chosen for this runtime: keep-alive node:http on Node (a capped read, no redirects
// followed), the global `fetch` elsewhere. Same call shape, so the code below reads as fetch.
import { transportFetch as fetch } from './transport.js'

const RETRYABLE = new Set([429, 502, 503, 504])

/** Parses `Retry-After` (seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | null, nowMs = Date.now()): number | undefined {
  if (!value) return undefined
  const seconds = Number(value)
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs)
}

/**
 * POSTs a body and classifies the answer for the processor: 2xx success; 429/502/503/504 and network
 * errors retryable (with `Retry-After`); any other status failed. Never throws.
 */
export async function post(
  url: string,
  body: string | Uint8Array,
  headers: Record<string, string>,
  signal: AbortSignal,
  readSuccess?: (text: string) => ExportResult,
): Promise<ExportResult> {
  let response: Response
  try {
    response = await fetch(url, { method: 'POST', headers, body: body as BodyInit, signal })
  } catch (error) {
    return { code: 'retryable', error: signal.aborted ? (signal.reason ?? error) : error }
  }
  let text = ''
  try {
    text = await response.text()
  } catch {}
  if (response.ok) return readSuccess ? readSuccess(text) : { code: 'success' }
  const error = new Error(
    `${url} answered ${response.status}${text ? `: ${text.slice(0, 200)}` : ''}`,
  )
  if (RETRYABLE.has(response.status)) {
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'))
    return retryAfterMs === undefined
      ? { code: 'retryable', error }
      : { code: 'retryable', error, retryAfterMs }
  }
  return { code: 'failed', error }
}
