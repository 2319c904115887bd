import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import type { SpanData } from '@tokentrail/core'
import { encodeOtlpTraces } from '@tokentrail/core/otlp'
import { describe, expect, it } from 'vitest'
import { decodeOtlpProtobuf, otlpToSpans } from '../src/index.js'
import { chatTrace } from './helpers.js'

function otelSpans(): ReadableSpan[] {
  const exporter = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      'service.name': 'otel-app',
      'deployment.environment': 'test',
    }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  })
  const tracer = provider.getTracer('test-scope', '1.2.3')
  {
    const root = tracer.startSpan('POST /chat', {
      kind: SpanKind.SERVER,
      startTime: 1_700_000_000_123.456,
    })
    // No context manager is registered, so children get their parent explicitly.
    const parent = trace.setSpan(context.active(), root)
    const llm = tracer.startSpan(
      'chat gpt-4o',
      {
        kind: SpanKind.CLIENT,
        startTime: 1_700_000_000_130,
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': 'gpt-4o',
          'gen_ai.usage.input_tokens': 10,
          'gen_ai.request.temperature': 0.25,
          'gen_ai.response.finish_reasons': ['stop', 'length'],
          'flags.list': [true, false],
          'big.int': 2 ** 40,
          'http.request.header.authorization': 'Bearer abcdefghijklmnop',
          note: 'key sk-proj-abcdefghijklmnopqrstuvwx in text',
        },
      },
      parent,
    )
    llm.addEvent('first-token', { index: 1 }, 1_700_000_000_140)
    llm.end(1_700_000_000_150.5)
    const tool = tracer.startSpan(
      'execute_tool search',
      {
        attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'search' },
        startTime: 1_700_000_000_151,
      },
      parent,
    )
    const error = new RangeError('index out of range')
    tool.recordException(error)
    tool.setStatus({ code: SpanStatusCode.ERROR, message: 'index out of range' })
    tool.end(1_700_000_000_160)
    const queue = tracer.startSpan(
      'send job',
      { kind: SpanKind.PRODUCER, startTime: 1_700_000_000_161 },
      parent,
    )
    queue.end(1_700_000_000_162)
    root.setStatus({ code: SpanStatusCode.OK })
    root.end(1_700_000_000_200)
  }
  return exporter.getFinishedSpans()
}

function byName(spans: SpanData[], name: string): SpanData {
  const span = spans.find((s) => s.name === name)
  if (!span) throw new Error(`no span ${name}`)
  return span
}

// Hand-made protobuf: a length-delimited field (lengths under 16,384) and a string field.
const varint = (n: number): number[] => (n < 0x80 ? [n] : [(n & 0x7f) | 0x80, n >> 7])
const field = (no: number, b: readonly number[]) => [no * 8 + 2, ...varint(b.length), ...b]
const text = (no: number, t: string) => field(no, [...Buffer.from(t)])

describe('OTLP decoding', () => {
  it('round-trips core spans through core’s OTLP JSON encoder unchanged', async () => {
    const original = [...(await chatTrace({ fail: true })), ...(await chatTrace())]
    const decoded = otlpToSpans(JSON.parse(encodeOtlpTraces(original)))
    expect(decoded).toHaveLength(original.length)
    for (const span of original) {
      const back = decoded.find((s) => s.spanId === span.spanId)!
      // JSON loses nothing but the sub-microsecond float noise of the nanosecond conversion.
      expect({ ...back, startTime: 0, endTime: 0, events: [] }).toEqual({
        ...JSON.parse(JSON.stringify(span)),
        startTime: 0,
        endTime: 0,
        events: [],
      })
      expect(back.startTime).toBeCloseTo(span.startTime, 3)
      expect(back.endTime).toBeCloseTo(span.endTime, 3)
      expect(back.events.map((e) => e.name)).toEqual(span.events.map((e) => e.name))
    }
    expect(byName(decoded, 'execute_tool weather').error?.stack).toContain(
      'weather service unreachable',
    )
  })

  it('reads the same spans from the OpenTelemetry SDK’s protobuf and JSON serializers', () => {
    const spans = otelSpans()
    const fromProto = otlpToSpans(
      decodeOtlpProtobuf(ProtobufTraceSerializer.serializeRequest(spans)!),
    )
    const fromJson = otlpToSpans(
      JSON.parse(new TextDecoder().decode(JsonTraceSerializer.serializeRequest(spans)!)),
    )
    expect(fromProto).toEqual(fromJson)
    expect(fromProto).toHaveLength(4)

    const root = byName(fromProto, 'POST /chat')
    const llm = byName(fromProto, 'chat gpt-4o')
    const tool = byName(fromProto, 'execute_tool search')
    expect(root.kind).toBe('http')
    expect(root.status).toBe('ok')
    expect(root.parentSpanId).toBeUndefined()
    expect(root.startTime).toBeCloseTo(1_700_000_000_123.456, 3)
    expect(root.resource).toEqual({
      serviceName: 'otel-app',
      attributes: expect.objectContaining({ 'deployment.environment': 'test' }),
    })
    expect(llm.kind).toBe('llm')
    expect(llm.parentSpanId).toBe(root.spanId)
    expect(llm.traceId).toBe(root.traceId)
    expect(llm.traceId).toMatch(/^[0-9a-f]{32}$/)
    expect(llm.endTime).toBeCloseTo(1_700_000_000_150.5, 3)
    expect(llm.attributes['gen_ai.usage.input_tokens']).toBe(10)
    expect(llm.attributes['gen_ai.request.temperature']).toBe(0.25)
    expect(llm.attributes['gen_ai.response.finish_reasons']).toEqual(['stop', 'length'])
    expect(llm.attributes['flags.list']).toEqual([true, false])
    expect(llm.attributes['big.int']).toBe(2 ** 40)
    expect(llm.events).toEqual([
      { name: 'first-token', time: 1_700_000_000_140, attributes: { index: 1 } },
    ])
    // No secrets in traces: credential keys and keys inside text are redacted at the door.
    expect(llm.attributes['http.request.header.authorization']).toBe('[REDACTED]')
    expect(llm.attributes.note).toBe('key [REDACTED] in text')
    expect(tool.kind).toBe('tool')
    expect(tool.status).toBe('error')
    expect(tool.error).toMatchObject({ type: 'RangeError', message: 'index out of range' })
    expect(tool.error?.stack).toContain('RangeError')
    expect(byName(fromProto, 'send job').kind).toBe('queue')
  })

  it('skips unknown protobuf fields, so newer senders still work', () => {
    const body = ProtobufTraceSerializer.serializeRequest(otelSpans())!
    // Field 99 (varint) and field 100 (length-delimited) appended at the top level.
    const extra = Uint8Array.from([0x98, 0x06, 0x2a, 0xa2, 0x06, 0x02, 0x68, 0x69])
    const padded = new Uint8Array(body.length + extra.length)
    padded.set(body)
    padded.set(extra, body.length)
    expect(otlpToSpans(decodeOtlpProtobuf(padded))).toHaveLength(4)
  })

  it('names the field and byte offset of malformed protobuf', () => {
    const body = ProtobufTraceSerializer.serializeRequest(otelSpans())!
    expect(() => decodeOtlpProtobuf(body.subarray(0, body.length - 7))).toThrow(
      /protobuf .* at byte \d+: (length \d+ runs past|truncated)/,
    )
    // Field 1 (resource_spans) sent as a varint instead of a message.
    expect(() => decodeOtlpProtobuf(Uint8Array.from([0x08, 0x01]))).toThrow(
      /resource_spans has wire type varint, expected length-delimited/,
    )
    // A 3-byte trace id inside an otherwise valid span.
    const span = [0x0a, 0x03, 1, 2, 3]
    const scope = [0x12, span.length, ...span]
    const resourceSpans = [0x12, scope.length, ...scope]
    expect(() =>
      decodeOtlpProtobuf(Uint8Array.from([0x0a, resourceSpans.length, ...resourceSpans])),
    ).toThrow(/trace_id must be 16 bytes, got 3/)
  })

  it('names the whole path of a bad value in protobuf, down through values, events and links', () => {
    // Hand-made bodies: a varint where a string belongs, at each depth the decoder reads.
    const bad = [0x08, 0x01]
    const keyValue = (key: string, value: number[]) => [...text(1, key), ...field(2, value)]
    const span = (attributes: number[][], rest: number[] = []) => [
      ...field(1, Array(16).fill(1)),
      ...field(2, Array(8).fill(2)),
      ...text(5, 'n'),
      ...attributes.flatMap((a) => field(9, a)),
      ...rest,
    ]
    const body = (spans: number[][], resource: number[][] = []) =>
      Buffer.from(
        field(1, [
          ...field(
            1,
            resource.flatMap((a) => field(1, a)),
          ),
          ...field(2, [...field(1, text(1, 'scope')), ...spans.flatMap((s) => field(2, s))]),
        ]),
      )
    const cases: [Buffer, string][] = [
      [
        body([span([]), span([keyValue('a', text(1, 'x')), keyValue('b', bad)])]),
        'resourceSpans[0].scopeSpans[0].spans[1].attributes[1].value',
      ],
      [
        body([span([keyValue('a', field(5, [...field(1, text(1, 'x')), ...field(1, bad)]))])]),
        'resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value.arrayValue.values[1]',
      ],
      [
        body([span([keyValue('a', field(6, field(1, keyValue('in', bad))))])]),
        'resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value.kvlistValue.values[0].value',
      ],
      [
        body([span([], field(11, [...text(2, 'event'), ...field(3, keyValue('e', bad))]))]),
        'resourceSpans[0].scopeSpans[0].spans[0].events[0].attributes[0].value',
      ],
      [
        body([
          span([], field(13, [...field(1, Array(16).fill(3)), ...field(4, keyValue('l', bad))])),
        ]),
        'resourceSpans[0].scopeSpans[0].spans[0].links[0].attributes[0].value',
      ],
      [
        body([span([])], [keyValue('service.name', bad)]),
        'resourceSpans[0].resource.attributes[0].value',
      ],
    ]
    for (const [bytes, path] of cases) {
      const escaped = path.replace(/[.[\]]/g, '\\$&')
      expect(() => decodeOtlpProtobuf(bytes)).toThrow(
        new RegExp(
          `^protobuf ${escaped} at byte \\d+: string_value has wire type varint, expected length-delimited$`,
        ),
      )
    }
  })

  it('reads a plain Uint8Array body as given: bytes values stay Uint8Arrays, text is decoded', () => {
    const span = [
      ...field(1, Array(16).fill(1)),
      ...field(2, Array(8).fill(2)),
      ...text(5, 'chat ünï'),
      ...field(9, [...text(1, 'blob'), ...field(2, field(7, [1, 2, 3]))]),
    ]
    const body = Uint8Array.from(field(1, field(2, field(2, span))))
    const request = decodeOtlpProtobuf(body)
    const decoded = request.resourceSpans![0]!.scopeSpans![0]!.spans![0]!
    expect(decoded.name).toBe('chat ünï')
    const bytes = decoded.attributes![0]!.value!.bytesValue as Uint8Array
    expect(Buffer.isBuffer(bytes)).toBe(false)
    expect([...bytes]).toEqual([1, 2, 3])
  })

  it('names the bad field of malformed OTLP JSON', () => {
    const good = JSON.parse(
      new TextDecoder().decode(JsonTraceSerializer.serializeRequest(otelSpans())!),
    )
    const mutate = (fn: (span: any) => void) => {
      const copy = structuredClone(good)
      fn(copy.resourceSpans[0].scopeSpans[0].spans[1])
      return copy
    }
    expect(() => otlpToSpans(mutate((s) => (s.traceId = 'AAECAwQFBgcICQoLDA0ODw==')))).toThrow(
      /resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[1\]\.traceId: expected 32 hex characters.*not base64/,
    )
    expect(() => otlpToSpans(mutate((s) => (s.spanId = '0000000000000000')))).toThrow(
      /spanId: an all-zero id/,
    )
    expect(() => otlpToSpans(mutate((s) => (s.startTimeUnixNano = 'soon')))).toThrow(
      /startTimeUnixNano: expected nanoseconds/,
    )
    expect(() => otlpToSpans(mutate((s) => (s.endTimeUnixNano = '1')))).toThrow(
      /is before startTimeUnixNano/,
    )
    expect(() => otlpToSpans(mutate((s) => (s.attributes = 'x')))).toThrow(
      /attributes: expected an array/,
    )
    // Paths are built only when something is wrong: each still names the whole place.
    const at = 'resourceSpans[0].scopeSpans[0].spans[1]'
    const bad = [
      [(s: any) => (s.parentSpanId = 'xyz'), `${at}.parentSpanId: expected 16 hex characters`],
      [(s: any) => (s.endTimeUnixNano = -1), `${at}.endTimeUnixNano: expected nanoseconds, got -1`],
      [(s: any) => (s.name = 7), `${at}.name: expected a string`],
      [
        (s: any) => {
          s.kind = 9
          s.attributes = []
        },
        `${at}.kind: expected a SpanKind number 0-5, got 9`,
      ],
      [(s: any) => (s.status = 'ok'), `${at}.status: expected an object`],
      [(s: any) => (s.status = { code: 7 }), `${at}.status.code: expected 0 (unset), 1 (ok) or 2`],
      [(s: any) => (s.events = {}), `${at}.events: expected an array, got object`],
      [(s: any) => (s.events = [{ timeUnixNano: 'x' }]), `${at}.events[0].timeUnixNano:`],
      [
        (s: any) => s.attributes.push({ key: '' }),
        `${at}.attributes[${good.resourceSpans[0].scopeSpans[0].spans[1].attributes.length}].key: expected a non-empty string`,
      ],
      [
        (s: any) => (s.attributes = [{ key: 'a', value: { intValue: '1.5' } }]),
        `${at}.attributes[0].value.intValue: expected an integer, got "1.5"`,
      ],
      [
        (s: any) => (s.attributes = [{ key: 'a', value: { arrayValue: { values: 3 } } }]),
        `${at}.attributes[0].value.arrayValue.values: expected an array, got number`,
      ],
    ] as const
    for (const [fn, message] of bad) expect(() => otlpToSpans(mutate(fn)), message).toThrow(message)
    // The span's own kind and status attributes set its kind and status and are not kept.
    const ours = otlpToSpans(
      mutate((s) => {
        s.kind = 1
        s.status = { code: 0 }
        s.attributes = [
          { key: 'tokentrail.span.kind', value: { stringValue: 'tool' } },
          { key: 'tokentrail.span.status', value: { stringValue: 'cancelled' } },
          { key: 'a', value: { intValue: 3 } },
        ]
      }),
    )[1]!
    expect([ours.kind, ours.status, ours.attributes]).toEqual(['tool', 'cancelled', { a: 3 }])
    expect(() => otlpToSpans({ resourceSpans: {} })).toThrow(/resourceSpans: expected an array/)
    expect(() => otlpToSpans([])).toThrow(/body: expected an ExportTraceServiceRequest/)
    expect(otlpToSpans({})).toEqual([])
  })
})
