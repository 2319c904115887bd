// What a receiver learns of the sender, as from OpenTelemetry's SDKs: the `telemetry.sdk.*`
// resource attributes, the instrumentation scope's version and a User-Agent header, all with the
// version in package.json (written into src/version.ts by the build). Before, no User-Agent was
// sent over Node's HTTP client, no SDK attributes at all, and the scope version was a literal.
import { readFileSync } from 'node:fs'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createTracer, httpExporter, otlpExporter } from '../src/index.js'

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))

let server: Server
let base: string
const received: { headers: IncomingHttpHeaders; body: string }[] = []

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = ''
    request.setEncoding('utf8')
    request.on('data', (chunk: string) => (body += chunk))
    request.on('end', () => {
      received.push({ headers: request.headers, body })
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))
beforeEach(() => {
  received.length = 0
})

describe('the sender, as a receiver sees it', () => {
  it('OTLP: telemetry.sdk.* resource attributes, the scope version and a User-Agent', async () => {
    const tracer = createTracer({
      serviceName: 'identity',
      exporters: [otlpExporter({ url: `${base}/v1/traces` })],
    })
    tracer.startSpan('one').end()
    await tracer.shutdown()
    expect(received).toHaveLength(1)
    expect(received[0]!.headers['user-agent']).toBe(`tokentrail/${version}`)
    const body = JSON.parse(received[0]!.body)
    const resource = Object.fromEntries(
      body.resourceSpans[0].resource.attributes.map(
        (a: { key: string; value: { stringValue: string } }) => [a.key, a.value.stringValue],
      ),
    )
    expect(resource).toMatchObject({
      'telemetry.sdk.name': 'tokentrail',
      'telemetry.sdk.language': 'nodejs',
      'telemetry.sdk.version': version,
    })
    expect(body.resourceSpans[0].scopeSpans[0].scope).toEqual({
      name: '@tokentrail/core',
      version,
    })
  })

  it("the app's own User-Agent and resource values win", async () => {
    const tracer = createTracer({
      serviceName: 'identity',
      resource: { 'telemetry.sdk.name': 'my-wrapper' },
      exporters: [
        otlpExporter({ url: `${base}/v1/traces`, headers: { 'User-Agent': 'my-agent/2' } }),
        httpExporter({ url: `${base}/ingest` }),
      ],
    })
    tracer.startSpan('one').end()
    await tracer.shutdown()
    const byPath = Object.fromEntries(
      received.map((r) => [r.body.startsWith('{"spans"') ? 'json' : 'otlp', r]),
    )
    expect(byPath.otlp!.headers['user-agent']).toBe('my-agent/2')
    expect(byPath.json!.headers['user-agent']).toBe(`tokentrail/${version}`)
    expect(byPath.otlp!.body).toContain(
      '{"key":"telemetry.sdk.name","value":{"stringValue":"my-wrapper"}}',
    )
  })
})
