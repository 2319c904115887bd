// An exporter URL may carry credentials: a password (`https://user:token@host`, which Node sends
// as basic auth) or a query token (`?api_key=…`). Warnings and flush reasons go to the platform's
// logs, so they show the URL with both masked; what is sent is unchanged. Real node:http receiver.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTracer, otlpExporter, otlpMetricsExporter } from '../src/index.js'

let server: Server
let port: number
const requests: { url: string; headers: IncomingHttpHeaders }[] = []

beforeAll(async () => {
  server = createServer((request, response) => {
    requests.push({ url: request.url ?? '', headers: request.headers })
    request.resume()
    request.on('end', () => response.writeHead(500).end('down'))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  port = (server.address() as AddressInfo).port
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

describe('credentials in an exporter URL', () => {
  it('are masked in warnings and flush reasons, and still sent', async () => {
    const warnings: string[] = []
    const base = `http://trace-user:pa55word@127.0.0.1:${port}`
    const tracer = createTracer({
      serviceName: 'secrets',
      exporters: [otlpExporter({ url: `${base}/v1/traces?api_key=SECRET1&region=eu` })],
      metrics: { exporters: [otlpMetricsExporter({ url: `${base}/v1/metrics?api_key=SECRET2` })] },
      retry: { maxRetries: 0 },
      warnings: (message) => warnings.push(message),
    })
    tracer.startSpan('a').end()
    const result = await tracer.flush({ timeoutMs: 5000 })
    await tracer.shutdown({ timeoutMs: 2000 })
    const said = [result.reason ?? '', ...warnings].join('\n')
    expect(said).toContain(
      `http://trace-user:***@127.0.0.1:${port}/v1/traces?api_key=***&region=***`,
    )
    expect(said).toContain(
      `metrics not delivered to http://trace-user:***@127.0.0.1:${port}/v1/metrics?api_key=***`,
    )
    expect(said).not.toMatch(/pa55word|SECRET1|SECRET2/)
    // Display only: the receiver got the credentials.
    const traces = requests.find((r) => r.url.startsWith('/v1/traces'))!
    expect(traces.url).toBe('/v1/traces?api_key=SECRET1&region=eu')
    expect(traces.headers.authorization).toBe(
      `Basic ${Buffer.from('trace-user:pa55word').toString('base64')}`,
    )
  })

  it('are masked in a redirect target too (a login page with a token in its query)', async () => {
    const redirecting = createServer((request, response) => {
      request.resume()
      request.on('end', () =>
        response
          .writeHead(302, { location: 'https://login.example/sso?token=SECRET3&next=/v1/traces' })
          .end(),
      )
    })
    await new Promise<void>((resolve) => redirecting.listen(0, '127.0.0.1', resolve))
    try {
      const warnings: string[] = []
      const tracer = createTracer({
        serviceName: 'secrets',
        exporters: [
          otlpExporter({
            url: `http://127.0.0.1:${(redirecting.address() as AddressInfo).port}/v1/traces`,
          }),
        ],
        metrics: false,
        warnings: (message) => warnings.push(message),
      })
      tracer.startSpan('a').end()
      const result = await tracer.flush({ timeoutMs: 5000 })
      await tracer.shutdown({ timeoutMs: 2000 })
      const said = [result.reason ?? '', ...warnings].join('\n')
      expect(said).toContain('https://login.example/sso?token=***&next=***')
      expect(said).not.toContain('SECRET3')
    } finally {
      await new Promise((resolve) => redirecting.close(resolve))
    }
  })
})
