import { request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { LanguageModelV4StreamPart } from '@ai-sdk/provider'
import { serve } from '@hono/node-server'
import { startMockOpenAI } from '@tokentrail/mock-openai'
import {
  jsonSchema,
  simulateReadableStream,
  stepCountIs,
  streamText,
  tool,
  wrapLanguageModel,
} from 'ai'
import { MockLanguageModelV4 } from 'ai/test'
import { Hono } from 'hono'
import OpenAI from 'openai'
import { afterEach, describe, expect, it } from 'vitest'
import { tracing } from '../src/index.js'
import { modelSpans, setup, streamingModel, usage } from './helpers.js'

const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const close of closers.splice(0)) await close()
})

async function listen(app: Hono): Promise<string> {
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' })
  await new Promise<void>((resolve) => server.once('listening', () => resolve()))
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        ;(server as any).closeAllConnections?.()
        server.close(() => resolve())
      }),
  )
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

describe('tracing() on @hono/node-server over real HTTP', () => {
  it('nests every model step and the tool span under the request span, and ends it at body end', async () => {
    // A long-lived server: spans leave on the tracer's interval, not per request.
    const { tracer, exporter } = setup({ flushIntervalMs: 20 })
    const steps: LanguageModelV4StreamPart[][] = [
      [
        { type: 'stream-start', warnings: [] },
        {
          type: 'tool-call',
          toolCallId: 'call-1',
          toolName: 'weather',
          input: '{"city":"Paris"}',
        },
        { type: 'finish', usage, finishReason: { unified: 'tool-calls', raw: 'tool_calls' } },
      ],
      [
        { type: 'stream-start', warnings: [] },
        { type: 'text-start', id: 't' },
        { type: 'text-delta', id: 't', delta: 'Sunny in Paris' },
        { type: 'text-end', id: 't' },
        { type: 'finish', usage, finishReason: { unified: 'stop', raw: 'stop' } },
      ],
    ]
    let call = 0
    const model = wrapLanguageModel({
      model: new MockLanguageModelV4({
        modelId: 'mock-tools',
        doStream: async () => ({
          stream: simulateReadableStream({ chunks: steps[call++]!, chunkDelayInMs: 5 }),
        }),
      }),
      middleware: modelSpans(tracer),
    })
    const app = new Hono()
    app.use('/api/*', tracing({ tracer }))
    app.post('/api/chat', () =>
      streamText({
        model,
        prompt: 'weather?',
        stopWhen: stepCountIs(3),
        tools: {
          weather: tool({
            inputSchema: jsonSchema<{ city: string }>({
              type: 'object',
              properties: { city: { type: 'string' } },
              required: ['city'],
            }),
            execute: ({ city }) =>
              tracer.withSpan(
                'execute_tool weather',
                { kind: 'tool' },
                async () => `sun in ${city}`,
              ),
          }),
        },
      }).toTextStreamResponse(),
    )
    const url = await listen(app)
    const response = await fetch(`${url}/api/chat`, { method: 'POST' })
    expect(await response.text()).toBe('Sunny in Paris')
    await expect.poll(() => exporter.spans.length, { timeout: 3000 }).toBe(4)
    const root = exporter.span('POST /api/chat')
    expect(root.status).toBe('ok')
    const children = exporter.spans.filter((s) => s !== root)
    expect(children.map((s) => s.name).sort()).toEqual([
      'chat mock-tools',
      'chat mock-tools',
      'execute_tool weather',
    ])
    for (const child of children) {
      expect(child.traceId).toBe(root.traceId)
      expect(child.parentSpanId).toBe(root.spanId)
      expect(child.endTime).toBeLessThanOrEqual(root.endTime)
    }
  })

  it('runs a lazily pulled body inside the request span, so spans started there nest', async () => {
    // A long-lived server: spans leave on the tracer's interval, not per request.
    const { tracer, exporter } = setup({ flushIntervalMs: 20 })
    const app = new Hono()
    app.use(tracing({ tracer }))
    app.get('/lazy', () => {
      let n = 0
      const body = new ReadableStream<Uint8Array>(
        {
          async pull(controller) {
            if (n++ === 2) return controller.close()
            await tracer.withSpan(`pull ${n}`, () => new Promise((r) => setTimeout(r, 2)))
            controller.enqueue(new TextEncoder().encode(`chunk ${n};`))
          },
        },
        { highWaterMark: 0 },
      )
      return new Response(body)
    })
    const url = await listen(app)
    expect(await (await fetch(`${url}/lazy`)).text()).toBe('chunk 1;chunk 2;')
    await expect.poll(() => exporter.spans.length, { timeout: 3000 }).toBe(3)
    const root = exporter.span('GET /lazy')
    expect(exporter.span('pull 1').parentSpanId).toBe(root.spanId)
    expect(exporter.span('pull 2').parentSpanId).toBe(root.spanId)
  })

  it('marks the request span cancelled when the client disconnects mid-stream', async () => {
    // A long-lived server: spans leave on the tracer's interval, not per request.
    const { tracer, exporter } = setup({ flushIntervalMs: 20 })
    const app = new Hono()
    app.use(tracing({ tracer }))
    app.post('/api/chat', () =>
      streamText({
        model: streamingModel(
          tracer,
          Array.from({ length: 200 }, (_, i) => `w${i} `),
          10,
        ),
        prompt: 'x',
      }).toTextStreamResponse(),
    )
    const url = await listen(app)
    const controller = new AbortController()
    const response = await fetch(`${url}/api/chat`, { method: 'POST', signal: controller.signal })
    const reader = response.body!.getReader()
    const first = await reader.read()
    expect(first.done).toBe(false)
    controller.abort()
    await expect.poll(() => exporter.spans.length, { timeout: 3000 }).toBe(2)
    const root = exporter.span('POST /api/chat')
    expect(root.status).toBe('cancelled')
    // The bytes sent before the client left (at least what it read), not nothing.
    const size = root.attributes['http.response.body.size'] as number
    expect(size).toBeGreaterThanOrEqual(first.value!.byteLength)
    expect(size).toBeLessThan(
      Buffer.byteLength(Array.from({ length: 200 }, (_, i) => `w${i} `).join('')),
    )
    // Ended at the disconnect, not after the 2 s the full stream would take.
    expect(root.endTime - root.startTime).toBeLessThan(1500)
    const model = exporter.span('chat mock-stream')
    expect(model.parentSpanId).toBe(root.spanId)
    expect(model.status).toBe('cancelled')
  })

  it('traces HEAD requests, a streamed GET route among them: each span ends with the response and is exported', async () => {
    const { tracer, exporter } = setup({ flushIntervalMs: 20 })
    const app = new Hono()
    app.use(tracing({ tracer }))
    app.get('/api/chat', () =>
      streamText({
        model: streamingModel(tracer, ['one ', 'two'], 5),
        prompt: 'x',
      }).toTextStreamResponse(),
    )
    app.get('/health', (c) => c.text('ok'))
    const url = await listen(app)
    for (const path of ['/api/chat', '/health', '/health']) {
      const response = await fetch(url + path, { method: 'HEAD' })
      expect(response.status).toBe(200)
      expect(await response.text()).toBe('')
    }
    await expect
      .poll(
        () =>
          exporter.spans
            .filter((s) => s.kind === 'http')
            .map((s) => s.name)
            .sort(),
        {
          timeout: 3000,
        },
      )
      .toEqual(['HEAD /api/chat', 'HEAD /health', 'HEAD /health'])
  })

  it("never leaves a request's trace id on a response object the app shares between requests", async () => {
    const { tracer, exporter } = setup({ flushIntervalMs: 20 })
    const accepted = new Response(null, { status: 202, headers: { 'x-app': 'kept' } })
    const app = new Hono()
    app.use(tracing({ tracer, traceIdHeader: 'x-trace-id' }))
    app.post('/jobs', () => accepted)
    const url = await listen(app)
    const traced = await fetch(`${url}/jobs`, { method: 'POST' })
    expect(traced.status).toBe(202)
    expect(traced.headers.get('x-app')).toBe('kept')
    await expect.poll(() => exporter.spans.length, { timeout: 3000 }).toBe(1)
    expect(traced.headers.get('x-trace-id')).toBe(exporter.spans[0]!.traceId)
    // A caller that sampled its trace out: nothing recorded, and no other request's trace id.
    const notSampled = await fetch(`${url}/jobs`, {
      method: 'POST',
      headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00' },
    })
    expect(notSampled.status).toBe(202)
    expect(notSampled.headers.get('x-trace-id')).toBeNull()
    expect(accepted.headers.get('x-trace-id')).toBeNull()
  })

  it('answers a handler that returns no Response as the untraced app does (500), and records the failure', async () => {
    const { tracer, exporter } = setup({ flushIntervalMs: 20 })
    const build = (traced: boolean) => {
      const app = new Hono()
      // Any middleware makes Hono answer 500 here (one bare handler gets its 404 fast path).
      app.use(
        traced
          ? tracing({ tracer, traceIdHeader: 'x-trace-id' })
          : async (_c, next) => {
              await next()
            },
      )
      app.get('/forgot', async (c) => {
        if (c.req.query('ok')) return c.text('fine')
      })
      app.onError((error, c) => c.text(`onError: ${error.message}`, 500))
      return app
    }
    const plain = await listen(build(false))
    const traced = await listen(build(true))
    const a = await fetch(`${plain}/forgot`)
    const b = await fetch(`${traced}/forgot`)
    expect(a.status).toBe(500)
    expect(b.status).toBe(a.status)
    expect(await b.text()).toBe(await a.text())
    expect(await (await fetch(`${traced}/forgot?ok=1`)).text()).toBe('fine')
    await expect.poll(() => exporter.spans.length, { timeout: 3000 }).toBe(2)
    const [failed, fine] = exporter.spans
    expect(failed!.status).toBe('error')
    expect(failed!.attributes['error.type']).toBe('Error')
    expect(failed!.attributes['http.response.status_code']).toBeUndefined()
    expect(fine!.status).toBe('ok')
  })

  it('records the handler\'s error when onError returns no Response, not Hono\'s "Context is not finalized"', async () => {
    const { tracer, exporter } = setup({ flushIntervalMs: 20 })
    const build = (traced: boolean) => {
      const app = new Hono()
      app.use(
        traced
          ? tracing({ tracer })
          : async (_c, next) => {
              await next()
            },
      )
      app.get('/fails', () => {
        throw Object.assign(new Error('database down'), { name: 'DatabaseError' })
      })
      // Logs and returns nothing: Hono then fails with "Context is not finalized".
      app.onError(() => undefined as unknown as Response)
      return app
    }
    const plain = await fetch(`${await listen(build(false))}/fails`)
    const traced = await fetch(`${await listen(build(true))}/fails`)
    expect(traced.status).toBe(plain.status)
    expect(await traced.text()).toBe(await plain.text())
    await expect.poll(() => exporter.spans.length, { timeout: 3000 }).toBe(1)
    const [span] = exporter.spans
    expect(span!.status).toBe('error')
    expect(span!.error?.message).toBe('database down')
    expect(span!.attributes['error.type']).toBe('DatabaseError')
  })

  // app.mount() hands the sub-app a new Context and Request: its own tracing() recorded a second
  // SERVER span (path and route without the mount's prefix), and its options went unused unsaid.
  it('records one span for a mounted sub-app with a tracing() of its own, and says its options go unused', async () => {
    const warnings: string[] = []
    const { tracer, exporter } = setup({ warnings: (m) => warnings.push(m) })
    const sub = new Hono()
    sub.use(tracing({ tracer, traceIdHeader: 'x-inner-id', skip: ['/health'] }))
    sub.get('/x', (c) => c.text(c.var.traceId))
    const app = new Hono()
    app.use(tracing({ tracer }))
    app.mount('/m', sub.fetch)
    const base = await listen(app)
    const answers = []
    for (let i = 0; i < 2; i++) {
      const response = await fetch(`${base}/m/x`)
      answers.push({ id: await response.text(), inner: response.headers.get('x-inner-id') })
    }
    await tracer.flush()
    expect(exporter.spans.map((s) => [s.name, s.attributes['url.path']])).toEqual([
      ['GET /m/*', '/m/x'],
      ['GET /m/*', '/m/x'],
    ])
    // The sub-app's handlers get the request's span.
    expect(answers.map((a) => a.id)).toEqual(exporter.spans.map((s) => s.traceId))
    expect(warnings.filter((w) => w.includes('second time'))).toEqual([
      "tracing() ran a second time for one request (a sub-app's, or app.use(tracing()) twice): the first one records the request, and this one's options (traceIdHeader, skip) are not used. Give them to the first tracing(), or drop the second.",
    ])
    // The mount's own path, which the sub-app sees as `/`.
    const root = await fetch(`${base}/m`)
    await root.text()
    await tracer.flush()
    expect(exporter.spans.map((s) => s.attributes['url.path'])).toEqual(['/m/x', '/m/x', '/m'])
  })

  // The first version of the mount check took any request whose path ended the outer one's for a
  // mount: an app calling another in-process (`backend.request('/users')` from `/api/users`) lost
  // the called app's span and header.
  it('still traces an app another one calls in-process, as a request of its own', async () => {
    const warnings: string[] = []
    const { tracer, exporter } = setup({ warnings: (m) => warnings.push(m) })
    const backend = new Hono()
    backend.use(tracing({ tracer, traceIdHeader: 'x-backend-id' }))
    backend.get('/users', (c) => c.json([]))
    const app = new Hono()
    app.use(tracing({ tracer }))
    app.get('/api/users', async (c) => {
      const answer = await backend.request('/users')
      return c.json({ backendId: answer.headers.get('x-backend-id') })
    })
    const base = await listen(app)
    const { backendId } = await (await fetch(`${base}/api/users`)).json()
    await tracer.flush()
    expect(exporter.spans.map((s) => s.name).sort()).toEqual(['GET /api/users', 'GET /users'])
    const inner = exporter.spans.find((s) => s.name === 'GET /users')!
    expect(backendId).toBe(inner.traceId)
    expect(warnings.filter((w) => w.includes('second time'))).toEqual([])
  })

  // `content-type` became the trace id and `set-cookie` replaced the app's cookies, nothing said;
  // a header of that name the handler set was overwritten.
  it('traceIdHeader refuses a header the response uses, and never replaces one the handler set', async () => {
    expect(() => tracing({ traceIdHeader: 'set-cookie' })).toThrow(
      'tracing({ traceIdHeader }): "set-cookie" is a header the response itself uses, which the trace id would replace; give a header of its own, such as "x-trace-id"',
    )
    expect(() => tracing({ traceIdHeader: 'Content-Type' })).toThrow(/"Content-Type" is a header/)
    const { tracer, exporter } = setup()
    const app = new Hono()
    app.use(tracing({ tracer, traceIdHeader: 'x-request-id' }))
    app.get('/own', (c) => {
      c.header('x-request-id', 'app-123')
      return c.text('ok')
    })
    app.get('/none', (c) => c.text('ok'))
    const base = await listen(app)
    const own = await fetch(`${base}/own`)
    const none = await fetch(`${base}/none`)
    expect([await own.text(), await none.text()]).toEqual(['ok', 'ok'])
    await tracer.flush()
    expect(own.headers.get('x-request-id')).toBe('app-123')
    expect(none.headers.get('x-request-id')).toBe(exporter.spans[1]!.traceId)
  })

  // A Response object answered twice: its body was read by the first answer, the server fails
  // the second with a 500, and its span said ok with status 200.
  it('marks the span of a response whose body was already read as failed, as the server fails it', async () => {
    const { tracer, exporter } = setup()
    const shared = new Response('static body')
    const app = new Hono()
    app.use(tracing({ tracer }))
    app.get('/static', () => shared)
    const base = await listen(app)
    const first = await fetch(`${base}/static`)
    expect([first.status, await first.text()]).toEqual([200, 'static body'])
    const second = await fetch(`${base}/static`)
    expect(second.status).toBe(500)
    await second.arrayBuffer()
    await tracer.flush()
    expect(exporter.spans.map((s) => s.status)).toEqual(['ok', 'error'])
    expect(exporter.spans[1]!.error?.message).toMatch(/already read or is locked/)
    expect(exporter.spans[1]!.attributes['error.type']).toBe('TypeError')
  })

  it('ends the request span of a handler that never returns, streamTimeoutMs after its client left', async () => {
    const { tracer, exporter } = setup({ flushIntervalMs: 20 })
    let started!: () => void
    const handlerStarted = new Promise<void>((resolve) => (started = resolve))
    const app = new Hono()
    app.use(tracing({ tracer, streamTimeoutMs: 200 }))
    app.get('/hangs/:id', async () => {
      started()
      tracer.startSpan('lookup') // never ended either: it hangs with the handler
      return new Promise<Response>(() => {})
    })
    const base = await listen(app)
    const controller = new AbortController()
    const request = fetch(`${base}/hangs/7`, { signal: controller.signal }).catch(() => 'gone')
    await handlerStarted
    controller.abort()
    expect(await request).toBe('gone')
    await expect.poll(() => exporter.spans.length, { timeout: 5000 }).toBe(2)
    const root = exporter.spans.find((s) => s.kind === 'http')!
    expect(root.status).toBe('cancelled')
    expect(root.attributes['tokentrail.handler_timeout']).toBe(true)
    // Named after the route dispatch matched (it was just `GET`).
    expect(root.name).toBe('GET /hangs/:id')
    expect(root.attributes['http.route']).toBe('/hangs/:id')
    expect(root.events.map((e) => e.name)).toContain('http.request.aborted')
    const lookup = exporter.spans.find((s) => s.name === 'lookup')!
    expect(lookup.parentSpanId).toBe(root.spanId)
    expect(lookup.status).toBe('cancelled')
  })

  it('a handler that returns after its client left, within streamTimeoutMs, still ends its span', async () => {
    const { tracer, exporter } = setup({ flushIntervalMs: 20 })
    let started!: () => void
    const handlerStarted = new Promise<void>((resolve) => (started = resolve))
    let release!: () => void
    const app = new Hono()
    app.use(tracing({ tracer, streamTimeoutMs: 60_000 }))
    let seen!: () => void
    const abortSeen = new Promise<void>((resolve) => (seen = resolve))
    app.get('/late', async (c) => {
      c.req.raw.signal.addEventListener('abort', () => seen())
      started()
      await new Promise<void>((resolve) => (release = resolve))
      return c.text('too late')
    })
    const base = await listen(app)
    const controller = new AbortController()
    const request = fetch(`${base}/late`, { signal: controller.signal }).catch(() => 'gone')
    await handlerStarted
    controller.abort()
    expect(await request).toBe('gone')
    await abortSeen
    release()
    await expect.poll(() => exporter.spans.length, { timeout: 5000 }).toBe(1)
    const [root] = exporter.spans
    expect(root!.status).toBe('cancelled')
    expect(root!.name).toBe('GET /late')
    expect(root!.attributes['tokentrail.handler_timeout']).toBeUndefined()
  })

  it('returns the same bytes, status and headers as the untraced app', async () => {
    const { tracer } = setup()
    const build = (traced: boolean) => {
      const app = new Hono()
      if (traced) app.use(tracing({ tracer }))
      app.get('/json', (c) => c.json({ ok: true, list: [1, 2, 3] }, 201, { 'x-custom': 'yes' }))
      app.get('/stream', () =>
        streamText({
          model: streamingModel(tracer, ['one ', 'two']),
          prompt: 'x',
        }).toTextStreamResponse(),
      )
      // A short stream of string chunks, not bytes: untraced it goes out chunked; its copy went out
      // with a Content-Length counted in characters, which the client failed to parse.
      app.get('/short', () => {
        const body = new ReadableStream({
          start(controller) {
            controller.enqueue('héllo wörld' as never)
            controller.close()
          },
        })
        return new Response(body, { headers: { 'content-type': 'text/plain' } })
      })
      app.get('/form', () => new Response(new URLSearchParams({ a: '1', b: '2' })))
      return app
    }
    const plain = await listen(build(false))
    const traced = await listen(build(true))
    for (const path of ['/json', '/stream', '/short', '/form']) {
      const a = await fetch(plain + path)
      const b = await fetch(traced + path)
      expect(b.status).toBe(a.status)
      const skip = new Set(['date', 'keep-alive', 'connection'])
      const headers = (r: Response) => [...r.headers].filter(([k]) => !skip.has(k))
      expect(headers(b)).toEqual(headers(a))
      expect(await b.text()).toBe(await a.text())
    }
  })

  it("types a body that breaks mid-answer by its error (error.type), as a handler's throw is", async () => {
    const { tracer, exporter } = setup({ flushIntervalMs: 20 })
    const app = new Hono().use(tracing({ tracer }))
    app.get('/broken', () => {
      let n = 0
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          await new Promise((resolve) => setTimeout(resolve, 5))
          if (n++ === 0) controller.enqueue(new TextEncoder().encode('part'))
          else
            controller.error(Object.assign(new Error('upstream broke'), { name: 'UpstreamError' }))
        },
      })
      return new Response(body, { headers: { 'content-type': 'text/plain' } })
    })
    const response = await fetch(`${await listen(app)}/broken`)
    expect(response.status).toBe(200)
    await expect(response.text()).rejects.toThrow()
    await expect.poll(() => exporter.spans.length, { timeout: 3000 }).toBe(1)
    const [span] = exporter.spans
    expect(span!.status).toBe('error')
    expect(span!.error?.message).toBe('upstream broke')
    expect(span!.attributes['error.type']).toBe('UpstreamError')
  })

  // The re-streamed response was built with the handler's as its init: @hono/node-server then
  // took it for a response of its own whose body it reads ahead of the head, and answered a body
  // failing at once with a 500 whose text is the error's message (a secret in it, here), where
  // the untraced app sends its 200 and cuts the connection.
  it('answers a body that fails before its first chunk as the untraced app does: 200, then cut', async () => {
    const { tracer, exporter } = setup({ flushIntervalMs: 20 })
    const answers: Record<string, { status?: number; body: string; cut: boolean }> = {}
    const errors = console.error
    console.error = () => {} // node-server logs the body's error, traced or not
    try {
      for (const traced of [false, true]) {
        const app = new Hono()
        if (traced) app.use(tracing({ tracer }))
        app.get('/', () => {
          const body = new ReadableStream({
            pull(controller) {
              controller.error(new Error('db password=hunter2 rejected'))
            },
          })
          return new Response(body, { headers: { 'content-type': 'text/plain' } })
        })
        const url = await listen(app)
        answers[String(traced)] = await new Promise((resolve) => {
          const request = httpRequest(url, (response) => {
            let body = ''
            response.setEncoding('utf8')
            response.on('data', (chunk) => (body += chunk))
            response.on('end', () => resolve({ status: response.statusCode, body, cut: false }))
            response.on('error', () => resolve({ status: response.statusCode, body, cut: true }))
            response.on('aborted', () => resolve({ status: response.statusCode, body, cut: true }))
          })
          request.on('error', () => resolve({ body: '', cut: true }))
          request.end()
        })
      }
    } finally {
      console.error = errors
    }
    expect(answers.false).toMatchObject({ status: 200, body: '', cut: true })
    expect(answers.true).toEqual(answers.false)
    await expect.poll(() => exporter.spans.length, { timeout: 3000 }).toBe(1)
    expect(exporter.spans[0]!.status).toBe('error')
  })

  it('answers a handler that returns a value that is no Response as the untraced app does, and records the failure', async () => {
    const { tracer, exporter } = setup({ flushIntervalMs: 20 })
    const build = (traced: boolean) => {
      const app = new Hono()
      if (traced) app.use(tracing({ tracer, traceIdHeader: 'x-trace-id' }))
      // `return { ok: true }` where `c.json({ ok: true })` was meant.
      app.get('/object', () => ({ ok: true }) as never)
      return app
    }
    const plain = await fetch(`${await listen(build(false))}/object`)
    const traced = await fetch(`${await listen(build(true))}/object`)
    expect(traced.status).toBe(plain.status)
    expect(await traced.text()).toBe(await plain.text())
    await expect.poll(() => exporter.spans.length, { timeout: 3000 }).toBe(1)
    const [span] = exporter.spans
    expect(span!.status).toBe('error')
    expect(span!.attributes['error.type']).toBe('TypeError')
    expect(span!.error?.message).toBe('the handler returned object, not a Response')
  })

  // Before, `Response.error()` (status 0) was an `ok` span with status code 0 while node-server
  // answered 500.
  it('records a handler answering Response.error() as a failure, answered as the untraced app is', async () => {
    const { tracer, exporter } = setup({ flushIntervalMs: 20 })
    const build = (traced: boolean) => {
      const app = new Hono()
      if (traced) app.use(tracing({ tracer }))
      app.get('/network-error', () => Response.error())
      return app
    }
    const plain = await fetch(`${await listen(build(false))}/network-error`)
    const traced = await fetch(`${await listen(build(true))}/network-error`)
    expect(plain.status).toBe(500)
    expect(traced.status).toBe(plain.status)
    await expect.poll(() => exporter.spans.length, { timeout: 3000 }).toBe(1)
    const [span] = exporter.spans
    expect(span!.status).toBe('error')
    expect(span!.attributes['error.type']).toBe('TypeError')
    expect(span!.attributes['http.response.status_code']).toBeUndefined()
  })

  // @hono/node-server aborts with a string reason, which Hono rethrows; an Error (what fetch and
  // the AI SDK reject with) goes to onError, which answers 500 to no one.
  it.each([
    ["the signal's reason", (signal: AbortSignal) => signal.reason],
    ['an AbortError', () => new DOMException('This operation was aborted', 'AbortError')],
  ])(
    'ends the span cancelled when the client goes away and the work stops with its signal (%s), not as a failure',
    async (_, rejection) => {
      const { tracer, exporter } = setup({ flushIntervalMs: 20 })
      const app = new Hono().use(tracing({ tracer }))
      // Work given the request's signal, as a model call with `abortSignal` is: it rejects when the
      // client leaves.
      app.get('/slow', async (c) => {
        await new Promise((resolve, reject) => {
          const timer = setTimeout(resolve, 10_000)
          c.req.raw.signal.addEventListener('abort', () => {
            clearTimeout(timer)
            reject(rejection(c.req.raw.signal))
          })
        })
        return c.text('late')
      })
      const base = await listen(app)
      const request = httpRequest(`${base}/slow`)
      request.on('error', () => {})
      request.end()
      // Long enough for the handler to be waiting (it waits 10 s), not a timing assertion.
      await new Promise((resolve) => setTimeout(resolve, 300))
      request.destroy()
      await expect.poll(() => exporter.spans.length, { timeout: 3000 }).toBe(1)
      const [span] = exporter.spans
      expect(span!.status).toBe('cancelled')
      expect(span!.attributes['error.type']).toBeUndefined()
      expect(span!.events.map((e) => e.name)).toContain('http.request.aborted')
    },
  )

  // The OpenAI SDK, called straight with the request's signal, rejects with its own
  // APIUserAbortError (named `Error`, not the signal's reason) when the client leaves.
  it('ends the span cancelled when the client goes away during an OpenAI SDK call given its signal', async () => {
    const mock = await startMockOpenAI({ firstChunkDelayMs: 10_000 })
    closers.push(() => mock.close())
    const { tracer, exporter } = setup({ flushIntervalMs: 20 })
    const app = new Hono().use(tracing({ tracer }))
    const client = new OpenAI({ baseURL: mock.url, apiKey: 'sk-test', maxRetries: 0 })
    app.get('/chat', async (c) => {
      const answer = await client.chat.completions.create(
        { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] },
        { signal: c.req.raw.signal },
      )
      return c.json(answer)
    })
    const base = await listen(app)
    const request = httpRequest(`${base}/chat`)
    request.on('error', () => {})
    request.end()
    await expect.poll(() => mock.requests.length, { timeout: 5000 }).toBe(1)
    request.destroy()
    await expect.poll(() => exporter.spans.length, { timeout: 3000 }).toBe(1)
    const [span] = exporter.spans
    expect(span!.status).toBe('cancelled')
    expect(span!.attributes['error.type']).toBeUndefined()
  })

  // The client gave up waiting on slow work that then failed on its own (a database that timed
  // out): a server failure all the same, not the client's cancel. Thrown as an Error (onError
  // answers 500) and as a non-Error (rethrown by Hono).
  it.each([
    ['an Error', () => Object.assign(new Error('query timed out'), { name: 'QueryTimeoutError' })],
    ['a non-Error', () => 'query timed out'],
  ])(
    'ends the span error when the handler fails on its own after the client went away (%s)',
    async (_, failure) => {
      const { tracer, exporter } = setup({ flushIntervalMs: 20 })
      const app = new Hono().use(tracing({ tracer }))
      app.get('/slow-fails', async (c) => {
        await new Promise((resolve) => c.req.raw.signal.addEventListener('abort', resolve))
        throw failure()
      })
      const base = await listen(app)
      const request = httpRequest(`${base}/slow-fails`)
      request.on('error', () => {})
      request.end()
      // Long enough for the handler to be waiting, not a timing assertion.
      await new Promise((resolve) => setTimeout(resolve, 300))
      request.destroy()
      await expect.poll(() => exporter.spans.length, { timeout: 3000 }).toBe(1)
      const [span] = exporter.spans
      expect(span!.status).toBe('error')
      expect(span!.error?.message).toBe('query timed out')
      expect(span!.attributes['error.type']).toBe(
        typeof failure() === 'string' ? 'string' : 'QueryTimeoutError',
      )
      // The client's leaving is still told.
      expect(span!.events.map((e) => e.name)).toContain('http.request.aborted')
    },
  )

  // A middleware before tracing() (a slow auth check) outlasted the client: the signal had
  // aborted before tracing() saw the request, and the handler's work given it rejects at once.
  it('ends the span cancelled when the client had gone before tracing() saw the request', async () => {
    const { tracer, exporter } = setup({ flushIntervalMs: 20 })
    const app = new Hono()
    app.use(async (c, next) => {
      const signal = c.req.raw.signal
      if (!signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve))
      await next()
    })
    app.use(tracing({ tracer }))
    app.get('/late', async (c) => {
      c.req.raw.signal.throwIfAborted()
      return c.text('late')
    })
    const base = await listen(app)
    const request = httpRequest(`${base}/late`)
    request.on('error', () => {})
    request.end()
    // Long enough for the request to reach the first middleware, not a timing assertion.
    await new Promise((resolve) => setTimeout(resolve, 300))
    request.destroy()
    await expect.poll(() => exporter.spans.length, { timeout: 3000 }).toBe(1)
    const [span] = exporter.spans
    expect(span!.status).toBe('cancelled')
    expect(span!.events.map((e) => e.name)).toContain('http.request.aborted')
  })
})
