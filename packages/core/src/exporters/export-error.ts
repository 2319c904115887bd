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
 * `message`, else its text. Undefined when it says nothing readable.
 */
export function receiverMessage(
  text: string,
  bytes: Uint8Array,
  contentType: string | null,
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
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u0008\u000e-\u001f\ufffd]/.test(said)) return undefined
  const line = said.replace(/\s+/g, ' ').trim()
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
