import { describe, expect, it } from 'vitest'
import { gzipWeb } from '../src/exporters/gzip.js'
import type { SpanData } from '../src/index.js'
import { encodeOtlpTracesProtobuf } from '../src/otlp.js'
import {
  type OtlpKeyValue,
  type ProtobufReader,
  REQUEST,
  readAttribute,
  readEnvelope,
  SPAN,
} from '../src/otlp-protobuf.js'

// Runs in Node and in the edge runtime: the encoder and gzip use Web APIs only.
const span: SpanData = {
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  name: 'chat gpt-4o',
  kind: 'llm',
  startTime: 1_700_000_000_123.456,
  endTime: 1_700_000_001_000,
  status: 'ok',
  attributes: { 'gen_ai.request.model': 'gpt-4o', text: 'ünï'.repeat(5000), n: -3 },
  events: [],
  resource: { serviceName: 'edge', attributes: {} },
}

function read(body: Uint8Array) {
  return readEnvelope(
    body,
    'ExportTraceServiceRequest',
    REQUEST.resourceSpans,
    { resource: 'resourceSpans', scope: 'scopeSpans', item: 'spans' },
    (r: ProtobufReader) => {
      const list: OtlpKeyValue[] = []
      let start = 0n
      while (r.pos < r.end) {
        const [no, wire] = r.tag()
        if (no === SPAN.attributes.no) readAttribute(r, list, SPAN.attributes, wire)
        else if (no === SPAN.startTimeUnixNano.no) start = r.fixed64()
        else r.skip(wire)
      }
      return { start, list }
    },
  )
}

describe('protobuf encoder on Web APIs', () => {
  it('round-trips through CompressionStream gzip and DecompressionStream', async () => {
    const body = encodeOtlpTracesProtobuf([span])
    const zipped = await gzipWeb(body)
    expect(zipped.length).toBeLessThan(body.length)
    const unzipped = new Uint8Array(
      await new Response(
        new Blob([zipped as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip')),
      ).arrayBuffer(),
    )
    expect(unzipped).toEqual(body)
    const [entry] = read(unzipped)
    expect(entry!.resource!.attributes[0]).toEqual({
      key: 'service.name',
      value: { stringValue: 'edge' },
    })
    const { start, list } = entry!.scopes[0]!.items[0]!
    expect(start).toBe(1_700_000_000_123_456_000n)
    expect(list.map((kv) => kv.key)).toEqual([
      'gen_ai.request.model',
      'text',
      'n',
      'tokentrail.span.kind',
    ])
    expect(list[1]!.value).toEqual({ stringValue: 'ünï'.repeat(5000) })
    expect(list[2]!.value).toEqual({ intValue: -3n })
  })
  it('grows past its first buffer for a large batch, then encodes small ones correctly again', () => {
    const big = { ...span, attributes: { text: 'x'.repeat(2_000_000) } }
    const [large] = read(encodeOtlpTracesProtobuf([big, span]))
    expect(large!.scopes[0]!.items).toHaveLength(2)
    expect(large!.scopes[0]!.items[0]!.list[0]!.value).toEqual({
      stringValue: 'x'.repeat(2_000_000),
    })
    const [small] = read(encodeOtlpTracesProtobuf([span]))
    expect(small!.scopes[0]!.items[0]!.list.map((kv) => kv.key)).toContain('gen_ai.request.model')
  })
})
