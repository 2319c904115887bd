import { readdirSync, readFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { context, SpanKind, trace } from '@opentelemetry/api'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto'
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import { createTracer, httpExporter, otlpExporter } from '@tokentrail/core'
import { encodeOtlpTraces } from '@tokentrail/core/otlp'
import { describe, expect, it } from 'vitest'
import {
  type Collector,
  type CollectorOptions,
  openTraceStore,
  startCollector,
} from '../src/index.js'
import { chatTrace, onCleanup, tempDir } from './helpers.js'

async function collector(options: CollectorOptions = {}): Promise<Collector> {
  const c = await startCollector({ port: 0, db: join(tempDir(), 'traces.db'), ...options })
  onCleanup(() => c.close())
  return c
}

async function post(c: Collector, path: string, body: BodyInit, headers: Record<string, string>) {
  const response = await fetch(`${c.url}${path}`, { method: 'POST', body, headers })
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    body: new Uint8Array(await response.arrayBuffer()),
  }
}

const json = (body: Uint8Array) => JSON.parse(new TextDecoder().decode(body))

describe('collector ingest', () => {
  it('stores what core’s otlpExporter and httpExporter send over real HTTP', async () => {
    const c = await collector()
    const spans = await chatTrace({ fail: true })
    const viaOtlp = createTracer({
      serviceName: 'a',
      exporters: [otlpExporter({ url: `${c.url}/v1/traces` })],
    })
    await viaOtlp.withSpan('otlp root', async () => {})
    await viaOtlp.flush()
    const viaHttp = createTracer({
      serviceName: 'b',
      exporters: [httpExporter({ url: `${c.url}/api/spans` })],
    })
    await viaHttp.withSpan('http root', { kind: 'http' }, async () => {})
    await viaHttp.flush()
    expect(viaOtlp.stats()).toMatchObject({ exported: 1, failed: 0 })
    expect(viaHttp.stats()).toMatchObject({ exported: 1, failed: 0 })
    const direct = await post(c, '/v1/traces', encodeOtlpTraces(spans), {
      'content-type': 'application/json',
    })
    expect(direct.status).toBe(200)
    expect(json(direct.body)).toEqual({ partialSuccess: {} })
    const names = c.store.listTraces().traces.map((t) => `${t.service}:${t.rootName}`)
    expect(names.sort()).toEqual(['a:otlp root', 'b:http root', 'chat-api:POST /api/chat'])
    expect(c.store.getTrace(spans[0]!.traceId)!.spans).toHaveLength(3)
  })

  it('receives protobuf from the OpenTelemetry SDK’s own OTLP exporter', async () => {
    const c = await collector()
    const exporter = new OTLPTraceExporter({ url: `${c.url}/v1/traces` })
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'otel-proto-app' }),
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    })
    const tracer = provider.getTracer('test')
    const root = tracer.startSpan('GET /', { kind: SpanKind.SERVER })
    const child = tracer.startSpan(
      'chat gpt-4o',
      {
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': 'gpt-4o',
          'gen_ai.usage.input_tokens': 5,
        },
      },
      trace.setSpan(context.active(), root),
    )
    child.end()
    root.end()
    await provider.forceFlush()
    await provider.shutdown()
    const [summary] = c.store.listTraces().traces
    expect(summary).toMatchObject({
      service: 'otel-proto-app',
      rootName: 'GET /',
      model: 'gpt-4o',
      inputTokens: 5,
      spanCount: 2,
    })
    expect(c.stats()).toMatchObject({ spansStored: 2, rejected: {} })
  })

  it('accepts gzip bodies and answers protobuf with protobuf', async () => {
    const c = await collector()
    const memory = new InMemorySpanExporter()
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] })
    provider.getTracer('t').startSpan('zipped').end()
    const body = gzipSync(ProtobufTraceSerializer.serializeRequest(memory.getFinishedSpans())!)
    const answer = await post(c, '/v1/traces', body, {
      'content-type': 'application/x-protobuf',
      'content-encoding': 'gzip',
    })
    expect(answer).toMatchObject({ status: 200, type: 'application/x-protobuf' })
    expect(answer.body.byteLength).toBe(0)
    expect(c.store.listTraces().traces.map((t) => t.rootName)).toEqual(['zipped'])
  })

  it('rejects bad input with a clear status and message, stores nothing, and keeps serving', async () => {
    const c = await collector({ maxBodyBytes: 64 * 1024 })
    const good = encodeOtlpTraces(await chatTrace())
    const cases: [string, Promise<Awaited<ReturnType<typeof post>>>, number, RegExp][] = [
      [
        'malformed JSON',
        post(c, '/v1/traces', '{"resourceSpans": [', { 'content-type': 'application/json' }),
        400,
        /not valid JSON/,
      ],
      [
        'bad span in an otherwise good batch',
        post(c, '/v1/traces', good.replace(/"spanId":"[0-9a-f]{16}"/, '"spanId":"xyz"'), {
          'content-type': 'application/json',
        }),
        400,
        /spans\[\d\]\.spanId: expected 16 hex characters/,
      ],
      [
        'wrong content type',
        post(c, '/v1/traces', good, { 'content-type': 'text/plain' }),
        415,
        /content-type must be application\/json or application\/x-protobuf/,
      ],
      [
        'no content type',
        post(c, '/api/spans', new Uint8Array([1, 2]), {}),
        415,
        /content-type must be application\/json/,
      ],
      [
        'oversized body',
        post(c, '/v1/traces', 'x'.repeat(65 * 1024), { 'content-type': 'application/json' }),
        413,
        /over the 65536-byte limit/,
      ],
      [
        'gzip bomb',
        post(c, '/v1/traces', gzipSync(Buffer.alloc(1024 * 1024, 32)), {
          'content-type': 'application/json',
          'content-encoding': 'gzip',
        }),
        413,
        /decompressed body is over/,
      ],
      [
        'unknown encoding',
        post(c, '/v1/traces', good, {
          'content-type': 'application/json',
          'content-encoding': 'br',
        }),
        415,
        /content-encoding must be/,
      ],
      [
        'bad JSON ingest shape',
        post(c, '/api/spans', '{"spans":[{"traceId":"00"}]}', {
          'content-type': 'application/json',
        }),
        400,
        /spans\[0\]\.traceId: expected 32 lowercase hex/,
      ],
    ]
    for (const [name, pending, status, message] of cases) {
      const answer = await pending
      expect(answer.status, name).toBe(status)
      const body = json(answer.body)
      expect(body.message ?? body.error, name).toMatch(message)
    }
    // Protobuf errors come back as a google.rpc.Status message: field 1 code, field 2 message.
    const bad = await post(c, '/v1/traces', new Uint8Array([0x0a, 0x05, 0x01]), {
      'content-type': 'application/x-protobuf',
    })
    expect(bad).toMatchObject({ status: 400, type: 'application/x-protobuf' })
    expect(bad.body[0]).toBe(0x08)
    expect(bad.body[1]).toBe(3)
    expect(new TextDecoder().decode(bad.body.subarray(4))).toMatch(/runs past the end/)
    // A chunked body (no content-length) over the limit is cut off too.
    const chunked = await new Promise<number>((resolve, reject) => {
      const url = new URL(`${c.url}/v1/traces`)
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
        },
        (res) => {
          res.resume()
          resolve(res.statusCode!)
        },
      )
      req.on('error', reject)
      for (let i = 0; i < 20; i++) req.write('x'.repeat(8 * 1024))
      req.end()
    })
    expect(chunked).toBe(413)
    expect(c.store.counts).toEqual({ traces: 0, spans: 0 })
    expect(c.stats().rejected).toEqual({ 400: 4, 413: 3, 415: 3 })
    // Still serving.
    expect((await post(c, '/v1/traces', good, { 'content-type': 'application/json' })).status).toBe(
      200,
    )
    expect(c.store.counts.spans).toBe(3)
  })

  it('needs the token for ingest and API when one is set', async () => {
    const c = await collector({ token: 'secret-token-1' })
    const body = encodeOtlpTraces(await chatTrace())
    const headers = { 'content-type': 'application/json' }
    expect((await post(c, '/v1/traces', body, headers)).status).toBe(401)
    const wrong = await post(c, '/v1/traces', body, { ...headers, authorization: 'Bearer nope' })
    expect(wrong.status).toBe(401)
    expect(json(wrong.body).message).toMatch(/missing or wrong token/)
    // UNAUTHENTICATED, as the protobuf answer says.
    expect(json(wrong.body).code).toBe(16)
    expect((await fetch(`${c.url}/api/traces`)).status).toBe(401)
    expect(c.store.counts.spans).toBe(0)
    // The scheme's name is case-insensitive.
    const lower = await fetch(`${c.url}/api/traces`, {
      headers: { authorization: 'bearer secret-token-1' },
    })
    expect(lower.status).toBe(200)
    const tracer = createTracer({
      serviceName: 'x',
      exporters: [
        otlpExporter({
          url: `${c.url}/v1/traces`,
          headers: { authorization: 'Bearer secret-token-1' },
        }),
      ],
    })
    await tracer.withSpan('with token', async () => {})
    await tracer.flush()
    expect(c.store.counts.spans).toBe(1)
    expect((await fetch(`${c.url}/api/traces?token=secret-token-1`)).status).toBe(200)
    expect((await fetch(`${c.url}/health`)).status).toBe(200)
    await expect(startCollector({ port: 0, db: ':memory:', token: 'short' })).rejects.toThrow(
      /token must be at least 8/,
    )
  })

  it('names a wrong option before it listens: an unknown key, a host or token of the wrong type', async () => {
    const cases: [unknown, RegExp][] = [
      [
        { port: 0, db: ':memory:', maxAge: 1000 },
        /unknown option `maxAge` — did you mean `maxAgeMs`\?/,
      ],
      [
        { port: 0, db: ':memory:', maxBody: 1 },
        /unknown option `maxBody` — did you mean `maxBodyBytes`\?/,
      ],
      [{ port: 0, db: ':memory:', host: 123 }, /host must be a host name or IP address .* got 123/],
      [{ port: 0, db: ':memory:', host: '' }, /host must be a host name or IP address .* got ""/],
      [{ port: 0, db: ':memory:', token: 123456789 }, /token must be a string, got number/],
      [{ port: 0, db: ':memory:', log: 'x' }, /log must be a function/],
      ['127.0.0.1', /takes an options object/],
    ]
    for (const [options, message] of cases)
      await expect(startCollector(options as CollectorOptions)).rejects.toThrow(message)
  })

  it('refuses requests for other host names (DNS rebinding) on loopback', async () => {
    const c = await collector()
    const status = await new Promise<number>((resolve, reject) => {
      const url = new URL(`${c.url}/api/traces`)
      httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          headers: { host: 'evil.example:4318' },
        },
        (res) => {
          res.resume()
          resolve(res.statusCode!)
        },
      )
        .on('error', reject)
        .end()
    })
    expect(status).toBe(403)
  })

  it('says clearly when the port is taken', async () => {
    const c = await collector()
    await expect(startCollector({ port: c.port, db: ':memory:' })).rejects.toThrow(
      new RegExp(`port ${c.port} on 127.0.0.1 is in use.*--port`),
    )
  })

  it('leaves no database behind when the port is taken', async () => {
    const c = await collector()
    const folder = tempDir()
    const kept = join(folder, 'kept.db')
    const keptStore = openTraceStore({ path: kept })
    keptStore.close()
    const before = readFileSync(kept)
    for (const db of [join(folder, 'new', 'deeper', 'traces.db'), kept]) {
      await expect(startCollector({ port: c.port, db })).rejects.toThrow(/is in use/)
    }
    // The new file and the folders made for it are gone; a database that was there stays as it was.
    expect(readdirSync(folder)).toEqual(['kept.db'])
    expect(readFileSync(kept).equals(before)).toBe(true)
  })
})

describe('collector API', () => {
  it('lists, fetches, finds the last error and computes stats', async () => {
    const c = await collector()
    const ok = await chatTrace({ model: 'gpt-4o' })
    const failed = await chatTrace({ fail: true, model: 'mini' })
    c.store.insert(ok)
    c.store.insert(failed)
    const get = async (path: string) => {
      const response = await fetch(`${c.url}${path}`)
      return { status: response.status, body: await response.json() }
    }
    expect((await get('/api/traces')).body.traces).toHaveLength(2)
    expect((await get('/api/traces?status=error')).body.traces.map((t: any) => t.traceId)).toEqual([
      failed[0]!.traceId,
    ])
    expect((await get('/api/traces?model=gpt-4o')).body.traces.map((t: any) => t.traceId)).toEqual([
      ok[0]!.traceId,
    ])
    expect((await get('/api/traces?status=bad')).body.error).toMatch(
      /status must be ok, error or cancelled/,
    )
    expect((await get('/api/traces?from=yesterday')).status).toBe(400)
    expect((await get('/api/traces?from=1h')).body.traces).toHaveLength(2)
    const detail = await get(`/api/traces/${ok[0]!.traceId.slice(0, 10)}`)
    expect(detail.body.trace.traceId).toBe(ok[0]!.traceId)
    expect(detail.body.spans).toHaveLength(3)
    expect(detail.body.waterfall.map((row: { depth: number }) => row.depth)).toEqual([0, 1, 1])
    expect(await get('/api/traces/0123456789abcdef0123456789abcdef')).toEqual({
      status: 404,
      body: { error: 'no trace with id "0123456789abcdef0123456789abcdef"' },
    })
    expect((await get('/api/last-error')).body.trace.traceId).toBe(failed[0]!.traceId)
    expect((await get('/api/last')).status).toBe(200)
    const stats = (await get('/api/stats')).body
    expect(stats.traces).toMatchObject({ count: 2, errors: 1, errorRate: 0.5 })
    expect(stats.models.map((m: any) => m.model).sort()).toEqual(['gpt-4o', 'mini'])
    expect((await get('/api/nope')).status).toBe(404)
    expect((await fetch(`${c.url}/api/traces`, { method: 'DELETE' })).status).toBe(405)
    const page = await fetch(`${c.url}/`)
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'")
    expect(await page.text()).toContain('/assets/app.js')
    expect((await fetch(`${c.url}/assets/app.js`)).status).toBe(200)
  })

  it('streams new spans and trace rows to live clients (Server-Sent Events)', async () => {
    const c = await collector()
    const controller = new AbortController()
    onCleanup(() => controller.abort())
    const response = await fetch(`${c.url}/api/live?status=error`, { signal: controller.signal })
    expect(response.headers.get('content-type')).toContain('text/event-stream')
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
    let text = ''
    const until = async (pattern: RegExp) => {
      while (!pattern.test(text)) {
        const { value, done } = await reader.read()
        if (done) throw new Error(`stream ended; got ${text}`)
        text += value
      }
    }
    await until(/: connected/)
    const spans = await chatTrace({ fail: true })
    const answer = await post(c, '/v1/traces', encodeOtlpTraces(spans), {
      'content-type': 'application/json',
    })
    expect(answer.status).toBe(200)
    await until(/event: traces\ndata: .*\n\n/)
    const events = Object.fromEntries(
      text
        .split('\n\n')
        .filter((block) => block.startsWith('event: '))
        .map((block) => [
          block.slice(7, block.indexOf('\n')),
          JSON.parse(block.slice(block.indexOf('data: ') + 6)),
        ]),
    )
    // Filtered by ?status=error: the failed tool and the failed root, not the ok LLM span.
    expect(events.spans.map((s: any) => s.name).sort()).toEqual([
      'POST /api/chat',
      'execute_tool weather',
    ])
    expect(events.traces[0]).toMatchObject({ traceId: spans[0]!.traceId, status: 'error' })
    expect(c.stats().liveClients).toBe(1)
  })

  it('sends the viewer (?events=traces) trace rows only, after answering the exporter', async () => {
    const c = await collector()
    const controller = new AbortController()
    onCleanup(() => controller.abort())
    const response = await fetch(`${c.url}/api/live?events=traces`, { signal: controller.signal })
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
    let text = ''
    while (!text.includes(': connected')) text += (await reader.read()).value
    for (let i = 0; i < 2; i++) {
      const spans = await chatTrace()
      const answer = await post(c, '/v1/traces', encodeOtlpTraces(spans), {
        'content-type': 'application/json',
      })
      expect(answer.status).toBe(200)
    }
    while ((text.match(/event: traces\n/g) ?? []).length < 2) text += (await reader.read()).value
    expect(text).not.toContain('event: spans')
    const bad = await fetch(`${c.url}/api/live?events=spans`)
    expect(bad.status).toBe(400)
    expect((await bad.json()).error).toBe('events must be traces (or left out), got "spans"')
  })
})
