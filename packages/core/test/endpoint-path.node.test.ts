// OTEL_EXPORTER_OTLP_ENDPOINT set to the full traces URL (`…:4318/v1/traces`), the most common
// OTLP misconfiguration: /v1/traces is added to it, the receiver answers 404, and the warning now
// says what to change instead of "a wrong path, or a backend that takes no traces". A real
// node:http receiver that takes /v1/traces only, as the Collector does.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createTracer, otlpExporter } from '../src/index.js'

let server: Server
let base: string

beforeAll(async () => {
  server = createServer((request, response) => {
    request.resume()
    request.on('end', () =>
      request.url === '/v1/traces'
        ? response.writeHead(200).end('{}')
        : response.writeHead(404).end('404 page not found'),
    )
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))
afterEach(() => {
  vi.unstubAllEnvs()
})

describe('OTEL_EXPORTER_OTLP_ENDPOINT that already ends in /v1/traces', () => {
  it('is said with what to change', async () => {
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', `${base}/v1/traces`)
    const warnings: string[] = []
    const tracer = createTracer({
      serviceName: 'path',
      exporters: [otlpExporter()],
      metrics: false,
      warnings: (message) => warnings.push(message),
    })
    tracer.startSpan('a').end()
    const result = await tracer.flush({ timeoutMs: 5000 })
    expect(result.ok).toBe(false)
    expect(warnings).toEqual([
      `spans not delivered to ${base}/v1/traces/v1/traces: 404 Not Found: "/v1/traces/v1/traces" has /v1/… twice. OTEL_EXPORTER_OTLP_ENDPOINT is the base URL (such as http://localhost:4318), to which /v1/traces is added; drop the path from it, or set the full URL in OTEL_EXPORTER_OTLP_TRACES_ENDPOINT. 1 span dropped. \`npx tokentrail doctor\` checks the setup; TOKENTRAIL_DEBUG=1 logs every attempt.`,
    ])
    await tracer.shutdown()
  })
})
