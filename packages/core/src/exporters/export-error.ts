import { RPC_STATUS } from '../otlp/protobuf-schema.js'
import { eachField } from './protobuf-fields.js'

/** Why one export attempt failed, in a form a warning can explain. */
export class ExportError extends Error {
  /** The HTTP status, when the receiver answered. */
  readonly status: number | undefined
  /** The `Location` of a redirect answer. */
  readonly location: string | undefined
  /** `timeout` when the attempt was cut by `exportTimeoutMs`; `html` for a web page answered. */
  readonly code: string | undefined
  /** What the receiver said of the failure: its `Status.message` (JSON or protobuf), or its text. */
  readonly detail: string | undefined

  constructor(
    message: string,
    options: {
      status?: number
      location?: string
      code?: string
      cause?: unknown
      detail?: string | undefined
    } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'ExportError'
    this.status = options.status
    this.location = options.location ?? undefined
    this.code = options.code
    this.detail = options.detail
  }
}

const DETAIL_LENGTH = 200

/**
 * What a receiver's failed answer says, on one line of at most 200 characters: OTLP's
 * `google.rpc.Status` message (JSON `{"code":3,"message":"…"}`, or protobuf), a JSON `error` or
 * `message`, else its text. Undefined when it says nothing readable. The values of the headers
 * the exporter sent (`sent`) are masked: a receiver may quote the token it refused.
 */
export function receiverMessage(
  text: string,
  bytes: Uint8Array,
  contentType: string | null,
  sent?: Record<string, string>,
): string | undefined {
  let said: unknown
  if (contentType && /protobuf/i.test(contentType)) said = statusMessage(bytes)
  else {
    const trimmed = text.trim()
    said = trimmed
    if (trimmed.startsWith('{'))
      try {
        const json = JSON.parse(trimmed)
        const error = json?.error
        // Status's `message`; `error` or `error.message` (most web frameworks); `detail` (FastAPI).
        said = [json?.message, error, error?.message, json?.errorMessage, json?.detail].find(
          (value) => typeof value === 'string' && value !== '',
        )
      } catch {}
  }
  if (typeof said !== 'string') return undefined
  // Printable text only: a binary answer says nothing readable.
  if (/[\u0000-\u0008\u000e-\u001f\ufffd]/.test(said)) return undefined
  return receiverLine(said, sent)
}

// Header values no receiver's echo makes secret.
const PLAIN_HEADERS = new Set(['content-type', 'content-encoding', 'accept', 'user-agent'])
// A sent value shorter than this is not masked: a word such as `true` would be cut out of the text.
const MASKED_FROM = 8

/**
 * A receiver's words as a warning line says them: the values of the headers the exporter sent
 * masked (whole, or the token after `Bearer `); control, C1 and bidi-override characters (a
 * terminal's escape sequences, a forged log line) and runs of white space as one space; at most
 * 200 characters. Undefined when nothing is left.
 */
export function receiverLine(said: string, sent?: Record<string, string>): string | undefined {
  if (sent)
    for (const name in sent) {
      const value = sent[name]
      if (typeof value !== 'string' || PLAIN_HEADERS.has(name.toLowerCase())) continue
      for (const secret of [value, ...value.split(/\s+/)])
        if (secret.length >= MASKED_FROM) said = said.split(secret).join('***')
    }
  const line = said
    .replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\s]+/g, ' ')
    .trim()
  if (line === '') return undefined
  return line.length > DETAIL_LENGTH ? `${line.slice(0, DETAIL_LENGTH - 1)}…` : line
}

// The `message` of a protobuf `google.rpc.Status`.
function statusMessage(bytes: Uint8Array): string | undefined {
  let said: string | undefined
  try {
    eachField(bytes, 0, bytes.length, (tag, _length, from, to) => {
      if (tag === RPC_STATUS.message.tag) said = new TextDecoder().decode(bytes.subarray(from, to))
    })
  } catch {
    return undefined
  }
  return said
}

// Node's fetch wraps the socket error (or an AggregateError of one per address) in `cause`.
export function networkCode(error: unknown): string | undefined {
  for (let e: any = error, depth = 0; e && depth < 4; e = e.cause, depth++) {
    const code = typeof e.code === 'string' ? e.code : e.errors?.[0]?.code
    if (typeof code === 'string') return code
  }
  return undefined
}

/**
 * A TLS failure no retry passes: a certificate the runtime refuses (self-signed, expired, for
 * another host), or `https://` to a port that speaks plain http (`EPROTO`). Fixed by the URL or
 * the trust store, not by waiting.
 */
export function isTlsFailure(error: unknown): boolean {
  const code = networkCode(error)
  return (
    code !== undefined &&
    /^(EPROTO|ERR_SSL_|ERR_TLS_CERT|CERT_|DEPTH_ZERO_SELF_SIGNED|SELF_SIGNED_CERT|UNABLE_TO_(GET|VERIFY))/.test(
      code,
    )
  )
}
