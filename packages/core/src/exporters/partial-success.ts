import { PARTIAL_SUCCESS, RESPONSE } from '../otlp/protobuf-schema.js'
import type { ExportResult } from '../types.js'
import type { OtlpProtocol } from './otlp-wire.js'
import { eachField } from './protobuf-fields.js'

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
 * Reads a protobuf `Export…ServiceResponse` from its bytes. A JSON answer to a protobuf request
 * (`{` is no valid first byte of this message) is read as JSON.
 */
function readProtobuf(text: string, bytes: Uint8Array, key: RejectedKey): ExportResult {
  if (bytes.length === 0) return { code: 'success' }
  if (bytes[0] === 0x7b) return readJson(text, key)
  let rejected = 0
  let message = ''
  try {
    eachField(bytes, 0, bytes.length, (tag, _length, from, to) => {
      if (tag !== RESPONSE.partialSuccess.tag) return
      eachField(bytes, from, to, (field, value, start, end) => {
        if (field === PARTIAL_SUCCESS.rejected.tag) rejected = value
        else if (field === PARTIAL_SUCCESS.errorMessage.tag)
          message = new TextDecoder().decode(bytes.subarray(start, end))
      })
    })
  } catch {
    return { code: 'success' }
  }
  if (rejected > 0) return { code: 'success', rejected, message }
  if (message !== '') return { code: 'success', message }
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
