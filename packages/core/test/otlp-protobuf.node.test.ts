import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { gunzipSync } from 'node:zlib'
import { context, SpanKind, SpanStatusCode, trace, ValueType } from '@opentelemetry/api'
import { ProtobufMetricsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  createTracer,
  type MetricsSnapshot,
  otlpExporter,
  otlpMetricsExporter,
  type Resource,
  type SpanData,
  TokentrailError,
} from '../src/index.js'
import { ProtobufWriter } from '../src/otlp/protobuf-writer.js'
import {
  encodeOtlpMetricsProtobuf,
  encodeOtlpTraces,
  encodeOtlpTracesProtobuf,
} from '../src/otlp.js'
import {
  EVENT,
  HISTOGRAM_POINT,
  METRIC,
  METRIC_DATA,
  METRICS_REQUEST,
  NUMBER_POINT,
  type OtlpAnyValue,
  type OtlpKeyValue,
  type ProtobufReader,
  REQUEST,
  readAttribute,
  readEnvelope,
  SPAN,
  STATUS,
} from '../src/otlp-protobuf.js'

// A decoder written against the schema module only: both our bytes and the official
// serializer's go through it, so a wrong field number or wire type in our encoder shows as a
// difference. Timestamps are compared to the microsecond (OTel's float maths adds noise below).
function plain(value: OtlpAnyValue | undefined): unknown {
  if (!value) return null
  if (value.stringValue !== undefined) return { s: value.stringValue }
  if (value.boolValue !== undefined) return { b: value.boolValue }
  if (value.intValue !== undefined) return { i: String(value.intValue) }
  if (value.doubleValue !== undefined) return { d: value.doubleValue }
  if (value.arrayValue) return { a: (value.arrayValue.values ?? []).map(plain) }
  return { other: Object.keys(value) }
}
const attrs = (list: OtlpKeyValue[]) => list.map((kv) => [kv.key, plain(kv.value)])
const micros = (nanos: bigint) => Number((nanos + 500n) / 1000n)

function decodeSpan(r: ProtobufReader) {
  const out: Record<string, unknown> = { attributes: [], events: [] }
  const attributes: OtlpKeyValue[] = []
  while (r.pos < r.end) {
    const [no, wire] = r.tag()
    if (no === SPAN.traceId.no) out.traceId = r.hex(16, 'trace_id')
    else if (no === SPAN.spanId.no) out.spanId = r.hex(8, 'span_id')
    else if (no === SPAN.parentSpanId.no) out.parentSpanId = r.hex(8, 'parent_span_id')
    else if (no === SPAN.traceState.no) out.traceState = r.string()
    else if (no === SPAN.name.no) out.name = r.string()
    else if (no === SPAN.kind.no) out.kind = r.varint()
    else if (no === SPAN.startTimeUnixNano.no) out.start = micros(r.fixed64())
    else if (no === SPAN.endTimeUnixNano.no) out.end = micros(r.fixed64())
    else if (no === SPAN.attributes.no) readAttribute(r, attributes, SPAN.attributes, wire)
    else if (no === SPAN.events.no) {
      const e = r.child('event')
      const event: Record<string, unknown> = {}
      const eventAttributes: OtlpKeyValue[] = []
      while (e.pos < e.end) {
        const [f, w] = e.tag()
        if (f === EVENT.timeUnixNano.no) event.time = micros(e.fixed64())
        else if (f === EVENT.name.no) event.name = e.string()
        else if (f === EVENT.attributes.no) readAttribute(e, eventAttributes, EVENT.attributes, w)
        else e.skip(w)
      }
      event.attributes = attrs(eventAttributes)
      ;(out.events as unknown[]).push(event)
    } else if (no === SPAN.status.no) {
      const s = r.child('status')
      const status: Record<string, unknown> = { code: 0 }
      while (s.pos < s.end) {
        const [f, w] = s.tag()
        if (f === STATUS.code.no) status.code = s.varint()
        else if (f === STATUS.message.no) status.message = s.string()
        else s.skip(w)
      }
      out.status = status
    } else r.skip(wire) // dropped counts (0), flags: optional, not written by us
  }
  out.attributes = attrs(attributes)
  return out
}

function decodeTraces(body: Uint8Array) {
  return readEnvelope(
    body,
    'ExportTraceServiceRequest',
    REQUEST.resourceSpans,
    { resource: 'resourceSpans', scope: 'scopeSpans', item: 'spans' },
    decodeSpan,
  ).map((entry) => ({
    resource: attrs(entry.resource?.attributes ?? []),
    scopes: entry.scopes,
  }))
}

const LONG = 'é'.repeat(70) + 'x'.repeat(20_000) // multi-byte, and past the writer's first buffer

function otelSpans(): ReadableSpan[] {
  const exporter = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      'service.name': 'chat-api',
      'deployment.environment': 'test',
      'service.instance.count': 3,
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
      attributes: { 'http.request.method': 'POST', 'tokentrail.span.kind': 'http' },
    },
    remote,
  )
  const llm = tracer.startSpan(
    'chat gpt-4o',
    {
      kind: SpanKind.CLIENT,
      startTime: 1_700_000_000_200.25,
      attributes: {
        string: 'gpt-4o',
        unicode: 'naïve ☃ 🚀',
        long: LONG,
        empty: '',
        int: 12,
        zero: 0,
        negative: -42,
        big: 2 ** 52,
        double: 0.7,
        negativeDouble: -1.5e-9,
        yes: true,
        no: false,
        strings: ['stop', '', 'ünï'],
        ints: [1, -2, 300],
        doubles: [0.5, 1.25],
        bools: [true, false],
        none: [],
        'tokentrail.span.kind': 'llm',
      },
    },
    trace.setSpan(context.active(), root),
  )
  llm.addEvent('first chunk', 1_700_000_000_300.125)
  llm.addEvent(
    'exception',
    { 'exception.type': 'APICallError', 'exception.message': 'rate "limited"\n', retries: 2 },
    1_700_000_000_900.5,
  )
  llm.setStatus({ code: SpanStatusCode.ERROR, message: 'rate "limited"\n' })
  llm.end(1_700_000_001_000.75)
  const tool = tracer.startSpan(
    'execute_tool weather',
    {
      startTime: 1_700_000_001_001,
      attributes: { 'tokentrail.span.kind': 'tool', 'tokentrail.span.status': 'cancelled' },
    },
    trace.setSpan(context.active(), root),
  )
  tool.end(1_700_000_001_002)
  root.end(1_700_000_001_123.456)
  return exporter.getFinishedSpans()
}

function ourSpans(otel: ReadableSpan[]): SpanData[] {
  const resource: Resource = {
    serviceName: 'chat-api',
    attributes: { 'deployment.environment': 'test', 'service.instance.count': 3 },
  }
  return otel.map((span): SpanData => {
    const attributes = { ...span.attributes } as SpanData['attributes']
    const kind = (attributes['tokentrail.span.kind'] as SpanData['kind']) ?? 'internal'
    const cancelled = attributes['tokentrail.span.status'] === 'cancelled'
    delete attributes['tokentrail.span.kind']
    delete attributes['tokentrail.span.status']
    const ms = ([s, ns]: [number, number]) => s * 1000 + ns / 1e6
    return {
      resource,
      traceId: span.spanContext().traceId,
      spanId: span.spanContext().spanId,
      parentSpanId: span.parentSpanContext?.spanId,
      name: span.name,
      kind,
      startTime: ms(span.startTime),
      endTime: ms(span.endTime),
      status: cancelled ? 'cancelled' : span.status.code === 2 ? 'error' : 'ok',
      error: span.status.message ? { type: 'Error', message: span.status.message } : undefined,
      attributes,
      events: span.events.map((e) => ({
        name: e.name,
        time: ms(e.time),
        ...(e.attributes ? { attributes: e.attributes as SpanData['attributes'] } : {}),
      })),
    }
  })
}

const servers: Server[] = []
afterEach(async () => {
  vi.unstubAllEnvs()
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

async function receiver(answer: (request: IncomingMessage) => Uint8Array = () => new Uint8Array()) {
  const received: { headers: IncomingMessage['headers']; body: Buffer }[] = []
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (c) => chunks.push(c))
    request.on('end', () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks) })
      response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(answer(request))
    })
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}`, received }
}

describe('OTLP/HTTP protobuf encoding', () => {
  it('decodes equal to the official OpenTelemetry JS protobuf serializer for the same spans', () => {
    const otel = otelSpans()
    const expected = decodeTraces(ProtobufTraceSerializer.serializeRequest(otel)!)
    const actual = decodeTraces(encodeOtlpTracesProtobuf(ourSpans(otel)))
    expect(actual).toEqual(expected)
    // The fixture really covers what it claims: every value type, events, every status (a span
    // that did not fail is Unset, as an OpenTelemetry instrumentation leaves it).
    const spans = actual[0]!.scopes[0]!.items
    expect(actual[0]!.scopes[0]!.scope).toEqual({ name: '@tokentrail/core', version: '0.1.0' })
    expect(spans.map((s) => (s.status as { code: number }).code).sort()).toEqual([0, 0, 2])
    const llm = spans.find((s) => s.name === 'chat gpt-4o')!
    expect(JSON.stringify(llm.attributes)).toContain('"i":"-42"')
    expect((llm.events as unknown[]).length).toBe(2)
  })

  it('writes the same bytes into a reused writer, across every length a varint changes size at', () => {
    // The exporter's path: one writer kept across batches, the spans written first and the
    // ResourceSpans and ScopeSpans lengths put in front of them afterwards.
    const base = ourSpans(otelSpans())
    const frozen: Resource = Object.freeze({
      serviceName: 'chat-api',
      attributes: Object.freeze({ 'deployment.environment': 'test' }),
    })
    const writer = new ProtobufWriter(64)
    const lengths = [
      0, 1, 40, 100, 127, 128, 200, 16_300, 16_383, 16_384, 16_500, 70_000, 2_097_100,
    ]
    for (const resource of [base[0]!.resource, frozen])
      for (const length of lengths)
        for (const count of [1, 3]) {
          const spans = base.slice(0, count).map((span, i) => ({
            ...span,
            resource,
            attributes: { ...span.attributes, big: 'é'.repeat(i) + 'x'.repeat(length) },
          }))
          const into = encodeOtlpTracesProtobuf(spans, undefined, writer)
          const alone = encodeOtlpTracesProtobuf(spans)
          expect(Buffer.from(into).equals(Buffer.from(alone)), `${length} x ${count}`).toBe(true)
          expect(decodeTraces(into)[0]!.scopes[0]!.items).toHaveLength(count)
        }
    // An empty batch, and spans of two resources (written the usual way), into the same writer.
    expect(encodeOtlpTracesProtobuf([], undefined, writer)).toEqual(encodeOtlpTracesProtobuf([]))
    const two = [base[0]!, { ...base[1]!, resource: frozen }]
    expect(Buffer.from(encodeOtlpTracesProtobuf(two, undefined, writer))).toEqual(
      Buffer.from(encodeOtlpTracesProtobuf(two)),
    )
  })

  it('carries the same fields as the JSON encoding', () => {
    const spans = ourSpans(otelSpans())
    const json = JSON.parse(encodeOtlpTraces(spans)).resourceSpans[0].scopeSpans[0].spans
    const proto = decodeTraces(encodeOtlpTracesProtobuf(spans))[0]!.scopes[0]!.items
    expect(proto.map((s) => s.spanId)).toEqual(json.map((s: { spanId: string }) => s.spanId))
    expect(proto.map((s) => (s.attributes as unknown[]).length)).toEqual(
      json.map((s: { attributes: unknown[] }) => s.attributes.length),
    )
  })

  it('encodes metrics decode-equal to the official serializer', async () => {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })
    const provider = new MeterProvider({
      resource: resourceFromAttributes({ 'service.name': 'chat-api' }),
      readers: [reader],
    })
    const meter = provider.getMeter('@tokentrail/core', '0.1.0')
    const calls = meter.createCounter('tokentrail.llm.calls', {
      description: 'calls',
      unit: '{call}',
      valueType: ValueType.INT,
    })
    calls.add(3, { 'gen_ai.request.model': 'gpt-4o' })
    const duration = meter.createHistogram('gen_ai.client.operation.duration', {
      description: 'duration',
      unit: 's',
      advice: { explicitBucketBoundaries: [0.1, 1] },
    })
    duration.record(0.5, { 'gen_ai.request.model': 'gpt-4o' })
    duration.record(2, { 'gen_ai.request.model': 'gpt-4o' })
    await reader.forceFlush()
    const theirs = ProtobufMetricsSerializer.serializeRequest(exporter.getMetrics()[0]!)!
    const snapshot: MetricsSnapshot = {
      resource: { serviceName: 'chat-api', attributes: {} },
      startTime: 1_700_000_000_000,
      time: 1_700_000_060_000,
      metrics: [
        {
          type: 'sum',
          name: 'tokentrail.llm.calls',
          description: 'calls',
          unit: '{call}',
          isInteger: true,
          points: [{ attributes: { 'gen_ai.request.model': 'gpt-4o' }, value: 3 }],
        },
        {
          type: 'histogram',
          name: 'gen_ai.client.operation.duration',
          description: 'duration',
          unit: 's',
          boundaries: [0.1, 1],
          points: [
            {
              attributes: { 'gen_ai.request.model': 'gpt-4o' },
              count: 2,
              sum: 2.5,
              min: 0.5,
              max: 2,
              bucketCounts: [0, 1, 1],
            },
          ],
        },
      ],
    }
    const decodeMetrics = (body: Uint8Array) =>
      readEnvelope(
        body,
        'ExportMetricsServiceRequest',
        METRICS_REQUEST.resourceMetrics,
        { resource: 'resourceMetrics', scope: 'scopeMetrics', item: 'metrics' },
        (r) => {
          const out: Record<string, unknown> = {}
          while (r.pos < r.end) {
            const [no, wire] = r.tag()
            if (no === METRIC.name.no) out.name = r.string()
            else if (no === METRIC.unit.no) out.unit = r.string()
            else if (no === METRIC.description.no) out.description = r.string()
            else if (no === METRIC.sum.no || no === METRIC.histogram.no) {
              const data = r.child('data')
              const points: unknown[] = []
              while (data.pos < data.end) {
                const [f, w] = data.tag()
                if (f === METRIC_DATA.aggregationTemporality.no) out.temporality = data.varint()
                else if (f === METRIC_DATA.isMonotonic.no) out.monotonic = data.varint()
                else if (f === METRIC_DATA.dataPoints.no) {
                  const p = data.child('point')
                  const point: Record<string, unknown> = {}
                  const list: OtlpKeyValue[] = []
                  const histogram = no === METRIC.histogram.no
                  while (p.pos < p.end) {
                    const [pf, pw] = p.tag()
                    if (histogram && pf === HISTOGRAM_POINT.attributes.no)
                      readAttribute(p, list, HISTOGRAM_POINT.attributes, pw)
                    else if (!histogram && pf === NUMBER_POINT.attributes.no)
                      readAttribute(p, list, NUMBER_POINT.attributes, pw)
                    else if (!histogram && pf === NUMBER_POINT.asInt.no) point.asInt = p.fixed64()
                    else if (histogram && pf === HISTOGRAM_POINT.count.no) point.count = p.fixed64()
                    else if (histogram && pf === HISTOGRAM_POINT.sum.no) point.sum = p.double()
                    else if (histogram && pf === HISTOGRAM_POINT.min.no) point.min = p.double()
                    else if (histogram && pf === HISTOGRAM_POINT.max.no) point.max = p.double()
                    else if (histogram && pf === HISTOGRAM_POINT.bucketCounts.no) {
                      const packed = p.child('bucket_counts')
                      const counts: bigint[] = []
                      while (packed.pos < packed.end) counts.push(packed.fixed64())
                      point.bucketCounts = counts
                    } else if (histogram && pf === HISTOGRAM_POINT.explicitBounds.no) {
                      const packed = p.child('explicit_bounds')
                      const bounds: number[] = []
                      while (packed.pos < packed.end) bounds.push(packed.double())
                      point.bounds = bounds
                    } else p.skip(pw) // times differ by design (different clocks)
                  }
                  point.attributes = attrs(list)
                  points.push(point)
                } else data.skip(w)
              }
              out.points = points
            } else r.skip(wire)
          }
          return out
        },
      ).map((entry) => entry.scopes.flatMap((s) => s.items))
    expect(decodeMetrics(encodeOtlpMetricsProtobuf(snapshot))).toEqual(decodeMetrics(theirs))
    await provider.shutdown()
  })
})

describe('otlpExporter protocol selection', () => {
  it('sends application/x-protobuf to a real server with OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf', async () => {
    const server = await receiver()
    vi.stubEnv('OTEL_EXPORTER_OTLP_PROTOCOL', 'http/protobuf')
    const tracer = createTracer({
      serviceName: 'proto',
      exporters: [otlpExporter({ url: `${server.url}/v1/traces` })],
    })
    tracer
      .startSpan('chat gpt-4o', { kind: 'llm', attributes: { 'gen_ai.usage.input_tokens': 5 } })
      .end()
    await tracer.flush()
    expect(server.received).toHaveLength(1)
    const { headers, body } = server.received[0]!
    expect(headers['content-type']).toBe('application/x-protobuf')
    const spans = decodeTraces(new Uint8Array(body))[0]!.scopes[0]!.items
    expect(spans.map((s) => s.name)).toEqual(['chat gpt-4o'])
  })

  it('the traces variable wins over the general one, and the option over both', async () => {
    vi.stubEnv('OTEL_EXPORTER_OTLP_PROTOCOL', 'http/json')
    vi.stubEnv('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'http/protobuf')
    const fromEnv = otlpExporter({ url: 'http://127.0.0.1:1/v1/traces' }) as unknown as {
      protocol: string
    }
    expect(fromEnv.protocol).toBe('http/protobuf')
    const fromOption = otlpExporter({
      url: 'http://127.0.0.1:1/v1/traces',
      protocol: 'http/json',
    }) as unknown as { protocol: string }
    expect(fromOption.protocol).toBe('http/json')
  })

  it('refuses grpc and unknown values with what to use instead', () => {
    vi.stubEnv('OTEL_EXPORTER_OTLP_PROTOCOL', 'grpc')
    expect(() => otlpExporter({ url: 'http://127.0.0.1:1' })).toThrow(TokentrailError)
    expect(() => otlpExporter({ url: 'http://127.0.0.1:1' })).toThrow(
      'OTEL_EXPORTER_OTLP_PROTOCOL must be "http/protobuf" or "http/json", got "grpc" (gRPC is not supported: use http/protobuf)',
    )
    // From env alone, createTracer refuses it at start-up too, naming the variable.
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', 'http://127.0.0.1:1')
    expect(() => createTracer()).toThrow(/OTEL_EXPORTER_OTLP_PROTOCOL must be "http\/protobuf"/)
    vi.unstubAllEnvs()
    vi.stubEnv('OTEL_EXPORTER_OTLP_COMPRESSION', 'brotli')
    expect(() => otlpExporter({ url: 'http://127.0.0.1:1' })).toThrow(
      'OTEL_EXPORTER_OTLP_COMPRESSION must be "gzip" or "none", got "brotli"',
    )
  })

  it('reads the protocol and compression variables regardless of case, as OpenTelemetry reads enums', async () => {
    const server = await receiver()
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', server.url)
    vi.stubEnv('OTEL_EXPORTER_OTLP_PROTOCOL', 'HTTP/PROTOBUF')
    vi.stubEnv('OTEL_EXPORTER_OTLP_COMPRESSION', 'GZIP')
    const tracer = createTracer({ serviceName: 'upper', metrics: false })
    tracer.startSpan('chat gpt-4o').end()
    expect((await tracer.flush()).ok).toBe(true)
    expect(server.received[0]!.headers['content-type']).toBe('application/x-protobuf')
    expect(server.received[0]!.headers['content-encoding']).toBe('gzip')
    const spans = decodeTraces(new Uint8Array(gunzipSync(server.received[0]!.body)))
    expect(spans[0]!.scopes[0]!.items[0]!.name).toBe('chat gpt-4o')
    await tracer.shutdown()
  })

  it('gzips protobuf and JSON with OTEL_EXPORTER_OTLP_COMPRESSION=gzip, and the bytes round-trip', async () => {
    const server = await receiver()
    vi.stubEnv('OTEL_EXPORTER_OTLP_COMPRESSION', 'gzip')
    for (const protocol of ['http/protobuf', 'http/json'] as const) {
      const tracer = createTracer({
        serviceName: 'gz',
        exporters: [otlpExporter({ url: `${server.url}/v1/traces`, protocol })],
      })
      tracer.startSpan('chat gpt-4o', { kind: 'llm', attributes: { long: LONG } }).end()
      await tracer.flush()
    }
    expect(server.received.map((r) => r.headers['content-encoding'])).toEqual(['gzip', 'gzip'])
    const [proto, json] = server.received.map((r) => gunzipSync(r.body))
    expect(decodeTraces(new Uint8Array(proto!))[0]!.scopes[0]!.items[0]!.attributes).toEqual([
      ['long', { s: LONG }],
      ['tokentrail.span.kind', { s: 'llm' }],
    ])
    expect(JSON.parse(json!.toString()).resourceSpans[0].scopeSpans[0].spans[0].name).toBe(
      'chat gpt-4o',
    )
    expect(server.received[0]!.body.length).toBeLessThan(proto!.length / 10)
  })

  it('reads partial_success from a protobuf answer', async () => {
    // ExportTraceServiceResponse { partial_success { rejected_spans: 1, error_message: "too old" } }
    const message = new TextEncoder().encode('too old')
    const answer = new Uint8Array([
      0x0a,
      4 + message.length,
      0x08,
      1,
      0x12,
      message.length,
      ...message,
    ])
    const server = await receiver(() => answer)
    const exporter = otlpExporter({ url: `${server.url}/v1/traces`, protocol: 'http/protobuf' })
    const tracer = createTracer({ serviceName: 'p', exporters: [exporter] })
    tracer.startSpan('a').end()
    const result = await exporter.export([], new AbortController().signal)
    expect(result).toEqual({ code: 'success', rejected: 1, message: 'too old' })
    await tracer.shutdown()
  })

  it('counts and says a protobuf partial_success whose bytes pass 0x7f (a count ≥ 128, a long or non-ASCII message)', async () => {
    // As a Collector answers: varints of two bytes for the count and the lengths, UTF-8 text.
    const varint = (n: number) => (n < 128 ? [n] : [(n & 0x7f) | 0x80, n >> 7])
    const text = `${'span timestamps are too far in the past for this tenant; '.repeat(3)}— übersprungen`
    const message = new TextEncoder().encode(text)
    const inner = [0x08, ...varint(300), 0x12, ...varint(message.length), ...message]
    const answer = new Uint8Array([0x0a, ...varint(inner.length), ...inner])
    const server = await receiver(() => answer)
    const warnings: string[] = []
    const tracer = createTracer({
      serviceName: 'p',
      warnings: (line) => warnings.push(line),
      metrics: false,
      exporters: [otlpExporter({ url: `${server.url}/v1/traces`, protocol: 'http/protobuf' })],
    })
    for (let i = 0; i < 400; i++) tracer.startSpan(`s${i}`).end()
    const flushed = await tracer.flush()
    expect(server.received).toHaveLength(1)
    expect(tracer.stats()).toMatchObject({ exported: 100, rejected: 300 })
    expect(flushed.ok).toBe(false)
    expect(flushed.reason).toContain('300')
    expect(warnings.join('\n')).toContain('rejected 300 of 400 spans')
    expect(warnings.join('\n')).toContain('übersprungen')
    await tracer.shutdown()
  })

  it('reads a JSON partial_success sent back to a protobuf request', async () => {
    const json = '{"partialSuccess":{"rejectedSpans":"2","errorMessage":"dropped by filter"}}'
    const server = await receiver(() => new TextEncoder().encode(json))
    const exporter = otlpExporter({ url: `${server.url}/v1/traces`, protocol: 'http/protobuf' })
    const result = await exporter.export([], new AbortController().signal)
    expect(result).toEqual({ code: 'success', rejected: 2, message: 'dropped by filter' })
  })

  it('sends metrics as protobuf with OTEL_EXPORTER_OTLP_METRICS_PROTOCOL', async () => {
    const server = await receiver()
    vi.stubEnv('OTEL_EXPORTER_OTLP_METRICS_PROTOCOL', 'http/protobuf')
    const exporter = otlpMetricsExporter({ url: `${server.url}/v1/metrics` })
    await exporter.export(
      {
        resource: { serviceName: 'm', attributes: {} },
        startTime: 1,
        time: 2,
        metrics: [
          {
            type: 'sum',
            name: 'tokentrail.llm.calls',
            description: '',
            unit: '',
            isInteger: true,
            points: [{ attributes: {}, value: 7 }],
          },
        ],
      },
      new AbortController().signal,
    )
    expect(server.received[0]!.headers['content-type']).toBe('application/x-protobuf')
    const body = new Uint8Array(server.received[0]!.body)
    const names = readEnvelope(
      body,
      'ExportMetricsServiceRequest',
      METRICS_REQUEST.resourceMetrics,
      { resource: 'r', scope: 's', item: 'm' },
      (r) => {
        let name = ''
        while (r.pos < r.end) {
          const [no, wire] = r.tag()
          if (no === METRIC.name.no) name = r.string()
          else r.skip(wire)
        }
        return name
      },
    )
    expect(names[0]!.scopes[0]!.items).toEqual(['tokentrail.llm.calls'])
  })
})
