import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttp2Server } from 'node:http2'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { DeliveryLog } from '../src/delivery-log.js'
import { requestFlushOptions } from '../src/http.js'
import {
  createTracer,
  httpExporter,
  otlpExporter,
  otlpMetricsExporter,
  type Tracer,
} from '../src/index.js'

const servers: Server[] = []

async function startServer(
  reply: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<string> {
  const server = createServer((request, response) => {
    request.resume()
    request.on('end', () => reply(request, response))
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

async function closedPortUrl(): Promise<string> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return `http://127.0.0.1:${port}/v1/traces`
}

afterEach(async () => {
  vi.unstubAllEnvs()
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

// The defaults a user gets (retry budget of ~12 s), with only the sinks captured.
function tracerFor(url: string, extra: Parameters<typeof createTracer>[0] = {}) {
  const warnings: { message: string; at: number }[] = []
  const tracer = createTracer({
    serviceName: 'delivery-test',
    exporters: [otlpExporter({ url })],
    warnings: (message) => warnings.push({ message, at: performance.now() }),
    ...extra,
  })
  return { tracer, warnings }
}

function spans(tracer: Tracer, n: number) {
  for (let i = 0; i < n; i++) tracer.startSpan(`span ${i}`).end()
}

describe('delivery warnings through the real OTLP exporter', () => {
  // The second of two flushes at once reported on an empty window ({ ok: true }) although the spans
  // it waited for had been refused: an adapter's `waitUntil(flush())` beside the app's own.
  it('two flushes at once, or one begun while the other waits, both say the spans failed', async () => {
    const url = await startServer((_, response) => response.writeHead(400).end('bad'))
    const { tracer } = tracerFor(`${url}/v1/traces`)
    spans(tracer, 3)
    const [first, second] = await Promise.all([
      tracer.flush({ timeoutMs: 3000 }),
      tracer.flush({ timeoutMs: 3000 }),
    ])
    expect(first).toMatchObject({
      ok: false,
      reason: expect.stringContaining('3 spans not delivered'),
    })
    expect(second).toMatchObject({
      ok: false,
      reason: expect.stringContaining('3 spans not delivered'),
    })
    spans(tracer, 2)
    const early = tracer.flush({ timeoutMs: 3000 })
    await new Promise((resolve) => setTimeout(resolve, 1))
    const late = tracer.flush({ timeoutMs: 3000 })
    for (const outcome of [await early, await late])
      expect(outcome).toMatchObject({
        ok: false,
        reason: expect.stringContaining('2 spans not delivered'),
      })
    // One after the other, the second waits for nothing new and reports nothing old.
    expect(await tracer.flush({ timeoutMs: 3000 })).toEqual({ ok: true, pending: 0 })
    await tracer.shutdown()
  })

  it('closed port: warned on the first failed attempt, inside a 500 ms flush; flush says why', async () => {
    const url = await closedPortUrl()
    const { tracer, warnings } = tracerFor(url)
    spans(tracer, 3)
    const started = performance.now()
    const result = await tracer.flush({ timeoutMs: 500 })
    const flushEnded = performance.now()
    expect(warnings[0]).toBeDefined()
    expect(warnings[0]!.at).toBeLessThan(flushEnded)
    expect(warnings[0]!.at - started).toBeLessThan(500)
    expect(warnings[0]!.message).toBe(
      `spans not delivered to ${url}: connection refused (nothing listens there) [ECONNREFUSED]. 3 spans waiting, retrying up to 5 more times. \`npx tokentrail doctor\` checks the setup; TOKENTRAIL_DEBUG=1 logs every attempt.`,
    )
    expect(result.ok).toBe(false)
    // The three spans wait for a retry: not delivered, so pending.
    expect(result.pending).toBe(3)
    // The first retry comes 0.8–1.2 s after the failure, after the flush's bound: it does not wait
    // that bound out, as nothing can arrive before it passes.
    expect(result.reason).toMatch(
      /: flush stopped waiting \(the next attempt is in [01]\.\d s, after its 500 ms bound\) with 3 spans not delivered \(last failure: connection refused \(nothing listens there\) \[ECONNREFUSED\]\)$/,
    )
    expect(result.reason!.startsWith(`${url}: `)).toBe(true)
    // One warning only: the flush timeout is part of the same story.
    expect(warnings).toHaveLength(1)
    await tracer.shutdown({ timeoutMs: 10 })
  })

  it("closed port, a request's flush where the function may freeze: after the failure's line, the loss at the freeze is said once", async () => {
    const url = await closedPortUrl()
    const { tracer, warnings } = tracerFor(url)
    // What withTracing() and tracing() hand to waitUntil on Vercel or AWS Lambda.
    const flushBeforeFreeze = () => tracer.flush(requestFlushOptions(400, false))
    spans(tracer, 3)
    const result = await flushBeforeFreeze()
    expect(result.ok).toBe(false)
    expect(warnings.map((w) => w.message)).toEqual([
      `spans not delivered to ${url}: connection refused (nothing listens there) [ECONNREFUSED]. 3 spans waiting, retrying up to 5 more times. \`npx tokentrail doctor\` checks the setup; TOKENTRAIL_DEBUG=1 logs every attempt.`,
      expect.stringMatching(
        /^flush stopped waiting \(the next attempt is in [01]\.\d s, after its 400 ms bound\): 3 spans for http:\S+ not delivered yet \(connection refused \(nothing listens there\) \[ECONNREFUSED\]\)\. The function may freeze now: their retries go on only if this instance serves another request, and are lost if it never does\. `npx tokentrail doctor` checks the setup\.$/,
      ),
    ])
    // Said once: the next request's flush adds no line.
    spans(tracer, 1)
    expect((await flushBeforeFreeze()).ok).toBe(false)
    expect(warnings).toHaveLength(2)
    await tracer.shutdown({ timeoutMs: 10 })
  })

  it("closed port, a long-lived server's flush (no freeze): the failure's line is the whole story", async () => {
    const url = await closedPortUrl()
    const { tracer, warnings } = tracerFor(url)
    spans(tracer, 3)
    expect((await tracer.flush({ timeoutMs: 400 })).ok).toBe(false)
    expect(warnings).toHaveLength(1)
    await tracer.shutdown({ timeoutMs: 10 })
  })

  it('an async warnings or debug function that rejects: no unhandled rejection reaches the app', async () => {
    const url = await closedPortUrl()
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown) => unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    const said: string[] = []
    try {
      const tracer = createTracer({
        serviceName: 'async-sinks',
        exporters: [otlpExporter({ url })],
        metrics: false,
        warnings: async (message) => {
          said.push(message)
          throw new Error('the log service is down')
        },
        debug: async () => {
          throw new Error('the debug sink is down')
        },
      })
      spans(tracer, 2)
      expect((await tracer.flush({ timeoutMs: 300 })).ok).toBe(false)
      await tracer.shutdown({ timeoutMs: 10 })
      await new Promise((resolve) => setTimeout(resolve, 50))
      expect(said.length).toBeGreaterThan(0)
      expect(unhandled).toEqual([])
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
  })

  // A TLS failure was retried as a network blip: the warning promised 5 more attempts and every
  // flush waited out its whole bound (billed time per request on a serverless platform) for a
  // retry that cannot pass. Now it is dropped at once, said once with its cause.
  it('https:// to a plain-http port: not retried, said once with the cause, the flush returns at once', async () => {
    const base = await startServer((_q, res) => res.end('{}'))
    const url = `${base.replace('http://', 'https://')}/v1/traces`
    const { tracer, warnings } = tracerFor(url)
    spans(tracer, 2)
    const started = performance.now()
    const result = await tracer.flush({ timeoutMs: 5000 })
    expect(performance.now() - started).toBeLessThan(2500)
    expect(result).toEqual({
      ok: false,
      pending: 0,
      reason: `${url}: 2 spans not delivered: TLS handshake failed (https:// to a port that speaks plain http?) [EPROTO]`,
    })
    expect(warnings.map((w) => w.message)).toEqual([
      `spans not delivered to ${url}: TLS handshake failed (https:// to a port that speaks plain http?) [EPROTO]. 2 spans dropped. \`npx tokentrail doctor\` checks the setup; TOKENTRAIL_DEBUG=1 logs every attempt.`,
    ])
    expect(tracer.stats()).toMatchObject({ failed: 2, queued: 0, inflight: 0 })
    await tracer.shutdown({ timeoutMs: 10 })
  })

  it.skipIf(!existsSync('/usr/bin/openssl'))(
    'a self-signed certificate: not retried, said once with the cause',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'tt-tls-'))
      execFileSync(
        '/usr/bin/openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-days',
          '1',
          '-subj',
          '/CN=localhost',
        ].concat(['-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')]),
        { stdio: 'ignore' },
      )
      let requests = 0
      const server = createHttpsServer(
        { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
        (_q, res) => {
          requests++
          res.end('{}')
        },
      )
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      try {
        const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`
        const { tracer, warnings } = tracerFor(url)
        spans(tracer, 1)
        const result = await tracer.flush({ timeoutMs: 5000 })
        expect(result).toMatchObject({ ok: false, pending: 0 })
        expect(result.reason).toMatch(/TLS failed \[DEPTH_ZERO_SELF_SIGNED_CERT\]$/)
        expect(warnings).toHaveLength(1)
        expect(warnings[0]!.message).toMatch(
          /TLS failed \[DEPTH_ZERO_SELF_SIGNED_CERT\]\. 1 span dropped\./,
        )
        expect(requests).toBe(0)
        await tracer.shutdown({ timeoutMs: 10 })
      } finally {
        server.closeAllConnections()
        await new Promise((resolve) => server.close(resolve))
        rmSync(dir, { recursive: true, force: true })
      }
    },
  )

  it('404 (endpoint without /v1/traces): not retried, one warning naming the path, ok: false', async () => {
    const base = await startServer((_q, res) => {
      res.statusCode = 404
      res.end('404 page not found')
    })
    const { tracer, warnings } = tracerFor(base)
    spans(tracer, 2)
    const result = await tracer.flush({ timeoutMs: 2000 })
    const url = `${base}/`
    expect(warnings.map((w) => w.message)).toEqual([
      `spans not delivered to ${url}: 404 Not Found: wrong path? "/" is not /v1/traces; OTLP/HTTP traces go to <endpoint>/v1/traces. 2 spans dropped. \`npx tokentrail doctor\` checks the setup; TOKENTRAIL_DEBUG=1 logs every attempt.`,
    ])
    expect(result).toEqual({
      ok: false,
      pending: 0,
      reason: `${url}: 2 spans not delivered: 404 Not Found: wrong path? "/" is not /v1/traces; OTLP/HTTP traces go to <endpoint>/v1/traces`,
    })
  })

  it('401: names the token as the thing to check', async () => {
    const base = await startServer((request, res) => {
      res.statusCode = request.headers.authorization === 'Bearer right' ? 200 : 401
      res.end()
    })
    const { tracer, warnings } = tracerFor(`${base}/v1/traces`, {
      exporters: [
        otlpExporter({ url: `${base}/v1/traces`, headers: { authorization: 'Bearer wrong' } }),
      ],
    })
    spans(tracer, 1)
    const result = await tracer.flush({ timeoutMs: 2000 })
    expect(warnings.map((w) => w.message)).toEqual([
      `spans not delivered to ${base}/v1/traces: 401 Unauthorized: check the token (headers option or OTEL_EXPORTER_OTLP_HEADERS). 1 span dropped. \`npx tokentrail doctor\` checks the setup; TOKENTRAIL_DEBUG=1 logs every attempt.`,
    ])
    expect(result.ok).toBe(false)
    expect(result.reason).toMatch(/1 span not delivered: 401 Unauthorized/)
    // The secret is never in a message.
    expect(JSON.stringify(warnings)).not.toContain('wrong')
  })

  it('401 to httpExporter: names its apiKey option as the thing to check', async () => {
    const base = await startServer((_q, res) => {
      res.statusCode = 401
      res.end()
    })
    const warnings: string[] = []
    const tracer = createTracer({
      serviceName: 'delivery',
      exporters: [httpExporter({ url: `${base}/ingest`, apiKey: 'wrong-key-123' })],
      metrics: false,
      warnings: (message) => warnings.push(message),
    })
    spans(tracer, 1)
    await tracer.flush({ timeoutMs: 2000 })
    expect(warnings).toEqual([
      `spans not delivered to ${base}/ingest: 401 Unauthorized: check the token (the apiKey or headers option). 1 span dropped. \`npx tokentrail doctor\` checks the setup; TOKENTRAIL_DEBUG=1 logs every attempt.`,
    ])
    await tracer.shutdown({ timeoutMs: 10 })
  })

  it('429 with a long Retry-After: the failure line says when the next attempt is', async () => {
    const base = await startServer((_q, res) => {
      res.writeHead(429, { 'retry-after': '20' })
      res.end()
    })
    const { tracer, warnings } = tracerFor(`${base}/v1/traces`)
    spans(tracer, 2)
    expect((await tracer.flush({ timeoutMs: 300 })).ok).toBe(false)
    expect(warnings[0]!.message).toBe(
      `spans not delivered to ${base}/v1/traces: 429 Too Many Requests. 2 spans waiting, retrying up to 5 more times, the next in 20 s. \`npx tokentrail doctor\` checks the setup; TOKENTRAIL_DEBUG=1 logs every attempt.`,
    )
    await tracer.shutdown({ timeoutMs: 10 })
  })

  it("a retry after the flush's bound: the flush stops waiting at once, and says when that retry is", async () => {
    const base = await startServer((_q, res) => {
      res.writeHead(503, { 'retry-after': '4' })
      res.end()
    })
    const { tracer, warnings } = tracerFor(`${base}/v1/traces`)
    spans(tracer, 2)
    let started = performance.now()
    const first = await tracer.flush({ timeoutMs: 2500 })
    // Nothing could arrive before the retry, 4 s away: waiting out the 2.5 s held the caller (a
    // request, a function on waitUntil) for nothing.
    expect(performance.now() - started).toBeLessThan(1500)
    expect(first.ok).toBe(false)
    expect(first.reason).toMatch(
      /: flush stopped waiting \(the next attempt is in [34]\.\d s, after its 2500 ms bound\) with 2 spans not delivered \(last failure: 503 Service Unavailable\)$/,
    )
    // A flush made while the loop backs off does not wait either.
    spans(tracer, 1)
    started = performance.now()
    expect((await tracer.flush({ timeoutMs: 2500 })).ok).toBe(false)
    expect(performance.now() - started).toBeLessThan(500)
    expect(tracer.stats().flushTimeouts).toBe(2)
    expect(warnings).toHaveLength(1)
    await tracer.shutdown({ timeoutMs: 10 })
  })

  it('a retry within the bound is waited for, and its success makes the flush ok', async () => {
    let answers = 0
    const base = await startServer((_q, res) => {
      if (answers++ === 0) res.writeHead(503, { 'retry-after': '1' })
      else res.writeHead(200, { 'content-type': 'application/json' })
      res.end(answers === 1 ? '' : '{}')
    })
    const { tracer } = tracerFor(`${base}/v1/traces`)
    spans(tracer, 2)
    expect(await tracer.flush({ timeoutMs: 3000 })).toMatchObject({ ok: true, pending: 0 })
    expect(answers).toBe(2)
    await tracer.shutdown({ timeoutMs: 10 })
  })

  it('an HTTP/2-only port (as OTLP/gRPC on 4317): said as not HTTP/1.1, with the port to use', async () => {
    const server = createHttp2Server()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`
      const { tracer, warnings } = tracerFor(url)
      spans(tracer, 1)
      expect((await tracer.flush({ timeoutMs: 500 })).ok).toBe(false)
      expect(warnings[0]!.message).toMatch(
        /^spans not delivered to \S+: the answer is not HTTP\/1\.1 \[HPE_\w+\]: an OTLP\/gRPC port\? OTLP\/HTTP usually listens on 4318\. 1 span waiting/,
      )
      await tracer.shutdown({ timeoutMs: 10 })
    } finally {
      server.close()
    }
  })

  it('a content-encoding header over a body not compressed is left out (it made every export a 400)', async () => {
    const seen: (string | undefined)[] = []
    const base = await startServer((request, response) => {
      seen.push(request.headers['content-encoding'])
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
    vi.stubEnv('OTEL_EXPORTER_OTLP_HEADERS', 'Content-Encoding=gzip')
    const plain = otlpExporter({ url: `${base}/v1/traces`, headers: { 'content-encoding': 'br' } })
    const gzipped = otlpExporter({ url: `${base}/v1/traces`, compression: 'gzip' })
    const tracer = createTracer({ serviceName: 'enc', exporters: [plain, gzipped] })
    spans(tracer, 1)
    expect((await tracer.flush()).ok).toBe(true)
    expect(seen.sort()).toEqual(['gzip', undefined])
    await tracer.shutdown({ timeoutMs: 10 })
  })

  it('a receiver that never answers: the flush timeout is the warning, within the flush', async () => {
    const base = await startServer(() => {})
    const { tracer, warnings } = tracerFor(`${base}/v1/traces`)
    spans(tracer, 4)
    const result = await tracer.flush({ timeoutMs: 300 })
    expect(warnings).toHaveLength(1)
    expect(warnings[0]!.message).toMatch(
      new RegExp(
        `^flush timed out after 300 ms: 4 spans for ${base}/v1/traces not delivered yet \\(no answer yet after \\d+ ms\\)\\. Spans still waiting when the function freezes are lost\\. \`npx tokentrail doctor\` checks the setup\\.$`,
      ),
    )
    expect(result).toEqual({
      ok: false,
      pending: 4, // on the wire, unanswered
      reason: `${base}/v1/traces: flush timed out after 300 ms with 4 spans not delivered`,
    })
    await tracer.shutdown({ timeoutMs: 10 })
  })

  it('an attempt cut by exportTimeoutMs is called a timeout', async () => {
    const base = await startServer(() => {})
    const { tracer, warnings } = tracerFor(`${base}/v1/traces`, {
      exportTimeoutMs: 100,
      retry: { maxRetries: 0 },
    })
    spans(tracer, 1)
    const result = await tracer.flush({ timeoutMs: 3000 })
    expect(warnings.map((w) => w.message)).toEqual([
      `spans not delivered to ${base}/v1/traces: no answer within 100 ms (exportTimeoutMs). 1 span dropped. \`npx tokentrail doctor\` checks the setup; TOKENTRAIL_DEBUG=1 logs every attempt.`,
    ])
    expect(result.reason).toMatch(/1 span not delivered: no answer within 100 ms/)
  })

  it('partial success: the rejected count and the receiver message, ok: false', async () => {
    const base = await startServer((_q, res) => {
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ partialSuccess: { rejectedSpans: 2, errorMessage: 'too old' } }))
    })
    const { tracer, warnings } = tracerFor(`${base}/v1/traces`)
    spans(tracer, 5)
    const result = await tracer.flush({ timeoutMs: 2000 })
    expect(warnings.map((w) => w.message)).toEqual([
      `spans not delivered to ${base}/v1/traces: partial success: the receiver rejected 2 of 5 spans (too old). \`npx tokentrail doctor\` checks the setup.`,
    ])
    expect(result).toEqual({
      ok: false,
      pending: 0,
      reason: `${base}/v1/traces: 2 spans not delivered: partial success: the receiver rejected 2 of 5 spans (too old)`,
    })
    expect(tracer.stats()).toMatchObject({ exported: 3, rejected: 2 })
  })

  it('a redirect: says it is not followed and where it pointed', async () => {
    const base = await startServer((_q, res) => {
      res.writeHead(308, { location: 'https://collector.example/v1/traces' })
      res.end()
    })
    const { tracer, warnings } = tracerFor(`${base}/v1/traces`, {
      exporters: [httpExporter({ url: `${base}/v1/traces` })],
    })
    spans(tracer, 1)
    const result = await tracer.flush({ timeoutMs: 3000 })
    // fetch may follow a 308 to an unreachable host on its own: either way the span did not arrive.
    expect(result.ok).toBe(false)
    expect(warnings).toHaveLength(1)
    expect(warnings[0]!.message).toMatch(
      /^spans not delivered to http:\/\/127\.0\.0\.1:\d+\/v1\/traces: /,
    )
    expect(warnings[0]!.message).toContain(
      'redirected (308 to https://collector.example/v1/traces): redirects are not followed, use the final URL',
    )
  })

  it('healthy: no warning at all, and recovery after failures is said once', async () => {
    let fail = true
    const base = await startServer((_q, res) => {
      res.statusCode = fail ? 503 : 200
      res.end('{}')
    })
    const { tracer, warnings } = tracerFor(`${base}/v1/traces`, {
      retry: { maxRetries: 1, initialBackoffMs: 5, maxBackoffMs: 10 },
    })
    spans(tracer, 1)
    await tracer.flush({ timeoutMs: 2000 })
    fail = false
    spans(tracer, 1)
    expect(await tracer.flush({ timeoutMs: 2000 })).toEqual({ ok: true, pending: 0 })
    spans(tracer, 1)
    expect(await tracer.flush({ timeoutMs: 2000 })).toEqual({ ok: true, pending: 0 })
    expect(warnings.map((w) => w.message)).toEqual([
      expect.stringMatching(
        /: 503 Service Unavailable\. 1 span waiting, retrying up to 1 more time\./,
      ),
      `spans reach ${base}/v1/traces again (1 span lost before)`,
    ])
  })

  it('debug mode logs every attempt and retry', async () => {
    const url = await closedPortUrl()
    const debug = vi.fn()
    const { tracer } = tracerFor(url, {
      debug,
      retry: { maxRetries: 2, initialBackoffMs: 5, maxBackoffMs: 10 },
    })
    spans(tracer, 1)
    await tracer.flush({ timeoutMs: 3000 })
    const lines = debug.mock.calls.map((c) => c[0] as string)
    expect(lines.filter((l) => l.startsWith('export attempt'))).toEqual([
      expect.stringMatching(
        new RegExp(
          `^export attempt 1/3 to ${url}: 1 span, connection refused .*; next attempt in 0\\.0 s$`,
        ),
      ),
      expect.stringMatching(/^export attempt 2\/3 .*; next attempt in/),
      expect.stringMatching(/^export attempt 3\/3 .*; giving up on them$/),
    ])
  })

  it('never throws, even when the warning sink throws', async () => {
    const url = await closedPortUrl()
    const tracer = createTracer({
      exporters: [otlpExporter({ url })],
      retry: { maxRetries: 0 },
      warnings: () => {
        throw new Error('logger down')
      },
    })
    expect(await tracer.withSpan('work', () => 42)).toBe(42)
    expect((await tracer.flush({ timeoutMs: 2000 })).ok).toBe(false)
  })

  it('warnings: false is quiet, yet flush still reports ok: false', async () => {
    const url = await closedPortUrl()
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const tracer = createTracer({
      exporters: [otlpExporter({ url })],
      retry: { maxRetries: 0 },
      warnings: false,
    })
    spans(tracer, 1)
    expect((await tracer.flush({ timeoutMs: 2000 })).ok).toBe(false)
    expect(warn).not.toHaveBeenCalled()
    warn.mockRestore()
  })

  it('by default the warning goes to console.warn with a [tokentrail] prefix', async () => {
    const url = await closedPortUrl()
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const tracer = createTracer({ exporters: [otlpExporter({ url })], retry: { maxRetries: 0 } })
    spans(tracer, 1)
    await tracer.flush({ timeoutMs: 2000 })
    expect(warn).toHaveBeenCalledTimes(1)
    expect(warn.mock.calls[0]![0]).toMatch(/^\[tokentrail\] spans not delivered to /)
    warn.mockRestore()
  })
})

describe('a custom exporter that answers wrongly', () => {
  it('an answer that is no ExportResult fails its batch once, and the warning says what it was', async () => {
    const warnings: string[] = []
    let calls = 0
    const tracer = createTracer({
      exporters: [
        {
          name: 'mine',
          export: async () => {
            calls++
            return {} as never
          },
        },
      ],
      warnings: (message) => warnings.push(message),
    })
    spans(tracer, 3)
    const outcome = await tracer.flush({ timeoutMs: 2000 })
    expect(outcome.ok).toBe(false)
    expect(calls).toBe(1)
    expect(tracer.stats().failed).toBe(3)
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain(
      "the mine exporter's export() resolved to {}, not { code: 'success' | 'retryable' | 'failed' }",
    )
    expect(warnings[0]).not.toContain('undefined')
  })

  it('resolving to nothing is said the same way; a failed answer without an error says so', async () => {
    for (const [answer, said] of [
      [undefined, "export() resolved to undefined, not { code: 'success'"],
      [{ code: 'failed' }, 'the mine exporter answered failed, without an error'],
    ] as const) {
      const warnings: string[] = []
      const tracer = createTracer({
        exporters: [{ name: 'mine', export: async () => answer as never }],
        warnings: (message) => warnings.push(message),
      })
      spans(tracer, 1)
      expect((await tracer.flush({ timeoutMs: 2000 })).ok).toBe(false)
      expect(warnings.join('\n')).toContain(said)
      expect(tracer.stats().failed).toBe(1)
    }
  })
})

describe('metrics delivery warnings', () => {
  it('a metrics endpoint on a wrong path: one warning naming /v1/metrics, again only after a recovery', async () => {
    let healthy = false
    const base = await startServer((request, res) => {
      res.statusCode = request.url === '/v1/traces' || healthy ? 200 : 404
      res.end('{}')
    })
    const metricsUrl = `${base}/metrics`
    const warnings: string[] = []
    const tracer = createTracer({
      serviceName: 'metrics-warning',
      exporters: [otlpExporter({ url: `${base}/v1/traces` })],
      metrics: { exporters: [otlpMetricsExporter({ url: metricsUrl })] },
      warnings: (message) => warnings.push(message),
    })
    const chat = () =>
      tracer
        .startSpan('chat gpt-4o', {
          kind: 'llm',
          attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o' },
        })
        .end()
    chat()
    // The spans arrived: the flush is ok (a traces-only backend made every flush not ok for good).
    expect(await tracer.flush({ timeoutMs: 2000 })).toEqual({ ok: true, pending: 0 })
    chat()
    await tracer.flush({ timeoutMs: 2000 })
    expect(warnings).toEqual([
      `metrics not delivered to ${metricsUrl}: 404 Not Found: wrong path? "/metrics" is not /v1/metrics; OTLP/HTTP metrics go to <endpoint>/v1/metrics. Their totals go out with the next export; \`npx tokentrail doctor\` checks the setup.`,
    ])
    expect(tracer.stats().metrics).toEqual({ exports: 0, failures: 2 })
    healthy = true
    chat()
    expect((await tracer.flush({ timeoutMs: 2000 })).ok).toBe(true)
    expect(warnings.at(-1)).toBe(`metrics delivered again to ${metricsUrl}`)
    expect(warnings).toHaveLength(2)
    await tracer.shutdown({ timeoutMs: 100 })
  })
})

describe('DeliveryLog rate limit', () => {
  it('after the first warning, at most one summary per interval, never a flood', () => {
    const warnings: string[] = []
    const log = new DeliveryLog(
      'http://x/v1/traces',
      { warn: (m) => warnings.push(m), debug: undefined, summaryIntervalMs: 1000 },
      0,
    )
    vi.useFakeTimers({ toFake: ['Date'] })
    try {
      for (let i = 0; i < 500; i++) log.attemptFailed(2, 0, 'connection refused', undefined)
      expect(warnings).toHaveLength(1)
      vi.advanceTimersByTime(1000)
      for (let i = 0; i < 500; i++) log.attemptFailed(2, 0, 'connection refused', undefined)
      expect(warnings).toEqual([
        expect.stringMatching(
          /^spans not delivered to http:\/\/x\/v1\/traces: connection refused\. 2 spans dropped\./,
        ),
        'still not delivering to http://x/v1/traces: 1000 spans lost since the last report, 1002 in all (connection refused)',
      ])
    } finally {
      vi.useRealTimers()
    }
  })
})

describe('nowhere to send', () => {
  it('says once per process that tracing is off, spans having nowhere to go', async () => {
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', '')
    vi.stubEnv('OTEL_TRACES_EXPORTER', '')
    delete (globalThis as any)[Symbol.for('tokentrail.notice.no-exporter')]
    const warnings: string[] = []
    const tracer = createTracer({ warnings: (m) => warnings.push(m) })
    expect(tracer.enabled).toBe(false)
    expect(warnings).toEqual([])
    tracer.startSpan('a').end()
    tracer.withSpan('b', () => {})
    createTracer({ warnings: (m) => warnings.push(m) })
      .startSpan('c')
      .end()
    expect(warnings).toEqual([
      'tracing is off: no exporter was passed and OTEL_EXPORTER_OTLP_ENDPOINT is not set, so spans would go nowhere. Set OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 (for `npx tokentrail dev`) or pass exporters to createTracer(); TOKENTRAIL_ENABLED=false says it is off on purpose, and this message is not printed.',
    ])
  })

  it('stays quiet when tracing is off or no exporter was chosen on purpose', () => {
    delete (globalThis as any)[Symbol.for('tokentrail.notice.no-exporter')]
    const warnings: string[] = []
    const sink = (m: string) => warnings.push(m)
    createTracer({ enabled: false, warnings: sink }).startSpan('a').end()
    createTracer({ exporters: [], warnings: sink }).startSpan('a').end()
    vi.stubEnv('OTEL_TRACES_EXPORTER', 'none')
    createTracer({ warnings: sink }).startSpan('a').end()
    expect(warnings).toEqual([])
  })
})

describe('late writes', () => {
  it('setAttribute and addEvent after end are counted, and said once per span name in debug', () => {
    const debug = vi.fn()
    const tracer = createTracer({
      debug,
      exporters: [{ name: 'memory', export: async () => ({ code: 'success' }) }],
    })
    const span = tracer.startSpan('chat gpt-4o')
    span.end()
    span.setAttribute('gen_ai.usage.output_tokens', 12)
    span.setAttribute('gen_ai.usage.output_tokens', 13)
    span.addEvent('late')
    span.setAttributes({ a: 1 })
    expect(tracer.stats().lateWrites).toBe(4)
    expect(debug.mock.calls.map((c) => c[0])).toEqual([
      'setAttribute("gen_ai.usage.output_tokens") on span "chat gpt-4o" after it ended: ignored (counted in tracer.stats().lateWrites)',
      'addEvent("late") on span "chat gpt-4o" after it ended: ignored (counted in tracer.stats().lateWrites)',
      'setAttributes() on span "chat gpt-4o" after it ended: ignored (counted in tracer.stats().lateWrites)',
    ])
  })
})

describe('describeExportFailure', () => {
  it('falls back to the cause when fetch gives no code', async () => {
    const { describeExportFailure } = await import('../src/otlp.js')
    const error = new TypeError('fetch failed', { cause: new Error('bad port') })
    expect(describeExportFailure(error)).toBe('fetch failed (bad port)')
  })

  it('gives error.type as the conventions spell it: status, timeout, network code, _OTHER', async () => {
    const { ExportError } = await import('../src/index.js')
    const { exportErrorType } = await import('../src/exporters/describe-failure.js')
    expect(exportErrorType(new ExportError('x', { status: 404 }))).toBe('404')
    expect(exportErrorType(new ExportError('x', { code: 'timeout' }))).toBe('timeout')
    const refused = new TypeError('fetch failed', {
      cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }),
    })
    expect(exportErrorType(refused)).toBe('ECONNREFUSED')
    expect(exportErrorType(new Error('exporter bug'))).toBe('_OTHER')
  })
})
