import { createTracer, getActiveSpan, TokentrailError } from '@tokentrail/core'
import { generateText, streamText } from 'ai'
import { Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { describe, expect, it, vi } from 'vitest'
import { type TracingOptions, tracing } from '../src/index.js'
import { deferred, executionContext, generatingModel, setup, streamingModel } from './helpers.js'

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c'
const PARENT_ID = 'b7ad6b7169203331'

function chatApp(options: Omit<TracingOptions, 'tracer'> = {}, tracerOptions = {}) {
  const { tracer, exporter } = setup(tracerOptions)
  const app = new Hono()
  app.use('/api/*', tracing({ tracer, ...options }))
  app.post('/api/chat', (c) => {
    c.var.span.setAttribute('user.id', 'u-1')
    const result = streamText({
      model: streamingModel(tracer, ['Hello', ' ', 'world']),
      prompt: 'hi',
    })
    return result.toTextStreamResponse()
  })
  app.get('/api/users/:id', async (c) => {
    const { text } = await generateText({ model: generatingModel(tracer, 'hi'), prompt: 'x' })
    return c.json({ id: c.req.param('id'), text, traceId: c.var.traceId })
  })
  app.get('/api/health', (c) => c.text('ok'))
  return { app, tracer, exporter }
}

describe('tracing()', () => {
  it('records one http root span per request with HTTP semconv attributes and nests model spans', async () => {
    const { app, tracer, exporter } = chatApp()
    const response = await app.request('/api/users/42', {
      headers: { 'user-agent': 'vitest/5' },
    })
    const body = (await response.json()) as { id: string; text: string; traceId: string }
    expect(body).toMatchObject({ id: '42', text: 'hi' })
    await tracer.flush()
    const root = exporter.span('GET /api/users/:id')
    expect(root.kind).toBe('http')
    expect(root.status).toBe('ok')
    expect(root.parentSpanId).toBeUndefined()
    expect(root.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.route': '/api/users/:id',
      'http.response.status_code': 200,
      'url.path': '/api/users/42',
      'url.scheme': 'http',
      'user_agent.original': 'vitest/5',
    })
    expect(body.traceId).toBe(root.traceId)
    const model = exporter.span('chat mock-generate')
    expect(model.parentSpanId).toBe(root.spanId)
    expect(model.traceId).toBe(root.traceId)
    expect(exporter.spans).toHaveLength(2)
  })

  it('keeps the root span open until a streamed body ends, with the model span inside it', async () => {
    const { app, tracer, exporter } = chatApp()
    const response = await app.request('/api/chat', { method: 'POST' })
    expect(response.status).toBe(200)
    await tracer.flush()
    expect(exporter.spans.filter((s) => s.kind === 'http')).toHaveLength(0)
    expect(await response.text()).toBe('Hello world')
    await tracer.flush()
    const root = exporter.span('POST /api/chat')
    const model = exporter.span('chat mock-stream')
    expect(model.parentSpanId).toBe(root.spanId)
    expect(model.status).toBe('ok')
    expect(root.status).toBe('ok')
    expect(root.endTime).toBeGreaterThanOrEqual(model.endTime)
    expect(root.attributes['user.id']).toBe('u-1')
    expect(root.attributes['http.response.body.size']).toBe(11)
    expect(root.events.map((e) => e.name)).toContain('http.response.start')
  })

  it('passes streamed bytes through unchanged compared with an untraced app', async () => {
    const { tracer } = setup()
    const handler = () =>
      streamText({
        model: streamingModel(tracer, ['a', 'é', '😀', 'z'.repeat(70_000)]),
        prompt: 'x',
      }).toTextStreamResponse()
    const plain = new Hono().post('/api/chat', handler)
    const traced = new Hono().use(tracing({ tracer })).post('/api/chat', handler)
    const [a, b] = await Promise.all([
      plain.request('/api/chat', { method: 'POST' }),
      traced.request('/api/chat', { method: 'POST' }),
    ])
    expect(b.status).toBe(a.status)
    expect([...b.headers]).toEqual([...a.headers])
    expect(new Uint8Array(await b.arrayBuffer())).toEqual(new Uint8Array(await a.arrayBuffer()))
  })

  it('marks the span cancelled when the client cancels the body, closing the open model span', async () => {
    const { app, tracer, exporter } = chatApp()
    app.post('/api/slow', () =>
      streamText({
        model: streamingModel(tracer, ['a', 'b', 'c', 'd', 'e', 'f'], 20),
        prompt: 'x',
      }).toTextStreamResponse(),
    )
    const response = await app.request('/api/slow', { method: 'POST' })
    const reader = response.body!.getReader()
    const first = await reader.read()
    expect(first.done).toBe(false)
    await reader.cancel()
    await tracer.flush()
    const root = exporter.span('POST /api/slow')
    expect(root.status).toBe('cancelled')
    expect(root.events.map((e) => e.name)).toContain('http.response.cancelled')
    const model = exporter.span('chat mock-stream')
    expect(model.parentSpanId).toBe(root.spanId)
    expect(model.status).toBe('cancelled')
    expect(model.attributes['tokentrail.closed_by_parent']).toBe(true)
  })

  it('ends the span as cancelled when the request signal aborts after the body was handed over', async () => {
    // workerd drops a disconnected client's body without cancelling it; only the signal tells.
    const { app, tracer, exporter } = chatApp()
    app.get('/api/endless', () => new Response(new ReadableStream({ pull() {} })))
    const controller = new AbortController()
    const response = await app.fetch(
      new Request('http://localhost/api/endless', { signal: controller.signal }),
    )
    expect(response.status).toBe(200)
    await tracer.flush()
    expect(exporter.spans).toHaveLength(0)
    controller.abort()
    await tracer.flush()
    const root = exporter.span('GET /api/endless')
    expect(root.status).toBe('cancelled')
    expect(root.events.map((e) => e.name)).toContain('http.request.aborted')
  })

  it('marks the span error when the body stream breaks, and the client sees the same error', async () => {
    const { tracer, exporter } = setup()
    const boom = new Error('upstream broke')
    const app = new Hono().use(tracing({ tracer }))
    app.get('/broken', () => {
      let n = 0
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (n++ === 0) controller.enqueue(new TextEncoder().encode('part'))
          else controller.error(boom)
        },
      })
      return new Response(body)
    })
    const response = await app.request('/broken')
    const reader = response.body!.getReader()
    expect((await reader.read()).done).toBe(false)
    await expect(reader.read()).rejects.toBe(boom)
    await tracer.flush()
    const root = exporter.span('GET /broken')
    expect(root.status).toBe('error')
    expect(root.error?.message).toBe('upstream broke')
  })

  it('leaves Hono error handling unchanged: onError runs, same status and body, span marked error', async () => {
    const build = (traced: boolean) => {
      const { tracer, exporter } = setup()
      const app = new Hono()
      const seen: Error[] = []
      if (traced) app.use(tracing({ tracer }))
      app.get('/fail', () => {
        throw new TypeError('bad input')
      })
      app.get('/denied', () => {
        throw new HTTPException(401, { message: 'no key' })
      })
      app.onError((error, c) => {
        seen.push(error)
        if (error instanceof HTTPException) return error.getResponse()
        return c.json({ message: error.message }, 418)
      })
      return { app, tracer, exporter, seen }
    }
    const plain = build(false)
    const traced = build(true)
    for (const path of ['/fail', '/denied']) {
      const a = await plain.app.request(path)
      const b = await traced.app.request(path)
      expect(b.status).toBe(a.status)
      expect(await b.text()).toBe(await a.text())
    }
    expect(traced.seen.map((e) => e.message)).toEqual(['bad input', 'no key'])
    await traced.tracer.flush()
    const fail = traced.exporter.span('GET /fail')
    expect(fail.status).toBe('error')
    expect(fail.error).toMatchObject({ type: 'TypeError', message: 'bad input' })
    expect(fail.attributes['http.response.status_code']).toBe(418)
    expect(fail.attributes['error.type']).toBe('TypeError')
    expect(fail.events.map((e) => e.name)).toContain('exception')
    const denied = traced.exporter.span('GET /denied')
    expect(denied.status).toBe('error')
    expect(denied.attributes['http.response.status_code']).toBe(401)
  })

  it('marks 5xx responses as errors without an exception, and leaves 4xx ok', async () => {
    const { tracer, exporter } = setup()
    const app = new Hono().use(tracing({ tracer }))
    app.get('/unavailable', (c) => c.text('later', 503))
    app.get('/missing', (c) => c.text('nope', 404))
    await (await app.request('/unavailable')).text()
    await (await app.request('/missing')).text()
    await (await app.request('/no-such-route')).text()
    await tracer.flush()
    const unavailable = exporter.span('GET /unavailable')
    expect(unavailable.status).toBe('error')
    expect(unavailable.attributes['error.type']).toBe('503')
    expect(unavailable.error).toBeUndefined()
    expect(exporter.span('GET /missing').status).toBe('ok')
    // No route matched: the span is named after the method only, without http.route.
    const notFound = exporter.span('GET')
    expect(notFound.attributes['http.route']).toBeUndefined()
    expect(notFound.attributes['http.response.status_code']).toBe(404)
  })

  it('rethrows a non-Error throw unchanged and still ends the span, named after its route', async () => {
    const { tracer, exporter } = setup()
    const thrown = { reason: 'plain object' }
    const app = new Hono().use(tracing({ tracer }))
    app.get('/odd', () => {
      throw thrown
    })
    await expect(app.request('/odd')).rejects.toBe(thrown)
    await tracer.flush()
    // Named after the route that matched, as for an Error.
    const span = exporter.span('GET /odd')
    expect(span.attributes['http.route']).toBe('/odd')
    expect(span.status).toBe('error')
    expect(span.error?.message).toBe('[object Object]')
    expect(span.attributes['error.type']).toBe('object')
  })

  it('skips paths by string, RegExp or function, and gives handlers a no-op span there', async () => {
    const { tracer, exporter } = setup()
    const app = new Hono()
    app.use(
      tracing({
        tracer,
        skip: ['/health', /^\/static\//],
      }),
    )
    const seen: string[] = []
    app.get('*', (c) => {
      c.var.span.setAttribute('touched', true)
      seen.push(c.var.traceId)
      return c.text('ok')
    })
    for (const path of ['/health', '/static/app.js'])
      expect(await (await app.request(path)).text()).toBe('ok')
    await tracer.flush()
    expect(exporter.spans).toHaveLength(0)
    expect(seen).toEqual(['', ''])
    await (await app.request('/healthz')).text()
    await tracer.flush()
    expect(exporter.spans.map((s) => s.name)).toEqual(['GET /*'])
  })

  it('skips by a global or sticky RegExp on every request, not every other one', async () => {
    const { tracer, exporter } = setup()
    const app = new Hono().use(tracing({ tracer, skip: [/^\/health/g, /^\/ready/y] }))
    app.get('*', (c) => c.text('ok'))
    for (let i = 0; i < 4; i++)
      for (const path of ['/health', '/ready']) await (await app.request(path)).text()
    await (await app.request('/chat/ready')).text()
    await tracer.flush()
    expect(exporter.spans.map((s) => s.attributes['url.path'])).toEqual(['/chat/ready'])
  })

  it('an unanchored sticky RegExp matches anywhere in the path, as without its flag', async () => {
    const { tracer, exporter } = setup()
    const sticky = /health/y
    const app = new Hono().use(tracing({ tracer, skip: [sticky, /ready/gy] }))
    app.get('*', (c) => c.text('ok'))
    for (const path of ['/api/health', '/health', '/v1/ready', '/chat'])
      await (await app.request(path)).text()
    await tracer.flush()
    expect(exporter.spans.map((s) => s.attributes['url.path'])).toEqual(['/chat'])
    // The app's RegExp is left as it was.
    expect(sticky.flags).toBe('y')
    expect(sticky.lastIndex).toBe(0)
  })

  it('skips by function', async () => {
    const { tracer, exporter } = setup()
    const app = new Hono().use(tracing({ tracer, skip: (c) => c.req.header('x-probe') === '1' }))
    app.get('/x', (c) => c.text('ok'))
    await (await app.request('/x', { headers: { 'x-probe': '1' } })).text()
    await (await app.request('/x')).text()
    await tracer.flush()
    expect(exporter.spans).toHaveLength(1)
  })

  // Before, only exactly `true` skipped: a condition such as `c.req.path.match(…)` (as Hono's own
  // `except()` takes one) traced every health check without a word.
  it('skips on a truthy answer; an async skip is traced, noted on the span and said once', async () => {
    const warnings: string[] = []
    const { tracer, exporter } = setup({ warnings: (m) => warnings.push(m) })
    const app = new Hono().use(tracing({ tracer, skip: (c) => c.req.path.match(/^\/health/) }))
    app.get('*', (c) => c.text('ok'))
    await (await app.request('/health/live')).text()
    await (await app.request('/x')).text()
    await tracer.flush()
    expect(exporter.spans.map((s) => s.attributes['url.path'])).toEqual(['/x'])

    const later = new Hono().use(tracing({ tracer, skip: async () => true }))
    later.get('*', (c) => c.text('ok'))
    await (await later.request('/a')).text()
    await (await later.request('/b')).text()
    await tracer.flush()
    const traced = exporter.spans.slice(1)
    expect(traced.map((s) => s.attributes['url.path'])).toEqual(['/a', '/b'])
    const [noted] = traced[0]!.events.filter((e) => e.name === 'tokentrail.option_error')
    expect(noted!.attributes?.option).toBe('skip')
    expect(noted!.attributes?.message).toMatch(/returned a promise/)
    expect(warnings.filter((w) => /skip/.test(w))).toEqual([
      'tracing({ skip }) returned a promise: it must decide at once (a truthy value skips), so its requests are traced.',
    ])
  })

  // An async requestAttributes set nothing, without a word (setAttributes of a promise).
  it('an async requestAttributes is noted on the span and said once; its rejection is caught', async () => {
    const warnings: string[] = []
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown) => unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    const { tracer, exporter } = setup({ warnings: (m) => warnings.push(m) })
    let n = 0
    const app = new Hono().use(
      tracing({
        tracer,
        requestAttributes: (async () => {
          if (n++ === 1) throw new Error('session lookup failed')
          return { 'user.id': 'u1' }
        }) as never,
      }),
    )
    app.get('*', (c) => c.text('ok'))
    for (const path of ['/a', '/b']) expect(await (await app.request(path)).text()).toBe('ok')
    await new Promise((resolve) => setTimeout(resolve, 10))
    process.off('unhandledRejection', onUnhandled)
    await tracer.flush()
    expect(unhandled).toEqual([])
    expect(exporter.spans.map((s) => s.attributes['user.id'])).toEqual([undefined, undefined])
    const [noted] = exporter.spans[0]!.events.filter((e) => e.name === 'tokentrail.option_error')
    expect(noted!.attributes).toMatchObject({
      option: 'requestAttributes',
      message: expect.stringMatching(/^tracing\(\{ requestAttributes \}\) returned a promise/),
    })
    expect(warnings.filter((w) => /requestAttributes/.test(w))).toHaveLength(1)
    expect(warnings.find((w) => /requestAttributes/.test(w))).toMatch(
      /getActiveSpan\(\)\?\.setAttributes/,
    )
  })

  // An async spanName's rejection was unhandled (a Node server exited with code 1, its span
  // lost); a promise, a number or '' were dropped without a word; a requestAttributes returning a
  // list was said as a span.setAttributes() call the app never made.
  it('a spanName or requestAttributes that returns the wrong thing is noted and said as itself', async () => {
    const warnings: string[] = []
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown) => unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    const { tracer, exporter } = setup({ warnings: (m) => warnings.push(m) })
    const names: Record<string, () => unknown> = {
      '/rejects': async () => {
        throw new Error('no user yet')
      },
      '/number': () => 42,
      '/empty': () => '',
      '/blank': () => '   ',
    }
    const app = new Hono().use(
      tracing({
        tracer,
        spanName: ((c: { req: { path: string } }) => names[c.req.path]?.()) as never,
        requestAttributes: ((c: { req: { path: string } }) =>
          c.req.path === '/number'
            ? ['user.id', 'u1']
            : c.req.path === '/blank'
              ? new Map([['user.id', 'u1']])
              : undefined) as never,
      }),
    )
    app.get('*', (c) => c.text('ok'))
    for (const path of Object.keys(names)) expect(await (await app.request(path)).text()).toBe('ok')
    await new Promise((resolve) => setTimeout(resolve, 10))
    process.off('unhandledRejection', onUnhandled)
    await tracer.flush()
    expect(unhandled).toEqual([])
    expect(exporter.spans.map((s) => s.name)).toEqual(['GET /*', 'GET /*', 'GET /*', 'GET /*'])
    const noted = exporter.spans.map((s) =>
      s.events
        .filter((e) => e.name === 'tokentrail.option_error')
        .map((e) => `${e.attributes?.option}: ${e.attributes?.message}`),
    )
    expect(noted).toEqual([
      [
        'spanName: tracing({ spanName }) returned a promise: it must return the name at once, so the default name was used',
      ],
      [
        'requestAttributes: tracing({ requestAttributes }) must return an object of attributes, got an array of 2, so none were set for this request',
        'spanName: tracing({ spanName }) must return a non-empty string, got 42; the default name was used',
      ],
      [
        'spanName: tracing({ spanName }) must return a non-empty string, got ""; the default name was used',
      ],
      [
        'requestAttributes: tracing({ requestAttributes }) must return an object of attributes, got a Map of 1, so none were set for this request',
        'spanName: tracing({ spanName }) must return a non-empty string, got "   "; the default name was used',
      ],
    ])
    expect(warnings.filter((w) => /requestAttributes/.test(w))).toEqual([
      'tracing({ requestAttributes }) must return an object of attributes, got an array of 2, so none were set for this request.',
    ])
  })

  // A returned value that throws when read (a revoked Proxy, an Immer draft kept past produce())
  // failed the request with a 500, where the README says the request goes on untouched.
  it('a requestAttributes value that throws when read leaves the request untouched, noted on the span', async () => {
    const { tracer, exporter } = setup()
    const { proxy, revoke } = Proxy.revocable({ 'user.id': 'u1' }, {})
    revoke()
    const app = new Hono().use(tracing({ tracer, requestAttributes: () => proxy }))
    app.get('*', (c) => c.text('ok'))
    const response = await app.request('/a')
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('ok')
    await tracer.flush()
    const [noted] = exporter.spans[0]!.events.filter((e) => e.name === 'tokentrail.option_error')
    expect(noted!.attributes).toMatchObject({
      option: 'requestAttributes',
      message: expect.stringMatching(/returned a value that throws when read \(TypeError/),
    })
  })

  // The promise an async skip returned was dropped: one that rejected (a lookup that failed) was an
  // unhandled rejection, which ends a Node process by default. The request is traced as before.
  it('an async skip that rejects is no unhandled rejection: the request is answered and traced', async () => {
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown) => unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    try {
      const { tracer, exporter } = setup({ warnings: () => {} })
      const app = new Hono().use(
        tracing({
          tracer,
          skip: async () => {
            throw new Error('skip lookup failed')
          },
        }),
      )
      app.get('*', (c) => c.text('ok'))
      const response = await app.request('/a')
      expect(await response.text()).toBe('ok')
      await tracer.flush()
      await new Promise((resolve) => setTimeout(resolve, 20))
      expect(unhandled).toEqual([])
      expect(exporter.spans.map((s) => s.attributes['url.path'])).toEqual(['/a'])
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
  })

  it('continues an incoming traceparent and keeps tracestate; ignores a malformed one', async () => {
    const { app, tracer, exporter } = chatApp()
    const response = await app.request('/api/users/1', {
      headers: {
        traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`,
        tracestate: 'vendor=abc',
      },
    })
    await response.text()
    await tracer.flush()
    const root = exporter.span('GET /api/users/:id')
    expect(root.traceId).toBe(TRACE_ID)
    expect(root.parentSpanId).toBe(PARENT_ID)
    expect(root.traceState).toBe('vendor=abc')
    expect(exporter.span('chat mock-generate').traceId).toBe(TRACE_ID)

    exporter.reset()
    await (
      await app.request('/api/users/2', {
        headers: { traceparent: `00-${'0'.repeat(32)}-${PARENT_ID}-01`, tracestate: 'a=b' },
      })
    ).text()
    await tracer.flush()
    const fresh = exporter.span('GET /api/users/:id')
    expect(fresh.traceId).not.toBe('0'.repeat(32))
    expect(fresh.parentSpanId).toBeUndefined()
    expect(fresh.traceState).toBeUndefined()
  })

  it('records nothing for a trace the caller sampled out, yet keeps the trace id for children', async () => {
    const { app, tracer, exporter } = chatApp()
    const response = await app.request('/api/users/1', {
      headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-00` },
    })
    expect(((await response.json()) as { traceId: string }).traceId).toBe('')
    await tracer.flush()
    expect(exporter.spans).toHaveLength(0)
    expect(tracer.stats().notSampled).toBe(2)
  })

  it('adds the trace id response header when asked', async () => {
    const { app, tracer, exporter } = chatApp({ traceIdHeader: 'x-trace-id' })
    const streamed = await app.request('/api/chat', { method: 'POST' })
    const json = await app.request('/api/users/7')
    await streamed.text()
    await json.text()
    await tracer.flush()
    const [first, second] = exporter.spans.filter((s) => s.kind === 'http')
    expect(streamed.headers.get('x-trace-id')).toBe(exporter.span('POST /api/chat').traceId)
    expect(json.headers.get('x-trace-id')).toBe(exporter.span('GET /api/users/:id').traceId)
    expect(first!.traceId).not.toBe(second!.traceId)
    const noHeader = chatApp()
    expect((await noHeader.app.request('/api/users/7')).headers.has('x-trace-id')).toBe(false)
  })

  it('adds the header to a null-body response and to one with immutable headers', async () => {
    const { tracer } = setup()
    const app = new Hono().use(tracing({ tracer, traceIdHeader: 'x-trace-id' }))
    app.get('/empty', (c) => c.body(null, 204))
    app.get('/proxied', () => Response.redirect('http://127.0.0.1/elsewhere', 302))
    const empty = await app.request('/empty')
    expect(empty.status).toBe(204)
    expect(empty.headers.get('x-trace-id')).toMatch(/^[0-9a-f]{32}$/)
    const proxied = await app.request('/proxied')
    expect(proxied.status).toBe(302)
    expect(proxied.headers.get('location')).toBe('http://127.0.0.1/elsewhere')
    expect(proxied.headers.get('x-trace-id')).toMatch(/^[0-9a-f]{32}$/)
  })

  it('names spans and adds request attributes through options', async () => {
    const { app, tracer, exporter } = chatApp({
      spanName: (c) => `chat ${c.req.method.toLowerCase()}`,
      requestAttributes: (c) => ({ 'tenant.id': c.req.header('x-tenant'), secret_api_key: 'x' }),
    })
    await (await app.request('/api/chat', { method: 'POST', headers: { 'x-tenant': 't9' } })).text()
    await tracer.flush()
    const root = exporter.span('chat post')
    expect(root.attributes['tenant.id']).toBe('t9')
    expect(root.attributes['http.route']).toBe('/api/chat')
    expect(root.attributes.secret_api_key).toBe('[REDACTED]')
  })

  it('survives option callbacks that throw, noting them on the span', async () => {
    const { app, tracer, exporter } = chatApp({
      spanName: () => {
        throw new Error('name boom')
      },
      requestAttributes: () => {
        throw new Error('attr boom')
      },
      skip: () => {
        throw new Error('skip boom')
      },
    })
    const response = await app.request('/api/users/3')
    expect(response.status).toBe(200)
    await response.text()
    await tracer.flush()
    const root = exporter.span('GET /api/users/:id')
    const problems = root.events.filter((e) => e.name === 'tokentrail.option_error')
    expect(problems.map((e) => e.attributes?.option)).toEqual([
      'skip',
      'requestAttributes',
      'spanName',
    ])
    expect(problems[0]!.attributes?.message).toBe('skip boom')
  })

  it('records one span when mounted twice (app and sub-app)', async () => {
    const { tracer, exporter } = setup()
    const api = new Hono().use(tracing({ tracer })).get('/x', (c) => c.text('ok'))
    const app = new Hono().use(tracing({ tracer })).route('/api', api)
    await (await app.request('/api/x')).text()
    await tracer.flush()
    expect(exporter.spans.map((s) => s.name)).toEqual(['GET /api/x'])
  })

  it('does nothing with a disabled tracer, and handlers still get a span to call', async () => {
    const tracer = createTracer({ enabled: false })
    const app = new Hono().use(tracing({ tracer }))
    app.get('/x', (c) => {
      c.var.span.setAttribute('a', 1)
      return c.text(`[${c.var.traceId}]`)
    })
    const context = executionContext()
    const response = await app.fetch(new Request('http://localhost/x'), {}, context)
    expect(await response.text()).toBe('[]')
    expect(context.promises).toHaveLength(0)
  })

  it('throws a TokentrailError naming the bad option', () => {
    const bad: [TracingOptions, RegExp | string][] = [
      [{ tracer: {} as any }, /tracer/],
      [{ skip: '/health' as any }, /skip/],
      [{ skip: [42 as any] }, /skip.*entry 0/],
      // A path without its "/" matched no request: every one was traced, nothing said.
      [
        { skip: ['/ok', 'health'] },
        /^tracing\(\{ skip \}\) entry 1 must be a path starting with "\/", such as "\/health", got "health"$/,
      ],
      // Hono's route patterns matched no request path either.
      [
        { skip: ['/api/health/*'] },
        'tracing({ skip }) entry 0 is a route pattern, but skip strings are exact paths, got "/api/health/*"; for a pattern give a RegExp, such as /^\\/health\\//',
      ],
      [{ skip: ['/ok', '/users/:id'] }, /^tracing\(\{ skip \}\) entry 1 is a route pattern/],
      [{ skip: ['/health?probe=1'] }, /^tracing\(\{ skip \}\) entry 0 has a query string/],
      // NaN and Infinity named as such (JSON printed null).
      [
        { flushTimeoutMs: Number.NaN },
        /flushTimeoutMs \}\) must be a whole number of milliseconds ≥ 1, got NaN$/,
      ],
      [{ spanName: 'x' as any }, /spanName/],
      [{ requestAttributes: {} as any }, /requestAttributes/],
      [{ traceIdHeader: 'x trace' }, /traceIdHeader/],
      [{ flush: 'yes' as any }, /flush/],
      [{ flushTimeoutMs: 0 }, /flushTimeoutMs/],
      [{ streamTimeoutMs: 1.5 }, /streamTimeoutMs/],
      // Past a timer's limit it would fire at once: every streamed span cut a millisecond in.
      [{ streamTimeoutMs: 3_000_000_000 }, /streamTimeoutMs \}\) must be at most 2147483647 ms/],
      [{ flushTimeoutMs: 2 ** 31 }, /flushTimeoutMs \}\) must be at most 2147483647 ms/],
      [{ waitUntil: 1 as any }, /waitUntil/],
    ]
    for (const [options, message] of bad) {
      let caught: unknown
      try {
        tracing(options)
      } catch (error) {
        caught = error
      }
      expect(TokentrailError.isInstance(caught)).toBe(true)
      expect((caught as Error).message).toMatch(message)
    }
  })

  it('makes the root span the active span in the handler', async () => {
    const { tracer } = setup()
    const app = new Hono().use(tracing({ tracer }))
    app.get('/x', async (c) => {
      await new Promise((r) => setTimeout(r, 1))
      return c.text(String(getActiveSpan() === c.var.span))
    })
    expect(await (await app.request('/x')).text()).toBe('true')
  })
})

// A tracer whose exported spans read `name status[ stream_timeout]`, for the streamTimeoutMs tests.
function streamTracer() {
  const exported: string[] = []
  const tracer = createTracer({
    flushIntervalMs: 600_000,
    exporters: [
      {
        name: 'capture',
        async export(spans) {
          for (const s of spans)
            exported.push(
              `${s.name} ${s.status}${s.attributes['tokentrail.stream_timeout'] ? ' stream_timeout' : ''}`,
            )
          return { code: 'success' }
        },
      },
    ],
  })
  return { tracer, exported }
}

describe('flushing', () => {
  it('hands a flush to executionCtx.waitUntil that delivers the whole trace, without delaying the response', async () => {
    const gate = deferred()
    const exported: string[] = []
    const tracer = createTracer({
      serviceName: 'hono-test',
      flushIntervalMs: 600_000,
      exporters: [
        {
          name: 'gated',
          async export(spans) {
            await gate.promise
            exported.push(...spans.map((s) => s.name))
            return { code: 'success' }
          },
        },
      ],
    })
    const app = new Hono().use('/api/*', tracing({ tracer }))
    app.post('/api/chat', () =>
      streamText({ model: streamingModel(tracer, ['a', 'b']), prompt: 'x' }).toTextStreamResponse(),
    )
    const context = executionContext()
    const response = await app.fetch(
      new Request('http://localhost/api/chat', { method: 'POST' }),
      {},
      context,
    )
    expect(context.promises).toHaveLength(1)
    // The export is held at the gate, yet the whole body arrives.
    expect(await response.text()).toBe('ab')
    let settled = false
    void context.promises[0]!.then(() => (settled = true))
    await new Promise((r) => setTimeout(r, 10))
    expect(settled).toBe(false)
    gate.resolve()
    await Promise.all(context.promises)
    expect(exported.sort()).toEqual(['POST /api/chat', 'chat mock-stream'])
  })

  // A frozen execution context (a test harness, a hand-written fetch wrapper): the Proxy tracing()
  // put on `c` answered its read-only `waitUntil` with another function, which a Proxy may not,
  // and the handler's own `c.executionCtx.waitUntil(...)` threw a TypeError (a 500).
  it('a frozen execution context: the handler calls waitUntil as untraced, and the flush is handed over', async () => {
    const { tracer, exporter } = setup()
    const handed: Promise<unknown>[] = []
    const context = Object.freeze({
      waitUntil: (promise: Promise<unknown>) => void handed.push(promise),
      passThroughOnException() {},
      props: {},
    })
    const app = new Hono().use(tracing({ tracer }))
    app.get('/', (c) => {
      c.executionCtx.waitUntil(Promise.resolve('saved'))
      return c.text('ok')
    })
    const response = await app.request('/', {}, {}, context as never)
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('ok')
    // The app's promise, then the flush.
    expect(handed.length).toBeGreaterThanOrEqual(2)
    await Promise.all(handed)
    expect(exporter.spans.map((s) => s.name)).toEqual(['GET /'])
  })

  it("ends a HEAD request with its response: Hono drops the GET route's body unread, and the handed flush settles with the trace", async () => {
    const { app, exporter } = chatApp()
    const context = executionContext()
    const response = await app.fetch(
      new Request('http://localhost/api/users/7', { method: 'HEAD' }),
      {},
      context,
    )
    expect(response.status).toBe(200)
    expect(response.body).toBeNull()
    expect(context.promises).toHaveLength(1)
    const settled = await Promise.race([
      context.promises[0]!.then(() => 'settled'),
      new Promise((r) => setTimeout(() => r('still pending'), 1000)),
    ])
    expect(settled).toBe('settled')
    const root = exporter.spans.find((s) => s.kind === 'http')!
    expect(root.name).toBe('HEAD /api/users/:id')
    expect(root.status).toBe('ok')
    expect(root.attributes['http.request.method']).toBe('HEAD')
    expect(root.attributes['http.response.status_code']).toBe(200)
    expect(exporter.spans.find((s) => s.kind === 'llm')?.parentSpanId).toBe(root.spanId)
  })

  it('bounds the flush by flushTimeoutMs and never rejects', async () => {
    const tracer = createTracer({
      flushIntervalMs: 600_000,
      exporters: [{ name: 'stuck', export: () => new Promise(() => {}) }],
    })
    const app = new Hono().use(tracing({ tracer, flushTimeoutMs: 20 }))
    app.get('/x', (c) => c.text('ok'))
    const context = executionContext()
    const response = await app.fetch(new Request('http://localhost/x'), {}, context)
    await response.text()
    const started = performance.now()
    await expect(context.promises[0]).resolves.toEqual({
      ok: false,
      pending: 1, // the span the stuck exporter holds
      reason: 'the stuck exporter: flush timed out after 20 ms with 1 span not delivered',
    })
    expect(performance.now() - started).toBeLessThan(2000)
  })

  it('ends the span of a body nobody reads after streamTimeoutMs, so the handed flush settles with the trace', async () => {
    const { tracer, exported } = streamTracer()
    const app = new Hono().use(tracing({ tracer, streamTimeoutMs: 50 }))
    // A stream that never ends, and a response nobody reads.
    app.get('/s', () => new Response(new ReadableStream({ pull: () => new Promise(() => {}) })))
    const context = executionContext()
    const response = await app.fetch(new Request('http://localhost/s'), {}, context)
    expect(response.status).toBe(200)
    const started = performance.now()
    await expect(context.promises[0]).resolves.toEqual({ ok: true, pending: 0 })
    expect(performance.now() - started).toBeLessThan(2000)
    expect(exported).toEqual(['GET /s cancelled stream_timeout'])
  })

  it('says once that an answer outlived streamTimeoutMs, and nothing for one that ends in time', async () => {
    const warnings: string[] = []
    const { tracer } = setup({ warnings: (message) => warnings.push(message) })
    const app = new Hono().use(tracing({ tracer, streamTimeoutMs: 150 }))
    app.get('/chat/:words', (c) =>
      streamText({
        model: streamingModel(tracer, Array(Number(c.req.param('words'))).fill('w '), 10),
        prompt: 'x',
      }).toTextStreamResponse(),
    )
    const ask = async (words: number) => {
      const context = executionContext()
      const response = await app.fetch(new Request(`http://localhost/chat/${words}`), {}, context)
      expect(await response.text()).toBe('w '.repeat(words))
      await Promise.all(context.promises)
    }
    await ask(2)
    expect(warnings).toEqual([])
    await ask(30)
    await ask(30)
    expect(warnings).toEqual([
      'tracing(): a response body was still streaming after streamTimeoutMs (150 ms), so its request span was ended there (cancelled, tokentrail.stream_timeout) and flushed before the function may freeze: the rest of that answer is missing from its trace, and spans ending later are lost if the function freezes. If the platform lets the function run longer, raise streamTimeoutMs.',
    ])
  })

  it('leaves a body that ends in time untouched by streamTimeoutMs', async () => {
    const { tracer, exported: spans } = streamTracer()
    const app = new Hono().use(tracing({ tracer, streamTimeoutMs: 50 }))
    app.get('/x', (c) => c.text('ok'))
    const context = executionContext()
    const response = await app.fetch(new Request('http://localhost/x'), {}, context)
    expect(await response.text()).toBe('ok')
    await Promise.all(context.promises)
    // Past the bound: the span ended with its body, and nothing changes it later.
    await new Promise((r) => setTimeout(r, 100))
    expect(spans).toEqual(['GET /x ok'])
  })

  it('sets no bound where no waitUntil waits on the flush (a long-lived server): a long stream ends ok', async () => {
    const { tracer, exported: spans } = streamTracer()
    const app = new Hono().use(tracing({ tracer, streamTimeoutMs: 50 }))
    // An event stream that outlives the bound: one event after 150 ms, then the end.
    app.get('/events', () => {
      const body = new ReadableStream({
        start(controller) {
          setTimeout(() => {
            controller.enqueue(new TextEncoder().encode('data: done\n\n'))
            controller.close()
          }, 150)
        },
      })
      return new Response(body, { headers: { 'content-type': 'text/event-stream' } })
    })
    // app.request: no execution context, as under @hono/node-server.
    const response = await app.request('/events')
    expect(await response.text()).toBe('data: done\n\n')
    await tracer.flush()
    expect(spans).toEqual(['GET /events ok'])
  })

  it('delivers a body read slowly past streamTimeoutMs whole: only the span ends', async () => {
    const { tracer, exporter } = setup()
    const app = new Hono().use(tracing({ tracer, streamTimeoutMs: 50 }))
    let sent = 0
    app.get('/s', () => {
      const encoder = new TextEncoder()
      return new Response(
        new ReadableStream({
          async pull(controller) {
            await new Promise((r) => setTimeout(r, 20))
            if (sent++ < 8) controller.enqueue(encoder.encode(`${sent};`))
            else controller.close()
          },
        }),
      )
    })
    const context = executionContext()
    const response = await app.fetch(new Request('http://localhost/s'), {}, context)
    const reader = response.body!.getReader()
    const decoder = new TextDecoder()
    let text = ''
    for (;;) {
      // A slow client: past the bound after the first few chunks.
      await new Promise((r) => setTimeout(r, 20))
      const { done, value } = await reader.read()
      if (done) break
      text += decoder.decode(value)
    }
    expect(text).toBe('1;2;3;4;5;6;7;8;')
    await Promise.all(context.promises)
    const [span] = exporter.spans
    expect(span?.status).toBe('cancelled')
    expect(span?.attributes['tokentrail.stream_timeout']).toBe(true)
  })

  it("uses Vercel's request-context waitUntil, the same one @vercel/functions reads", async () => {
    const { waitUntil } = await import('@vercel/functions')
    const { tracer, exporter } = setup()
    const handed: Promise<unknown>[] = []
    const key = Symbol.for('@vercel/request-context')
    const g = globalThis as any
    const previous = g[key]
    g[key] = { get: () => ({ waitUntil: (p: Promise<unknown>) => handed.push(p) }) }
    try {
      const app = new Hono().use(tracing({ tracer }))
      app.get('/x', (c) => {
        waitUntil(Promise.resolve('user work'))
        return c.text('ok')
      })
      await (await app.request('/x')).text()
      expect(handed).toHaveLength(2)
      await Promise.all(handed)
      expect(exporter.spans.map((s) => s.name)).toEqual(['GET /x'])
    } finally {
      g[key] = previous
    }
  })

  it('schedules no per-request flush on a long-lived server: spans leave on the interval', async () => {
    const { tracer, exporter } = setup({ flushIntervalMs: 20 })
    let flushes = 0
    const flush = tracer.flush.bind(tracer)
    tracer.flush = (options) => {
      flushes++
      return flush(options)
    }
    const app = new Hono().use(tracing({ tracer }))
    app.get('/x', (c) => c.text('ok'))
    await (await app.request('/x')).text()
    await expect.poll(() => exporter.spans.length, { timeout: 2000 }).toBe(1)
    expect(flushes).toBe(0)
  })

  it('uses an explicit waitUntil option first', async () => {
    const { tracer, exporter } = setup()
    const handed: Promise<unknown>[] = []
    const app = new Hono().use(tracing({ tracer, waitUntil: (p) => handed.push(p) }))
    app.get('/x', (c) => c.text('ok'))
    const context = executionContext()
    await (await app.fetch(new Request('http://localhost/x'), {}, context)).text()
    expect(handed).toHaveLength(1)
    expect(context.promises).toHaveLength(0)
    await handed[0]
    expect(exporter.spans).toHaveLength(1)
  })

  it('does not flush when flush is false', async () => {
    const { tracer, exporter } = setup()
    const app = new Hono().use(tracing({ tracer, flush: false }))
    app.get('/x', (c) => c.text('ok'))
    const context = executionContext()
    await (await app.fetch(new Request('http://localhost/x'), {}, context)).text()
    expect(context.promises).toHaveLength(0)
    expect(tracer.stats().queued).toBe(1)
    await tracer.flush()
    expect(exporter.spans).toHaveLength(1)
  })
})

describe('a tracer on with nowhere to send spans', () => {
  it('says so once, on the first request, as the tracer does on first use; not when chosen on purpose', async () => {
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', '')
    vi.stubEnv('OTEL_TRACES_EXPORTER', '')
    delete (globalThis as any)[Symbol.for('tokentrail.notice.no-exporter')]
    try {
      const warnings: string[] = []
      const app = (tracer: ReturnType<typeof createTracer>) =>
        new Hono().use(tracing({ tracer })).get('/', (c) => c.text('fine'))
      const quiet = app(createTracer({ exporters: [], warnings: (m) => warnings.push(m) }))
      expect(await (await quiet.request('/')).text()).toBe('fine')
      expect(warnings).toEqual([])
      const nowhere = app(createTracer({ warnings: (m) => warnings.push(m) }))
      for (let i = 0; i < 3; i++) expect(await (await nowhere.request('/')).text()).toBe('fine')
      expect(warnings).toEqual([expect.stringMatching(/^tracing is off: no exporter was passed/)])
    } finally {
      vi.unstubAllEnvs()
    }
  })
})
