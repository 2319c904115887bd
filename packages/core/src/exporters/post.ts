import { maskedUrl } from '../masked-url.js'
import type { ExportResult } from '../types.js'
import { VERSION } from '../version.js'
import { ExportError, isTlsFailure, receiverLine, receiverMessage } from './export-error.js'
// `fetch` as chosen for this runtime: keep-alive node:http on Node (a capped read, no redirects
// followed), the global `fetch` elsewhere. Same call shape, so the code below reads as fetch.
// MAX_RESPONSE_BYTES: enough for any partial-success answer or error message; the Node transport
// reads no more, and a larger body is not kept in memory.
import { transportFetch as fetch, MAX_RESPONSE_BYTES, READ_BYTES } from './transport.js'

const RETRYABLE = new Set([429, 502, 503, 504])

const decoder = new TextDecoder()

/** Reads at most `max` bytes of a body and cancels the rest. Never throws. */
async function readCapped(response: Response, max: number): Promise<Uint8Array> {
  // The Node transport's answer: its (capped) bytes are read already.
  const read = (response as { [READ_BYTES]?: unknown })[READ_BYTES]
  if (read instanceof Uint8Array) return read.byteLength > max ? read.subarray(0, max) : read
  const reader = response.body?.getReader()
  if (!reader) return new Uint8Array()
  const chunks: Uint8Array[] = []
  let size = 0
  try {
    while (size < max) {
      const { done, value } = await reader.read()
      if (done) break
      const chunk = value.byteLength > max - size ? value.subarray(0, max - size) : value
      size += chunk.byteLength
      chunks.push(chunk)
    }
    if (size >= max) void reader.cancel().catch(() => {})
  } catch {}
  if (chunks.length === 1) return chunks[0]!
  const bytes = new Uint8Array(size)
  let at = 0
  for (const chunk of chunks) {
    bytes.set(chunk, at)
    at += chunk.byteLength
  }
  return bytes
}

// A Location for messages, masked as the exporter URL is (a redirect to a login page may carry a
// token in its query) and cut to 200 characters.
function maskedLocation(location: string | null): string | undefined {
  return location === null ? undefined : maskedUrl(location).slice(0, 200)
}

/** Whether an answer is a web page: by its content type, or by how its body starts. */
function isHtml(contentType: string | null, text: string): boolean {
  if (contentType && /^\s*(text\/html|application\/xhtml)/i.test(contentType)) return true
  return /^\s*<(!doctype html|html[\s>])/i.test(text.slice(0, 64))
}

// Exporters' headers with a User-Agent naming the SDK, as OpenTelemetry's exporters send one
// (receivers and proxies log it); one the app set wins. A browser keeps its own, in a page
// (`document`) and in a Web Worker (`importScripts`, which workerd's WorkerGlobalScope lacks):
// Firefox sends a User-Agent given to fetch, so a cross-origin export's CORS preflight would ask
// for it, and a collector that allows only Content-Type (as by default) refuses every export.
const IN_BROWSER =
  'document' in globalThis ||
  typeof (globalThis as { importScripts?: unknown }).importScripts === 'function'
const withAgent = new WeakMap<Record<string, string>, Record<string, string>>()
function agentHeaders(headers: Record<string, string>): Record<string, string> {
  let out = withAgent.get(headers)
  if (!out) {
    out =
      IN_BROWSER || Object.keys(headers).some((k) => k.toLowerCase() === 'user-agent')
        ? headers
        : { ...headers, 'user-agent': `tokentrail/${VERSION}` }
    withAgent.set(headers, out)
  }
  return out
}

// `user:password@` in an exporter URL is sent as basic auth, as Node sends it, on every runtime:
// a browser refuses such a URL (its error quotes the URL, password and all) and workerd drops the
// credentials. An `authorization` header given wins. By URL, then by headers object: no copy per
// export.
const credentialed = new Map<string, { url: string; authorization: string } | null>()
const withAuthorization = new WeakMap<Record<string, string>, Record<string, string>>()
function credentialsOf(url: string): { url: string; authorization: string } | null {
  let found = credentialed.get(url)
  if (found === undefined) {
    found = null
    try {
      const parsed = new URL(url)
      if (parsed.username || parsed.password) {
        const pair = `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`
        parsed.username = ''
        parsed.password = ''
        const bytes = new TextEncoder().encode(pair)
        found = {
          url: parsed.toString(),
          authorization: `Basic ${btoa(String.fromCharCode(...bytes))}`,
        }
      }
    } catch {}
    if (credentialed.size < 64) credentialed.set(url, found)
  }
  return found
}
function authorized(
  headers: Record<string, string>,
  authorization: string,
): Record<string, string> {
  let out = withAuthorization.get(headers)
  if (!out) {
    out = Object.keys(headers).some((k) => k.toLowerCase() === 'authorization')
      ? headers
      : { ...headers, authorization }
    withAuthorization.set(headers, out)
  }
  return out
}

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
  // Given the bytes as well: a protobuf answer is not text (its varints pass 0x7f).
  readSuccess?: (text: string, bytes: Uint8Array) => ExportResult,
): Promise<ExportResult> {
  let response: Response
  // Never throws: `url` was checked as the exporter was made.
  const credentials = url.includes('@') ? credentialsOf(url) : null
  if (credentials) {
    url = credentials.url
    headers = authorized(headers, credentials.authorization)
  }
  // What messages show: query values (`?api_key=…`) masked, as they end up in logs.
  const shown = () => maskedUrl(url)
  try {
    // A followed 301/302 turns the POST into a GET without a body: the data would be lost while
    // the 2xx of the new address reads as success. A redirect is a failed export instead, and a
    // wrong URL to fix, not a hop to take with the credentials on board.
    response = await fetch(url, {
      method: 'POST',
      headers: agentHeaders(headers),
      body: body as BodyInit,
      signal,
      redirect: 'manual',
    })
  } catch (error) {
    // Deno without --allow-net (NotCapable; PermissionDenied before Deno 2): no retry can pass,
    // and a flush would wait its whole bound for them. Its message names the flag to add.
    const name = (error as Error | undefined)?.name
    if (name === 'NotCapable' || name === 'PermissionDenied') return { code: 'failed', error }
    // Nor can a TLS failure (a refused certificate, https:// to a plain-http port): retried, it
    // held every flush for its whole bound.
    if (isTlsFailure(error)) return { code: 'failed', error }
    return { code: 'retryable', error: signal.aborted ? (signal.reason ?? error) : error }
  }
  if (response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400)) {
    void response.body?.cancel().catch(() => {})
    const location = maskedLocation(response.headers.get('location'))
    return {
      code: 'failed',
      error: new ExportError(
        `${shown()} answered ${response.status || 'a'} redirect${location ? ` to ${location}` : ''}; exporters do not follow redirects (the data would be lost): set the exporter URL to the final address`,
        // A browser's opaque redirect has no status: then this message says it.
        { status: response.status || undefined, location },
      ),
    }
  }
  const bytes = await readCapped(response, MAX_RESPONSE_BYTES)
  const text = decoder.decode(bytes)
  if (response.ok) {
    // A web page is no OTLP answer: the URL reaches a web app (a catch-all route, a login page)
    // that took the POST and dropped it. Counted as delivered, every span would be lost unsaid.
    if (isHtml(response.headers.get('content-type'), text))
      return {
        code: 'failed',
        error: new ExportError(
          `${shown()} answered ${response.status} with an HTML page, not an OTLP answer: that address is a web app, not an OTLP receiver (check the host, port and path)`,
          { status: response.status, code: 'html' },
        ),
      }
    if (!readSuccess) return { code: 'success' }
    const result = readSuccess(text, bytes)
    // The receiver's warning or reason for rejecting, said as its failures are (see receiverLine).
    if (result.code !== 'success' || result.message === undefined) return result
    const message = receiverLine(result.message, headers)
    if (result.rejected !== undefined)
      return { code: 'success', rejected: result.rejected, message: message ?? '' }
    return message === undefined ? { code: 'success' } : { code: 'success', message }
  }
  const detail = receiverMessage(text, bytes, response.headers.get('content-type'), headers)
  const error = new ExportError(
    `${shown()} answered ${response.status}${detail ? `: ${detail}` : ''}`,
    {
      status: response.status,
      location: maskedLocation(response.headers.get('location')),
      detail,
    },
  )
  if (RETRYABLE.has(response.status)) {
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'))
    return retryAfterMs === undefined
      ? { code: 'retryable', error }
      : { code: 'retryable', error, retryAfterMs }
  }
  return { code: 'failed', error }
}
