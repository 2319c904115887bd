import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { EdgeVM } from '@edge-runtime/vm'
import { build } from 'esbuild'
import { afterEach, describe, expect, it } from 'vitest'
import { post } from '../src/exporters/post.js'
import {
  chooseTransport,
  MAX_RESPONSE_BYTES,
  transportFetch,
  webFetch,
} from '../src/exporters/transport.js'
import { createTracer, otlpExporter } from '../src/index.js'
import { memoryExporter } from '../src/testing.js'

type Reply = (request: IncomingMessage, response: ServerResponse, count: number) => void

const servers: Server[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

/** A real HTTP server on loopback that records each request (path, body) and its connections. */
async function startServer(reply: Reply = (_q, response) => response.end('{}')) {
  const requests: { path: string; body: string; headers: IncomingMessage['headers'] }[] = []
  let connections = 0
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk) => chunks.push(chunk))
    request.on('end', () => {
      requests.push({
        path: request.url ?? '',
        body: Buffer.concat(chunks).toString(),
        headers: request.headers,
      })
      reply(request, response, requests.length)
    })
  })
  server.on('connection', () => connections++)
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    base: `http://127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}/v1/traces`,
    requests,
    connections: () => connections,
  }
}

async function someSpans(n: number) {
  const memory = memoryExporter()
  const tracer = createTracer({ serviceName: 'transport', exporters: [memory] })
  for (let i = 0; i < n; i++) tracer.startSpan(`span ${i}`, { attributes: { i } }).end()
  await tracer.flush()
  return memory.spans
}

const post200 = (url: string, body: string) =>
  post(url, body, { 'content-type': 'application/json' }, AbortSignal.timeout(5000))

describe('the transport on Node', () => {
  it('is node:http, not fetch', () => {
    expect(chooseTransport()).not.toBe(webFetch)
    expect(chooseTransport().name).toBe('nodeFetch')
  })

  it('sends every export of an otlpExporter over one kept-alive connection, the body intact', async () => {
    const server = await startServer()
    const exporter = otlpExporter({ url: server.url, headers: { 'x-team': 'é' } })
    const spans = await someSpans(3)
    for (const span of spans) {
      const result = await exporter.export([span], AbortSignal.timeout(5000))
      expect(result).toEqual({ code: 'success' })
    }
    expect(server.requests).toHaveLength(3)
    expect(server.connections()).toBe(1)
    const names = server.requests.map(
      (r) => JSON.parse(r.body).resourceSpans[0].scopeSpans[0].spans[0].name,
    )
    expect(names).toEqual(['span 0', 'span 1', 'span 2'])
    expect(server.requests[0]!.headers['content-type']).toBe('application/json')
    expect(server.requests[0]!.headers['content-length']).toBe(
      String(Buffer.byteLength(server.requests[0]!.body)),
    )
  })

  it('sends each URL its own exports, with the query and the credentials a URL carries', async () => {
    const [a, b] = [await startServer(), await startServer()]
    const withAuth = `${b.base.replace('//', '//team:p%40ss@')}/v1/traces?tenant=7`
    for (let i = 0; i < 2; i++) {
      expect(await post200(a.url, '{"to":"a"}')).toEqual({ code: 'success' })
      expect(await post200(withAuth, '{"to":"b"}')).toEqual({ code: 'success' })
    }
    expect(a.requests.map((r) => [r.path, r.body, r.headers.authorization])).toEqual([
      ['/v1/traces', '{"to":"a"}', undefined],
      ['/v1/traces', '{"to":"a"}', undefined],
    ])
    const basic = `Basic ${Buffer.from('team:p@ss').toString('base64')}`
    expect(b.requests.map((r) => [r.path, r.body, r.headers.authorization])).toEqual([
      ['/v1/traces?tenant=7', '{"to":"b"}', basic],
      ['/v1/traces?tenant=7', '{"to":"b"}', basic],
    ])
    expect([a.connections(), b.connections()]).toEqual([1, 1])
  })

  it('refuses a URL that is neither http: nor https:, as node:http does', async () => {
    // fetch would answer a data: URL 200, and the export would count as delivered.
    const result = await post200('data:,hello', '{}')
    expect(result.code).not.toBe('success')
    expect(String((result as { error?: unknown }).error)).toMatch(/Protocol "data:" not supported/)
  })

  it('sends a non-ASCII body as UTF-8 with its byte length', async () => {
    const server = await startServer()
    const text = 'prompt: 東京 🗼 ünïcödé'
    expect(await post200(server.url, JSON.stringify({ text }))).toEqual({ code: 'success' })
    expect(JSON.parse(server.requests[0]!.body).text).toBe(text)
  })

  it('reads the answer: a partial success from the collector reaches the exporter', async () => {
    const server = await startServer((_q, response) =>
      response.end(JSON.stringify({ partialSuccess: { rejectedSpans: 2, errorMessage: 'bad' } })),
    )
    const result = await otlpExporter({ url: server.url }).export(
      await someSpans(2),
      AbortSignal.timeout(5000),
    )
    expect(result).toEqual({ code: 'success', rejected: 2, message: 'bad' })
  })

  it('treats a 3xx as a failed export and never follows it (the data would be lost)', async () => {
    const server = await startServer((request, response) => {
      if (request.url === '/v1/traces') {
        response.writeHead(307, { location: '/elsewhere' })
        response.end()
      } else response.end('{}')
    })
    const result = await post200(server.url, '{"spans":[]}')
    expect(result.code).toBe('failed')
    expect(String((result as { error: unknown }).error)).toMatch(/307/)
    expect(server.requests.map((r) => r.path)).toEqual(['/v1/traces'])
  })

  it('keeps the status, Retry-After and body of a 503 for the retry logic', async () => {
    const server = await startServer((_q, response) => {
      response.writeHead(503, { 'retry-after': '7' })
      response.end('busy')
    })
    const result = await post200(server.url, '{}')
    expect(result).toMatchObject({ code: 'retryable', retryAfterMs: 7000 })
    expect(String((result as { error: unknown }).error)).toContain('answered 503: busy')
  })

  it('reads at most 64 KB of an answer and does not wait for the rest', async () => {
    const server = await startServer((_q, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' })
      // More than the cap, then the body never ends: a read without a cap would hang here.
      response.write('x'.repeat(MAX_RESPONSE_BYTES + 10_000))
    })
    const response = await transportFetch(server.url, {
      method: 'POST',
      headers: {},
      body: '{}',
      signal: AbortSignal.timeout(5000),
    })
    expect(response.status).toBe(200)
    expect((await response.text()).length).toBe(MAX_RESPONSE_BYTES)
    // The same capped bytes through the stream interface that post reads with.
    const reader = response.body!.getReader()
    let size = 0
    for (let r = await reader.read(); !r.done; r = await reader.read()) size += r.value.byteLength
    expect(size).toBe(MAX_RESPONSE_BYTES)
  })

  it('ends a request the server never answers when the signal aborts: retryable, with the reason', async () => {
    const server = await startServer(() => {})
    const controller = new AbortController()
    const pending = post(server.url, '{}', {}, controller.signal)
    setTimeout(() => controller.abort(new Error('export timed out')), 50)
    const result = await pending
    expect(result.code).toBe('retryable')
    expect(String((result as { error: unknown }).error)).toContain('export timed out')
  })

  it('sends once more on a new connection when the server drops a reused keep-alive socket', async () => {
    const server = await startServer((request, response, count) => {
      // The second request arrives on the kept-alive socket: drop it unanswered, as a server
      // closing an idle connection does at the moment the request goes out.
      if (count === 2) request.socket.destroy()
      else response.end('{}')
    })
    expect(await post200(server.url, '{"n":1}')).toEqual({ code: 'success' })
    expect(await post200(server.url, '{"n":2}')).toEqual({ code: 'success' })
    expect(server.requests.map((r) => r.body)).toEqual(['{"n":1}', '{"n":2}', '{"n":2}'])
    expect(server.connections()).toBe(2)
  })

  it('reports a refused connection as retryable, not thrown', async () => {
    const server = await startServer()
    const url = server.url
    for (const s of servers.splice(0)) await new Promise((resolve) => s.close(resolve))
    const result = await post200(url, '{}')
    expect(result.code).toBe('retryable')
    expect(String((result as { error: { code?: string } }).error.code)).toBe('ECONNREFUSED')
  })
})

describe('the transport elsewhere', () => {
  it('is fetch where there is no process.getBuiltinModule, and on Bun, Deno and workerd', () => {
    const getBuiltinModule = (globalThis as any).process.getBuiltinModule
    const node = { getBuiltinModule, release: { name: 'node' } }
    expect(chooseTransport({})).toBe(webFetch)
    expect(chooseTransport({ process: { release: { name: 'node' } } })).toBe(webFetch)
    expect(chooseTransport({ process: node, Bun: {} })).toBe(webFetch)
    expect(chooseTransport({ process: node, Deno: {} })).toBe(webFetch)
    expect(chooseTransport({ process: node, navigator: { userAgent: 'Cloudflare-Workers' } })).toBe(
      webFetch,
    )
    expect(chooseTransport({ process: node, navigator: { userAgent: 'Node.js/22' } })).not.toBe(
      webFetch,
    )
  })

  it('in the Edge Runtime VM (no process), exports go out through fetch to a real server, 3xx not followed', async () => {
    const server = await startServer((request, response) => {
      if (request.url === '/moved') {
        response.writeHead(308, { location: '/v1/traces' })
        response.end()
      } else response.end('{}')
    })
    const result = await build({
      stdin: {
        contents: `export { post } from './src/exporters/post.ts'; export { chooseTransport, webFetch } from './src/exporters/transport.ts'`,
        resolveDir: fileURLToPath(new URL('..', import.meta.url)),
        loader: 'ts',
      },
      bundle: true,
      format: 'iife',
      globalName: 'transport',
      platform: 'neutral',
      write: false,
    })
    const vm = new EdgeVM()
    expect(vm.evaluate('typeof process')).toBe('undefined')
    vm.evaluate(result.outputFiles[0]!.text)
    const answer = JSON.parse(
      await vm.evaluate(`(async () => {
        const { post, chooseTransport, webFetch } = transport
        const ok = await post('${server.url}', '{"edge":true}', { 'content-type': 'application/json' }, AbortSignal.timeout(5000))
        const moved = await post('${server.base}/moved', '{"edge":2}', {}, AbortSignal.timeout(5000))
        return { fetch: chooseTransport() === webFetch, ok, moved: moved.code }
      })().then(JSON.stringify)`),
    )
    expect(answer).toEqual({ fetch: true, ok: { code: 'success' }, moved: 'failed' })
    expect(server.requests.map((r) => [r.path, r.body])).toEqual([
      ['/v1/traces', '{"edge":true}'],
      ['/moved', '{"edge":2}'],
    ])
  })
})
