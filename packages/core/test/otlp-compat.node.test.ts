import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer'
import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import { describe, expect, it } from 'vitest'
import type { Resource, SpanData } from '../src/index.js'
import { encodeOtlpTraces, msToNanos } from '../src/otlp.js'

// Makes OTel's output and ours comparable: 64-bit ints as strings, timestamps to the microsecond
// (OTel's float maths adds noise below that), key order, and the optional `flags` field.
function normalize(value: unknown, key?: string): unknown {
  if (Array.isArray(value)) return value.map((v) => normalize(v))
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const k of Object.keys(value).sort()) {
      if (k === 'flags') continue
      out[k] = normalize((value as Record<string, unknown>)[k], k)
    }
    return out
  }
  if (key === 'intValue') return String(value)
  if (key?.endsWith('UnixNano')) return String(value).slice(0, -3)
  return value
}

function otelSpans(): ReadableSpan[] {
  const exporter = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      'service.name': 'chat-api',
      'deployment.environment': 'test',
    }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  })
  const tracer = provider.getTracer('@tokentrail/core', '0.1.0')
  const remote = trace.setSpanContext(context.active(), {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags: 1,
    isRemote: true,
  })
  const root = tracer.startSpan(
    'POST /api/chat',
    {
      kind: SpanKind.SERVER,
      startTime: 1_700_000_000_123.456,
      attributes: {
        'http.request.method': 'POST',
        'http.response.status_code': 200,
        'tokentrail.span.kind': 'http',
      },
    },
    remote,
  )
  const llm = tracer.startSpan(
    'chat gpt-4o',
    {
      kind: SpanKind.CLIENT,
      startTime: 1_700_000_000_200.25,
      attributes: {
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.usage.input_tokens': 12,
        'gen_ai.request.temperature': 0.7,
        'gen_ai.request.stream': true,
        'gen_ai.response.finish_reasons': ['stop'],
        'gen_ai.request.stop_sequences': ['\n', 'END'],
        'tokentrail.span.kind': 'llm',
      },
    },
    trace.setSpan(context.active(), root),
  )
  llm.addEvent(
    'exception',
    { 'exception.type': 'APICallError', 'exception.message': 'rate "limited"\n' },
    1_700_000_000_900.5,
  )
  llm.setStatus({ code: SpanStatusCode.ERROR, message: 'rate "limited"\n' })
  llm.end(1_700_000_001_000.75)
  root.end(1_700_000_001_123.456)
  return exporter.getFinishedSpans()
}

function ourSpans(otel: ReadableSpan[]): SpanData[] {
  const resource: Resource = {
    serviceName: 'chat-api',
    attributes: { 'deployment.environment': 'test' },
  }
  const [llm, root] = otel
  const common = { resource, traceId: root!.spanContext().traceId }
  const rootData: SpanData = {
    ...common,
    spanId: root!.spanContext().spanId,
    parentSpanId: 'b7ad6b7169203331',
    name: 'POST /api/chat',
    kind: 'http',
    startTime: 1_700_000_000_123.456,
    endTime: 1_700_000_001_123.456,
    status: 'ok',
    attributes: { 'http.request.method': 'POST', 'http.response.status_code': 200 },
    events: [],
  }
  const llmData: SpanData = {
    ...common,
    spanId: llm!.spanContext().spanId,
    parentSpanId: root!.spanContext().spanId,
    name: 'chat gpt-4o',
    kind: 'llm',
    startTime: 1_700_000_000_200.25,
    endTime: 1_700_000_001_000.75,
    status: 'error',
    error: { type: 'APICallError', message: 'rate "limited"\n' },
    attributes: {
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.usage.input_tokens': 12,
      'gen_ai.request.temperature': 0.7,
      'gen_ai.request.stream': true,
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.request.stop_sequences': ['\n', 'END'],
    },
    events: [
      {
        name: 'exception',
        time: 1_700_000_000_900.5,
        attributes: { 'exception.type': 'APICallError', 'exception.message': 'rate "limited"\n' },
      },
    ],
  }
  return [llmData, rootData]
}

describe('OTLP/HTTP JSON encoding', () => {
  it('matches the official OpenTelemetry JS serializer for equivalent spans', () => {
    const otel = otelSpans()
    const expected = JSON.parse(
      new TextDecoder().decode(JsonTraceSerializer.serializeRequest(otel)),
    )
    const actual = JSON.parse(encodeOtlpTraces(ourSpans(otel)))
    expect(normalize(actual)).toEqual(normalize(expected))
  })

  it('writes nanosecond timestamps as exact decimal strings', () => {
    expect(msToNanos(1_700_000_000_123.456)).toBe('1700000000123456000')
    expect(msToNanos(1_700_000_000_000)).toBe('1700000000000000000')
    expect(msToNanos(1_700_000_000_000 + 0.9999)).toBe('1700000000001000000')
    expect(msToNanos(0.5)).toBe('500000')
  })

  it('keeps Tokentrail kinds and the cancelled status, which OTLP lacks, as attributes', () => {
    const span: SpanData = {
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      name: 'tool',
      kind: 'tool',
      startTime: 1,
      endTime: 2,
      status: 'cancelled',
      attributes: { big: 2 ** 60, unsafe: Number.MAX_SAFE_INTEGER + 1 },
      events: [],
      resource: { serviceName: 's', attributes: {} },
    }
    const encoded = JSON.parse(encodeOtlpTraces([span])).resourceSpans[0].scopeSpans[0].spans[0]
    expect(encoded.kind).toBe(1)
    expect(encoded.status).toEqual({ code: 0 })
    expect(encoded.attributes).toEqual([
      { key: 'big', value: { doubleValue: 2 ** 60 } },
      { key: 'unsafe', value: { doubleValue: 2 ** 53 } },
      { key: 'tokentrail.span.kind', value: { stringValue: 'tool' } },
      { key: 'tokentrail.span.status', value: { stringValue: 'cancelled' } },
    ])
  })
})
