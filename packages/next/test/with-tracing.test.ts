import { createTracer, TokentrailError } from '@tokentrail/core'
import { memoryExporter } from '@tokentrail/core/testing'
import { streamText } from 'ai'
import { notFound, permanentRedirect, redirect } from 'next/navigation.js'
import { afterEach, beforeEach, describe, expect, expectTypeOf, it, vi } from 'vitest'
import { withTracing } from '../src/index.js'
import { chatRequest, fakeVercelContext, testTracer, tracedModel } from './helpers.js'

let vercel: ReturnType<typeof fakeVercelContext>
beforeEach(() => {
  vercel = fakeVercelContext()
})
afterEach(() => {
  vercel.uninstall()
})

describe('withTracing: streaming', () => {
  it('keeps the root span open until the body ends, nests the model span, flushes through waitUntil', async () => {
    const { tracer, exporter } = testTracer()
    const POST = withTracing(
      async (request: Request) => {
        const { prompt } = await request.json()
        return streamText({
          model: tracedModel(tracer, { delayMs: 10 }),
          prompt,
        }).toTextStreamResponse()
      },
      { tracer, traceIdHeader: 'x-trace-id' },
    )

    const response = await POST(chatRequest())
    // The response is back while the model is still streaming: nothing ended, one flush pending.
    expect(response.status).toBe(200)
    expect(vercel.promises).toHaveLength(1)
    let flushed = false
    void vercel.promises[0]!.then(() => {
      flushed = true
    })
    await new Promise((r) => setTimeout(r, 5))
    expect(flushed).toBe(false)
    expect(tracer.stats().ended).toBe(0)

    const text = await response.text()
    expect(text).toBe('Hello traced world')
    const [outcome] = await vercel.settle()
    expect(outcome!.status).toBe('fulfilled')
    expect(flushed).toBe(true)

    const root = exporter.span('POST /api/chat')
    const model = exporter.span('chat mock-1')
    expect(response.headers.get('x-trace-id')).toBe(root.traceId)
    expect(root.kind).toBe('http')
    expect(root.status).toBe('ok')
    expect(root.parentSpanId).toBeUndefined()
    expect(root.attributes).toMatchObject({
      'http.request.method': 'POST',
      'url.path': '/api/chat',
      'http.route': '/api/chat',
      'http.response.status_code': 200,
      'user_agent.original': 'vitest-agent/1',
      'tokentrail.flush.via': 'waitUntil',
    })
    expect(model.parentSpanId).toBe(root.spanId)
    expect(model.traceId).toBe(root.traceId)
    expect(model.status).toBe('ok')
    expect(model.attributes['gen_ai.usage.output_tokens']).toBe(3)
    expect(model.attributes['test.parent_was_active']).toBe(true)
    expect(root.endTime).toBeGreaterThanOrEqual(model.endTime)
  })

  it('passes a UI message stream through byte for byte', async () => {
    const { tracer } = testTracer()
    const handler = async () =>
      streamText({ model: tracedModel(tracer), prompt: 'Hi' }).toUIMessageStreamResponse({
        generateMessageId: () => 'msg-1',
      })
    const plain = await (await handler()).text()
    const traced = await (await withTracing(handler, { tracer })(chatRequest())).text()
    expect(traced).toBe(plain)
    expect(traced).toContain('"delta":" traced"')
  })

  it('continues an incoming traceparent and keeps its tracestate', async () => {
    const { tracer, exporter } = testTracer()
    const POST = withTracing(
      async () => streamText({ model: tracedModel(tracer), prompt: 'Hi' }).toTextStreamResponse(),
      { tracer },
    )
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736'
    const response = await POST(
      chatRequest({
        headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01`, tracestate: 'vendor=abc' },
      }),
    )
    await response.text()
    await vercel.settle()
    const root = exporter.span('POST /api/chat')
    expect(root.traceId).toBe(traceId)
    expect(root.parentSpanId).toBe('00f067aa0ba902b7')
    expect(root.traceState).toBe('vendor=abc')
    expect(exporter.span('chat mock-1').traceId).toBe(traceId)
  })

  it('an async attributes option sets nothing and is said once (never an unhandled rejection)', async () => {
    const warnings: string[] = []
    const exporter = memoryExporter()
    const tracer = createTracer({
      serviceName: 'next-test',
      exporters: [exporter],
      flushIntervalMs: 600_000,
      warnings: (m) => warnings.push(m),
    })
    const GET = withTracing(async () => new Response('ok'), {
      tracer,
      attributes: (async () => ({ 'user.id': 'u1' })) as never,
    })
    for (let i = 0; i < 2; i++) expect(await (await GET(chatRequest())).text()).toBe('ok')
    await vercel.settle()
    expect(exporter.spans.map((s) => s.attributes['user.id'])).toEqual([undefined, undefined])
    expect(warnings.filter((w) => /attributes/.test(w))).toEqual([
      expect.stringMatching(/^withTracing\(\{ attributes \}\) returned a promise/),
    ])
  })

  it('ends the root span cancelled and closes the open model span when the client cancels mid-stream', async () => {
    const { tracer, exporter } = testTracer()
    const words = Array.from({ length: 40 }, (_, i) => ` w${i}`)
    const POST = withTracing(
      async () =>
        streamText({
          model: tracedModel(tracer, { words, delayMs: 10 }),
          prompt: 'Hi',
        }).toTextStreamResponse(),
      { tracer },
    )
    const response = await POST(chatRequest())
    const reader = response.body!.getReader()
    const first = await reader.read()
    expect(first.done).toBe(false)
    await reader.cancel()
    const [outcome] = await vercel.settle()
    expect(outcome!.status).toBe('fulfilled')
    const root = exporter.span('POST /api/chat')
    const model = exporter.span('chat mock-1')
    expect(root.status).toBe('cancelled')
    // Why, as @tokentrail/hono says it: the body's reader cancelled it.
    expect(root.events.map((e) => e.name)).toEqual(['http.response.cancelled'])
    expect(model.status).toBe('cancelled')
    expect(model.parentSpanId).toBe(root.spanId)
    expect(model.endTime).toBeLessThanOrEqual(root.endTime)
  })

  it('ends cancelled when the request signal aborts (the client went away)', async () => {
    const { tracer, exporter } = testTracer()
    const controller = new AbortController()
    const words = Array.from({ length: 40 }, (_, i) => ` w${i}`)
    const POST = withTracing(
      async (request: Request) =>
        streamText({
          model: tracedModel(tracer, { words, delayMs: 10 }),
          prompt: 'Hi',
          abortSignal: request.signal,
        }).toTextStreamResponse(),
      { tracer },
    )
    const response = await POST(chatRequest({ signal: controller.signal }))
    const reader = response.body!.getReader()
    await reader.read()
    controller.abort()
    await reader.cancel().catch(() => {})
    await vercel.settle()
    expect(exporter.span('POST /api/chat').status).toBe('cancelled')
    expect(exporter.span('POST /api/chat').events.map((e) => e.name)).toEqual([
      'http.request.aborted',
    ])
    expect(exporter.span('chat mock-1').status).toBe('cancelled')
  })

  it('records a stream that errors after the response started, and the client sees the same error', async () => {
    const { tracer, exporter } = testTracer()
    const failure = new Error('upstream broke')
    const POST = withTracing(
      async () =>
        new Response(
          new ReadableStream({
            start(controller) {
              controller.enqueue(new TextEncoder().encode('partial'))
              setTimeout(() => controller.error(failure), 5)
            },
          }),
        ),
      { tracer },
    )
    const response = await POST(chatRequest())
    await expect(response.text()).rejects.toBe(failure)
    await vercel.settle()
    const root = exporter.span('POST /api/chat')
    expect(root.status).toBe('error')
    expect(root.error?.message).toBe('upstream broke')
  })

  it('ends a body nobody reads at streamTimeoutMs and still flushes', async () => {
    const { tracer, exporter } = testTracer()
    const POST = withTracing(
      async () => new Response(new ReadableStream({ pull: () => new Promise(() => {}) })),
      { tracer, streamTimeoutMs: 20 },
    )
    await POST(chatRequest())
    const [outcome] = await vercel.settle()
    expect(outcome!.status).toBe('fulfilled')
    const root = exporter.span('POST /api/chat')
    expect(root.status).toBe('cancelled')
    expect(root.attributes['tokentrail.stream_timeout']).toBe(true)
  })
})

describe('withTracing: streamTimeoutMs is said', () => {
  it('says once that an answer outlived streamTimeoutMs, and nothing for one that ends in time', async () => {
    const warnings: string[] = []
    const tracer = createTracer({
      serviceName: 'next-test',
      exporters: [memoryExporter()],
      flushIntervalMs: 600_000,
      warnings: (message) => warnings.push(message),
    })
    const answer = (words: number) =>
      withTracing(
        async () =>
          streamText({
            model: tracedModel(tracer, { words: Array(words).fill('w '), delayMs: 10 }),
            prompt: 'hi',
          }).toTextStreamResponse(),
        { tracer, streamTimeoutMs: 150 },
      )
    const short = await answer(2)(chatRequest())
    await short.text()
    await vercel.settle()
    expect(warnings).toEqual([])
    for (let i = 0; i < 2; i++) {
      const long = await answer(30)(chatRequest())
      expect(await long.text()).toBe('w '.repeat(30))
    }
    await vercel.settle()
    expect(warnings).toEqual([
      'withTracing(): a response body was still streaming after streamTimeoutMs (150 ms), so its request span was ended there (cancelled, tokentrail.stream_timeout) and flushed before the function may freeze: the rest of that answer is missing from its trace, and spans ending later are lost if the function freezes. If the platform lets the function run longer, raise streamTimeoutMs (below maxDuration, less flushTimeoutMs).',
    ])
  })
})

describe('withTracing: other answers', () => {
  it('records a JSON response and returns the same body and headers', async () => {
    const { tracer, exporter } = testTracer()
    const GET = withTracing(
      async () => Response.json({ ok: true }, { status: 201, headers: { 'x-app': '1' } }),
      { tracer },
    )
    const response = await GET(new Request('http://localhost/api/items'))
    expect(response.status).toBe(201)
    expect(response.headers.get('x-app')).toBe('1')
    expect(response.headers.get('content-type')).toBe('application/json')
    expect(await response.json()).toEqual({ ok: true })
    await vercel.settle()
    const root = exporter.span('GET /api/items')
    expect(root.attributes['http.response.status_code']).toBe(201)
    expect(root.status).toBe('ok')
  })

  it('records non-2xx statuses: 4xx stays ok, 5xx is an error', async () => {
    const { tracer, exporter } = testTracer()
    const handler = withTracing(
      async (request: Request) =>
        new Response('nope', { status: Number(new URL(request.url).searchParams.get('s')) }),
      { tracer },
    )
    for (const s of [404, 503]) await (await handler(new Request(`http://h/api/x?s=${s}`))).text()
    await vercel.settle()
    const [notFound, unavailable] = exporter.spans
    expect(notFound!.attributes['http.response.status_code']).toBe(404)
    expect(notFound!.status).toBe('ok')
    expect(unavailable!.attributes['http.response.status_code']).toBe(503)
    expect(unavailable!.attributes['error.type']).toBe('503')
    expect(unavailable!.status).toBe('error')
    // The query string never reaches the span.
    expect(JSON.stringify(exporter.spans)).not.toContain('s=404')
  })

  it('ends a bodiless response at once and copies immutable headers to add the trace id', async () => {
    const { tracer, exporter } = testTracer()
    const GET = withTracing(async () => Response.redirect('http://h/elsewhere', 302), {
      tracer,
      traceIdHeader: 'x-trace-id',
    })
    const response = await GET(new Request('http://h/go'))
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe('http://h/elsewhere')
    await vercel.settle()
    expect(response.headers.get('x-trace-id')).toBe(exporter.span('GET /go').traceId)
  })

  it('puts the trace id on a copy of a response shared by every request, never on the shared object', async () => {
    const { tracer, exporter } = testTracer()
    const shared = new Response(null, { status: 204, headers: { 'x-app': 'kept' } })
    const POST = withTracing(async () => shared, { tracer, traceIdHeader: 'x-trace-id' })
    const [first, second] = await Promise.all([
      POST(new Request('http://h/a', { method: 'POST' })),
      POST(new Request('http://h/b', { method: 'POST' })),
    ])
    await vercel.settle()
    expect(first.headers.get('x-trace-id')).toBe(exporter.span('POST /a').traceId)
    expect(second.headers.get('x-trace-id')).toBe(exporter.span('POST /b').traceId)
    expect(first.status).toBe(204)
    expect(first.headers.get('x-app')).toBe('kept')
    expect(shared.headers.get('x-trace-id')).toBeNull()
  })

  it('answers a Response subclass with a constructor of its own as the handler made it', async () => {
    class JsonResponse extends Response {
      constructor(data: unknown, init?: ResponseInit) {
        super(JSON.stringify(data), {
          ...init,
          headers: { 'content-type': 'application/json', 'x-kind': 'json' },
        })
      }
    }
    const { tracer } = testTracer()
    for (const traceIdHeader of [undefined, 'x-trace-id']) {
      const GET = withTracing(async () => new JsonResponse({ answer: 42 }, { status: 201 }), {
        tracer,
        traceIdHeader,
      })
      const response = await GET(new Request('http://h/json'))
      expect(response.status).toBe(201)
      expect(response.headers.get('x-kind')).toBe('json')
      expect(await response.json()).toEqual({ answer: 42 })
    }
    // NextResponse takes (body, init) as Response does: it stays a NextResponse, cookies and all.
    const { NextResponse } = await import('next/server.js')
    const GET = withTracing(
      async () => {
        const response = NextResponse.json({ ok: true }, { status: 201 })
        response.cookies.set('a', '1')
        response.cookies.set('b', '2')
        return response
      },
      { tracer, traceIdHeader: 'x-trace-id' },
    )
    const response = await GET(new Request('http://h/next'))
    expect(response).toBeInstanceOf(NextResponse)
    expect(response.status).toBe(201)
    expect(response.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/'])
    expect(await response.json()).toEqual({ ok: true })
    await vercel.settle()
  })

  it('rethrows the very same error and records it', async () => {
    const { tracer, exporter } = testTracer()
    const failure = new TypeError('bad input')
    const POST = withTracing(
      async () => {
        await new Promise((r) => setTimeout(r, 1))
        throw failure
      },
      { tracer },
    )
    await expect(POST(chatRequest())).rejects.toBe(failure)
    expect(vercel.promises).toHaveLength(1)
    await vercel.settle()
    const root = exporter.span('POST /api/chat')
    expect(root.status).toBe('error')
    expect(root.error).toMatchObject({ type: 'TypeError', message: 'bad input' })
    expect(root.attributes['error.type']).toBe('TypeError')
  })

  it('treats redirect() and notFound() as answers, not failures', async () => {
    const { tracer, exporter } = testTracer()
    const redirect = Object.assign(new Error('NEXT_REDIRECT'), {
      digest: 'NEXT_REDIRECT;replace;/login;307;',
    })
    const POST = withTracing(
      async () => {
        throw redirect
      },
      { tracer },
    )
    await expect(POST(chatRequest())).rejects.toBe(redirect)
    await vercel.settle()
    const root = exporter.span('POST /api/chat')
    expect(root.status).toBe('ok')
    expect(root.attributes['http.response.status_code']).toBe(307)
  })

  it("Next's own redirect(), permanentRedirect() and notFound(), thrown from the handler: answers 307/308/404, rethrown as they were", async () => {
    const { tracer, exporter } = testTracer()
    const thrown: unknown[] = []
    for (const steer of [
      () => redirect('/login'),
      () => permanentRedirect('/new'),
      () => notFound(),
    ]) {
      const GET = withTracing(async () => steer(), { tracer })
      thrown.push(await GET(new Request('http://h/api/account')).catch((error) => error))
    }
    await vercel.settle()
    expect(thrown.map((error: any) => String(error.digest).split(';')[0])).toEqual([
      'NEXT_REDIRECT',
      'NEXT_REDIRECT',
      'NEXT_HTTP_ERROR_FALLBACK',
    ])
    expect(
      exporter.spans.map((s) => [s.status, s.attributes['http.response.status_code']]),
    ).toEqual([
      ['ok', 307],
      ['ok', 308],
      ['ok', 404],
    ])
  })

  it('names the span by the route pattern from params', async () => {
    const { tracer, exporter } = testTracer()
    const GET = withTracing(
      async (_request: Request, _context: { params: Promise<{ id: string; rest: string[] }> }) =>
        new Response('ok'),
      { tracer },
    )
    const response = await GET(new Request('http://h/api/chats/c42/files/a/b.txt'), {
      params: Promise.resolve({ id: 'c42', rest: ['a', 'b.txt'] }),
    })
    await response.text()
    await vercel.settle()
    const root = exporter.span(/^GET /)
    expect(root.name).toBe('GET /api/chats/[id]/files/[...rest]')
    expect(root.attributes['http.route']).toBe('/api/chats/[id]/files/[...rest]')
    expect(root.attributes['url.path']).toBe('/api/chats/c42/files/a/b.txt')
  })

  it('names a catch-all by the end of the path, where Next allows it', async () => {
    const { tracer, exporter } = testTracer()
    const GET = withTracing(async () => new Response('ok'), { tracer })
    for (const [path, rest] of [
      ['/api/files/files', ['files']],
      ['/api/files/api', ['files', 'api']],
    ] as const) {
      const response = await GET(new Request(`http://h${path}`), {
        params: Promise.resolve({ rest }),
      })
      await response.text()
    }
    await vercel.settle()
    // Before: `/api/[...rest]/files` and `/[...rest]/files/api`.
    expect(exporter.spans.map((s) => s.name)).toEqual([
      'GET /api/files/[...rest]',
      'GET /api/[...rest]',
    ])
  })

  it('never rejects or outlasts flushTimeoutMs when the exporter hangs', async () => {
    const hanging = { name: 'hang', export: () => new Promise<never>(() => {}) }
    const tracer = createTracer({ exporters: [hanging as any], flushIntervalMs: 600_000 })
    const POST = withTracing(async () => new Response('ok'), { tracer, flushTimeoutMs: 30 })
    const response = await POST(chatRequest())
    expect(await response.text()).toBe('ok')
    const started = performance.now()
    const [outcome] = await vercel.settle()
    expect(outcome!.status).toBe('fulfilled')
    expect(performance.now() - started).toBeLessThan(1000)
  })
})

describe('withTracing: without a platform, disabled, sampled out, bad options', () => {
  it('falls back to a background flush outside Vercel and Next', async () => {
    vercel.uninstall()
    const { tracer, exporter } = testTracer()
    const POST = withTracing(async () => new Response('ok'), { tracer })
    await (await POST(chatRequest())).text()
    await tracer.flush()
    expect(exporter.span('POST /api/chat').attributes['tokentrail.flush.via']).toBe('background')
  })

  it('returns the very same response when tracing is off', async () => {
    const tracer = createTracer({ enabled: false })
    const answer = new Response('ok')
    const POST = withTracing(async () => answer, { tracer })
    expect(await POST(chatRequest())).toBe(answer)
    expect(vercel.promises).toHaveLength(0)
  })

  it('records nothing for a sampled-out request but still answers', async () => {
    const exporter = memoryExporter()
    const tracer = createTracer({ exporters: [exporter], sampleRate: 0 })
    const POST = withTracing(
      async () => streamText({ model: tracedModel(tracer), prompt: 'Hi' }).toTextStreamResponse(),
      { tracer },
    )
    expect(await (await POST(chatRequest())).text()).toBe('Hello traced world')
    await tracer.flush()
    expect(exporter.spans).toHaveLength(0)
  })

  it("keeps the handler's parameter and return types (checked by tsc)", () => {
    const handler = async (_request: Request, _context: { params: Promise<{ id: string }> }) =>
      Response.json({ ok: true })
    const wrapped = withTracing(handler)
    expectTypeOf(wrapped).parameters.toEqualTypeOf<[Request, { params: Promise<{ id: string }> }]>()
    expectTypeOf(wrapped).returns.toEqualTypeOf<Promise<Response>>()
    // A handler that declares no parameters still takes what Next passes.
    expectTypeOf(withTracing(async () => new Response('ok'))).toBeCallableWith(chatRequest())
  })

  it('names the bad option', () => {
    const handler = async () => new Response('ok')
    expect(() => withTracing(undefined as any)).toThrow(/takes the route handler function/)
    expect(() => withTracing(handler, { flushTimeoutMs: -1 })).toThrow(/flushTimeoutMs/)
    expect(() => withTracing(handler, { streamTimeoutMs: 1.5 })).toThrow(/streamTimeoutMs/)
    // Past a timer's limit it would fire at once: every streamed span cut a millisecond in.
    expect(() => withTracing(handler, { streamTimeoutMs: 3_000_000_000 })).toThrow(
      /streamTimeoutMs must be at most 2147483647 ms/,
    )
    expect(() => withTracing(handler, { route: 'api/chat' })).toThrow(/route must be a path/)
    expect(() => withTracing(handler, { traceIdHeader: 'x trace' })).toThrow(/traceIdHeader/)
    expect(() => withTracing(handler, { tracer: {} as any })).toThrow(TokentrailError)
  })
})

describe('withTracing: a tracer on with nowhere to send spans', () => {
  it('says so once, on the first request, as the tracer does on first use; not when chosen on purpose', async () => {
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', '')
    vi.stubEnv('OTEL_TRACES_EXPORTER', '')
    delete (globalThis as any)[Symbol.for('tokentrail.notice.no-exporter')]
    try {
      const warnings: string[] = []
      const quiet = createTracer({ exporters: [], warnings: (m) => warnings.push(m) })
      const quietRoute = withTracing(async () => new Response('fine'), { tracer: quiet })
      expect(await (await quietRoute(chatRequest())).text()).toBe('fine')
      expect(warnings).toEqual([])
      const tracer = createTracer({ warnings: (m) => warnings.push(m) })
      const POST = withTracing(async () => new Response('fine'), { tracer })
      for (let i = 0; i < 3; i++) expect(await (await POST(chatRequest())).text()).toBe('fine')
      expect(warnings).toEqual([expect.stringMatching(/^tracing is off: no exporter was passed/)])
    } finally {
      vi.unstubAllEnvs()
    }
  })
})

describe('withTracing: a handler that answers no Response', () => {
  it('is an error span with the 500 Next answers, the value handed back as it was', async () => {
    const { tracer, exporter } = testTracer()
    const value = { ok: true }
    const GET = withTracing(async () => value as unknown as Response, { tracer })
    expect(await GET(new Request('http://localhost/api/odd'))).toBe(value)
    await tracer.flush()
    const [span] = exporter.spans
    expect(span!.status).toBe('error')
    expect(span!.attributes['error.type']).toBe('TypeError')
    expect(span!.attributes['http.response.status_code']).toBe(500)
    expect(span!.error?.message).toBe('the route handler returned object, not a Response')
  })
})
