// Spans dropped before any export — a full queue, a shutdown out of time, a span ended after
// shutdown — are counted and said once, in time (before the flush or shutdown that follows
// resolves), naming the destination, the count and what to change. Real HTTP receivers.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { DeliveryLog } from '../src/delivery-log.js'
import { createTracer, otlpExporter } from '../src/index.js'

const servers: Server[] = []
const releases: (() => void)[] = []
afterEach(async () => {
  for (const release of releases.splice(0)) release()
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

// A receiver that answers each request with `answer`, after `gate` when one is given (a slow or
// stalled collector).
async function receiver(
  answer: (response: ServerResponse) => void = (response) => response.writeHead(200).end('{}'),
) {
  let open = true
  let release = () => {}
  const gate = new Promise<void>((resolve) => {
    release = () => {
      open = true
      resolve()
    }
  })
  releases.push(release)
  const requests: IncomingMessage[] = []
  const server = createServer((request, response) => {
    requests.push(request)
    request.resume()
    request.on('end', () => {
      if (open) answer(response)
      else void gate.then(() => answer(response))
    })
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`
  return {
    url,
    requests,
    stall: () => {
      open = false
    },
    release,
  }
}

function tracerFor(url: string, warnings: string[], options: Record<string, unknown> = {}) {
  return createTracer({
    serviceName: 'drops',
    exporters: [otlpExporter({ url })],
    metrics: false,
    warnings: (message) => warnings.push(message),
    ...options,
  })
}

describe('spans dropped for a full queue', () => {
  it('are said once, with the count of the burst, before the next flush resolves', async () => {
    const sink = await receiver()
    sink.stall()
    const warnings: string[] = []
    const tracer = tracerFor(sink.url, warnings, { maxQueueSize: 10, maxBatchSize: 5 })
    // The first five go out (and hang); ten wait; the other 85 have no room.
    for (let i = 0; i < 100; i++) tracer.startSpan(`s${i}`).end()
    await new Promise((resolve) => setTimeout(resolve, 50))
    sink.release()
    // The flush is not ok: spans were dropped since the last one (it resolved ok before).
    expect(await tracer.flush({ timeoutMs: 5000 })).toEqual({
      ok: false,
      pending: 0,
      reason: `${sink.url}: 85 spans dropped since the last flush: the queue was full (maxQueueSize 10)`,
    })
    const stats = tracer.stats()
    expect(stats.dropped.queueFull).toBe(85)
    expect(stats.exported).toBe(15)
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain(
      `85 spans for ${sink.url} dropped: its queue was full (maxQueueSize 10)`,
    )
    expect(warnings[0]).toContain('A larger maxQueueSize')
    expect(warnings[0]).toContain('tracer.stats().dropped.queueFull')
    // More drops within the interval: counted, not said again.
    sink.stall()
    for (let i = 0; i < 40; i++) tracer.startSpan(`t${i}`).end()
    await new Promise((resolve) => setTimeout(resolve, 50))
    sink.release()
    expect((await tracer.flush({ timeoutMs: 5000 })).ok).toBe(false)
    const more = tracer.stats().dropped.queueFull - 85
    // Said by one flush: the next, with nothing dropped since, is ok.
    tracer.startSpan('u').end()
    expect((await tracer.flush({ timeoutMs: 5000 })).ok).toBe(true)
    expect(more).toBeGreaterThan(0)
    expect(warnings).toHaveLength(1)
    // The shutdown says what the interval held back, so a short-lived process hears of them all.
    await tracer.shutdown()
    expect(warnings).toEqual([
      warnings[0],
      `${more} more spans for ${sink.url} dropped as its queue was full (maxQueueSize 10) since the last report`,
    ])
  })

  it('is said before the flush resolves, even when it is the first thing the flush waits on', async () => {
    const sink = await receiver()
    const warnings: string[] = []
    const tracer = tracerFor(sink.url, warnings, { maxQueueSize: 3 })
    // Three go out at once (a full batch), three wait, four have no room.
    for (let i = 0; i < 10; i++) tracer.startSpan(`s${i}`).end()
    // No tick in between: the flush itself must wait for the line.
    await tracer.flush({ timeoutMs: 5000 })
    expect(tracer.stats().dropped.queueFull).toBe(4)
    expect(warnings).toEqual([expect.stringContaining('4 spans for')])
    await tracer.shutdown()
  })

  it('names the failure when the queue filled because delivery is failing', async () => {
    const sink = await receiver((response) => response.writeHead(503).end('busy'))
    const warnings: string[] = []
    const tracer = tracerFor(sink.url, warnings, {
      maxQueueSize: 4,
      maxBatchSize: 4,
      retry: { maxRetries: 5, initialBackoffMs: 5000, maxBackoffMs: 5000 },
    })
    for (let i = 0; i < 4; i++) tracer.startSpan(`a${i}`).end()
    // The batch is out and retrying; what comes next fills the queue and overflows it.
    for (let tries = 0; tries < 100 && sink.requests.length === 0; tries++)
      await new Promise((resolve) => setTimeout(resolve, 10))
    await new Promise((resolve) => setTimeout(resolve, 20))
    for (let i = 0; i < 10; i++) tracer.startSpan(`b${i}`).end()
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(tracer.stats().dropped.queueFull).toBe(6)
    expect(warnings).toHaveLength(2)
    expect(warnings[0]).toContain('503')
    expect(warnings[1]).toContain('6 spans for')
    expect(warnings[1]).toContain('while delivery is failing (503')
    await tracer.shutdown({ timeoutMs: 50 })
  })

  it('says nothing with warnings off, and still counts', async () => {
    const sink = await receiver()
    const printed: unknown[] = []
    const original = console.warn
    console.warn = (...args: unknown[]) => printed.push(args)
    try {
      const tracer = createTracer({
        serviceName: 'quiet',
        exporters: [otlpExporter({ url: sink.url })],
        metrics: false,
        warnings: false,
        maxQueueSize: 2,
      })
      for (let i = 0; i < 7; i++) tracer.startSpan(`s${i}`).end()
      await tracer.flush({ timeoutMs: 5000 })
      expect(tracer.stats().dropped.queueFull).toBe(3)
      await tracer.shutdown()
    } finally {
      console.warn = original
    }
    expect(printed).toEqual([])
  })
})

describe('spans dropped at shutdown', () => {
  it('says the spans a shutdown out of time leaves behind, before it resolves', async () => {
    const sink = await receiver()
    sink.stall()
    const warnings: string[] = []
    const tracer = tracerFor(sink.url, warnings, { maxBatchSize: 2, exportTimeoutMs: 60_000 })
    for (let i = 0; i < 7; i++) tracer.startSpan(`s${i}`).end()
    await tracer.shutdown({ timeoutMs: 200 })
    const stats = tracer.stats()
    // Two went out and hang (aborted by the shutdown); five never left the queue.
    expect(stats.dropped.shutdown).toBe(5)
    const line = warnings.find((w) => w.startsWith('tracer.shutdown() ran out of time'))
    expect(line).toContain(`(200 ms) with 5 spans for ${sink.url} not delivered; they are dropped`)
    expect(line).toContain('tracer.stats().dropped.shutdown')
  })

  it('drops, counts and says spans that end while a shutdown waits, not leaving them queued', async () => {
    const sink = await receiver()
    sink.stall()
    const warnings: string[] = []
    const tracer = tracerFor(sink.url, warnings)
    for (let i = 0; i < 3; i++) tracer.startSpan(`s${i}`).end()
    const shutdown = tracer.shutdown({ timeoutMs: 5000 })
    await new Promise((resolve) => setTimeout(resolve, 50))
    // The first three are out and hang; these two end after shutdown() was called.
    tracer.startSpan('during').end()
    tracer.startSpan('during too').end()
    await new Promise((resolve) => setTimeout(resolve, 20))
    sink.release()
    await shutdown
    const stats = tracer.stats()
    expect(stats.exported).toBe(3)
    expect(stats.dropped.shutdown).toBe(2)
    expect(stats.queued).toBe(0)
    expect(sink.requests).toHaveLength(1)
    expect(warnings).toEqual([
      `2 spans for ${sink.url} ended after tracer.shutdown() and were dropped. End spans, and let streams finish, before shutting the tracer down; tracer.stats().dropped.shutdown counts them.`,
    ])
  })

  it('lets a full batch of spans that ended while it waited finish within its bound, not failing them after it resolved', async () => {
    const sink = await receiver()
    sink.stall()
    const warnings: string[] = []
    const tracer = tracerFor(sink.url, warnings, { maxBatchSize: 2 })
    tracer.startSpan('a').end()
    tracer.startSpan('b').end()
    const shutdown = tracer.shutdown({ timeoutMs: 5000 })
    await new Promise((resolve) => setTimeout(resolve, 50))
    // A full batch ends while the first hangs: it goes out as soon as the first is answered.
    tracer.startSpan('c').end()
    tracer.startSpan('d').end()
    await new Promise((resolve) => setTimeout(resolve, 20))
    sink.release()
    await shutdown
    const stats = tracer.stats()
    expect(stats.exported).toBe(4)
    expect(stats.failed).toBe(0)
    expect(stats.inflight).toBe(0)
    expect(sink.requests).toHaveLength(2)
    expect(warnings).toEqual([])
  })

  it('ends a batch waiting for a retry: not sent again after the shutdown, counted and said before it resolves', async () => {
    const sink = await receiver((response) => response.writeHead(503).end('busy'))
    const warnings: string[] = []
    const tracer = tracerFor(sink.url, warnings, {
      retry: { maxRetries: 5, initialBackoffMs: 400, maxBackoffMs: 400 },
    })
    for (let i = 0; i < 3; i++) tracer.startSpan(`s${i}`).end()
    // The first attempt is answered 503; the batch then waits 400 ms for its retry.
    void tracer.flush({ timeoutMs: 10 })
    for (let tries = 0; tries < 100 && warnings.length === 0; tries++)
      await new Promise((resolve) => setTimeout(resolve, 10))
    await new Promise((resolve) => setTimeout(resolve, 20))
    const started = performance.now()
    await tracer.shutdown({ timeoutMs: 50 })
    expect(performance.now() - started).toBeLessThan(400)
    expect(tracer.stats().failed).toBe(3)
    expect(tracer.stats().inflight).toBe(0)
    expect(warnings.at(-1)).toContain(
      `spans not delivered to ${sink.url}: tracer.shutdown() ran out of time (50 ms)`,
    )
    expect(warnings.at(-1)).toContain('3 spans dropped')
    const posts = sink.requests.length
    await new Promise((resolve) => setTimeout(resolve, 700))
    expect(sink.requests.length).toBe(posts)
  })

  it('says, at shutdown, spans given up on after the first failure line said they were retrying', async () => {
    const sink = await receiver((response) => response.writeHead(503).end('busy'))
    const warnings: string[] = []
    const tracer = tracerFor(sink.url, warnings, {
      retry: { maxRetries: 1, initialBackoffMs: 10, maxBackoffMs: 10 },
    })
    for (let i = 0; i < 3; i++) tracer.startSpan(`s${i}`).end()
    expect((await tracer.flush({ timeoutMs: 5000 })).ok).toBe(false)
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain('3 spans waiting, retrying up to 1 more time')
    await tracer.shutdown({ timeoutMs: 5000 })
    expect(tracer.stats().failed).toBe(3)
    expect(warnings).toEqual([
      warnings[0],
      `3 spans for ${sink.url} given up on since the last report, and dropped (503 Service Unavailable ("busy"))`,
    ])
  })

  // What a receiver said of a refusal (OTLP's `google.rpc.Status` message, as JSON or protobuf, or
  // a framework's `{"detail": …}`) was dropped: only "400 Bad Request" reached the user.
  it.each([
    [
      'OTLP/JSON Status',
      'http/json',
      'application/json',
      '{"code":3,"message":"invalid attribute key at span 0"}',
    ],
    ['FastAPI', 'http/json', 'application/json', '{"detail":"invalid attribute key at span 0"}'],
    ['plain text', 'http/json', 'text/plain', 'invalid attribute key at span 0\n'],
    [
      'OTLP/protobuf Status',
      'http/protobuf',
      'application/x-protobuf',
      // code 3 (field 1), message (field 2)
      Buffer.concat([
        Buffer.from([0x08, 0x03, 0x12, 32]),
        Buffer.from('invalid attribute key at span 0!'),
      ]),
    ],
  ])('says what the receiver said of a 400: %s', async (_, protocol, type, body) => {
    const sink = await receiver((response) =>
      response.writeHead(400, { 'content-type': type }).end(body),
    )
    const warnings: string[] = []
    const tracer = createTracer({
      serviceName: 'drops',
      exporters: [
        otlpExporter({ url: sink.url, protocol: protocol as 'http/json' | 'http/protobuf' }),
      ],
      metrics: false,
      warnings: (message) => warnings.push(message),
    })
    tracer.startSpan('refused').end()
    const result = await tracer.flush({ timeoutMs: 5000 })
    await tracer.shutdown({ timeoutMs: 2000 })
    expect(result.reason).toContain('400 Bad Request ("invalid attribute key at span 0')
    expect(warnings[0]).toContain('400 Bad Request ("invalid attribute key at span 0')
  })

  // Before, the line at shutdown gave the newest reason for every span it counted: a span the
  // receiver refused with 400 was said as dropped because "tracer.shutdown() ran out of time",
  // and "400 Bad Request" never reached the warnings at all.
  it('says each reason of the spans given up on since the last report with its own', async () => {
    const answers = ['401', '400']
    const sink = await receiver((response) => {
      const status = answers.shift()
      // Then a receiver that hangs: the shutdown runs out of time with that export on the wire.
      if (status)
        response.writeHead(Number(status), { 'content-type': 'application/json' }).end('{}')
    })
    const warnings: string[] = []
    const tracer = tracerFor(sink.url, warnings)
    tracer.startSpan('unauthorized').end()
    expect(await tracer.flush({ timeoutMs: 5000 })).toMatchObject({ ok: false, pending: 0 })
    tracer.startSpan('refused').end()
    expect(await tracer.flush({ timeoutMs: 5000 })).toMatchObject({ ok: false, pending: 0 })
    tracer.startSpan('hung').end()
    await tracer.shutdown({ timeoutMs: 300 })
    expect(tracer.stats().failed).toBe(3)
    expect(warnings).toHaveLength(3)
    expect(warnings[0]).toContain(`spans not delivered to ${sink.url}: 401 Unauthorized`)
    expect(warnings[1]).toContain(
      `spans not delivered to ${sink.url}: tracer.shutdown() ran out of time (300 ms) with this export under way`,
    )
    expect(warnings[2]).toBe(
      `1 span for ${sink.url} given up on since the last report, and dropped (400 Bad Request)`,
    )
  })

  // A receiver that quotes the token it refused: the token went out in the warning, flush()'s
  // reason and `tokentrail doctor`. The exporter's own header values are now masked there.
  it('masks the header values the exporter sent when the receiver quotes them back', async () => {
    const sink = await receiver((response) =>
      response.writeHead(401, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          error:
            'invalid credentials: got "Bearer sk-proj-abcdefghijklmnop1234" and x-api-key KEYSECRET456',
        }),
      ),
    )
    const warnings: string[] = []
    const tracer = createTracer({
      serviceName: 'drops',
      exporters: [
        otlpExporter({
          url: sink.url,
          headers: {
            authorization: 'Bearer sk-proj-abcdefghijklmnop1234',
            'x-api-key': 'KEYSECRET456',
          },
        }),
      ],
      metrics: false,
      warnings: (message) => warnings.push(message),
    })
    tracer.startSpan('refused').end()
    const result = await tracer.flush({ timeoutMs: 5000 })
    await tracer.shutdown({ timeoutMs: 2000 })
    expect(result.reason).toContain(
      '401 Unauthorized ("invalid credentials: got "***" and x-api-key ***")',
    )
    expect(warnings[0]).toContain(
      '401 Unauthorized ("invalid credentials: got "***" and x-api-key ***")',
    )
    for (const text of [result.reason, ...warnings]) {
      expect(text).not.toContain('abcdefghijklmnop')
      expect(text).not.toContain('KEYSECRET')
    }
  })

  // A partial_success message went out as the receiver wrote it: escape sequences that clear a
  // terminal, newlines that forge log lines, any length. It is now one line of at most 200
  // characters, as a failure's message is, and so is a failure's (C1 and bidi controls were kept).
  it("says a receiver's partial_success message and failure message on one printable line", async () => {
    const hostile = `\u001b[2J\u001b]0;pwned\u0007ok\n[tokentrail] spans reach example.com again\u009b\u202Eevil ${'x'.repeat(5000)}`
    const answers = [200, 400]
    const sink = await receiver((response) => {
      const status = answers.shift()!
      response
        .writeHead(status, { 'content-type': 'application/json' })
        .end(
          JSON.stringify(
            status === 200
              ? { partialSuccess: { rejectedSpans: 1, errorMessage: hostile } }
              : { message: `bad\u009b\u202Ename` },
          ),
        )
    })
    const warnings: string[] = []
    const tracer = tracerFor(sink.url, warnings)
    tracer.startSpan('a').end()
    await tracer.flush({ timeoutMs: 5000 })
    tracer.startSpan('b').end()
    await tracer.flush({ timeoutMs: 5000 })
    await tracer.shutdown({ timeoutMs: 2000 })
    expect(warnings.length).toBeGreaterThan(0)
    const said = warnings.join('\n')
    expect(said).toContain('ok [tokentrail] spans reach example.com again evil xxx')
    expect(said).toContain('bad name')
    for (const warning of warnings) {
      expect(warning).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/)
      expect(warning.split('\n')).toHaveLength(1)
      expect(warning.length).toBeLessThan(600)
    }
  })

  // A 200 whose partial_success rejected nothing but carries a message (OTLP's way for a receiver
  // to warn) was taken as a plain success: the warning was said nowhere.
  it.each([
    [
      'http/json',
      'application/json',
      '{"partialSuccess":{"errorMessage":"attribute app.blob cut at 4096 bytes"}}',
    ],
    [
      'http/protobuf',
      'application/x-protobuf',
      (() => {
        const text = Buffer.from('attribute app.blob cut at 4096 bytes')
        const inner = Buffer.concat([Buffer.from([0x12, text.length]), text])
        return Buffer.concat([Buffer.from([0x0a, inner.length]), inner])
      })(),
    ],
  ])(
    "says a receiver's warning once (%s), the spans counted as delivered",
    async (protocol, type, body) => {
      const sink = await receiver((response) =>
        response.writeHead(200, { 'content-type': type }).end(body),
      )
      const warnings: string[] = []
      const tracer = createTracer({
        serviceName: 'drops',
        exporters: [otlpExporter({ url: sink.url, protocol: protocol as 'http/json' })],
        metrics: false,
        warnings: (message) => warnings.push(message),
      })
      for (const name of ['a', 'b']) {
        tracer.startSpan(name).end()
        expect((await tracer.flush({ timeoutMs: 5000 })).ok).toBe(true)
      }
      await tracer.shutdown({ timeoutMs: 2000 })
      expect(tracer.stats()).toMatchObject({ exported: 2, rejected: 0 })
      expect(warnings).toEqual([
        `${sink.url} took the spans, with a warning: attribute app.blob cut at 4096 bytes`,
      ])
    },
  )

  it('lists the reasons when spans were given up on for several', async () => {
    const answers = ['401', '400', '503', '503']
    const sink = await receiver((response) => {
      const status = Number(answers.shift() ?? 503)
      response.writeHead(status, { 'content-type': 'application/json' }).end('{}')
    })
    const warnings: string[] = []
    const tracer = tracerFor(sink.url, warnings, {
      retry: { maxRetries: 1, initialBackoffMs: 10, maxBackoffMs: 10 },
    })
    tracer.startSpan('first').end()
    await tracer.flush({ timeoutMs: 5000 })
    tracer.startSpan('refused').end()
    await tracer.flush({ timeoutMs: 5000 })
    for (let i = 0; i < 2; i++) tracer.startSpan(`busy ${i}`).end()
    await tracer.flush({ timeoutMs: 5000 })
    await tracer.shutdown({ timeoutMs: 5000 })
    expect(tracer.stats().failed).toBe(4)
    expect(warnings).toHaveLength(2)
    expect(warnings[0]).toContain(`spans not delivered to ${sink.url}: 401 Unauthorized`)
    expect(warnings[1]).toBe(
      `3 spans for ${sink.url} given up on since the last report, and dropped (1 span: 400 Bad Request; 2 spans: 503 Service Unavailable)`,
    )
  })

  it('says spans that end after shutdown once, with their count', async () => {
    const sink = await receiver()
    const warnings: string[] = []
    const tracer = tracerFor(sink.url, warnings)
    tracer.startSpan('before').end()
    const stream = tracer.startSpan('a stream still open')
    await tracer.shutdown()
    expect(sink.requests).toHaveLength(1)
    stream.end()
    tracer.startSpan('late').end()
    await new Promise((resolve) => setTimeout(resolve, 50))
    tracer.startSpan('later still').end()
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(tracer.stats().dropped.shutdown).toBe(3)
    expect(warnings).toEqual([
      `2 spans for ${sink.url} ended after tracer.shutdown() and were dropped. End spans, and let streams finish, before shutting the tracer down; tracer.stats().dropped.shutdown counts them.`,
    ])
  })
})

describe('the delivery log for drops', () => {
  it('sums queue-full drops at most once per interval, and counts them in "reach again"', () => {
    const warnings: string[] = []
    const log = new DeliveryLog(
      'http://collector/v1/traces',
      { warn: (m) => warnings.push(m), debug: undefined, summaryIntervalMs: 0 },
      5,
    )
    log.dropped('queueFull', 3, 2048)
    log.dropped('queueFull', 4, 2048)
    log.attemptFailed(2, 0, '503 Service Unavailable', 1000)
    log.attemptSucceeded(2, 1, 5, 0)
    expect(warnings).toEqual([
      expect.stringContaining('3 spans for http://collector/v1/traces dropped'),
      '4 more spans for http://collector/v1/traces dropped as its queue was full (maxQueueSize 2048) since the last report',
      expect.stringContaining('spans not delivered to http://collector/v1/traces: 503'),
      'spans reach http://collector/v1/traces again (7 spans lost before)',
    ])
  })
})
