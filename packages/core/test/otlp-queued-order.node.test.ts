// Spans that end before otlpExporter's encoder has loaded queue as SpanData and are encoded at
// export; the spans after them are encoded as they queue (exporters/otlp-queued.ts). A stateful
// backend mapper (langfuse: a trace's root span carries its first LLM input and last output) must
// still see the spans in the order they ended, or the first trace of a process loses its input.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { createTracer, otlpExporter } from '../src/index.js'

const servers: Server[] = []

async function startReceiver() {
  const bodies: string[] = []
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk) => chunks.push(chunk))
    request.on('end', () => {
      bodies.push(Buffer.concat(chunks).toString('utf8'))
      response.statusCode = 200
      response.end('{}')
    })
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}/v1/traces`, bodies }
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    if ('closeAllConnections' in server) server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

type OtlpSpan = { name: string; attributes: { key: string; value: { stringValue?: string } }[] }

function spansOf(bodies: string[]): OtlpSpan[] {
  return bodies.flatMap((body) =>
    (
      JSON.parse(body) as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] }
    ).resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)),
  )
}

const attribute = (span: OtlpSpan | undefined, key: string) =>
  span?.attributes.find((a) => a.key === key)?.value.stringValue

describe('otlpExporter JSON: spans queued before and after the encoder loaded', () => {
  it("gives the process's first trace its root input and output (langfuse)", async () => {
    const receiver = await startReceiver()
    const tracer = createTracer({
      serviceName: 'order-test',
      exporters: [otlpExporter({ url: receiver.url, protocol: 'http/json', profile: 'langfuse' })],
    })
    const root = tracer.startSpan('POST /chat', { kind: 'http' })
    const llm = (n: number) =>
      tracer.startSpan(`chat step ${n}`, {
        kind: 'llm',
        parent: root,
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.input.messages': `[{"role":"user","content":"question ${n}"}]`,
          'gen_ai.output.messages': `[{"role":"assistant","content":"answer ${n}"}]`,
        },
      })
    // The first step ends (its span starts the encoder's load), a tool runs, the second step ends
    // once the encoder has loaded, then the request.
    llm(1).end()
    await import('../src/exporters/otlp-send.js')
    await new Promise((resolve) => setTimeout(resolve, 50))
    llm(2).end()
    root.end()
    await tracer.shutdown()
    const rootSpan = spansOf(receiver.bodies).find((span) => span.name === 'POST /chat')
    expect(attribute(rootSpan, 'input.value')).toBe('[{"role":"user","content":"question 1"}]')
    expect(attribute(rootSpan, 'output.value')).toBe('[{"role":"assistant","content":"answer 2"}]')
  })
})
