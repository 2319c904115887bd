// An exporter URL that reaches a web app instead of an OTLP receiver (the app's own port, a
// catch-all route, a login page behind a proxy) answers the POST with 200 and an HTML page. That is
// no OTLP answer: counted as delivered, every span was lost without a word (and `tokentrail doctor`
// passed). Real node:http servers answering as such apps do; plain 200s (empty, `{}`, text) are
// still deliveries.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, describe, expect, it } from 'vitest'
import { createTracer, otlpExporter } from '../src/index.js'

const servers: Server[] = []
afterAll(() => Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve)))))

async function answering(answer: (response: ServerResponse) => void): Promise<string> {
  const server = createServer((request: IncomingMessage, response) => {
    request.resume()
    request.on('end', () => answer(response))
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`
}

async function send(url: string, protocol: 'http/json' | 'http/protobuf' = 'http/json') {
  const warnings: string[] = []
  const tracer = createTracer({
    serviceName: 'html',
    exporters: [otlpExporter({ url, protocol })],
    metrics: false,
    warnings: (message) => warnings.push(message),
  })
  tracer.startSpan('chat gpt-4o').end()
  tracer.startSpan('tool lookup').end()
  const result = await tracer.flush({ timeoutMs: 5000 })
  const stats = tracer.stats()
  await tracer.shutdown()
  return { result, stats, warnings }
}

const PAGE = '<!DOCTYPE html><html><head><title>Chat</title></head><body>…</body></html>'

describe('a 2xx answer that is a web page', () => {
  it('is a failed export, counted and said, by its content type', async () => {
    const url = await answering((response) =>
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE),
    )
    for (const protocol of ['http/json', 'http/protobuf'] as const) {
      const { result, stats, warnings } = await send(url, protocol)
      expect(result.ok).toBe(false)
      expect(stats.exported).toBe(0)
      expect(stats.failed).toBe(2)
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).toContain(
        `spans not delivered to ${url}: 200 with an HTML page, not an OTLP answer: that address is a web app`,
      )
      expect(warnings[0]).toContain('2 spans dropped')
    }
  })

  it('is a failed export by its body too, when the page comes without a content type', async () => {
    const url = await answering((response) =>
      response.writeHead(200).end(`\n  <html lang="en">${PAGE}`),
    )
    const { result, stats, warnings } = await send(url)
    expect(result.ok).toBe(false)
    expect(stats.failed).toBe(2)
    expect(warnings[0]).toContain('with an HTML page')
  })

  it('leaves the answers receivers give as deliveries: empty, {}, plain text', async () => {
    for (const answer of [
      (response: ServerResponse) => response.writeHead(200).end(),
      (response: ServerResponse) =>
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}'),
      (response: ServerResponse) =>
        response.writeHead(202, { 'content-type': 'text/plain' }).end('accepted <html> later'),
    ]) {
      const { result, stats, warnings } = await send(await answering(answer))
      expect(result.ok).toBe(true)
      expect(stats.exported).toBe(2)
      expect(warnings).toEqual([])
    }
  })
})
