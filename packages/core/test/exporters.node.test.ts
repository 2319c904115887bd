import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  consoleExporter,
  createTracer,
  httpExporter,
  otlpExporter,
  type Tracer,
} from '../src/index.js'

interface Received {
  headers: IncomingMessage['headers']
  body: any
}

type Reply = (request: IncomingMessage, response: ServerResponse, count: number) => void

const servers: Server[] = []

async function startReceiver(reply: Reply = (_q, res) => res.end('{}')) {
  const received: Received[] = []
  let count = 0
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (c) => chunks.push(c))
    request.on('end', () => {
      received.push({
        headers: request.headers,
        body: JSON.parse(Buffer.concat(chunks).toString()),
      })
      reply(request, response, ++count)
    })
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}/v1/traces`, received, server }
}

afterEach(async () => {
  vi.unstubAllEnvs()
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

const fastRetry = { maxRetries: 3, initialBackoffMs: 5, maxBackoffMs: 20 }

function spanIds(received: Received[]): string[] {
  return received.flatMap((r) =>
    r.body.resourceSpans.flatMap((rs: any) =>
      rs.scopeSpans.flatMap((ss: any) => ss.spans.map((s: any) => s.spanId)),
    ),
  )
}

function makeSpans(tracer: Tracer, n: number) {
  for (let i = 0; i < n; i++) tracer.startSpan(`span ${i}`, { attributes: { i } }).end()
}

describe('otlpExporter against a real HTTP server', () => {
  it('200: delivers OTLP JSON with headers from env and options', async () => {
    const receiver = await startReceiver()
    vi.stubEnv('OTEL_EXPORTER_OTLP_HEADERS', 'x-team=ai%20lab,x-env=test')
    const tracer = createTracer({
      serviceName: 'svc',
      exporters: [otlpExporter({ url: receiver.url, headers: { 'x-env': 'override' } })],
    })
    makeSpans(tracer, 3)
    expect(await tracer.flush()).toEqual({ ok: true, pending: 0 })
    expect(receiver.received).toHaveLength(1)
    const [request] = receiver.received
    expect(request!.headers['content-type']).toBe('application/json')
    expect(request!.headers['x-team']).toBe('ai lab')
    expect(request!.headers['x-env']).toBe('override')
    expect(request!.body.resourceSpans[0].resource.attributes).toContainEqual({
      key: 'service.name',
      value: { stringValue: 'svc' },
    })
    expect(spanIds(receiver.received)).toHaveLength(3)
    expect(tracer.stats()).toMatchObject({ exported: 3, failed: 0, retried: 0 })
  })

  it('uses OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces', async () => {
    const receiver = await startReceiver()
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', receiver.url.replace('/v1/traces', '/'))
    const tracer = createTracer()
    makeSpans(tracer, 1)
    await tracer.flush()
    expect(receiver.received).toHaveLength(1)
  })

  it('400: not retried, counted as failed', async () => {
    const receiver = await startReceiver((_q, res) => {
      res.statusCode = 400
      res.end('{"message":"bad"}')
    })
    const debug = vi.fn()
    const tracer = createTracer({
      debug,
      retry: fastRetry,
      exporters: [otlpExporter({ url: receiver.url })],
    })
    makeSpans(tracer, 2)
    await tracer.flush()
    expect(receiver.received).toHaveLength(1)
    expect(tracer.stats()).toMatchObject({ exported: 0, failed: 2, retried: 0 })
    expect(debug.mock.calls.find((c) => c[1])![1].message).toMatch(/answered 400/)
  })

  it('429 with Retry-After: waits as told, then delivers', async () => {
    const times: number[] = []
    const receiver = await startReceiver((_q, res, count) => {
      times.push(performance.now())
      if (count === 1) {
        res.writeHead(429, { 'retry-after': '1' })
        res.end()
      } else res.end('{}')
    })
    // Backoff alone would retry after ~5 ms; Retry-After says one second.
    const tracer = createTracer({
      retry: fastRetry,
      exporters: [otlpExporter({ url: receiver.url })],
    })
    makeSpans(tracer, 4)
    expect((await tracer.flush({ timeoutMs: 5000 })).ok).toBe(true)
    expect(receiver.received).toHaveLength(2)
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(950)
    expect(tracer.stats()).toMatchObject({ exported: 4, retried: 4, failed: 0 })
  })

  it('503 twice then recovery: every span delivered exactly once', async () => {
    const receiver = await startReceiver((_q, res, count) => {
      res.statusCode = count <= 2 ? 503 : 200
      res.end('{}')
    })
    const tracer = createTracer({
      maxBatchSize: 10,
      retry: fastRetry,
      exporters: [otlpExporter({ url: receiver.url })],
    })
    makeSpans(tracer, 25)
    expect((await tracer.flush({ timeoutMs: 5000 })).ok).toBe(true)
    const delivered = spanIds(receiver.received.slice(2))
    expect(delivered).toHaveLength(25)
    expect(new Set(delivered).size).toBe(25)
    expect(tracer.stats()).toMatchObject({ exported: 25, failed: 0 })
  })

  it('500: not retried (only 429, 502, 503, 504 are)', async () => {
    const receiver = await startReceiver((_q, res) => {
      res.statusCode = 500
      res.end()
    })
    const tracer = createTracer({
      retry: fastRetry,
      exporters: [otlpExporter({ url: receiver.url })],
    })
    makeSpans(tracer, 1)
    await tracer.flush()
    expect(receiver.received).toHaveLength(1)
    expect(tracer.stats()).toMatchObject({ failed: 1, retried: 0 })
  })

  it('connection refused: retried, then counted as failed; user code never sees it', async () => {
    const receiver = await startReceiver()
    const { url } = receiver
    receiver.server.close()
    const tracer = createTracer({ retry: fastRetry, exporters: [otlpExporter({ url })] })
    await tracer.withSpan('user work', async () => 'fine')
    expect(await tracer.flush({ timeoutMs: 5000 })).toEqual({
      ok: false,
      pending: 0,
      reason: `${url}: 1 span not delivered: connection refused (nothing listens there) [ECONNREFUSED]`,
    })
    expect(tracer.stats()).toMatchObject({ failed: 1, retried: 3, exported: 0 })
  })

  it('a server that hangs: each attempt bounded by exportTimeoutMs, flush by its timeout', async () => {
    const receiver = await startReceiver(() => {})
    const tracer = createTracer({
      exportTimeoutMs: 100,
      retry: { maxRetries: 1, initialBackoffMs: 5 },
      exporters: [otlpExporter({ url: receiver.url })],
    })
    makeSpans(tracer, 1)
    const started = performance.now()
    const first = await tracer.flush({ timeoutMs: 50 })
    expect(first.ok).toBe(false)
    expect(performance.now() - started).toBeLessThan(500)
    // Two attempts of 100 ms each, then the span is given up and counted.
    await vi.waitFor(() => expect(tracer.stats().failed).toBe(1), { timeout: 3000, interval: 20 })
    expect(receiver.received).toHaveLength(2)
  })

  it('partial success: rejected spans are counted, the batch is not retried', async () => {
    const receiver = await startReceiver((_q, res) => {
      res.end(JSON.stringify({ partialSuccess: { rejectedSpans: 2, errorMessage: 'too old' } }))
    })
    const tracer = createTracer({
      retry: fastRetry,
      exporters: [otlpExporter({ url: receiver.url })],
    })
    makeSpans(tracer, 5)
    await tracer.flush()
    expect(receiver.received).toHaveLength(1)
    expect(tracer.stats()).toMatchObject({ exported: 3, rejected: 2, retried: 0 })
  })

  it('spans that end while a batch is out wait for a full batch, the interval or a flush: one POST, not one per round trip', async () => {
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    const { url, received } = await startReceiver((_q, res, count) => {
      if (count === 1) void held.then(() => res.end('{}'))
      else res.end('{}')
    })
    const tracer = createTracer({
      maxBatchSize: 4,
      flushIntervalMs: 60_000,
      exporters: [otlpExporter({ url })],
    })
    makeSpans(tracer, 4) // a full batch: out at once, its answer held
    await vi.waitFor(() => expect(received).toHaveLength(1))
    makeSpans(tracer, 3)
    release()
    await vi.waitFor(() => expect(tracer.stats()).toMatchObject({ exported: 4, inflight: 0 }))
    await new Promise((resolve) => setTimeout(resolve, 50))
    // Three spans are less than a batch: they wait, as the first batch's answer came.
    expect(received).toHaveLength(1)
    expect(tracer.stats().queued).toBe(3)
    makeSpans(tracer, 1) // now a full batch: out without a flush
    await vi.waitFor(() => expect(received).toHaveLength(2))
    makeSpans(tracer, 2)
    expect(await tracer.flush({ timeoutMs: 2000 })).toEqual({ ok: true, pending: 0 })
    expect(received.map((r) => spanIds([r]).length)).toEqual([4, 4, 2])
    expect(tracer.stats()).toMatchObject({ exported: 10, queued: 0 })
  })

  it('rejects a bad url at creation, naming the option', () => {
    // `localhost:` reads as a scheme: the message says what is missing, not that it is one.
    expect(() => otlpExporter({ url: 'localhost:4318' })).toThrow(
      'otlpExporter({ url }) must be an absolute http(s) URL such as http://localhost:4318, got "localhost:4318": it has no http:// or https:// in front',
    )
    expect(() => otlpExporter({ url: 'ftp://collector/v1/traces' })).toThrow(
      /otlpExporter\(\{ url \}\) must use http or https, got "ftp:"/,
    )
    expect(() => otlpExporter({ url: 'nope' })).toThrow(
      /otlpExporter\(\{ url \}\) must be an absolute/,
    )
  })
})

describe('httpExporter', () => {
  it('POSTs { spans } with a bearer key, and credentials in spans stay redacted', async () => {
    const receiver = await startReceiver()
    const tracer = createTracer({
      serviceName: 'svc',
      exporters: [httpExporter({ url: receiver.url, apiKey: 'tt_secret_key' })],
    })
    tracer
      .startSpan('call', {
        attributes: { 'http.request.header.authorization': 'Bearer user-token-123456' },
      })
      .end()
    await tracer.flush()
    const [request] = receiver.received
    expect(request!.headers.authorization).toBe('Bearer tt_secret_key')
    expect(request!.body.spans).toHaveLength(1)
    expect(request!.body.spans[0]).toMatchObject({
      name: 'call',
      status: 'ok',
      resource: { serviceName: 'svc' },
      attributes: { 'http.request.header.authorization': '[REDACTED]' },
    })
  })

  it('requires a url', () => {
    expect(() => httpExporter({} as never)).toThrow(/httpExporter\(\{ url \}\) is required/)
  })
})

describe('consoleExporter', () => {
  it('prints one JSON line per span', async () => {
    const lines: string[] = []
    const tracer = createTracer({
      exporters: [consoleExporter({ pretty: false, write: (l) => lines.push(l) })],
    })
    await tracer.withSpan('root', async () => {
      tracer.startSpan('child', { attributes: { n: 1 } }).end()
    })
    await tracer.flush()
    const records = lines.map((l) => JSON.parse(l))
    expect(records.map((r) => r.name)).toEqual(['child', 'root'])
    expect(records[0]).toMatchObject({ kind: 'internal', status: 'ok', attributes: { n: 1 } })
    expect(records[0].parentSpanId).toBe(records[1].spanId)
    expect(typeof records[0].durationMs).toBe('number')
  })

  it('prints a readable tree in development, with control characters stripped', async () => {
    const lines: string[] = []
    const tracer = createTracer({
      exporters: [consoleExporter({ pretty: true, write: (l) => lines.push(l) })],
    })
    await tracer.withSpan('POST /api/chat', async () => {
      tracer
        .startSpan('chat gpt-4o\u001b[2J', {
          kind: 'llm',
          attributes: { 'gen_ai.usage.input_tokens': 5, 'gen_ai.usage.output_tokens': 9 },
        })
        .recordError(new Error('boom'))
        .end()
    })
    await tracer.flush()
    const text = lines.join('\n')
    expect(text).toMatch(
      /^trace [0-9a-f]{32}\n {2}POST \/api\/chat \d+\.\dms\n {2}└─ chat gpt-4o\[2J \d+\.\dms 5→9 tokens \[error: boom\]$/,
    )
    expect(text).not.toContain('\u001b')
  })
})
