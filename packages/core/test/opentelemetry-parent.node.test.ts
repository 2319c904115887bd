// An app that already runs the OpenTelemetry JS SDK hands Tokentrail one of its spans as a parent
// (`parent: trace.getActiveSpan()` or its `spanContext()`), to put both in one trace. OpenTelemetry
// keeps `traceState` as an object, not the header string Tokentrail's SpanContext has.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createTraceState, ROOT_CONTEXT, trace } from '@opentelemetry/api'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createTracer, injectTraceContext, otlpExporter } from '../src/index.js'

const bodies: string[] = []
let url = ''
const server = createServer((request, response) => {
  let body = ''
  request.setEncoding('utf8')
  request.on('data', (chunk) => (body += chunk))
  request.on('end', () => {
    bodies.push(body)
    response.writeHead(200, { 'content-type': 'application/json' }).end('{}')
  })
})
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

// A server span of the app's OpenTelemetry SDK, continuing a caller that sent a tracestate.
function otelServerSpan() {
  const provider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(new InMemorySpanExporter())],
  })
  const caller = trace.setSpanContext(ROOT_CONTEXT, {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags: 1,
    isRemote: true,
    traceState: createTraceState('vendor=abc,other=1'),
  })
  return provider.getTracer('app').startSpan('GET /chat', {}, caller)
}

for (const form of ['span', 'spanContext()'] as const)
  it(`an OpenTelemetry ${form} as parent: the child joins its trace, its tracestate goes out as text, and the batch it is in is delivered`, async () => {
    bodies.length = 0
    const otel = otelServerSpan()
    const tracer = createTracer({
      serviceName: 'otel-parent',
      exporters: [otlpExporter({ url })],
      warnings: false,
    })
    tracer.withSpan('before', () => {})
    const child = tracer.startSpan('answer', {
      parent: form === 'span' ? (otel as never) : (otel.spanContext() as never),
    })
    expect(child.traceId).toBe(otel.spanContext().traceId)
    expect(child.parentSpanId).toBe(otel.spanContext().spanId)
    child.end()
    otel.end()
    const result = await tracer.flush({ timeoutMs: 5000 })
    expect(result).toEqual({ ok: true, pending: 0 })
    expect(tracer.stats()).toMatchObject({ exported: 2, failed: 0, queued: 0, inflight: 0 })
    const spans = bodies
      .flatMap((body) => JSON.parse(body).resourceSpans)
      .flatMap((r: any) => r.scopeSpans)
      .flatMap((s: any) => s.spans)
    expect(spans.map((s: any) => s.name).sort()).toEqual(['answer', 'before'])
    const answer = spans.find((s: any) => s.name === 'answer')
    expect(answer.traceState).toBe('vendor=abc,other=1')
    expect(answer.parentSpanId).toBe(otel.spanContext().spanId)
    await tracer.shutdown()
  })

it("injectTraceContext with an OpenTelemetry span writes its tracestate as the header's text", () => {
  const otel = otelServerSpan()
  const headers = new Headers()
  injectTraceContext(headers, otel as never)
  expect(headers.get('traceparent')).toBe(
    `00-0af7651916cd43dd8448eb211c80319c-${otel.spanContext().spanId}-01`,
  )
  expect(headers.get('tracestate')).toBe('vendor=abc,other=1')
  otel.end()
})
