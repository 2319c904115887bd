// A real `next build` + `next start` of test/next-app (route handlers wrapped by the built package),
// spans sent to a local OTLP/HTTP receiver: what the build does with tracing, and requests whose
// body Next never sends.
import { type ChildProcess, spawn } from 'node:child_process'
import { rmSync } from 'node:fs'
import { createServer, request as httpRequest } from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { type MockOpenAI, startMockOpenAI } from '@tokentrail/mock-openai'
import { type ReceivedSpan, startOtlpReceiver } from '@tokentrail/otlp-receiver'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const app = fileURLToPath(new URL('./next-app/', import.meta.url))
const nextBin = createRequire(import.meta.url).resolve('next/dist/bin/next')
const SERVER = 2

let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>
let mock: MockOpenAI
let build: { code: number | null; output: string; spans: ReceivedSpan[] }
let server: ChildProcess | undefined
let base: string
let serverOutput = ''
// A collector that is down: every POST answered 503 (the outage route exports to it).
let down: { url: string; close: () => Promise<void> }

async function downCollector(): Promise<{ url: string; close: () => Promise<void> }> {
  const collector = createServer((request, response) => {
    request.resume()
    request.on('end', () => response.writeHead(503).end('down for maintenance'))
  })
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(collector.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        collector.closeAllConnections()
        collector.close(() => resolve())
      }),
  }
}

function run(args: string[], env: Record<string, string>): ChildProcess {
  // Only what the test sets: no OTEL_* or VERCEL from the shell that runs the tests.
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^(OTEL_|TOKENTRAIL_|VERCEL|NEXT_)/.test(key)),
  )
  return spawn(process.execPath, [nextBin, ...args], {
    cwd: app,
    env: { ...inherited, NEXT_TELEMETRY_DISABLED: '1', ...env } as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
}

beforeAll(async () => {
  receiver = await startOtlpReceiver()
  down = await downCollector()
  mock = await startMockOpenAI()
  rmSync(`${app}.next`, { recursive: true, force: true })
  // Built as on Vercel (VERCEL=1 is set while building there), exporting to the receiver.
  const child = run(['build'], {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_SERVICE_NAME: 'next-build-test',
    VERCEL: '1',
    MOCK_OPENAI_URL: mock.url,
  })
  let output = ''
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk))
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk))
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  // Anything the build's workers sent has arrived by the time the build exits.
  build = { code, output, spans: [...receiver.spans] }
  if (code !== 0) throw new Error(`next build failed (${code}):\n${output}`)

  server = run(['start', '-H', '127.0.0.1', '-p', '0'], {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_SERVICE_NAME: 'next-build-test',
    MOCK_OPENAI_URL: mock.url,
    OUTAGE_COLLECTOR_URL: down.url,
  })
  base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`next start did not come up:\n${serverOutput}`)),
      30_000,
    )
    const onData = (chunk: Buffer) => {
      serverOutput += chunk.toString()
      const match = /Local:\s+(http:\/\/\S+)/.exec(serverOutput)
      if (match && serverOutput.includes('Ready')) {
        clearTimeout(timer)
        resolve(match[1]!.replace('localhost', '127.0.0.1'))
      }
    }
    server!.stdout!.on('data', onData)
    server!.stderr!.on('data', onData)
    server!.on('exit', (code) =>
      reject(new Error(`next start exited with ${code}:\n${serverOutput}`)),
    )
  })
}, 180_000)

afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server!.once('exit', resolve))
    server.kill('SIGTERM')
    await exited
  }
  await receiver?.close()
  await down?.close()
  await mock?.close()
})

const roots = (name: string) => receiver.spans.filter((s) => s.kind === SERVER && s.name === name)

describe('next build', () => {
  it('prerenders static and generateStaticParams routes without request spans or notices', () => {
    expect(build.output).toMatch(/\/api\/static/)
    expect(build.output).toMatch(/\/api\/items\/a/)
    expect(build.spans.filter((s) => s.kind === SERVER)).toEqual([])
    expect(build.output).not.toContain('[tokentrail]')
  })

  // The build worker ended before the tracer's interval and without the exit it sends at: the
  // model call of a prerendered route was lost, nothing said.
  it('sends the model call a prerendered route makes, as its own trace, before the build ends', () => {
    expect(build.output).toMatch(/\/api\/static-model/)
    const names = build.spans.map((s) => s.name).sort()
    expect(names).toEqual(['chat gpt-4o-mini', 'generateText gpt-4o-mini'])
    const call = build.spans.find((s) => s.name === 'generateText gpt-4o-mini')!
    expect(call.parentSpanId).toBeUndefined()
  })

  it('the prerendered answers are served; a param outside generateStaticParams is traced at request time', async () => {
    expect(await (await fetch(`${base}/api/items/a`)).json()).toEqual({ id: 'a' })
    expect(await (await fetch(`${base}/api/items/zz`)).json()).toEqual({ id: 'zz' })
    await receiver.waitFor(() => roots('GET /api/items/[id]').length === 1)
    const [span] = roots('GET /api/items/[id]')
    expect(span!.attributes['url.path']).toBe('/api/items/zz')
  })
})

describe('next start: the collector down', () => {
  it("a request's flush does not wait on exports already failing and retrying", async () => {
    const stats = async () =>
      (await (await fetch(`${base}/api/outage?stats`)).json()) as {
        started: number
        settled: number
        reasons: string[]
        retried: number
      }
    // The first request's flush finds the collector down: the send loop backs off for a minute,
    // and that flush stops waiting as its export fails.
    expect(await (await fetch(`${base}/api/outage`)).text()).toBe('hi')
    await expect.poll(async () => (await stats()).retried, { timeout: 10_000 }).toBe(1)
    await expect.poll(async () => (await stats()).settled, { timeout: 10_000 }).toBe(1)
    // Later requests' flushes settle without waiting for that retry.
    for (let i = 0; i < 3; i++) expect(await (await fetch(`${base}/api/outage`)).text()).toBe('hi')
    await expect.poll(async () => (await stats()).settled, { timeout: 10_000 }).toBe(4)
    const { started, reasons } = await stats()
    expect(started).toBe(4)
    for (const reason of reasons)
      expect(reason).toMatch(/not waited for: exports are failing and being retried.*503/)
    await fetch(`${base}/api/outage?shutdown`)
  })
})

describe('next start: HEAD', () => {
  it("a HEAD answered by a GET handler's streamed body (never sent) is traced and flushed", async () => {
    const response = await fetch(`${base}/api/answer`, { method: 'HEAD' })
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('')
    await receiver.waitFor(() => roots('HEAD /api/answer').length === 1, 5000)
    const [span] = roots('HEAD /api/answer')
    expect(span!.attributes['http.response.status_code']).toBe(200)
    expect(span!.attributes['http.request.method']).toBe('HEAD')
    expect(span!.status.code).not.toBe(2)
    // The GET itself still streams and is traced whole.
    expect(await (await fetch(`${base}/api/answer`)).text()).toBe('part 0\npart 1\npart 2\n')
    await receiver.waitFor(() => roots('GET /api/answer').length === 1)
  })

  it('an explicit HEAD handler that answers with a body is traced and flushed', async () => {
    for (let i = 0; i < 3; i++) {
      const response = await fetch(`${base}/api/head`, { method: 'HEAD' })
      expect(response.status).toBe(200)
    }
    await receiver.waitFor(() => roots('HEAD /api/head').length === 3, 5000)
    expect(serverOutput).not.toMatch(/Error/)
  })
})

describe('next start: traceIdHeader', () => {
  it("a response object shared by every request never carries another request's trace id", async () => {
    const traced = await fetch(`${base}/api/shared`, { method: 'POST' })
    expect(traced.status).toBe(202)
    const tracedId = traced.headers.get('x-trace-id')
    await receiver.waitFor(() => roots('POST /api/shared').length === 1)
    expect(tracedId).toBe(roots('POST /api/shared')[0]!.traceId)
    // A caller that sampled its trace out: nothing is recorded, and no trace id is made up.
    const notSampled = await fetch(`${base}/api/shared`, {
      method: 'POST',
      headers: {
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00',
      },
    })
    expect(notSampled.status).toBe(202)
    expect(notSampled.headers.get('x-trace-id')).toBeNull()
  })
})

describe('next start: a Response subclass with a constructor of its own', () => {
  it('is answered as the handler made it: body, status and headers', async () => {
    const response = await fetch(`${base}/api/subclass`)
    expect(response.status).toBe(201)
    expect(response.headers.get('x-kind')).toBe('json')
    expect(await response.json()).toEqual({ answer: 42 })
    const posted = await fetch(`${base}/api/subclass`, { method: 'POST' })
    expect(posted.status).toBe(202)
    expect(await posted.text()).toBe('null')
    await receiver.waitFor(
      () => roots('POST /api/subclass').length === 1 && roots('GET /api/subclass').length === 1,
    )
    expect(posted.headers.get('x-trace-id')).toBe(roots('POST /api/subclass')[0]!.traceId)
    expect(roots('GET /api/subclass')[0]!.attributes['http.response.status_code']).toBe(201)
  })
})

describe('next start: route names', () => {
  it('names a route by its template whatever the values, even when two params have the same one', async () => {
    for (const path of ['acme/site', 'x/x', 'repos/repos', 'site/acme']) {
      const response = await fetch(`${base}/api/repos/${path}`)
      const [org, repo] = path.split('/')
      expect(await response.json()).toEqual({ org, repo })
    }
    await receiver.waitFor(
      (spans) => spans.filter((s) => s.name.includes('/api/repos/')).length === 4,
    )
    const names = receiver.spans.filter((s) => s.name.includes('/api/repos/')).map((s) => s.name)
    expect(names).toEqual(Array(4).fill('GET /api/repos/[org]/[repo]'))
  })
})

describe('next start: the host the client used', () => {
  it("records server.address and url.scheme from Host and a proxy's X-Forwarded-*, not the bind address", async () => {
    // Host: app.example (node:http sends the header as given; next start builds request.url from
    // its own bind address, 127.0.0.1).
    const target = new URL(`${base}/api/repos/host/one`)
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          headers: { host: 'app.example' },
        },
        (res) => res.resume().on('end', resolve),
      )
      req.on('error', reject)
      req.end()
    })
    await fetch(`${base}/api/repos/host/two`, {
      headers: { 'x-forwarded-host': 'chat.example', 'x-forwarded-proto': 'https' },
    })
    await receiver.waitFor(
      (spans) =>
        spans.filter((s) =>
          /^\/api\/repos\/host\/(one|two)$/.test(String(s.attributes['url.path'])),
        ).length === 2,
    )
    const at = (path: string) => {
      const span = receiver.spans.find((s) => s.attributes['url.path'] === path)!
      return [span.attributes['url.scheme'], span.attributes['server.address']]
    }
    expect(at('/api/repos/host/one')).toEqual(['http', 'app.example'])
    expect(at('/api/repos/host/two')).toEqual(['https', 'chat.example'])
  })
})

describe('next start: a Pages Router API route', () => {
  it('answers as before, untraced, and says once that withTracing got no Request', async () => {
    for (let i = 0; i < 2; i++) {
      const response = await fetch(`${base}/api/legacy`)
      expect(response.status).toBe(200)
      expect(await response.json()).toEqual({ legacy: true })
    }
    const notice = /\[tokentrail\] withTracing\(\): the handler was called without a Web Request/g
    await expect.poll(() => serverOutput.match(notice)?.length ?? 0).toBe(1)
  })
})

describe('next start: a handler that returns no Response', () => {
  it('is recorded as the failure the client sees (500), not as a success', async () => {
    const response = await fetch(`${base}/api/forgot`, { method: 'POST' })
    expect(response.status).toBe(500)
    expect(serverOutput).toContain('No response is returned from route handler')
    await receiver.waitFor(() => roots('POST /api/forgot').length === 1)
    const [span] = roots('POST /api/forgot')
    expect(span!.status.code).toBe(2)
    expect(span!.attributes['error.type']).toBe('TypeError')
    // The branch that returns a Response is unchanged.
    const ok = await fetch(`${base}/api/forgot`, { method: 'POST', headers: { 'x-ok': '1' } })
    expect(await ok.json()).toEqual({ ok: true })
    await receiver.waitFor(() => roots('POST /api/forgot').length === 2)
    expect(roots('POST /api/forgot')[1]!.status.code).not.toBe(2)
  })
})

describe('next start: work beside and after the answer', () => {
  it('a timer, a microtask, a promise not awaited, body pulls and after(): every span is in the request trace, under its span', async () => {
    const response = await fetch(`${base}/api/after`)
    expect(await response.text()).toBe('part 0\npart 1\n')
    const names = ['timer', 'microtask', 'not awaited', 'pull 0', 'pull 1', 'after']
    await receiver.waitFor(
      (spans) =>
        roots('GET /api/after').length === 1 && names.every((n) => spans.some((s) => s.name === n)),
      15_000,
    )
    const root = roots('GET /api/after')[0]!
    for (const name of names) {
      const span = receiver.spans.find((s) => s.name === name)!
      expect({ name, traceId: span.traceId, parent: span.parentSpanId }).toEqual({
        name,
        traceId: root.traceId,
        parent: root.spanId,
      })
    }
  })
})

describe('next start: a Hono app traced by tracing() inside a route traced by withTracing', () => {
  // One tree per request: Next's span continues the caller's traceparent, Hono's nests under it,
  // and the AI SDK's call and LLM spans under Hono's. With a traceparent, Hono's span was a second
  // child of the caller, beside Next's, as it continued the header itself.
  it.each([
    ['without a traceparent', 'c1', undefined],
    ['continuing a traceparent', 'c2', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'],
  ])('%s: request span → Hono span → call → LLM span', async (_, id, traceparent) => {
    const response = await fetch(`${base}/api/hono/chats/${id}`, {
      method: 'POST',
      headers: traceparent ? { traceparent } : {},
    })
    expect(response.status).toBe(200)
    expect(await response.text()).toBe(`You said: chat ${id}`)
    const request = () =>
      receiver.spans.find(
        (s) => s.kind === SERVER && s.attributes['url.path'] === `/api/hono/chats/${id}`,
      )
    await receiver.waitFor(() => request() !== undefined)
    const traceId = request()!.traceId
    await receiver.waitFor(() => receiver.trace(traceId).length === 4)
    const spans = receiver.trace(traceId)
    const next = spans.find((s) => s.name === 'POST /api/hono/[...route]')!
    const hono = spans.find((s) => s.name === 'POST /api/hono/chats/:id')!
    const call = spans.find((s) => s.name === 'streamText gpt-4o-mini')!
    const llm = spans.find((s) => s.name === 'chat gpt-4o-mini')!
    expect(next.parentSpanId).toBe(traceparent ? 'b7ad6b7169203331' : undefined)
    expect(hono.parentSpanId).toBe(next.spanId)
    expect(call.parentSpanId).toBe(hono.spanId)
    expect(llm.parentSpanId).toBe(call.spanId)
  })

  // A catch-all's values that repeat the path before it were matched leftmost: the span of
  // /api/hono/api/hono was named /[...route]/api/hono. Next allows a catch-all last only.
  it('names a catch-all route whose values repeat the path before it', async () => {
    const response = await fetch(`${base}/api/hono/api/hono`, { method: 'POST' })
    expect(response.status).toBe(404)
    await response.arrayBuffer()
    // Next's span, the root (Hono's, under it, matched no route of its own: `POST`).
    const request = () =>
      receiver.spans.find(
        (s) =>
          s.kind === SERVER &&
          s.attributes['url.path'] === '/api/hono/api/hono' &&
          s.parentSpanId === undefined,
      )
    await receiver.waitFor(() => request() !== undefined)
    expect(request()!.name).toBe('POST /api/hono/[...route]')
    expect(request()!.attributes['http.route']).toBe('/api/hono/[...route]')
  })
})

describe('next start: a traced handler that answers through another traced handler', () => {
  it('nests the inner request span under the outer one, also when continuing a traceparent', async () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
    const response = await fetch(`${base}/api/reuse`, { method: 'POST', headers: { traceparent } })
    expect(await response.json()).toEqual({ reused: true })
    await receiver.waitFor(() => receiver.trace('4bf92f3577b34da6a3ce929d0e0e4736').length === 2)
    const spans = receiver.trace('4bf92f3577b34da6a3ce929d0e0e4736')
    // Both are named after the request (POST /api/reuse): the inner one is the span under the other.
    expect(spans.map((s) => s.name)).toEqual(['POST /api/reuse', 'POST /api/reuse'])
    const outer = spans.find((s) => s.parentSpanId === '00f067aa0ba902b7')!
    const inner = spans.find((s) => s !== outer)!
    expect(inner.parentSpanId).toBe(outer.spanId)
  })

  // Before, a span of the app's own between the two (`withSpan('proxy', …)`) split them: the inner
  // request span continued the traceparent beside the outer one, the proxy span left empty.
  it('nests it under a span of the app between them too', async () => {
    const traceparent = '00-5bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
    const response = await fetch(`${base}/api/reuse`, { method: 'PUT', headers: { traceparent } })
    expect(await response.json()).toEqual({ reused: true })
    await receiver.waitFor(() => receiver.trace('5bf92f3577b34da6a3ce929d0e0e4736').length === 3)
    const spans = receiver.trace('5bf92f3577b34da6a3ce929d0e0e4736')
    const outer = spans.find((s) => s.parentSpanId === '00f067aa0ba902b7')!
    const proxy = spans.find((s) => s.name === 'proxy')!
    const inner = spans.find((s) => s !== outer && s !== proxy)!
    expect(outer.name).toBe('PUT /api/reuse')
    expect(proxy.parentSpanId).toBe(outer.spanId)
    expect(inner.parentSpanId).toBe(proxy.spanId)
  })
})

describe('next start: an answer whose stream breaks mid-way', () => {
  it("is an error span typed by the stream's error (error.type), as a thrown error is", async () => {
    const response = await fetch(`${base}/api/broken`)
    expect(response.status).toBe(200)
    await expect(response.text()).rejects.toThrow()
    await receiver.waitFor(() => roots('GET /api/broken').length === 1)
    const [span] = roots('GET /api/broken')
    expect(span!.status.code).toBe(2)
    expect(span!.attributes['error.type']).toBe('UpstreamError')
  })

  // Before, a stream failed with no reason (`controller.error()`) ended the span `error` with no
  // `error.type`, the one failure that grouped under none.
  it('gives a body broken with no reason an error.type too', async () => {
    const response = await fetch(`${base}/api/broken?reason=none`)
    expect(response.status).toBe(200)
    await expect(response.text()).rejects.toThrow()
    await receiver.waitFor(() => roots('GET /api/broken').length === 2)
    const span = roots('GET /api/broken').at(-1)
    expect(span!.status.code).toBe(2)
    expect(span!.attributes['error.type']).toBe('undefined')
  })
})

// Before, a handler answering `Response.error()` (status 0) was an `ok` span with status code 0,
// while Next answered the client 500.
describe('next start: Response.error()', () => {
  it('is an error span with the 500 Next answered', async () => {
    const response = await fetch(`${base}/api/network-error`)
    expect(response.status).toBe(500)
    await receiver.waitFor(() => roots('GET /api/network-error').length === 1)
    const [span] = roots('GET /api/network-error')
    expect(span!.status.code).toBe(2)
    expect(span!.attributes['error.type']).toBe('TypeError')
    expect(span!.attributes['http.response.status_code']).toBe(500)
  })
})

describe('next start: a client that goes away while the handler still works', () => {
  it('ends the span of a handler that never returns streamTimeoutMs after its client left', async () => {
    const request = httpRequest(`${base}/api/hangs`)
    request.on('error', () => {})
    request.end()
    // Long enough for the handler to be waiting, not a timing assertion.
    await new Promise((resolve) => setTimeout(resolve, 1000))
    request.destroy()
    await receiver.waitFor(() => roots('GET /api/hangs').length === 1)
    const [span] = roots('GET /api/hangs')
    expect(span!.attributes['tokentrail.span.status']).toBe('cancelled')
    expect(span!.attributes['tokentrail.handler_timeout']).toBe(true)
    // Handed to Next's after(), as any request's flush: it went to the background, its timer
    // outside the request's context, where after() throws.
    expect(span!.attributes['tokentrail.flush.via']).toBe('after')
    await receiver.waitFor(() => receiver.trace(span!.traceId).length === 2)
    const stuck = receiver.trace(span!.traceId).find((s) => s.name === 'stuck lookup')
    expect(stuck!.parentSpanId).toBe(span!.spanId)
  })

  it('ends the span cancelled when the work stops with the request signal, not as a failure', async () => {
    // The handler waits on request.signal, as a model call given `abortSignal: request.signal`
    // does; the client leaves before any answer.
    const request = httpRequest(`${base}/api/slow`)
    request.on('error', () => {})
    request.end()
    // Long enough for the handler to be waiting (it waits 10 s), not a timing assertion.
    await new Promise((resolve) => setTimeout(resolve, 1000))
    request.destroy()
    await receiver.waitFor(() => roots('GET /api/slow').length === 1)
    const [span] = roots('GET /api/slow')
    expect(span!.attributes['tokentrail.span.status']).toBe('cancelled')
    expect(span!.status.code).not.toBe(2)
    expect(span!.attributes['error.type']).toBeUndefined()
  })
})

describe('next start: a client that leaves mid-upload', () => {
  // request.json() rejected with Node's `aborted`: the span was `error`, with a 500 never sent.
  it('ends the span cancelled, not as a failure', async () => {
    const request = httpRequest(`${base}/api/upload`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': '1000' },
    })
    request.on('error', () => {})
    request.write('{"a":')
    // Long enough for the handler to be reading the body, not a timing assertion.
    await new Promise((resolve) => setTimeout(resolve, 1000))
    request.destroy()
    await receiver.waitFor(() => roots('POST /api/upload').length === 1)
    const [span] = roots('POST /api/upload')
    expect(span!.attributes['tokentrail.span.status']).toBe('cancelled')
    expect(span!.status.code).not.toBe(2)
    expect(span!.attributes['error.type']).toBeUndefined()
  })
})

describe('next start: a handler that fails on its own after the client went away', () => {
  it('is an error span with its error, not the cancel of a client that left', async () => {
    const request = httpRequest(`${base}/api/slow-fails`)
    request.on('error', () => {})
    request.end()
    // Long enough for the handler to be waiting, not a timing assertion.
    await new Promise((resolve) => setTimeout(resolve, 1000))
    request.destroy()
    await receiver.waitFor(() => roots('GET /api/slow-fails').length === 1)
    const [span] = roots('GET /api/slow-fails')
    expect(span!.status.code).toBe(2)
    expect(span!.attributes['error.type']).toBe('QueryTimeoutError')
  })
})

describe('next start: a handler that throws', () => {
  it('is an error span with the 500 Next answered and the type of its error', async () => {
    const response = await fetch(`${base}/api/fails`, { method: 'POST' })
    expect(response.status).toBe(500)
    await receiver.waitFor(() => roots('POST /api/fails').length === 1)
    const [span] = roots('POST /api/fails')
    expect(span!.status.code).toBe(2)
    expect(span!.attributes['error.type']).toBe('RangeError')
    expect(span!.attributes['http.response.status_code']).toBe(500)
  })
})
