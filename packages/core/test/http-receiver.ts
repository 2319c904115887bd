// A local node:http OTLP receiver for the tests: keeps each request's headers and raw body and
// answers through `reply` (200 with `{}` unless told otherwise). `closeReceivers()` in afterEach.
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http'
import type { AddressInfo } from 'node:net'

export interface ReceivedRequest {
  readonly headers: IncomingHttpHeaders
  readonly body: Buffer
}

/** Answers one request; `count` is 1 for the first the receiver got. */
export type Reply = (
  request: IncomingMessage,
  response: ServerResponse,
  count: number,
  body: Buffer,
) => void

const servers: Server[] = []

export async function startReceiver(reply: Reply = (_request, response) => response.end('{}')) {
  const requests: ReceivedRequest[] = []
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk) => chunks.push(chunk))
    request.on('end', () => {
      const body = Buffer.concat(chunks)
      requests.push({ headers: request.headers, body })
      reply(request, response, requests.length, body)
    })
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}/v1/traces`, requests }
}

export async function closeReceivers(): Promise<void> {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
}
