import { describe, expect, it } from 'vitest'
import { ProtobufReader, REQUEST, readEnvelope, readKeyValue } from '../src/otlp-protobuf.js'

// The reader decodes a string from a Node Buffer with the buffer's own UTF-8 decoding and from
// any other Uint8Array with TextDecoder: both must give the same text for any bytes.

const varint = (n: number): number[] => {
  const out: number[] = []
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80)
    n = Math.floor(n / 128)
  }
  out.push(n)
  return out
}
const field = (no: number, bytes: readonly number[]) => [
  no * 8 + 2,
  ...varint(bytes.length),
  ...bytes,
]
/** A `KeyValue` message whose value is the string of `bytes`. */
const keyValue = (bytes: readonly number[]) => [
  ...field(1, [...Buffer.from('k')]),
  ...field(2, field(1, bytes)),
]

function readBoth(bytes: readonly number[]): [string, string] {
  const message = keyValue(bytes)
  const fromBuffer = Buffer.from(message)
  // A plain Uint8Array over its own memory: not a Buffer, so TextDecoder reads it.
  const fromView = new Uint8Array(message)
  expect(Buffer.isBuffer(fromView)).toBe(false)
  const a = readKeyValue(new ProtobufReader(fromBuffer, 0, fromBuffer.length, 'kv'))
  const b = readKeyValue(new ProtobufReader(fromView, 0, fromView.length, 'kv'))
  return [a.value!.stringValue!, b.value!.stringValue!]
}

const decoder = new TextDecoder('utf-8', { ignoreBOM: true })

describe('ProtobufReader strings', () => {
  const table: [string, number[]][] = [
    ['ASCII', [...Buffer.from('gen_ai.request.model')]],
    ['empty', []],
    ['two-byte', [...Buffer.from('It is 21°C in Paris')]],
    ['three-byte', [...Buffer.from('天気は晴れです。')]],
    ['four-byte', [...Buffer.from('ok 👍 done')]],
    ['a leading byte order mark, kept', [0xef, 0xbb, 0xbf, 0x68, 0x69]],
    ['a lone continuation byte', [0x61, 0x80, 0x62]],
    ['a truncated three-byte sequence', [0x61, 0xe2, 0x82]],
    ['an overlong encoding', [0xc0, 0xaf, 0x61]],
    ['an encoded surrogate', [0xed, 0xa0, 0x80, 0x61]],
    ['past U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
    ['0xFF', [0x61, 0xff, 0x62]],
    ['long text with one non-ASCII character', [...Buffer.from(`${'a'.repeat(20_000)}é`)]],
  ]
  for (const [name, bytes] of table)
    it(`reads ${name} the same from a Buffer and from a Uint8Array`, () => {
      const [fromBuffer, fromView] = readBoth(bytes)
      expect(fromBuffer).toBe(fromView)
      expect(fromBuffer).toBe(decoder.decode(Uint8Array.from(bytes)))
    })

  it('keeps a leading U+FEFF, as protobuf means (the default TextDecoder drops it)', () => {
    expect(readBoth([0xef, 0xbb, 0xbf, 0x68, 0x69])).toEqual(['\ufeffhi', '\ufeffhi'])
  })

  it('reads random bytes the same both ways', () => {
    // Mostly bytes that start, continue or break UTF-8 sequences.
    const picks = [
      0x00, 0x41, 0x7f, 0x80, 0xbf, 0xc0, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff,
    ]
    let seed = 7
    const random = () => {
      seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0
      return seed / 2 ** 32
    }
    for (let i = 0; i < 3000; i++) {
      const bytes = Array.from({ length: Math.floor(random() * 24) }, () =>
        random() < 0.8 ? picks[Math.floor(random() * picks.length)]! : Math.floor(random() * 256),
      )
      const [fromBuffer, fromView] = readBoth(bytes)
      if (fromBuffer !== fromView)
        expect({ bytes, fromBuffer }).toEqual({ bytes, fromBuffer: fromView })
    }
  })
})

describe('ProtobufReader paths', () => {
  it('names a field read with field() by its whole path, only when an error asks for it', () => {
    // `outer` holds `inner` (field 2), which holds a varint where a string is expected.
    const inner = [0x08, 0x01]
    const outer = Buffer.from(field(2, field(2, inner)))
    const root = new ProtobufReader(outer, 0, outer.length, 'request')
    root.next()
    const a = root.field('items', 3)
    a.next()
    const b = a.field('value')
    expect(b.path).toBe('request.items[3].value')
    expect(b.next()).toBe(1)
    expect(b.wire).toBe(0)
    expect(() => b.string()).toThrow(/^protobuf request\.items\[3\]\.value at byte \d+: /)
  })

  it('keeps tag(), span() and child(path) for decoders written before next() and field()', () => {
    const bytes = Buffer.from(field(2, [0x08, 0x05]))
    const r = new ProtobufReader(bytes, 0, bytes.length, 'm')
    expect(r.tag()).toEqual([2, 2])
    const c = r.child('m.x')
    expect(c.path).toBe('m.x')
    expect(c.tag()).toEqual([1, 0])
    expect(c.varint()).toBe(5)
    const again = new ProtobufReader(bytes, 0, bytes.length, 'm')
    again.tag()
    expect(again.span()).toEqual([2, 4])
  })
})

describe('ProtobufReader text reader', () => {
  it('decodes every string of a request with the reader readEnvelope is given', () => {
    // ExportTraceServiceRequest > ResourceSpans > (Resource > KeyValue, ScopeSpans > scope name)
    const resource = field(1, field(1, keyValue([...Buffer.from('svc')])))
    // ScopeSpans: its scope's name (field 1 > 1) and one span with a name (field 2 > 5).
    const scope = field(2, [
      ...field(1, field(1, [...Buffer.from('lib')])),
      ...field(2, field(5, [...Buffer.from('span')])),
    ])
    const body = Buffer.from(field(1, [...resource, ...scope]))
    const seen: string[] = []
    const upper = (buf: Uint8Array, start: number, end: number) => {
      const text = new TextDecoder().decode(buf.subarray(start, end))
      seen.push(text)
      return text.toUpperCase()
    }
    const [entry] = readEnvelope(
      body,
      'request',
      REQUEST.resourceSpans,
      { resource: 'resourceSpans', scope: 'scopeSpans', item: 'spans' },
      (r) => {
        expect(r.next()).toBe(5)
        return r.string()
      },
      upper,
    )
    expect(entry!.resource!.attributes).toEqual([{ key: 'K', value: { stringValue: 'SVC' } }])
    expect(entry!.scopes[0]!.scope).toEqual({ name: 'LIB' })
    expect(entry!.scopes[0]!.items).toEqual(['SPAN'])
    expect(seen).toEqual(['k', 'svc', 'lib', 'span'])
  })
})
