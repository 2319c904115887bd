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

// The `message` (field 2, a string) of a protobuf `google.rpc.Status`.
function statusMessage(bytes: Uint8Array): string | undefined {
  let at = 0
  const varint = (): number => {
    let value = 0
    let shift = 0
    while (at < bytes.length) {
      const byte = bytes[at++]!
      value += (byte & 0x7f) * 2 ** shift
      if (byte < 0x80) return value
      shift += 7
      if (shift > 35) break
    }
    return -1
  }
  while (at < bytes.length) {
    const tag = varint()
    if (tag < 0) return undefined
    const wire = tag & 7
    if (wire === 0) {
      if (varint() < 0) return undefined
    } else if (wire === 2) {
      const length = varint()
      if (length < 0 || at + length > bytes.length) return undefined
      if (tag >>> 3 === 2) return new TextDecoder().decode(bytes.subarray(at, at + length))
      at += length
    } else if (wire === 5) at += 4
    else if (wire === 1) at += 8
    else return undefined
  }
  return undefined
}
