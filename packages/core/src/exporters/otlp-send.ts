import { JsonWriter } from '../otlp/json-writer.js'
import { ProtobufWriter } from '../otlp/protobuf-writer.js'
import type { ExportResult, SpanData } from '../types.js'
import { createSpanMapper } from './backend-profiles.js'
import { ExportError } from './export-error.js'
import { gzipOrPlain, withoutEncoding } from './gzip.js'
import { encodeOtlpTracesBytes } from './otlp-json.js'
import type { OtlpProfile } from './otlp-profile.js'
import { encodeOtlpTracesProtobuf } from './otlp-protobuf.js'
import type { OtlpProtocol } from './otlp-wire.js'
import { partialSuccessReader } from './partial-success.js'
import { post } from './post.js'

// The part of `otlpExporter` that runs at export time, loaded on the first export.

/** What an OTLP traces exporter resolved at creation. */
export interface TraceSenderSetup {
  target: string
  headers: Record<string, string>
  wire: OtlpProtocol
  gzipped: boolean
  backend: OtlpProfile
  toolDefinitions: boolean
}

// The largest body a batch is sent in: receivers refuse larger ones (the OpenTelemetry Collector
// at 20 MiB by default, answering 400; `tokentrail dev` at 16 MiB, answering 413). A larger batch
// is not sent: the processor sends it again in halves (see processor-send.ts), as after a 413.
const MAX_BODY_BYTES = 16 * 1024 * 1024

function tooLarge(bytes: number): ExportResult {
  return {
    code: 'failed',
    error: new ExportError(
      `the body is ${(bytes / 1048576).toFixed(1)} MB, over the ${MAX_BODY_BYTES / 1048576} MB a request may carry`,
      { code: 'body_too_large' },
    ),
  }
}

/** Encodes a batch for the wire and the backend, posts it, and reads the answer. */
export function traceSender({
  target,
  headers,
  wire,
  gzipped,
  backend,
  toolDefinitions,
}: TraceSenderSetup): (spans: readonly SpanData[], signal: AbortSignal) => Promise<ExportResult> {
  const mapper = createSpanMapper(backend, { toolDefinitions })
  const readSuccess = partialSuccessReader(wire, 'rejectedSpans')
  // The body's buffer, kept for the next export: a fresh one per batch costs the page faults of the
  // whole body again (and its growth, copies). Taken while a body is out, so two exports at once
  // never share it.
  let spare: JsonWriter | ProtobufWriter | undefined
  const plainHeaders = gzipped ? withoutEncoding(headers) : headers
  return async function sendTraces(spans, signal) {
    let writer: JsonWriter | ProtobufWriter
    let body: Uint8Array
    if (wire === 'http/protobuf') {
      writer = (spare as ProtobufWriter | undefined) ?? new ProtobufWriter(1024)
      spare = undefined
      body = encodeOtlpTracesProtobuf(spans, mapper, writer)
    } else {
      writer = (spare as JsonWriter | undefined) ?? new JsonWriter(0)
      spare = undefined
      body = encodeOtlpTracesBytes(spans, mapper, writer)
    }
    // Its buffer (over 16 MB) is let go, as below.
    if (body.length > MAX_BODY_BYTES && spans.length > 1) return tooLarge(body.length)
    const sent = gzipped ? await gzipOrPlain(body, headers, plainHeaders) : { body, headers }
    const result = await post(target, sent.body, sent.headers, signal, readSuccess)
    // Given back once nothing reads it: gzip made its own copy, or the receiver answered 2xx
    // (it read the whole body). After a failure the transport might still hold it: not reused.
    // A buffer that grew past 16 MB, or is four times the body it held, is let go.
    const length = writer.buf.length
    if (
      (sent.body !== body || result.code === 'success') &&
      length <= 16 << 20 &&
      body.length * 4 >= length
    )
      spare = writer
    return result
  }
}
