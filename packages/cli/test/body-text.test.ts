import { isAscii } from 'node:buffer'
import { join } from 'node:path'
import type { SpanData } from '@tokentrail/core'
import { encodeOtlpTraces } from '@tokentrail/core/otlp'
import { describe, expect, it } from 'vitest'
import { WORKER_MIN_BYTES } from '../src/collector/body-decoder.js'
import { startCollector } from '../src/index.js'
import { bodyText, protobufText } from '../src/utf8-text.js'
import { chatTrace, onCleanup, tempDir } from './helpers.js'

const bytes = (...parts: (string | number[])[]) =>
  Buffer.concat(
    parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'utf8') : Buffer.from(part))),
  )

describe('a body read as text', () => {
  it('reads what toString("utf8") reads, whatever the bytes', () => {
    const bodies: [string, Buffer][] = [
      ['empty', Buffer.alloc(0)],
      ['ASCII', bytes('{"a":"plain text","n":1}')],
      ['ASCII controls', bytes('\u0000\u0001\t\n\u007f')],
      ['Latin-1 range', bytes('21°C, café, ÿ')],
      ['BMP', bytes('— ✓ 日本語 \uffff')],
      ['astral (surrogate pairs)', bytes('😀 𝄞 \u{10ffff}')],
      ['byte-order mark', bytes('\ufeff{"a":"°"}')],
      ['a stray continuation byte', bytes('a', [0x80], 'b')],
      ['a truncated sequence at the end', bytes('ok ', [0xe2, 0x82])],
      ['an overlong encoding', bytes('x', [0xc0, 0xaf], 'y')],
      ['an encoded surrogate', bytes('x', [0xed, 0xa0, 0x80], 'y')],
      ['past U+10FFFF', bytes('x', [0xf4, 0x90, 0x80, 0x80], 'y')],
      ['0xFF', bytes('é', [0xff], 'é')],
      ['large, non-ASCII', bytes('{"t":"', 'It is 21°C in Paris — ✓ 😀 '.repeat(20_000), '"}')],
      ['large, ASCII', bytes('{"t":"', 'abc '.repeat(100_000), '"}')],
    ]
    for (const [name, body] of bodies) expect(bodyText(body), name).toBe(body.toString('utf8'))
  })

  it('reads a protobuf string, short or long, as toString("utf8") reads those bytes', () => {
    const decoder = new TextDecoder('utf-8', { ignoreBOM: true })
    const strings: [string, Buffer][] = [
      ['short ASCII', bytes('gen_ai.request.model')],
      ['short non-ASCII', bytes('21°C')],
      ['long Japanese', bytes('東京の天気を教えてください。'.repeat(40))],
      ['long French', bytes('Résumé de la réunion au café. '.repeat(20))],
      ['long ASCII', bytes('What is the weather in Paris today? '.repeat(20))],
      ['long ASCII, one emoji at the end', bytes('abc '.repeat(200), '👍')],
      ['long, a byte-order mark first', bytes('\ufeff', 'café '.repeat(100))],
      ['long, an invalid byte inside', bytes('café '.repeat(60), [0xff], 'fin')],
      ['long, a truncated sequence at the end', bytes('日本 '.repeat(60), [0xe6, 0x97])],
      ['long, an encoded surrogate', bytes('a'.repeat(300), [0xed, 0xa0, 0x80], 'é')],
    ]
    for (const [name, text] of strings) {
      // Inside a larger buffer, as the reader finds it: other fields before and after.
      const buf = Buffer.concat([bytes('before'), text, bytes('after')])
      const read = protobufText(buf, 6, 6 + text.length)
      expect(read, name).toBe(text.toString('utf8'))
      expect(read, name).toBe(decoder.decode(text))
    }
  })
})

describe('ingest keeps text as sent, on the decode thread and in place', () => {
  it('non-ASCII text arrives whole; bytes that are not UTF-8 arrive as U+FFFD', async () => {
    const c = await startCollector({ port: 0, db: join(tempDir(), 'traces.db') })
    onCleanup(() => c.close())
    const text = 'It is 21°C in Paris — ✓ 😀 日本語'
    // Traces in small bodies (decoded in place) and in bodies over the decode thread's size.
    const traces = async (count: number, tag: string) => {
      const spans: SpanData[] = []
      for (let i = 0; i < count; i++)
        spans.push(...(await chatTrace({ prompt: `${tag} ${i} ${text} ${'ab '.repeat(600)}` })))
      return spans
    }
    const [small, large, smallBad, largeBad] = await Promise.all([
      traces(1, 'small'),
      traces(40, 'large'),
      traces(1, 'small-bad'),
      traces(40, 'large-bad'),
    ])
    // An invalid byte in a span name: the encoder writes text, so it is put in the bytes afterwards.
    const withBadByte = (spans: SpanData[]) => {
      const marked = spans.map((span, i) => (i === 0 ? { ...span, name: 'bad-\u0001-byte' } : span))
      const body = Buffer.from(encodeOtlpTraces(marked))
      const at = body.indexOf('bad-\\u0001-byte')
      expect(at).toBeGreaterThan(0)
      // `\u0001` (6 bytes) becomes the single byte 0xFF, which UTF-8 never uses.
      return Buffer.concat([body.subarray(0, at + 4), Buffer.from([0xff]), body.subarray(at + 10)])
    }
    const bodies: [SpanData[], Buffer, boolean][] = [
      [small, Buffer.from(encodeOtlpTraces(small)), false],
      [large, Buffer.from(encodeOtlpTraces(large)), false],
      [smallBad, withBadByte(smallBad), true],
      [largeBad, withBadByte(largeBad), true],
    ]
    for (const [, body] of bodies) expect(isAscii(body)).toBe(false)
    expect(bodies.map(([, body]) => body.length > WORKER_MIN_BYTES)).toEqual([
      false,
      true,
      false,
      true,
    ])
    const post = (body: Buffer) =>
      fetch(`${c.url}/v1/traces`, {
        method: 'POST',
        body: new Uint8Array(body),
        headers: { 'content-type': 'application/json' },
      })
    // All at once: with others in flight, a large body is decoded on the decode thread (the thread
    // itself is checked in body-decoder.test.ts).
    const answers = await Promise.all(bodies.map(([, body]) => post(body)))
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200])
    for (const [spans, , bad] of bodies)
      for (const [i, span] of spans.entries()) {
        const got = c.store.getTrace(span.traceId)!.spans.find((s) => s.spanId === span.spanId)!
        expect(got.name).toBe(bad && i === 0 ? 'bad-\ufffd-byte' : span.name)
        expect(got.attributes).toEqual(span.attributes)
      }
  })
})
