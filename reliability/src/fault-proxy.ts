// An HTTP proxy on 127.0.0.1 in front of the real collector that injects one fault at a time.
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http'
import type { Socket } from 'node:net'

/** The fault the proxy injects; `pass` forwards untouched. */
export type Fault =
  | 'pass'
  /** The port is closed: connections are refused. */
  | 'down'
  /** Every request waits 5 s, then is forwarded. */
  | 'slow'
  /** 500 with a JSON body (not retryable under OTLP). */
  | '500'
  /** 429 with `Retry-After: 1`. */
  | '429'
  /** The connection is destroyed mid-body: half the time while the request streams in, half after the collector stored it, before the answer. */
  | 'reset'

export interface FaultProxy {
  readonly url: string
  readonly port: number
  /** Requests seen, by what happened to them. */
  readonly counts: Record<string, number>
  /** Where forwarded requests go (the collector may move when it restarts). */
  target: string
  set(fault: Fault): Promise<void>
  close(): Promise<void>
}

export const SLOW_MS = 5000

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  let fault: Fault = 'pass'
  const counts: Record<string, number> = {}
  const sockets = new Set<Socket>()
  const timers = new Set<NodeJS.Timeout>()
  let resets = 0
  const count = (what: string) => {
    counts[what] = (counts[what] ?? 0) + 1
  }

  const forward = (
    request: IncomingMessage,
    body: Buffer,
    onAnswer: (r: IncomingMessage) => void,
  ) => {
    const upstream = httpRequest(
      new URL(request.url ?? '/', proxy.target),
      { method: request.method, headers: { ...request.headers, host: new URL(proxy.target).host } },
      onAnswer,
    )
    upstream.on('error', () => {
      count('upstream-error')
      request.socket.destroy()
    })
    upstream.end(body)
  }

  const readAll = async (request: IncomingMessage) => {
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    return Buffer.concat(chunks)
  }

  const server: Server = createServer(async (request, response) => {
    const mode = fault
    try {
      if (mode === 'reset' && resets++ % 2 === 0) {
        // Mid request body: take the first chunk, then drop the connection.
        count('reset-request')
        request.once('data', () => request.socket.destroy())
        return
      }
      const body = await readAll(request)
      if (mode === '500') {
        count('500')
        response.writeHead(500, { 'content-type': 'application/json' })
        return response.end('{"code":13,"message":"injected failure"}')
      }
      if (mode === '429') {
        count('429')
        response.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' })
        return response.end('{"code":8,"message":"slow down"}')
      }
      if (mode === 'slow') {
        count('slow')
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            timers.delete(timer)
            resolve()
          }, SLOW_MS)
          timers.add(timer)
        })
      }
      if (mode === 'reset') {
        // Mid response body: the collector stored the spans, the exporter never hears so.
        count('reset-response')
        return forward(request, body, (answer) => {
          answer.resume()
          answer.once('end', () => {
            response.writeHead(answer.statusCode ?? 502, { 'content-length': '1000' })
            response.write('{"partial')
            setImmediate(() => response.socket?.destroy())
          })
        })
      }
      count('forwarded')
      forward(request, body, (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(response)
      })
    } catch {
      count('proxy-error')
      request.socket.destroy()
    }
  })
  server.keepAliveTimeout = 2000
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })

  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject)
        resolve()
      })
    })
  await listen(0)
  const port = (server.address() as { port: number }).port

  const shut = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve())
      for (const socket of sockets) socket.destroy()
    })

  const proxy: FaultProxy = {
    url: `http://127.0.0.1:${port}`,
    port,
    counts,
    target,
    async set(next) {
      if (next === fault) return
      if (next === 'down') await shut()
      else if (fault === 'down') await listen(port)
      fault = next
    },
    async close() {
      for (const timer of timers) clearTimeout(timer)
      if (fault !== 'down') await shut()
    },
  }
  return proxy
}
