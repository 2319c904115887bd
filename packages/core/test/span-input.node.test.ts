// Values the span API cannot use: a carrier passed as `parent` where extractTraceContext(carrier)
// belonged, ids that are not hex, a NaN or string time. Before, they made a span with no trace id
// (silently counted as not sampled), or a batch body no receiver accepts (`"startTimeUnixNano":
// "NaN…`, `traceId: "zz"`), losing the good spans sent with it. Now the span goes on with a safe
// value and the tracer says once what was wrong. A real node:http receiver reads the body.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createTracer, extractTraceContext, otlpExporter } from '../src/index.js'

let server: Server
let url: string
const bodies: string[] = []

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = ''
    request.setEncoding('utf8')
    request.on('data', (chunk: string) => (body += chunk))
    request.on('end', () => {
      bodies.push(body)
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))
beforeEach(() => {
  bodies.length = 0
})

interface WireSpan {
  name: string
  traceId: string
  parentSpanId?: string
  startTimeUnixNano: string
  endTimeUnixNano: string
  events: { timeUnixNano: string }[]
}

function wireSpans(): WireSpan[] {
  return bodies.flatMap((body) =>
    (
      JSON.parse(body) as { resourceSpans: { scopeSpans: { spans: WireSpan[] }[] }[] }
    ).resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)),
  )
}

describe('a parent that is not a span or a span context', () => {
  it('starts a new trace, is sent with the batch, and is said once', async () => {
    const warnings: string[] = []
    const tracer = createTracer({
      serviceName: 'input',
      exporters: [otlpExporter({ url })],
      warnings: (message) => warnings.push(message),
    })
    const carrier = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' }
    tracer.startSpan('good before').end()
    tracer.startSpan('raw carrier', { parent: carrier as never }).end()
    tracer.startSpan('bad ids', { parent: { traceId: 'zz', spanId: 'yy', traceFlags: 1 } }).end()
    tracer.startSpan('a string', { parent: 'garbage' as never }).end()
    tracer.startSpan('extracted', { parent: extractTraceContext(carrier) }).end()
    // The no-op span of a disabled tracer from another copy of the package: a new trace, unsaid.
    const otherNoop = {
      spanContext: () => ({ traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 0 }),
    }
    tracer.startSpan('other copy no-op', { parent: otherNoop as never }).end()
    tracer.startSpan('good after').end()
    expect(await tracer.flush({ timeoutMs: 5000 })).toEqual({ ok: true, pending: 0 })
    const spans = wireSpans()
    expect(spans.map((s) => s.name)).toEqual([
      'good before',
      'raw carrier',
      'bad ids',
      'a string',
      'extracted',
      'other copy no-op',
      'good after',
    ])
    for (const span of spans) expect(span.traceId).toMatch(/^[0-9a-f]{32}$/)
    expect(spans.filter((s) => s.parentSpanId)).toEqual([
      expect.objectContaining({ name: 'extracted', traceId: '0af7651916cd43dd8448eb211c80319c' }),
    ])
    expect(tracer.stats().notSampled).toBe(0)
    expect(warnings).toEqual([
      'tracer.startSpan() on span "raw carrier": options.parent must be a span or a SpanContext (a 32-hex traceId, a 16-hex spanId, numeric traceFlags), got an object with keys [traceparent]; the span started a new trace. To continue a trace from headers or a queue job, pass extractTraceContext(carrier). Said once per tracer.',
    ])
    await tracer.shutdown()
  })
})

describe('a start or end time that is not a finite number', () => {
  it('takes the current time (NaN, a string, a negative or huge number), keeps the batch body valid JSON, and is said once per option', async () => {
    const warnings: string[] = []
    const tracer = createTracer({
      serviceName: 'input',
      exporters: [otlpExporter({ url })],
      warnings: (message) => warnings.push(message),
    })
    const before = Date.now()
    tracer.startSpan('good').end()
    tracer.startSpan('start NaN', { startTime: Number.NaN }).end()
    tracer.startSpan('start string', { startTime: 'now' as never }).end()
    tracer.startSpan('end NaN').end({ endTime: Number.NaN })
    tracer.startSpan('negative', { startTime: -5 }).end({ endTime: -1 })
    tracer.startSpan('huge', { startTime: 1e20 }).end({ endTime: 1e21 })
    tracer.startSpan('event times').addEvent('negative', {}, -3).addEvent('huge', {}, 1e21).end()
    tracer.startSpan('dates', { startTime: new Date(before - 1000) }).end({
      endTime: new Date(before + 1000),
    })
    expect(await tracer.flush({ timeoutMs: 5000 })).toEqual({ ok: true, pending: 0 })
    const spans = wireSpans()
    expect(spans).toHaveLength(8)
    for (const span of spans) {
      expect(span.startTimeUnixNano).toMatch(/^\d{19}$/)
      expect(span.endTimeUnixNano).toMatch(/^\d{19}$/)
      for (const event of span.events) expect(event.timeUnixNano).toMatch(/^\d{19}$/)
    }
    const dates = spans.find((s) => s.name === 'dates')!
    expect(Number(BigInt(dates.startTimeUnixNano) / 1_000_000n)).toBe(before - 1000)
    expect(Number(BigInt(dates.endTimeUnixNano) / 1_000_000n)).toBe(before + 1000)
    expect(warnings).toEqual([
      'tracer.startSpan() on span "start NaN": options.startTime must be epoch milliseconds (a number from 0 to 1e16, or a Date), got NaN; the current time was used. Said once per tracer.',
      'span.end() on span "end NaN": options.endTime must be epoch milliseconds (a number from 0 to 1e16, or a Date), got NaN; the current time was used. Said once per tracer.',
    ])
    await tracer.shutdown()
  })
})

describe('a warnings function that throws', () => {
  it('never reaches the app: the notice is given up, the span goes on', async () => {
    const tracer = createTracer({
      serviceName: 'input',
      exporters: [otlpExporter({ url })],
      warnings: () => {
        throw new Error('the log sink is down')
      },
    })
    tracer.startSpan('raw carrier', { parent: {} as never }).end({ endTime: Number.NaN })
    expect(await tracer.flush({ timeoutMs: 5000 })).toEqual({ ok: true, pending: 0 })
    // An unhandled rejection from the notice would fail this run.
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(wireSpans().map((s) => s.name)).toEqual(['raw carrier'])
    await tracer.shutdown()
  })
})
