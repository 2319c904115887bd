import { PARTIAL_SUCCESS, RESPONSE } from '../otlp/protobuf-schema.js'
import type { ExportResult } from '../types.js'
import type { OtlpProtocol } from './otlp-wire.js'

// The `partial_success` of an OTLP/HTTP answer. The traces and metrics responses share its field
// numbers; only the JSON name of the count differs.
type RejectedKey = 'rejectedSpans' | 'rejectedDataPoints'

function readJson(text: string, key: RejectedKey): ExportResult {
  if (!text) return { code: 'success' }
  try {
    const partial = JSON.parse(text)?.partialSuccess
    const rejected = Number(partial?.[key] ?? 0)
    if (rejected > 0)
      return { code: 'success', rejected, message: String(partial.errorMessage ?? '') }
    // Nothing rejected, a message: the receiver's warning (OTLP lets it say one so).
    if (typeof partial?.errorMessage === 'string' && partial.errorMessage !== '')
      return { code: 'success', message: partial.errorMessage }
  } catch {}
  return { code: 'success' }
}

/**
 * Reads a protobuf `Export…ServiceResponse` from its bytes (counts past 127, lengths past 127 and
 * UTF-8 text all have bytes past 0x7f). A JSON answer to a protobuf request (`{` is no valid first
 * byte of this message) is read as JSON. Written without the reader so the exporter stays small.
 */
function readProtobuf(text: string, bytes: Uint8Array, key: RejectedKey): ExportResult {
  if (bytes.length === 0) return { code: 'success' }
  if (bytes[0] === 0x7b) return readJson(text, key)
  let pos = 0
  const varint = (end: number): number => {
    let value = 0
    let shift = 1
    while (pos < end) {
      const byte = bytes[pos++]!
      value += (byte & 0x7f) * shift
      if (byte < 0x80) return value
      shift *= 128
    }
    throw new Error('truncated')
  }
  try {
    let rejected = 0
    let message = ''
    while (pos < bytes.length) {
      const tag = varint(bytes.length)
      if (tag !== RESPONSE.partialSuccess.tag) throw new Error('unexpected field')
      const length = varint(bytes.length)
      const end = pos + length
      if (end > bytes.length) throw new Error('truncated')
      while (pos < end) {
        const field = varint(end)
        if (field === PARTIAL_SUCCESS.rejected.tag) rejected = varint(end)
        else if (field === PARTIAL_SUCCESS.errorMessage.tag) {
          const size = varint(end)
          message = new TextDecoder().decode(bytes.subarray(pos, Math.min(pos + size, end)))
          pos += size
        } else throw new Error('unexpected field')
      }
    }
    if (rejected > 0) return { code: 'success', rejected, message }
    if (message !== '') return { code: 'success', message }
  } catch {}
  return { code: 'success' }
}

/** The reader of a 2xx answer's `partial_success` for one encoding; what does not parse is a plain success. */
export function partialSuccessReader(
  wire: OtlpProtocol,
  key: RejectedKey,
): (text: string, bytes: Uint8Array) => ExportResult {
  return wire === 'http/protobuf'
    ? (text, bytes) => readProtobuf(text, bytes, key)
    : (text) => readJson(text, key)
}
