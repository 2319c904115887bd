import { describe, expect, it } from 'vitest'
import {
  type BodyEnd,
  createTracer,
  getActiveSpan,
  httpRequestAttributes,
  watchBody,
} from '../src/index.js'
import { memoryExporter } from '../src/testing.js'

function source(chunks: Uint8Array[], fail?: Error) {
  let i = 0
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(chunks[i++]!)
      else if (fail) controller.error(fail)
      else controller.close()
    },
  })
}

describe('watchBody', () => {
  it('passes the same chunk objects in order and reports the end once, before the reader sees done', async () => {
    const chunks = [new Uint8Array([1, 2]), new Uint8Array([3])]
    const ends: BodyEnd[] = []
    const reader = watchBody(source(chunks), (end) => ends.push(end)).getReader()
    expect((await reader.read()).value).toBe(chunks[0])
    expect((await reader.read()).value).toBe(chunks[1])
    expect(ends).toEqual([])
    expect((await reader.read()).done).toBe(true)
    expect(ends).toEqual([{ reason: 'done', bytes: 3 }])
  })

  it('tells a cancelling reader from a failing source, and the source error reaches the reader unchanged', async () => {
    const cancelled: BodyEnd[] = []
    let sourceCancelled: unknown
    const upstream = new ReadableStream({ cancel: (reason) => void (sourceCancelled = reason) })
    await watchBody(upstream, (end) => cancelled.push(end)).cancel('client left')
    expect(cancelled).toEqual([{ reason: 'cancelled', error: 'client left', bytes: 0 }])
    expect(sourceCancelled).toBe('client left')

    const boom = new Error('upstream broke')
    const failed: BodyEnd[] = []
    const reader = watchBody(source([new Uint8Array([1])], boom), (end) =>
      failed.push(end),
    ).getReader()
    await reader.read()
    await expect(reader.read()).rejects.toBe(boom)
    expect(failed).toEqual([{ reason: 'error', error: boom, bytes: 1 }])
  })

  it('pulls lazily inside the given span, so spans made while streaming nest under it', async () => {
    const exporter = memoryExporter()
    const tracer = createTracer({ exporters: [exporter] })
    const request = tracer.startSpan('POST /api/chat', { kind: 'http' })
    let seen: unknown
    const lazy = new ReadableStream(
      {
        pull(controller) {
          seen = getActiveSpan()
          controller.close()
        },
      },
      { highWaterMark: 0 },
    )
    await watchBody(lazy, () => request.end(), request)
      .getReader()
      .read()
    expect(seen).toBe(request)
    expect(request.ended).toBe(true)
  })

  it('an onEnd that throws never breaks the stream', async () => {
    const body = watchBody(source([new Uint8Array([1])]), () => {
      throw new Error('telemetry bug')
    })
    expect(await new Response(body).arrayBuffer()).toHaveProperty('byteLength', 1)
  })
})

describe('httpRequestAttributes', () => {
  it('reads method, path, scheme, host and user agent', () => {
    const request = new Request('https://chat.example.com/api/chat?x=1', {
      method: 'POST',
      headers: { 'user-agent': 'test/1.0' },
    })
    expect(httpRequestAttributes(request)).toEqual({
      'http.request.method': 'POST',
      'url.path': '/api/chat',
      'url.scheme': 'https',
      'server.address': 'chat.example.com',
      'user_agent.original': 'test/1.0',
    })
    expect(httpRequestAttributes(request, '/chat')['url.path']).toBe('/chat')
  })

  it('reads the host and scheme the client used: Forwarded, X-Forwarded-*, Host, then the URL', () => {
    const at = (url: string, headers: Record<string, string>) => {
      const a = httpRequestAttributes(new Request(url, { headers }))
      return [a['url.scheme'], a['server.address']]
    }
    // `next start` builds request.url from its own bind address.
    expect(at('http://localhost:3000/a', { host: 'app.example' })).toEqual(['http', 'app.example'])
    expect(at('http://localhost:3000/a', { host: 'app.example:8443' })).toEqual([
      'http',
      'app.example',
    ])
    expect(
      at('http://localhost:3000/a', {
        host: 'internal:3000',
        'x-forwarded-host': 'app.example, proxy.internal',
        'x-forwarded-proto': 'https, http',
      }),
    ).toEqual(['https', 'app.example'])
    expect(
      at('http://localhost:3000/a', {
        host: 'internal',
        'x-forwarded-host': 'other.example',
        forwarded: 'for=1.2.3.4;host="app.example:443";proto=HTTPS, for=10.0.0.1;host=internal',
      }),
    ).toEqual(['https', 'app.example'])
    expect(at('http://[::1]:3000/a', { host: '[::1]:3000' })).toEqual(['http', '[::1]'])
    // What is not a host or a scheme is passed over.
    expect(
      at('http://localhost/a', {
        host: 'a b',
        'x-forwarded-host': 'evil.example/path',
        'x-forwarded-proto': 'ht tp',
      }),
    ).toEqual(['http', 'localhost'])
  })
})
