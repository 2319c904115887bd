// Found by the reliability suite's collector fuzz: deeply nested array/kvlist values overflowed
// the stack in both decoders, and the collector answered 500 instead of 400.
import { join } from 'node:path'
import { TokentrailError } from '@tokentrail/core'
import { describe, expect, it } from 'vitest'
import { decodeOtlpProtobuf, otlpToSpans, startCollector } from '../src/index.js'
import { tempDir } from './helpers.js'

const varint = (n: number) => {
  const out: number[] = []
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80)
    n = Math.floor(n / 128)
  }
  out.push(n)
  return Buffer.from(out)
}
const field = (number: number, bytes: Buffer) =>
  Buffer.concat([varint((number << 3) | 2), varint(bytes.length), bytes])

function protobufNested(depth: number): Buffer {
  let value = field(1, Buffer.from('leaf'))
  for (let i = 0; i < depth; i++) value = field(5, field(1, value))
  const attribute = Buffer.concat([field(1, Buffer.from('deep')), field(2, value)])
  const span = Buffer.concat([
    field(1, Buffer.alloc(16, 1)),
    field(2, Buffer.alloc(8, 2)),
    field(5, Buffer.from('deep')),
    Buffer.from([0x39, 1, 0, 0, 0, 0, 0, 0, 0]), // start_time_unix_nano (fixed64)
    Buffer.from([0x41, 2, 0, 0, 0, 0, 0, 0, 0]), // end_time_unix_nano
    field(9, attribute),
  ])
  return field(1, field(2, field(2, span)))
}

function jsonNested(depth: number): string {
  const value = `${'{"kvlistValue":{"values":[{"key":"k","value":'.repeat(depth)}{"stringValue":"x"}${'}]}}'.repeat(depth)}`
  return `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"${'1'.repeat(32)}","spanId":"${'2'.repeat(16)}","name":"deep","startTimeUnixNano":"1","endTimeUnixNano":"2","attributes":[{"key":"deep","value":${value}}]}]}]}]}`
}

describe('deeply nested attribute values', () => {
  it('are refused with a message naming the limit, in JSON and protobuf', () => {
    expect(() => otlpToSpans(JSON.parse(jsonNested(20_000)))).toThrow(/nested deeper than 64/)
    expect(() => decodeOtlpProtobuf(protobufNested(20_000))).toThrow(TokentrailError)
    expect(() => decodeOtlpProtobuf(protobufNested(20_000))).toThrow(/nested deeper than 64/)
  })

  it('are kept up to the limit', () => {
    expect(otlpToSpans(JSON.parse(jsonNested(60)))).toHaveLength(1)
    expect(otlpToSpans(decodeOtlpProtobuf(protobufNested(60)))).toHaveLength(1)
  })

  it('get a 400 from the collector, which keeps serving', async () => {
    const collector = await startCollector({ port: 0, db: join(tempDir(), 'traces.db') })
    try {
      const json = await fetch(`${collector.url}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: jsonNested(20_000),
      })
      expect(json.status).toBe(400)
      expect((await json.json()).message).toMatch(/nested deeper than 64/)
      const proto = await fetch(`${collector.url}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf' },
        body: new Uint8Array(protobufNested(20_000)),
      })
      expect(proto.status).toBe(400)
      expect((await fetch(`${collector.url}/health`)).status).toBe(200)
    } finally {
      await collector.close()
    }
  })
})
