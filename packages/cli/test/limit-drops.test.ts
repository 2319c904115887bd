// A span that reached its SDK's limits arrives with droppedAttributesCount / droppedEventsCount
// (OTLP JSON, OTLP protobuf, or core's httpExporter JSON): the collector keeps the counts with the
// span, the API returns them, and `tokentrail trace` says them beside the span.
import { join } from 'node:path'
import { createTracer, httpExporter, otlpExporter, type SpanData } from '@tokentrail/core'
import { encodeOtlpTraces, encodeOtlpTracesProtobuf } from '@tokentrail/core/otlp'
import { describe, expect, it } from 'vitest'
import { type Collector, runCli, startCollector } from '../src/index.js'
import { onCleanup, runCapture, tempDir } from './helpers.js'

async function collector(): Promise<Collector> {
  const c = await startCollector({ port: 0, db: join(tempDir(), 'traces.db') })
  onCleanup(() => c.close())
  return c
}

async function traceDetail(c: Collector, traceId: string) {
  const response = await fetch(`${c.url}/api/traces/${traceId}`)
  expect(response.status).toBe(200)
  return (await response.json()) as { spans: SpanData[] }
}

const cli = runCapture

describe('spans with attributes and events dropped at their limits', () => {
  for (const [how, exporter] of [
    ['OTLP JSON', (url: string) => otlpExporter({ url: `${url}/v1/traces` })],
    [
      'OTLP protobuf',
      (url: string) => otlpExporter({ url: `${url}/v1/traces`, protocol: 'http/protobuf' }),
    ],
    ['httpExporter JSON', (url: string) => httpExporter({ url: `${url}/api/spans` })],
  ] as const)
    it(`keep their counts through ingest, the API and the CLI (${how})`, async () => {
      const c = await collector()
      const tracer = createTracer({
        serviceName: 'limits',
        exporters: [exporter(c.url)],
        limits: { maxAttributes: 2 },
        metrics: false,
        warnings: false,
      })
      let traceId = ''
      await tracer.withSpan('answer', { attributes: { a: 1, b: 2, c: 3 } }, async (root) => {
        traceId = root.traceId
        root.setAttributes({ a: 10, d: 4 })
        root.addEvent('one').addEvent('two').addEvent('three')
        tracer.startSpan('fits', { attributes: { a: 1 } }).end()
      })
      expect((await tracer.flush()).ok).toBe(true)

      const { spans } = await traceDetail(c, traceId)
      const answer = spans.find((s) => s.name === 'answer')!
      expect(answer.droppedAttributesCount).toBe(2)
      expect(answer.droppedEventsCount).toBe(1)
      expect(answer.attributes).toEqual({ a: 10, b: 2 })
      const fits = spans.find((s) => s.name === 'fits')!
      expect('droppedAttributesCount' in fits).toBe(false)
      expect('droppedEventsCount' in fits).toBe(false)

      const shown = await cli(['trace', traceId, '--url', c.url])
      expect(shown.code).toBe(0)
      expect(shown.stdout).toMatch(/internal answer .*2 attributes, 1 event dropped \(limit\)/)
      expect(shown.stdout).not.toMatch(/fits .*dropped/)
      await tracer.shutdown()
    })

  // Another SDK's span: counts as OTLP carries them, an event's own included.
  const resource = { serviceName: 'other-sdk', attributes: {} }
  const span: SpanData = {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    name: 'retrieve',
    kind: 'internal',
    startTime: 1_700_000_000_000,
    endTime: 1_700_000_000_050,
    status: 'ok',
    attributes: { 'db.system': 'postgresql' },
    droppedAttributesCount: 130,
    events: [
      { name: 'rows', time: 1_700_000_000_010, attributes: { n: 1 }, droppedAttributesCount: 3 },
    ],
    droppedEventsCount: 1,
    resource,
  }
  for (const [type, body] of [
    ['application/json', () => encodeOtlpTraces([span])],
    ['application/x-protobuf', () => Buffer.from(encodeOtlpTracesProtobuf([span]))],
  ] as const)
    it(`keep an event's own count too (${type})`, async () => {
      const c = await collector()
      const response = await fetch(`${c.url}/v1/traces`, {
        method: 'POST',
        body: body(),
        headers: { 'content-type': type },
      })
      expect(response.status).toBe(200)
      const [stored] = (await traceDetail(c, span.traceId)).spans
      expect(stored).toMatchObject({
        droppedAttributesCount: 130,
        droppedEventsCount: 1,
        events: [{ name: 'rows', droppedAttributesCount: 3 }],
      })
      const shown = await cli(['trace', span.traceId, '--url', c.url])
      expect(shown.stdout).toMatch(/retrieve .*130 attributes, 1 event dropped \(limit\)/)
    })

  it('refuses a count that is not one, naming the field', async () => {
    const c = await collector()
    const body = JSON.parse(encodeOtlpTraces([span]))
    body.resourceSpans[0].scopeSpans[0].spans[0].droppedEventsCount = -2
    const response = await fetch(`${c.url}/v1/traces`, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    })
    expect(response.status).toBe(400)
    expect(await response.text()).toMatch(/spans\[0\]\.droppedEventsCount: expected a count/)
  })
})
