// A team that already runs OpenTelemetry sets the same OTEL_* variables for every service. Here
// they are checked as the OpenTelemetry specification and @opentelemetry/* read them, with spans
// arriving from an OpenTelemetry service (its W3CTraceContextPropagator) and going to a real
// node:http receiver.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { defaultTextMapSetter, ROOT_CONTEXT, trace } from '@opentelemetry/api'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createTracer, extractTraceContext, otlpExporter } from '../src/index.js'

const servers: Server[] = []

async function receiver(): Promise<{ url: string; spans: () => string[] }> {
  const bodies: string[] = []
  const server = createServer((request, response) => {
    let body = ''
    request.setEncoding('utf8')
    request.on('data', (chunk: string) => {
      body += chunk
    })
    request.on('end', () => {
      bodies.push(body)
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const spans = () =>
    bodies.flatMap((body) =>
      JSON.parse(body).resourceSpans.flatMap((r: any) =>
        r.scopeSpans.flatMap((s: any) => s.spans.map((span: any) => span.name)),
      ),
    )
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans }
}

afterEach(async () => {
  vi.unstubAllEnvs()
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

/** Request headers as an OpenTelemetry service sends them for a span with these trace flags. */
function fromOpenTelemetry(traceFlags: number): Headers {
  const carrier: Record<string, string> = {}
  const span = trace.wrapSpanContext({
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    traceFlags,
    isRemote: false,
  })
  new W3CTraceContextPropagator().inject(
    trace.setSpan(ROOT_CONTEXT, span),
    carrier,
    defaultTextMapSetter,
  )
  return new Headers(carrier)
}

describe('OTEL_TRACES_SAMPLER under a caller that decided already', () => {
  // What each sampler does with a sampled (01) and a not-sampled (00) remote parent, as the
  // specification defines them: the plain names ignore the parent, parentbased_ ones follow it.
  const cases: [string, boolean, boolean][] = [
    ['always_off', false, false],
    ['always_on', true, true],
    ['parentbased_always_off', true, false],
    ['parentbased_always_on', true, false],
  ]
  for (const [sampler, underSampled, underNotSampled] of cases)
    it(`${sampler}: ${underSampled ? 'kept' : 'dropped'} under 01, ${underNotSampled ? 'kept' : 'dropped'} under 00`, async () => {
      const server = await receiver()
      vi.stubEnv('OTEL_TRACES_SAMPLER', sampler)
      const tracer = createTracer({
        serviceName: 'downstream',
        metrics: false,
        exporters: [otlpExporter({ url: `${server.url}/v1/traces` })],
      })
      for (const [flags, name] of [
        [1, 'under 01'],
        [0, 'under 00'],
      ] as const) {
        const parent = extractTraceContext(fromOpenTelemetry(flags))
        expect(parent?.traceFlags).toBe(flags)
        const span = tracer.startSpan(name, { kind: 'http', parent })
        tracer.runInSpan(span, () => tracer.startSpan(`${name} child`).end())
        span.end()
      }
      expect((await tracer.flush()).ok).toBe(true)
      const expected = [
        ...(underSampled ? ['under 01 child', 'under 01'] : []),
        ...(underNotSampled ? ['under 00 child', 'under 00'] : []),
      ]
      expect(server.spans().sort()).toEqual(expected.sort())
      expect(tracer.stats().notSampled).toBe(4 - expected.length)
      await tracer.shutdown()
    })

  it('traceidratio decides by the trace id whatever the caller says; parentbased_traceidratio follows it', async () => {
    vi.stubEnv('OTEL_TRACES_SAMPLER_ARG', '0')
    for (const [sampler, kept] of [
      ['traceidratio', 0],
      ['parentbased_traceidratio', 1],
    ] as const) {
      vi.stubEnv('OTEL_TRACES_SAMPLER', sampler)
      const server = await receiver()
      const tracer = createTracer({
        serviceName: 'downstream',
        metrics: false,
        exporters: [otlpExporter({ url: `${server.url}/v1/traces` })],
      })
      tracer.startSpan('request', { parent: extractTraceContext(fromOpenTelemetry(1)) }).end()
      await tracer.flush()
      expect(server.spans()).toHaveLength(kept)
      await tracer.shutdown()
    }
  })
})
