import type { IncomingMessage } from 'node:http'
import { promisify } from 'node:util'
import { gunzip, inflate } from 'node:zlib'
import { type SpanData, TokentrailError } from '@tokentrail/core'
import { otlpToSpans } from '../otlp/otlp-decode.js'
import { type DecodedMetrics, otlpToMetricPoints } from '../otlp/otlp-metrics-decode.js'
import { decodeOtlpMetricsProtobuf } from '../otlp/otlp-metrics-protobuf.js'
import { decodeOtlpProtobuf } from '../otlp/otlp-protobuf.js'
import { spansFromJson } from '../otlp/span-json.js'
import { bodyText } from '../utf8-text.js'
import { HttpError } from './http-error.js'

const gunzipAsync = promisify(gunzip)
const inflateAsync = promisify(inflate)

/** The body formats the collector accepts. */
export type IngestFormat = 'otlp-json' | 'otlp-protobuf' | 'spans-json'

/** Reads the media type of a request: `application/json; charset=utf-8` → `application/json`. */
export function mediaType(request: IncomingMessage): string {
  return (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
}

/** Picks the decoder for an endpoint and content type, or answers 415. */
export function ingestFormat(
  path: '/v1/traces' | '/v1/metrics' | '/api/spans',
  type: string,
): IngestFormat {
  if (path === '/api/spans') {
    if (type === 'application/json') return 'spans-json'
    throw new HttpError(
      415,
      `content-type must be application/json for /api/spans, got "${type || 'none'}"`,
    )
  }
  if (type === 'application/json') return 'otlp-json'
  if (type === 'application/x-protobuf' || type === 'application/protobuf') return 'otlp-protobuf'
  throw new HttpError(
    415,
    `content-type must be application/json or application/x-protobuf for ${path}, got "${type || 'none'}"`,
  )
}

/** How much of a refused body is read (and dropped) past the limit before the connection is cut. */
const DRAIN_EXTRA = 16 * 1024 * 1024

/**
 * Reads a request body up to `limit` bytes (after decompression too). A larger body answers 413
 * before it is stored anywhere.
 */
export async function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const encoding = String(request.headers['content-encoding'] ?? 'identity').toLowerCase()
  if (encoding !== 'identity' && encoding !== 'gzip' && encoding !== 'deflate')
    throw new HttpError(
      415,
      `content-encoding must be gzip, deflate or identity, got "${encoding}"`,
    )
  // A refused body is still read to its end (up to a bound, and not kept), so the client finishes
  // sending and reads the 413; cutting the connection mid-upload shows it a broken pipe instead,
  // which OTLP exporters take for a network error and retry.
  const drainLimit = limit + DRAIN_EXTRA
  const declared = Number(request.headers['content-length'])
  if (Number.isFinite(declared) && declared > drainLimit)
    throw new HttpError(
      413,
      `body of ${declared} bytes is over the ${limit}-byte limit (--max-body)`,
    )
  // Small chunks are merged as they come, 1,024 at a time: a body sent a byte per chunk kept a
  // Buffer per byte (~300 bytes of heap each), and a body under --max-body ran the heap out.
  const chunks: Buffer[] = []
  let small: Buffer[] = []
  let size = 0
  await new Promise<void>((resolve, reject) => {
    request.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size <= limit) {
        if (chunk.length >= 16_384) {
          if (small.length > 0) chunks.push(Buffer.concat(small))
          small = []
          chunks.push(chunk)
        } else if (small.push(chunk) >= 1024) {
          chunks.push(Buffer.concat(small))
          small = []
        }
      } else if (size > drainLimit) {
        request.pause()
        resolve()
      }
    })
    request.on('end', () => resolve())
    // The client went away before the body ended (an exporter's timeout, its process stopped): no
    // one is left to answer, and it is not the collector's fault, so no internal-error report.
    const gone = () =>
      reject(new HttpError(499, 'the client closed the connection before the body ended'))
    request.on('error', gone)
    request.on('close', () => {
      if (!request.complete) gone()
    })
  })
  if (size > limit) throw new HttpError(413, `body is over the ${limit}-byte limit (--max-body)`)
  if (small.length > 0) chunks.push(...small)
  const raw = Buffer.concat(chunks, size)
  if (encoding === 'identity') return raw
  try {
    return encoding === 'gzip'
      ? await gunzipAsync(raw, { maxOutputLength: limit })
      : await inflateAsync(raw, { maxOutputLength: limit })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
      throw new HttpError(413, `decompressed body is over the ${limit}-byte limit (--max-body)`)
    throw new HttpError(400, `body is not valid ${encoding}: ${(error as Error).message}`)
  }
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(bodyText(body))
  } catch (error) {
    throw new HttpError(400, `body is not valid JSON: ${(error as Error).message}`)
  }
}

/** Decodes a body into spans; malformed input answers 400 naming what was wrong. */
export function decodeBody(format: IngestFormat, body: Buffer): SpanData[] {
  try {
    if (format === 'otlp-protobuf') return otlpToSpans(decodeOtlpProtobuf(body))
    const parsed = parseJson(body)
    return format === 'otlp-json' ? otlpToSpans(parsed) : spansFromJson(parsed)
  } catch (error) {
    if (TokentrailError.isInstance(error)) throw new HttpError(400, error.message)
    throw error
  }
}

/** Decodes an OTLP metrics body; malformed input answers 400 naming what was wrong. */
export function decodeMetricsBody(format: IngestFormat, body: Buffer): DecodedMetrics {
  try {
    return otlpToMetricPoints(
      format === 'otlp-protobuf' ? decodeOtlpMetricsProtobuf(body) : parseJson(body),
    )
  } catch (error) {
    if (TokentrailError.isInstance(error)) throw new HttpError(400, error.message)
    throw error
  }
}
