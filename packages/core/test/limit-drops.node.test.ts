// Attributes and events a span refuses at its limit (`limits.maxAttributes`) are counted on the
// span, sent as OTLP's droppedAttributesCount / droppedEventsCount (JSON and protobuf, decoded by a
// real HTTP receiver here), counted in tracer.stats().limits, and said once per tracer before the
// flush or shutdown that follows resolves.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import { afterEach, describe, expect, it } from 'vitest'
import {
  createTracer,
  otlpExporter,
  type Span,
  type SpanData,
  type TracerOptions,
} from '../src/index.js'
import { setTrustedAttributes } from '../src/internal.js'
import { encodeOtlpTraces, encodeOtlpTracesProtobuf } from '../src/otlp.js'
import { EVENT, type ProtobufReader, REQUEST, readEnvelope, SPAN } from '../src/otlp-protobuf.js'
import { memoryExporter } from '../src/testing.js'

const servers: Server[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

interface Received {
  name: string
  attributes: number
  droppedAttributesCount: number
  events: { name: string; droppedAttributesCount: number }[]
  droppedEventsCount: number
}

// A span as the receiver reads it from protobuf: absent counts are proto3 zeros.
function protobufSpan(r: ProtobufReader): Received {
  const out: Received = {
    name: '',
    attributes: 0,
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
  }
  while (r.pos < r.end) {
    const [no, wire] = r.tag()
    if (no === SPAN.name.no) out.name = r.string()
    else if (no === SPAN.attributes.no) {
      out.attributes++
      r.skip(wire)
    } else if (no === SPAN.droppedAttributesCount.no) out.droppedAttributesCount = r.varint()
    else if (no === SPAN.droppedEventsCount.no) out.droppedEventsCount = r.varint()
    else if (no === SPAN.events.no) {
      const e = r.child('event')
      const event = { name: '', droppedAttributesCount: 0 }
      while (e.pos < e.end) {
        const [f, w] = e.tag()
        if (f === EVENT.name.no) event.name = e.string()
        else if (f === EVENT.droppedAttributesCount.no) event.droppedAttributesCount = e.varint()
        else e.skip(w)
      }
      out.events.push(event)
    } else r.skip(wire)
  }
  return out
}

// A real OTLP/HTTP receiver decoding JSON and protobuf bodies into `Received` spans.
async function receiver() {
  const spans: Received[] = []
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const body = Buffer.concat(chunks)
      if (request.headers['content-type'] === 'application/x-protobuf') {
        const bytes = new Uint8Array(body.buffer, body.byteOffset, body.byteLength)
        for (const entry of readEnvelope(
          bytes,
          'ExportTraceServiceRequest',
          REQUEST.resourceSpans,
          { resource: 'resourceSpans', scope: 'scopeSpans', item: 'spans' },
          protobufSpan,
        ))
          for (const scope of entry.scopes) spans.push(...scope.items)
      } else {
        for (const resource of JSON.parse(body.toString('utf8')).resourceSpans)
          for (const scope of resource.scopeSpans)
            for (const span of scope.spans)
              spans.push({
                name: span.name,
                attributes: span.attributes.length,
                droppedAttributesCount: span.droppedAttributesCount,
                events: span.events.map((e: Received['events'][number]) => ({
                  name: e.name,
                  droppedAttributesCount: e.droppedAttributesCount,
                })),
                droppedEventsCount: span.droppedEventsCount,
              })
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`, spans }
}

// Every way attributes and events reach a span, on a span with room for 3 of each.
function fillPastLimits(span: Span) {
  span.setAttribute('a', 1) // a, b, c from the start options
  span.setAttribute('d', 4) // refused: 1
  span.setAttributes({ b: 'two', e: 5, f: 6 }) // b overwritten; e, f refused: 3
  setTrustedAttributes(span, { c: 3, g: 7 }) // c overwritten; g refused: 4
  setTrustedAttributes(span, { h: 8, i: [1, 2] }) // refused: 6
  span.addEvent('one')
  span.addEvent('two', { at: 2 })
  span.addEvent('three')
  span.addEvent('four') // refused: 1
  span.recordError(new Error('boom')) // its exception event refused: 2
}

async function traced(
  options: Partial<TracerOptions>,
  protocol: 'http/json' | 'http/protobuf' = 'http/json',
) {
  const sink = await receiver()
  const warnings: string[] = []
  const memory = memoryExporter()
  const tracer = createTracer({
    exporters: [otlpExporter({ url: sink.url, protocol }), memory],
    limits: { maxAttributes: 3 },
    metrics: false,
    warnings: (message) => warnings.push(message),
    ...options,
  })
  return { tracer, sink, warnings, memory }
}

describe('attributes and events dropped at a span’s limits', () => {
  for (const protocol of ['http/json', 'http/protobuf'] as const)
    it(`are counted on the span and sent as OTLP dropped counts (${protocol})`, async () => {
      const { tracer, sink, memory } = await traced({}, protocol)
      const span = tracer.startSpan('chat', { attributes: { a: 0, b: 2, c: 3, z: 26 } })
      fillPastLimits(span) // z, refused at the start, is the 7th attribute
      span.end()
      tracer.startSpan('fine', { attributes: { a: 1, b: 2, c: 3 } }).end()
      const result = await tracer.flush()
      expect(result.ok).toBe(true)

      const chat = sink.spans.find((s) => s.name === 'chat')!
      expect(chat.attributes).toBe(3)
      expect(chat.droppedAttributesCount).toBe(7)
      expect(chat.events.map((e) => e.name)).toEqual(['one', 'two', 'three'])
      expect(chat.events.map((e) => e.droppedAttributesCount)).toEqual([0, 0, 0])
      expect(chat.droppedEventsCount).toBe(2)
      const fine = sink.spans.find((s) => s.name === 'fine')!
      expect(fine.droppedAttributesCount).toBe(0)
      expect(fine.droppedEventsCount).toBe(0)

      // The span data a user reads carries the same counts, under the same names; a span that
      // dropped nothing has neither key.
      const data = memory.span('chat')
      expect(data.attributes).toEqual({ a: 1, b: 'two', c: 3 })
      expect(data.droppedAttributesCount).toBe(7)
      expect(data.droppedEventsCount).toBe(2)
      expect(data.error?.message).toBe('boom')
      expect('droppedAttributesCount' in memory.span('fine')).toBe(false)
      expect('droppedEventsCount' in memory.span('fine')).toBe(false)

      expect(tracer.stats().limits).toEqual({ attributesDropped: 7, eventsDropped: 2 })
      await tracer.shutdown()
    })

  it('are said once per tracer, naming the span, the counts and the option, before flush resolves', async () => {
    const { tracer, warnings } = await traced({})
    const first = tracer.startSpan('retrieve docs', { attributes: { a: 1, b: 2, c: 3, d: 4 } })
    first.addEvent('1').addEvent('2').addEvent('3').addEvent('4')
    first.end()
    tracer.startSpan('again', { attributes: { a: 1, b: 2, c: 3, d: 4, e: 5 } }).end()
    await tracer.flush()
    const said = warnings.filter((line) => line.includes('limits.maxAttributes'))
    expect(said).toEqual([
      'span "retrieve docs" dropped 1 attribute and 1 event: a span keeps at most 3 attributes and 3 events (limits.maxAttributes). A larger limits.maxAttributes keeps more; tracer.stats().limits counts them, and exported spans carry droppedAttributesCount and droppedEventsCount.',
    ])
    // Later drops are counted, not said again.
    tracer.startSpan('third', { attributes: { a: 1, b: 2, c: 3, d: 4 } }).end()
    await tracer.flush()
    expect(warnings.filter((line) => line.includes('limits.maxAttributes'))).toHaveLength(1)
    expect(tracer.stats().limits).toEqual({ attributesDropped: 4, eventsDropped: 1 })
    await tracer.shutdown()
  })

  it('are said before shutdown resolves, also with nothing else to say', async () => {
    const { tracer, warnings } = await traced({})
    tracer.startSpan('late tool', { attributes: { a: 1, b: 2, c: 3, d: 4, e: 5 } }).end()
    await tracer.shutdown()
    expect(warnings).toEqual([
      expect.stringMatching(/^span "late tool" dropped 2 attributes: .*limits\.maxAttributes/),
    ])
  })

  it('are not said, nor counted, when nothing is dropped: overwriting a key is no drop', async () => {
    const { tracer, warnings, sink } = await traced({})
    const span = tracer.startSpan('full', { attributes: { a: 1, b: 2, c: 3 } })
    span.setAttribute('a', 10).setAttributes({ b: 20, c: 30 })
    setTrustedAttributes(span, { a: 100, c: 300 })
    span.addEvent('1').addEvent('2').addEvent('3')
    span.end()
    await tracer.flush()
    expect(warnings).toEqual([])
    expect(tracer.stats().limits).toEqual({ attributesDropped: 0, eventsDropped: 0 })
    expect(sink.spans[0]).toMatchObject({ droppedAttributesCount: 0, droppedEventsCount: 0 })
    await tracer.shutdown()
  })

  it('are still counted and sent with warnings off', async () => {
    const { tracer, sink } = await traced({ warnings: false })
    tracer.startSpan('quiet', { attributes: { a: 1, b: 2, c: 3, d: 4 } }).end()
    await tracer.flush()
    expect(sink.spans[0]!.droppedAttributesCount).toBe(1)
    expect(tracer.stats().limits.attributesDropped).toBe(1)
    await tracer.shutdown()
  })

  it('keep the limit on the start attributes of a trusted first write', async () => {
    const { tracer, memory } = await traced({})
    const span = tracer.startSpan('trusted')
    // Too many for the span to adopt the object: the first three are kept, the rest counted.
    setTrustedAttributes(span, { a: 1, b: 2, c: 3, d: 4, e: 5 })
    span.end()
    await tracer.flush()
    expect(memory.span('trusted').attributes).toEqual({ a: 1, b: 2, c: 3 })
    expect(memory.span('trusted').droppedAttributesCount).toBe(2)
    await tracer.shutdown()
  })
})

describe('dropped counts a span brings from elsewhere', () => {
  it('encode as the official OpenTelemetry JS serializers encode the same span (protobuf and JSON)', () => {
    const otel = new InMemorySpanExporter()
    const provider = new BasicTracerProvider({
      spanLimits: { attributeCountLimit: 2, eventCountLimit: 2, attributePerEventCountLimit: 1 },
      spanProcessors: [new SimpleSpanProcessor(otel)],
    })
    const started = provider.getTracer('t').startSpan('s', { attributes: { a: 1, b: 2, c: 3 } })
    started.setAttribute('a', 5).setAttribute('d', 4)
    started.addEvent('e1').addEvent('e2', { x: 1, y: 2, z: 3 }).addEvent('e3')
    started.end()
    const [span] = otel.getFinishedSpans()
    const ms = ([s, ns]: [number, number]) => s * 1000 + ns / 1e6
    const ours: SpanData = {
      traceId: span!.spanContext().traceId,
      spanId: span!.spanContext().spanId,
      name: span!.name,
      kind: 'internal',
      startTime: ms(span!.startTime),
      endTime: ms(span!.endTime),
      status: 'ok',
      attributes: span!.attributes as SpanData['attributes'],
      droppedAttributesCount: span!.droppedAttributesCount,
      events: span!.events.map((e) => ({
        name: e.name,
        time: ms(e.time),
        attributes: e.attributes as SpanData['attributes'],
        droppedAttributesCount: e.droppedAttributesCount,
      })),
      droppedEventsCount: span!.droppedEventsCount,
      resource: { serviceName: 's', attributes: {} },
    }
    const counts = (s: Received) => [
      s.droppedAttributesCount,
      s.droppedEventsCount,
      s.events.map((e) => e.droppedAttributesCount),
    ]
    const decode = (body: Uint8Array) =>
      readEnvelope(
        body,
        'ExportTraceServiceRequest',
        REQUEST.resourceSpans,
        { resource: 'resourceSpans', scope: 'scopeSpans', item: 'spans' },
        protobufSpan,
      )[0]!.scopes[0]!.items[0]!
    const expected = counts(decode(ProtobufTraceSerializer.serializeRequest([span!])!))
    expect(expected).toEqual([2, 1, [2, 0]]) // OpenTelemetry drops the oldest event, e1
    expect(counts(decode(encodeOtlpTracesProtobuf([ours])))).toEqual(expected)
    const json = (body: string) => {
      const s = JSON.parse(body).resourceSpans[0].scopeSpans[0].spans[0]
      return [
        s.droppedAttributesCount,
        s.droppedEventsCount,
        s.events.map((e: { droppedAttributesCount: number }) => e.droppedAttributesCount),
      ]
    }
    expect(json(encodeOtlpTraces([ours]))).toEqual(
      json(new TextDecoder().decode(JsonTraceSerializer.serializeRequest([span!]))),
    )
  })

  it('reach the wire as given, event counts included, and bad values as 0', async () => {
    const resource = { serviceName: 's', attributes: {} }
    const base = {
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      kind: 'internal' as const,
      startTime: 1,
      endTime: 2,
      status: 'ok' as const,
      attributes: {},
      resource,
    }
    const body = JSON.parse(
      encodeOtlpTraces([
        {
          ...base,
          name: 'a',
          droppedAttributesCount: 5,
          droppedEventsCount: 1,
          events: [{ name: 'e', time: 1, droppedAttributesCount: 2 }],
        },
        {
          ...base,
          name: 'b',
          droppedAttributesCount: Number.NaN,
          droppedEventsCount: -1,
          events: [],
        },
      ]),
    )
    const [a, b] = body.resourceSpans[0].scopeSpans[0].spans
    expect(a).toMatchObject({ droppedAttributesCount: 5, droppedEventsCount: 1 })
    expect(a.events[0].droppedAttributesCount).toBe(2)
    expect(b).toMatchObject({ droppedAttributesCount: 0, droppedEventsCount: 0 })
  })
})
