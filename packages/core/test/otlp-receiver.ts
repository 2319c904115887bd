import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A real OTLP/HTTP receiver on 127.0.0.1 for the tests of lazily loaded code: the request bodies it
 * got, and how many spans they held. Each request is answered with the next status of `statuses`
 * (then 200; a non-200 answer carries an OTLP error message).
 */
export async function receiver(statuses: number[] = []) {
  const bodies: string[] = []
  const server = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk) => {
      body += chunk
    })
    request.on('end', () => {
      bodies.push(body)
      response.statusCode = statuses.shift() ?? 200
      response.setHeader('content-type', 'application/json')
      response.end(response.statusCode === 200 ? '{}' : '{"message":"bad span"}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`
  const spans = () =>
    bodies.reduce((n, b) => n + JSON.parse(b).resourceSpans[0].scopeSpans[0].spans.length, 0)
  return { url, bodies, spans, close: () => new Promise((resolve) => server.close(resolve)) }
}
