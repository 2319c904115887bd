// Long texts an adapter hands over as UTF-8 bytes (setTrustedAttributes' `utf8`): every reader
// must see exactly the string the bytes stand for, the encoders must send exactly what that string
// would send, and redaction, the record switches and the limits must treat it as that string.
import { describe, expect, it } from 'vitest'
import { encodeOtlpTracesBytes } from '../src/exporters/otlp-json.js'
import { encodeOtlpTracesProtobuf } from '../src/exporters/otlp-protobuf.js'
import { createTracer, setTrustedAttributes } from '../src/index.js'
import { memoryExporter } from '../src/testing.js'
import type { SpanData } from '../src/types.js'
import { utf8Value } from '../src/utf8-values.js'

const utf8 = new TextEncoder()

// Well-formed, long, and hostile: escapes at every kind, a leading BOM, a real U+FFFD, pairs.
const TEXT = `\uFEFF${JSON.stringify([
  {
    role: 'user',
    parts: [{ type: 'text', content: 'say "hi"\n\tC:\\temp \u0000 \u2028 café 😀 \uFFFD' }],
  },
]).repeat(40)}`
const OTHER = 'Paris sits on the Seine; cafés draw visitors all year. '.repeat(40)

function setup(options: Parameters<typeof createTracer>[0] = {}) {
  const exporter = memoryExporter()
  const tracer = createTracer({
    serviceName: 'test',
    exporters: [exporter],
    metrics: false,
    ...options,
  })
  return { exporter, tracer }
}

async function lazySpan(options: Parameters<typeof createTracer>[0] = {}, text = TEXT) {
  const { tracer, exporter } = setup(options)
  const span = tracer.startSpan('s')
  span.setAttribute('first', 1)
  setTrustedAttributes(
    span,
    {
      'gen_ai.system_instructions': '',
      'gen_ai.input.messages': '',
      n: 3,
      'gen_ai.output.messages': '',
    },
    undefined,
    {
      'gen_ai.system_instructions': utf8.encode(OTHER),
      'gen_ai.input.messages': utf8.encode(text),
      'gen_ai.output.messages': utf8.encode(OTHER),
    },
  )
  span.end()
  await tracer.flush()
  return exporter.spans[0]!
}

const asStrings = (data: SpanData, text = TEXT): SpanData => ({
  ...data,
  attributes: {
    first: 1,
    'gen_ai.system_instructions': OTHER,
    'gen_ai.input.messages': text,
    n: 3,
    'gen_ai.output.messages': OTHER,
  },
})

describe('attribute values held as UTF-8 bytes', () => {
  it('encode, OTLP/JSON and protobuf, byte for byte as the strings do, without decoding them', async () => {
    const data = await lazySpan()
    const strings = asStrings(data)
    expect(Buffer.from(encodeOtlpTracesBytes([data]))).toEqual(
      Buffer.from(encodeOtlpTracesBytes([strings])),
    )
    expect(Buffer.from(encodeOtlpTracesProtobuf([data]))).toEqual(
      Buffer.from(encodeOtlpTracesProtobuf([strings])),
    )
    // Still bytes: neither the tracer's scrub nor the encoders read the string.
    expect(utf8Value(data.attributes, 'gen_ai.input.messages')).toBeDefined()
  })

  it('read as the string by every reader, keys in their order', async () => {
    const data = await lazySpan()
    const attributes = data.attributes
    expect(Object.keys(attributes)).toEqual([
      'first',
      'gen_ai.system_instructions',
      'gen_ai.input.messages',
      'n',
      'gen_ai.output.messages',
    ])
    expect(JSON.stringify(attributes)).toBe(JSON.stringify(asStrings(data).attributes))
    expect({ ...attributes }).toEqual(asStrings(data).attributes)
    expect(attributes['gen_ai.input.messages']).toBe(TEXT)
    expect((attributes['gen_ai.input.messages'] as string).charCodeAt(0)).toBe(0xfeff)
    // Once read, a plain value: the bytes are let go.
    expect(utf8Value(attributes, 'gen_ai.input.messages')).toBeUndefined()
    expect(Object.getOwnPropertyDescriptor(attributes, 'gen_ai.input.messages')).toMatchObject({
      value: TEXT,
      writable: true,
    })
    expect(Object.create(attributes)['gen_ai.output.messages']).toBe(OTHER)
  })

  it('replaced or deleted like any attribute, and the encoders then send what is there', async () => {
    const data = await lazySpan()
    const attributes = data.attributes as Record<string, unknown>
    attributes['gen_ai.input.messages'] = 'replaced'
    delete attributes['gen_ai.output.messages']
    attributes['gen_ai.output.messages'] = 'added again'
    const sent = JSON.parse(new TextDecoder().decode(encodeOtlpTracesBytes([data])))
    const values = Object.fromEntries(
      sent.resourceSpans[0].scopeSpans[0].spans[0].attributes.map((kv: any) => [
        kv.key,
        kv.value.stringValue ?? kv.value.intValue,
      ]),
    )
    expect(values).toEqual({
      first: '1',
      'gen_ai.system_instructions': OTHER,
      'gen_ai.input.messages': 'replaced',
      n: '3',
      'gen_ai.output.messages': 'added again',
      'tokentrail.span.kind': undefined,
    })
    expect(Object.isFrozen(Object.freeze(data.attributes))).toBe(true)
    expect(data.attributes['gen_ai.system_instructions']).toBe(OTHER)
    expect(data.attributes['gen_ai.system_instructions']).toBe(OTHER)
  })

  it('scrubbed of credentials as the string would be', async () => {
    const secret = `${TEXT} key sk-proj-${'a'.repeat(24)} and Bearer abcdefghijkl`
    const data = await lazySpan({}, secret)
    const expected = secret
      .replace(`sk-proj-${'a'.repeat(24)}`, '[REDACTED]')
      .replace('Bearer abcdefghijkl', '[REDACTED]')
    expect(data.attributes['gen_ai.input.messages']).toBe(expected)
    // The texts without a credential stay bytes.
    expect(utf8Value(data.attributes, 'gen_ai.output.messages')).toBeDefined()
  })

  it('dropped by recordInputs / recordOutputs: false, and seen by redaction rules and the redact hook', async () => {
    const off = await lazySpan({ recordInputs: false, recordOutputs: false })
    expect(Object.keys(off.attributes)).toEqual(['first', 'n'])
    const seen: unknown[] = []
    const hooked = await lazySpan({
      redact: (span) => {
        seen.push(span.attributes['gen_ai.input.messages'])
        return span
      },
    })
    expect(seen).toEqual([TEXT])
    expect(hooked.attributes['gen_ai.input.messages']).toBe(TEXT)
  })

  it('past maxStringLength: cut as the string is cut', async () => {
    const limits = { maxStringLength: 100 }
    const lazy = await lazySpan({ limits })
    const { tracer, exporter } = setup({ limits })
    const span = tracer.startSpan('s')
    span.setAttribute('gen_ai.input.messages', TEXT)
    span.end()
    await tracer.flush()
    expect(lazy.attributes['gen_ai.input.messages']).toBe(
      exporter.spans[0]!.attributes['gen_ai.input.messages'],
    )
    expect((lazy.attributes['gen_ai.input.messages'] as string).length).toBeLessThan(200)
  })
})
