// Issue 17: a redirect turned the POST into a bodiless GET and the spans counted as exported while
// lost; a huge answer was read whole into memory.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createTracer, httpExporter, otlpExporter } from '../src/index.js'

const servers: Server[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

async function listen(server: Server): Promise<string> {
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

describe('the exporters’ POST', () => {
  for (const status of [301, 302, 303, 307, 308]) {
    it(`${status}: a failed export naming the redirect, never counted exported`, async () => {
      const seen: string[] = []
      const url = await listen(
        createServer((request, response) => {
          seen.push(`${request.method} ${request.url}`)
          request.resume()
          if (request.url === '/v1/traces') {
            response.writeHead(status, { location: '/moved/v1/traces' })
            response.end()
          } else response.end('{}')
        }),
      )
      const debug = vi.fn()
      const tracer = createTracer({
        debug,
        retry: { maxRetries: 2, initialBackoffMs: 5, maxBackoffMs: 10 },
        exporters: [
          otlpExporter({ url: `${url}/v1/traces` }),
          httpExporter({ url: `${url}/v1/traces` }),
        ],
      })
      tracer.startSpan('lost on redirect').end()
      await tracer.flush()
      // Both exporters posted once each, nothing followed the Location, nothing was retried.
      expect(seen).toEqual(['POST /v1/traces', 'POST /v1/traces'])
      expect(tracer.stats()).toMatchObject({ exported: 0, failed: 2, retried: 0 })
      // Debug logs every attempt; one of its lines carries the export's error.
      const message = debug.mock.calls
        .flat()
        .map((arg) => (arg instanceof Error ? arg.message : String(arg)))
        .join('\n')
      expect(message).toContain(`answered ${status} redirect to /moved/v1/traces`)
      expect(message).toContain('set the exporter URL to the final address')
    })
  }

  it('reads at most 64 KB of a 300 MB answer and keeps the app’s memory flat', async () => {
    const total = 300 * 1024 * 1024
    const chunk = Buffer.alloc(1024 * 1024, 'x')
    let sent = 0
    let closed!: () => void
    const done = new Promise<void>((resolve) => {
      closed = resolve
    })
    const url = await listen(
      createServer((request, response) => {
        request.resume()
        response.writeHead(200, {
          'content-type': 'application/json',
          'content-length': String(total),
        })
        const pump = () => {
          while (sent < total) {
            sent += chunk.length
            if (!response.write(chunk)) return void response.once('drain', pump)
          }
          response.end()
        }
        response.on('close', closed)
        pump()
      }),
    )
    const tracer = createTracer({ exporters: [otlpExporter({ url: `${url}/v1/traces` })] })
    const before = process.memoryUsage().rss
    tracer.startSpan('answered with a flood').end()
    await tracer.flush({ timeoutMs: 20_000 })
    await done
    // A 2xx still counts as delivered: the spans reached the receiver.
    expect(tracer.stats()).toMatchObject({ exported: 1, failed: 0 })
    // The client cancelled the body: the server could only fill the socket buffers.
    expect(sent).toBeLessThan(64 * 1024 * 1024)
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * 1024 * 1024)
  })
})
