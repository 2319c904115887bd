// The OTLP JSON body is written straight into UTF-8 bytes: every string must come out byte for
// byte as JSON.stringify writes it, UTF-8 encoded, whatever it holds and wherever it starts.
import fc from 'fast-check'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { encodeOtlpTraces } from '../src/exporters/otlp-json.js'
import { JsonWriter } from '../src/otlp/json-writer.js'
import { ProtobufWriter } from '../src/otlp/protobuf-writer.js'
import { useUtf8Method } from '../src/otlp/utf8.js'
import type { SpanData } from '../src/types.js'

const utf8 = new TextEncoder()

// Every control character, the characters JSON escapes by name, and those it leaves alone.
const CONTROLS = Array.from({ length: 0x20 }, (_, code) => String.fromCharCode(code)).join('')
const HOSTILE = [
  '',
  'a',
  'plain ASCII text',
  'café, naïve, 東京, Ελληνικά',
  'emoji 😀👩‍👩‍👧 flags 🇫🇷',
  'quotes " and \\ backslashes \\" \\\\',
  CONTROLS,
  '\u007f DEL and \u0080 C1 \u009f',
  '\u2028 line and paragraph \u2029 separators',
  '\uFFFD a real replacement character',
  'ｆｕｌｌｗｉｄｔｈ，ｔｅｘｔ', // U+FF00 block: UTF-8 lead byte 0xEF, as U+FFFD has
  '\uD800',
  '\uDC00',
  'lone high at the end \uD83D',
  '\uDE00 lone low at the start',
  'pair then lone \uD83D\uDE00\uD83D x',
  'reversed pair \uDE00\uD83D',
]

/** Strings around the length where the writer changes method, and long ones, of each kind. */
function variants(text: string): string[] {
  const out = [text]
  for (const length of [47, 48, 49, 95, 96, 97, 300]) out.push(text.padEnd(length, 'x'))
  out.push(`${'x'.repeat(60)}${text}`, `${text}${'y'.repeat(60)}`)
  out.push(text.repeat(Math.ceil(70_000 / Math.max(1, text.length))).slice(0, 70_000))
  out.push(`${'z'.repeat(20_000)}${text}${'z'.repeat(20_000)}`)
  return out
}

/**
 * Where two byte strings first differ, with the text around it, or 'same'. A plain toEqual on
 * 70 KB arrays makes a diff that takes minutes to print when it fails.
 */
function difference(actual: Uint8Array, expected: Uint8Array): string {
  let at = 0
  while (at < actual.length && at < expected.length && actual[at] === expected[at]) at++
  if (at === actual.length && at === expected.length) return 'same'
  const around = (bytes: Uint8Array) =>
    JSON.stringify(new TextDecoder().decode(bytes.subarray(Math.max(0, at - 20), at + 20)))
  return `byte ${at} of ${actual.length} (expected ${expected.length}): ${around(actual)} instead of ${around(expected)}`
}

/** What `writer.string(text)` wrote, starting `offset` bytes into the buffer (word alignment). */
function written(text: string, offset: number, size = 16): Uint8Array {
  const writer = new JsonWriter(size)
  writer.ascii('abc'.slice(0, offset))
  writer.string(text)
  return writer.finish().subarray(offset)
}

describe('JsonWriter.string', () => {
  it('writes every hostile string, short and long, at every alignment, as JSON.stringify does', () => {
    for (const text of HOSTILE.flatMap(variants))
      for (const offset of [0, 1, 2, 3]) {
        const bytes = written(text, offset)
        expect(difference(bytes, utf8.encode(JSON.stringify(text)))).toBe('same')
        expect(JSON.parse(new TextDecoder().decode(bytes))).toBe(text)
      }
  })

  it('copies the runs between escapes whole, at every run length around the native-copy threshold', () => {
    // Runs of 252 to 264 bytes (63 to 66 words) between escapes, ASCII and not, then a lone
    // surrogate after a long run: the rewrite must copy each run exactly and still give up on it.
    for (let run = 248; run <= 264; run++)
      for (const fill of ['x', 'é', '😀'])
        for (const offset of [0, 1, 2, 3]) {
          const gap = fill.repeat(Math.ceil(run / 2)).slice(0, run)
          const text = `"${gap}\n${gap}\\${gap}\u0001${gap}"`
          expect(difference(written(text, offset), utf8.encode(JSON.stringify(text)))).toBe('same')
          const lone = `"${gap}${gap}\uD800${gap}`
          expect(difference(written(lone, offset), utf8.encode(JSON.stringify(lone)))).toBe('same')
        }
  })

  it('keeps lone surrogates as \\u escapes, never as U+FFFD, in short and long strings', () => {
    for (const text of ['a\uD800b', `${'a'.repeat(200)}\uDBFF${'b'.repeat(200)}`]) {
      const json = new TextDecoder().decode(written(text, 0))
      expect(json).toContain(text.includes('\uD800') ? '\\ud800' : '\\udbff')
      expect(json).not.toContain('\uFFFD')
      expect(JSON.parse(json)).toBe(text)
    }
  })

  it('matches JSON.stringify on arbitrary UTF-16, lone surrogates and escapes included', () => {
    const unit = fc.oneof(
      fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)),
      fc.constantFrom('"', '\\', '\n', '\t', '\u0000', '\u001f', 'é', '😀', '\uFFFD', '，'),
      fc.string({ minLength: 1, maxLength: 40 }),
    )
    fc.assert(
      fc.property(
        fc.array(unit, { maxLength: 120 }).map((parts) => parts.join('')),
        fc.integer({ min: 0, max: 3 }),
        (text, offset) => {
          expect(difference(written(text, offset, 8), utf8.encode(JSON.stringify(text)))).toBe(
            'same',
          )
        },
      ),
      { numRuns: 500, endOnFailure: true },
    )
  })

  it('grows from a tiny buffer through many writes without losing a byte', () => {
    const writer = new JsonWriter(8)
    const texts = HOSTILE.flatMap(variants)
    writer.byte(0x5b)
    texts.forEach((text, i) => {
      if (i > 0) writer.byte(0x2c)
      writer.string(text)
    })
    writer.byte(0x5d)
    expect(difference(writer.finish(), utf8.encode(JSON.stringify(texts)))).toBe('same')
  })
})

describe('JsonWriter.escaped', () => {
  it('writes text escaped by its writer as UTF-8, as it is', () => {
    for (const text of HOSTILE.flatMap(variants)) {
      const escaped = JSON.stringify(text).slice(1, -1)
      const writer = new JsonWriter(8)
      writer.escaped(escaped)
      expect(difference(writer.finish(), utf8.encode(escaped))).toBe('same')
    }
  })
})

// Node's Buffer#write where the runtime is Node, `encodeInto` elsewhere (the edge project) or when
// told: both must give the bytes JSON.stringify and TextEncoder give, long and short, hostile or not.
describe('UTF-8 through either method', () => {
  const nodeBuffer = (globalThis as any).process?.getBuiltinModule?.('node:buffer')?.Buffer
  const texts = [
    ...HOSTILE.flatMap(variants),
    'Paris sits on the Seine; its museums, bridges and cafés draw visitors all year. '.repeat(250),
  ]
  afterEach(() => {
    useUtf8Method('auto')
    vi.restoreAllMocks()
  })

  for (const method of ['auto', 'encodeInto'] as const)
    it(`writes strings and escaped text exactly (${method})`, () => {
      useUtf8Method(method)
      const write = nodeBuffer ? vi.spyOn(nodeBuffer.prototype, 'write') : undefined
      for (const text of texts) {
        for (const offset of [0, 1, 2, 3])
          expect(difference(written(text, offset, 8), utf8.encode(JSON.stringify(text)))).toBe(
            'same',
          )
        const escaped = JSON.stringify(text).slice(1, -1)
        const writer = new JsonWriter(8)
        writer.escaped(escaped)
        expect(difference(writer.finish(), utf8.encode(escaped))).toBe('same')
        const protobuf = new ProtobufWriter(8)
        protobuf.string(text)
        const bytes = utf8.encode(text)
        const header = protobuf.finish().length - bytes.length
        expect(difference(protobuf.finish().subarray(header), bytes)).toBe('same')
      }
      // On Node, 'auto' takes Buffer#write (ten times faster on `café` text); told otherwise, never.
      if (write) expect(write.mock.calls.length > 0).toBe(method === 'auto')
    })
})

// The object form an OTLP/JSON body of `span` has, in the encoder's key order.
function objectForm(span: SpanData) {
  const keyValues = (attributes: Record<string, unknown>) =>
    Object.entries(attributes).map(([key, value]) => ({ key, value: anyValue(value) }))
  const anyValue = (value: unknown): unknown => {
    if (typeof value === 'string') return { stringValue: value }
    if (typeof value === 'boolean') return { boolValue: value }
    if (typeof value === 'number')
      return Number.isSafeInteger(value) ? { intValue: String(value) } : { doubleValue: value }
    return { arrayValue: { values: (value as unknown[]).map(anyValue) } }
  }
  return {
    resourceSpans: [
      {
        resource: {
          attributes: keyValues({
            'service.name': span.resource.serviceName,
            ...span.resource.attributes,
          }),
          droppedAttributesCount: 0,
        },
        scopeSpans: [
          {
            scope: { name: '@tokentrail/core', version: '0.1.0' },
            spans: [
              {
                traceId: span.traceId,
                spanId: span.spanId,
                parentSpanId: span.parentSpanId,
                traceState: span.traceState,
                name: span.name,
                kind: 3,
                startTimeUnixNano: '1700000000123456000',
                endTimeUnixNano: '1700000001000000000',
                attributes: [
                  ...keyValues(span.attributes),
                  { key: 'tokentrail.span.kind', value: { stringValue: 'llm' } },
                ],
                droppedAttributesCount: 0,
                events: span.events.map((event) => ({
                  timeUnixNano: '1700000000500000000',
                  name: event.name,
                  attributes: keyValues(event.attributes ?? {}),
                  droppedAttributesCount: 0,
                })),
                droppedEventsCount: 0,
                status: { code: 2, message: span.error?.message || undefined },
                links: [],
                droppedLinksCount: 0,
              },
            ],
          },
        ],
      },
    ],
  }
}

describe('encodeOtlpTraces', () => {
  it('writes a span full of hostile strings exactly as JSON.stringify of its object form', () => {
    for (const text of HOSTILE.flatMap(variants).filter((_, i) => i % 3 === 0)) {
      const span: SpanData = {
        traceId: '0af7651916cd43dd8448eb211c80319c',
        spanId: 'b7ad6b7169203331',
        parentSpanId: '00f067aa0ba902b7',
        traceState: `k=${text.slice(0, 20)}`,
        name: text,
        kind: 'llm',
        startTime: 1_700_000_000_123.456,
        endTime: 1_700_000_001_000,
        status: 'error',
        error: { type: 'Error', message: text },
        attributes: {
          [text || 'empty']: text,
          count: 12,
          ratio: 0.25,
          flag: false,
          list: [text, 'second'],
        },
        events: [{ name: text, time: 1_700_000_000_500, attributes: { [`e${text}`]: text } }],
        resource: { serviceName: text || 'svc', attributes: { 'host.name': text } },
      }
      expect(
        difference(
          utf8.encode(encodeOtlpTraces([span])),
          utf8.encode(JSON.stringify(objectForm(span))),
        ),
      ).toBe('same')
    }
  })
})
