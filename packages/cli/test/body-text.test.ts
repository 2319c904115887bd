import { join } from 'node:path'
import type { SpanData } from '@tokentrail/core'
import { encodeOtlpTraces } from '@tokentrail/core/otlp'
import { describe, expect, it } from 'vitest'
import { WORKER_MIN_BYTES } from '../src/collector/body-decoder.js'
import { bodyText } from '../src/collector/ingest.js'
import { startCollector } from '../src/index.js'
import { chatTrace, onCleanup, tempDir } from './helpers.js'

const bytes = (...parts: (string | number[])[]) =>
  Buffer.concat(
    parts.map((part) => (typeof part === 'string' ? Buffer.from(part) : Buffer.from(part))),
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
})

describe('ingest keeps text as sent, on the decode thread and in place', () => {
  it('non-ASCII text arrives whole; bytes that are not UTF-8 arrive as U+FFFD', async () => {
    const c = await startCollector({ port: 0, db: join(tempDir(), 'traces.db') })
    onCleanup(() => c.close())
    const text = 'It is 21°C in Paris — ✓ 😀 日本語'
    // One trace in a small body (decoded in place), one in a body over the decode thread's size.
    const small = await chatTrace({ prompt: text })
    const large: SpanData[] = []
    for (let i = 0; i < 40; i++)
      large.push(...(await chatTrace({ prompt: `${i} ${text} ${'ab '.repeat(600)}` })))
    // An invalid byte in a span name: the encoder writes text, so it is put in the bytes afterwards.
    const withBadByte = (spans: SpanData[]) => {
      const marked = spans.map((span, i) => (i === 0 ? { ...span, name: 'bad-\u0001-byte' } : span))
      const body = Buffer.from(encodeOtlpTraces(marked))
      const at = body.indexOf('bad-\\u0001-byte')
      expect(at).toBeGreaterThan(0)
      // `\u0001` (6 bytes) becomes the single byte 0xFF, which UTF-8 never uses.
      return Buffer.concat([body.subarray(0, at + 4), Buffer.from([0xff]), body.subarray(at + 10)])
    }
    const smallBody = withBadByte(small)
    const largeBody = withBadByte(large)
    expect(smallBody.length).toBeLessThan(WORKER_MIN_BYTES)
    expect(largeBody.length).toBeGreaterThan(WORKER_MIN_BYTES)
    const post = (body: Buffer) =>
      fetch(`${c.url}/v1/traces`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json' },
      })
    // Two at once: a large body goes to the decode thread while another is being read.
    const answers = await Promise.all([post(largeBody), post(smallBody)])
    expect(answers.map((a) => a.status)).toEqual([200, 200])
    for (const spans of [small, large.slice(0, 3)]) {
      const trace = c.store.getTrace(spans[0]!.traceId)!
      const stored = new Map(trace.spans.map((span) => [span.spanId, span]))
      expect(stored.get(spans[0]!.spanId)!.name).toBe('bad-\ufffd-byte')
      for (const span of spans.slice(1)) {
        const got = stored.get(span.spanId)!
        expect(got.name).toBe(span.name)
        expect(got.attributes).toEqual(span.attributes)
      }
    }
    const prompts = c.store
      .getTrace(small[0]!.traceId)!
      .spans.map((span) => span.attributes['gen_ai.input.messages'])
      .filter((value) => typeof value === 'string')
    expect(prompts.length).toBeGreaterThan(0)
    for (const prompt of prompts) expect(prompt).toContain(text)
  })
})
