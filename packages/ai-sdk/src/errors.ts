import type { Span } from '@tokentrail/core'
import { scrubLater, type TextScrub, textScrub } from '@tokentrail/core/internal'

/** Most characters of a provider's error body kept on a span. */
const BODY_EXCERPT = 500

/** Attribute keys for errors, beside the OpenTelemetry `error.type`. */
export const ERROR_ATTR = {
  type: 'error.type',
  statusCode: 'http.response.status_code',
  retryable: 'tokentrail.error.retryable',
  providerType: 'tokentrail.error.provider_type',
  body: 'tokentrail.error.body',
  url: 'tokentrail.error.url',
  attempts: 'tokentrail.error.attempts',
  reason: 'tokentrail.error.reason',
} as const

const read = (value: unknown, key: string): unknown => {
  try {
    return value !== null && typeof value === 'object' ? (value as any)[key] : undefined
  } catch {
    return undefined
  }
}

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined

/**
 * The provider's own error type from its JSON error body: OpenAI `{ error: { type, code } }`,
 * Anthropic `{ type: 'error', error: { type } }`, Google `{ error: { status } }`, and an OpenAI
 * Responses stream's `{ type: 'response.failed', response: { error: { code } } }`.
 */
export function providerErrorType(body: unknown): string | undefined {
  let json = body
  if (typeof body === 'string') {
    if (!body.trimStart().startsWith('{')) return undefined
    try {
      json = JSON.parse(body)
    } catch {
      return undefined
    }
  }
  const inner = read(json, 'error') ?? read(read(json, 'response'), 'error')
  return (
    text(read(inner, 'type')) ??
    text(read(inner, 'code')) ??
    text(read(inner, 'status')) ??
    (read(json, 'type') !== 'error' ? text(read(json, 'type')) : undefined) ??
    text(read(json, 'code'))
  )
}

/** The AI SDK's `RetryError` keeps every attempt's error; its last one says what happened. */
function unwrapRetry(error: unknown): { last: unknown; attempts?: number; reason?: string } {
  const errors = read(error, 'errors')
  if (read(error, 'name') === 'AI_RetryError' && Array.isArray(errors) && errors.length > 0)
    return {
      last: read(error, 'lastError') ?? errors[errors.length - 1],
      attempts: errors.length,
      reason: text(read(error, 'reason')),
    }
  return { last: error }
}

/**
 * Records a failure on a span: the error (as recordError keeps it) and the provider's status, error
 * type and retry advice (`errorAttributes`).
 */
export function recordFailure(span: Span, error: unknown, content = true): void {
  span.recordError(recordableError(error, content))
  const attributes: Record<string, unknown> = {}
  const scrub = textScrub()
  const body = errorAttributes(error, attributes, scrub)
  span.setAttributes(attributes)
  // The text scrub has not loaded yet: the body's excerpt is made with it as the span goes on.
  if (body !== undefined)
    scrubLater(span, (late) => span.setAttribute(ERROR_ATTR.body, bodyExcerpt(body, late)))
}

// Cut first (a body may be a whole HTML page), then scrubbed as a cut text: a key the cut went
// through is still replaced.
const bodyExcerpt = (body: string, scrub: TextScrub): string =>
  body.length > BODY_EXCERPT ? scrub.cut(body.slice(0, BODY_EXCERPT)) : scrub.text(body)

/**
 * What a span records about a failure beside the exception event: `error.type`, the HTTP status,
 * whether the provider said to retry, the provider's error type, and a capped, credential-redacted
 * excerpt of its answer (made with `scrub`; without it, the body is returned instead, for an
 * excerpt made once the scrub has loaded). Never throws.
 */
export function errorAttributes(
  error: unknown,
  attributes: Record<string, unknown>,
  scrub: TextScrub | undefined,
): string | undefined {
  let later: string | undefined
  try {
    const { last, attempts, reason } = unwrapRetry(error)
    attributes[ERROR_ATTR.type] = errorType(last)
    if (attempts !== undefined) attributes[ERROR_ATTR.attempts] = attempts
    if (reason) attributes[ERROR_ATTR.reason] = reason
    const status = read(last, 'statusCode')
    if (typeof status === 'number') attributes[ERROR_ATTR.statusCode] = status
    const retryable = read(last, 'isRetryable')
    if (typeof retryable === 'boolean') attributes[ERROR_ATTR.retryable] = retryable
    const body = read(last, 'responseBody') ?? read(last, 'data')
    const providerType = providerErrorType(body) ?? providerErrorType(last)
    if (providerType) attributes[ERROR_ATTR.providerType] = providerType
    if (typeof body === 'string' && body !== '') {
      if (scrub) attributes[ERROR_ATTR.body] = bodyExcerpt(body, scrub)
      else later = body
    }
    const url = read(last, 'url')
    if (typeof url === 'string') attributes[ERROR_ATTR.url] = redactUrl(url)
  } catch {}
  return later
}

// Some providers take the key in the query string (`?key=` for Google).
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url)
    for (const key of [...parsed.searchParams.keys()])
      if (/key|token|secret|sig/i.test(key)) parsed.searchParams.set(key, 'REDACTED')
    return parsed.toString()
  } catch {
    return url.replace(/\?.*$/, '')
  }
}

/**
 * A type name for anything thrown or streamed as an error: the error's own name, or, for the plain
 * objects providers put in stream `error` parts, their `type`/`code` — never `Object`.
 */
export function errorType(error: unknown): string {
  if (error === null || error === undefined) return 'unknown'
  if (typeof error !== 'object') return typeof error
  const name = text(read(error, 'name'))
  if (name && name !== 'Error') return name
  const own = providerErrorType(error) ?? text(read(error, 'type')) ?? text(read(error, 'code'))
  if (own) return own
  const ctor = read(error, 'constructor') as { name?: unknown } | undefined
  const ctorName = text(ctor?.name)
  return ctorName && ctorName !== 'Object' ? ctorName : 'Error'
}

/**
 * The error a span records: Errors as they are; a plain object from a stream `error` part becomes
 * an Error-like value with a real type and a readable message. With `content` false (inputs or
 * outputs not recorded), what the AI SDK's errors quote of the content is left out.
 */
export function recordableError(error: unknown, content = true): unknown {
  if (!content) {
    const message = read(error, 'message')
    const stack = read(error, 'stack')
    if (
      (typeof message === 'string' && QUOTE.test(message)) ||
      (typeof stack === 'string' && QUOTE.test(stack))
    )
      return {
        name: errorType(error),
        message: typeof message === 'string' ? withoutQuotes(message) : '',
        ...(typeof stack === 'string' ? { stack: withoutQuotes(stack) } : {}),
      }
  }
  if (error instanceof Error || error === null || typeof error !== 'object') return error
  const message =
    text(read(error, 'message')) ?? text(read(read(error, 'error'), 'message')) ?? safeJson(error)
  return { name: errorType(error), message }
}

// The AI SDK's TypeValidationError and JSONParseError quote what they could not read, a tool's
// arguments or the model's answer: `Value: {…}.\nError message: …`, `Text: ….\nError message: …`
// (also inside an InvalidToolInputError's message, and its stack).
const QUOTE = /Type validation failed[^\n]*?: Value: |JSON parsing failed: Text: /
const QUOTED =
  /((?:Type validation failed[^\n]*?: Value|JSON parsing failed: Text): )[\s\S]*?(?=\.\nError message:|$)/g

/** A message or stack with the content an AI SDK error quotes replaced by `[not recorded]`. */
export function withoutQuotes(text: string): string {
  return text.replace(QUOTED, '$1[not recorded]')
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value)?.slice(0, BODY_EXCERPT) ?? String(value)
  } catch {
    return String(value)
  }
}

/** True for an AI SDK / provider error that says a retry may work (429, 5xx, network). */
export function isRetryable(error: unknown): boolean {
  return read(error, 'isRetryable') === true
}

/** What ended a call early. */
export type CancelCause =
  | 'abort_signal'
  | 'timeout'
  | 'stream_cancel'
  | 'parent'
  | 'consumer_stopped'

/** An error that says the work was stopped (an abort, a time limit), not that it failed. */
export function isAbortError(error: unknown, signal?: AbortSignal): boolean {
  // The signal's own reason, whatever it is: @hono/node-server aborts a request's signal with the
  // string "Error: aborted" when its client leaves, and the AI SDK rethrows it as it is.
  if (signal?.aborted && error === signal.reason) return true
  const name = read(error, 'name')
  return name === 'AbortError' || name === 'TimeoutError' || name === 'ResponseAborted'
}

/**
 * What stopped a provider call that threw with `error` under `signal` (see `abortCause`), or
 * undefined when it failed: an abort or a time limit ends a span cancelled, not failed.
 */
export function stoppedBy(
  signal: AbortSignal | undefined,
  error: unknown,
): 'timeout' | 'abort_signal' | undefined {
  return signal?.aborted || isAbortError(error) ? abortCause(signal, error) : undefined
}

/**
 * What an aborted call or step was stopped by: `timeout` when its signal fired for a time limit (the
 * AI SDK's `timeout` option, `AbortSignal.timeout()`), else `abort_signal`.
 */
export function abortCause(
  signal: AbortSignal | undefined,
  error?: unknown,
): 'timeout' | 'abort_signal' {
  try {
    const reason = signal?.aborted ? signal.reason : error
    if ((reason as { name?: unknown } | null)?.name === 'TimeoutError') return 'timeout'
  } catch {}
  return 'abort_signal'
}
