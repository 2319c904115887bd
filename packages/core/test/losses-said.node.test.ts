// Spans lost where only a counter knew until now are said once, in time (before the flush or
// shutdown that follows resolves), with the count and what to change: spans that could not be
// redacted (the `redact` hook or the redaction rules threw, or their code could not load), a batch
// whose send loop could not load, and exports still under way when a shutdown runs out of time.
// Real HTTP receivers; a module that cannot load is mocked as a chunk that cannot be fetched.
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { TracerOptions } from '../src/index.js'

const servers: Server[] = []
afterEach(async () => {
  vi.doUnmock('../src/redaction/redactor.js')
  vi.doUnmock('../src/tracer-features.js')
  vi.doUnmock('../src/processor-send.js')
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

// Fresh modules per test, so a mock of a lazily loaded module applies.
async function freshCore() {
  vi.resetModules()
  return import('../src/index.js')
}

// A real OTLP/HTTP receiver: answers 200, or never answers when `stalled`.
async function receiver({ stalled = false } = {}) {
  const requests: IncomingMessage[] = []
  const spans: string[] = []
  const server = createServer((request, response) => {
    requests.push(request)
    let body = ''
    request.setEncoding('utf8')
    request.on('data', (chunk) => (body += chunk))
    request.on('end', () => {
      if (stalled) return
      for (const resource of JSON.parse(body).resourceSpans)
        for (const scope of resource.scopeSpans)
          for (const span of scope.spans) spans.push(span.name)
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`
  return { url, requests, spans }
}

// A fresh core, a real receiver, and a tracer sending to it with its warnings collected.
async function setup(options: Partial<TracerOptions> = {}, sinkOptions = {}) {
  const { createTracer, otlpExporter } = await freshCore()
  const sink = await receiver(sinkOptions)
  const warnings: string[] = []
  const tracer = createTracer({
    exporters: [otlpExporter({ url: sink.url })],
    metrics: false,
    warnings: (message) => warnings.push(message),
    ...options,
  })
  return { tracer, sink, warnings }
}

describe('spans that could not be redacted', () => {
  it('a redact hook that throws: said once, with the count of the burst, before the flush resolves', async () => {
    const { tracer, sink, warnings } = await setup({
      redact: (span) => {
        if (span.name.startsWith('secret')) throw new TypeError('no rule for this span')
        return span
      },
    })
    tracer.startSpan('fine').end()
    for (let i = 0; i < 3; i++) tracer.startSpan(`secret ${i}`).end()
    // No tick in between: the flush itself must wait for the line.
    await tracer.flush({ timeoutMs: 5000 })
    expect(sink.spans).toEqual(['fine'])
    expect(tracer.stats().dropped.redactError).toBe(3)
    expect(warnings).toEqual([
      '3 spans dropped before export: the redact hook threw (TypeError: no rule for this span), and a span that could not be redacted is never sent. The hook must return the span, a changed copy, or null to drop it; tracer.stats().dropped.redactError counts them.',
    ])
    // Counted again, not said again.
    tracer.startSpan('secret again').end()
    await tracer.flush({ timeoutMs: 5000 })
    expect(tracer.stats().dropped.redactError).toBe(4)
    expect(warnings).toHaveLength(1)
    await tracer.shutdown()
  })

  it('a redact hook that returns null drops as asked: counted, not warned about', async () => {
    const { tracer, warnings } = await setup({
      redact: () => null,
    })
    tracer.startSpan('dropped on purpose').end()
    await tracer.flush({ timeoutMs: 5000 })
    expect(tracer.stats().dropped.redacted).toBe(1)
    expect(warnings).toEqual([])
  })

  it('a redact hook that returns what is not a span (an async hook): the good spans of the batch still go, the rest is said', async () => {
    const { tracer, sink, warnings } = await setup({
      // A mistake made in real code: an async hook hands back a Promise, and a copy may lose a field.
      redact: ((span) =>
        span.name === 'async'
          ? Promise.resolve(span)
          : span.name === 'copy'
            ? { ...span, attributes: null }
            : span) as TracerOptions['redact'],
    })
    tracer.startSpan('fine').end()
    tracer.startSpan('async').end()
    tracer.startSpan('copy').end()
    tracer.startSpan('fine too').end()
    await tracer.flush({ timeoutMs: 5000 })
    // Before, the batch failed whole in the encoder ("Cannot read properties of …"), fine spans too.
    expect(sink.spans).toEqual(['fine', 'fine too'])
    expect(tracer.stats().dropped.redactError).toBe(2)
    expect(tracer.stats().failed).toBe(0)
    expect(warnings).toEqual([
      '2 spans dropped before export: the redact hook returned a Promise (the hook must not be async), not a span, and a span that could not be redacted is never sent (sent as is, it would fail the whole batch). The hook must return the span, a changed copy with every field, undefined to keep it, or null to drop it; tracer.stats().dropped.redactError counts them.',
    ])
    await tracer.shutdown()
  })

  it('redaction rules that throw on a span: said before the flush resolves', async () => {
    vi.doMock('../src/redaction/redactor.js', () => ({
      Redactor: class {
        counts = {}
        span(): never {
          throw new RangeError('rule failed')
        }
      },
    }))
    const { tracer, sink, warnings } = await setup({
      redaction: {},
    })
    tracer.startSpan('a', { attributes: { who: 'ann@example.com' } }).end()
    tracer.startSpan('b', { attributes: { who: 'bob@example.com' } }).end()
    await tracer.flush({ timeoutMs: 5000 })
    expect(sink.requests).toHaveLength(0)
    expect(tracer.stats().dropped.redactError).toBe(2)
    expect(warnings).toEqual([
      expect.stringMatching(
        /^2 spans dropped before export: the redaction rules failed on them \(RangeError: rule failed\), and a span that could not be redacted is never sent\. .*tracer\.stats\(\)\.dropped\.redactError counts them\.$/,
      ),
    ])
  })

  it("the redaction rules' code that cannot load: said before the flush resolves", async () => {
    // As a chunk that cannot be fetched: the import() rejects.
    vi.doMock('../src/redaction/redactor.js', () => {
      throw new Error('chunk missing')
    })
    const { tracer, sink, warnings } = await setup({
      redaction: {},
    })
    tracer.startSpan('a', { attributes: { who: 'ann@example.com' } }).end()
    await tracer.flush({ timeoutMs: 5000 })
    expect(sink.requests).toHaveLength(0)
    expect(tracer.stats().dropped.redactError).toBe(1)
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(
      /^1 span dropped before export: the redaction code could not load \(.*\), and a span that could not be redacted is never sent\. The next span tries the load again; /,
    )
  })

  it('the optional features that cannot load with redaction on: said before the flush resolves', async () => {
    vi.doMock('../src/tracer-features.js', () => {
      throw new Error('chunk missing')
    })
    const { tracer, sink, warnings } = await setup({
      redaction: {},
    })
    tracer.startSpan('early', { attributes: { who: 'ann@example.com' } }).end()
    await tracer.flush({ timeoutMs: 5000 })
    expect(sink.requests).toHaveLength(0)
    expect(tracer.stats().dropped.redactError).toBe(1)
    expect(warnings).toEqual([
      expect.stringMatching(/^1 span dropped before export: the redaction code could not load/),
    ])
  })
})

describe('a batch whose send loop cannot load', () => {
  it('is said as a failed export, before the flush resolves', async () => {
    vi.doMock('../src/processor-send.js', () => {
      throw new Error('chunk missing')
    })
    const { tracer, sink, warnings } = await setup()
    tracer.startSpan('lost').end()
    const result = await tracer.flush({ timeoutMs: 5000 })
    expect(result.ok).toBe(false)
    expect(tracer.stats().failed).toBe(1)
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(
      new RegExp(
        `^spans not delivered to ${sink.url}: the export code could not load \\(.*\\)\\. 1 span dropped\\.`,
      ),
    )
  })
})

describe('exports under way when a shutdown runs out of time', () => {
  it('are aborted, counted and said before the shutdown resolves', async () => {
    const { tracer, sink, warnings } = await setup(
      {
        exportTimeoutMs: 60_000,
      },
      { stalled: true },
    )
    for (let i = 0; i < 3; i++) tracer.startSpan(`s${i}`).end()
    await tracer.shutdown({ timeoutMs: 200 })
    expect(sink.requests).toHaveLength(1)
    expect(tracer.stats()).toMatchObject({ failed: 3, inflight: 0 })
    expect(warnings).toEqual([
      `spans not delivered to ${sink.url}: tracer.shutdown() ran out of time (200 ms) with this export under way; a longer shutdown({ timeoutMs }) waits more. 3 spans dropped. \`npx tokentrail doctor\` checks the setup; TOKENTRAIL_DEBUG=1 logs every attempt.`,
    ])
  })

  it('are said before the shutdown resolves when the exporter ignores its abort signal', async () => {
    const { createTracer } = await freshCore()
    const warnings: string[] = []
    const tracer = createTracer({
      exporters: [{ name: 'custom', export: () => new Promise(() => {}) }],
      metrics: false,
      warnings: (message) => warnings.push(message),
    })
    for (let i = 0; i < 3; i++) tracer.startSpan(`s${i}`).end()
    const started = performance.now()
    await tracer.shutdown({ timeoutMs: 200 })
    // Bounded: the shutdown's own time, and a short wait for the aborted export, which is given
    // up (the exporter never answers): counted as failed and said before the shutdown resolves.
    expect(performance.now() - started).toBeLessThan(2000)
    expect(tracer.stats().inflight).toBe(0)
    expect(tracer.stats().failed).toBe(3)
    expect(warnings).toEqual([
      'spans not delivered to the custom exporter: tracer.shutdown() ran out of time (200 ms) with this export under way; a longer shutdown({ timeoutMs }) waits more. 3 spans dropped. `npx tokentrail doctor` checks the setup; TOKENTRAIL_DEBUG=1 logs every attempt.',
    ])
  })
})

describe('a failure after delivery recovered', () => {
  it('is said at once when its reason is new, not left to a summary a minute later', async () => {
    const { createTracer, otlpExporter } = await freshCore()
    const answers = [503, 200, 401, 200, 401]
    const server = createServer((request, response) => {
      request.resume()
      request.on('end', () => response.writeHead(answers.shift() ?? 200).end('{}'))
    })
    servers.push(server)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`
    const warnings: string[] = []
    const tracer = createTracer({
      exporters: [otlpExporter({ url })],
      metrics: false,
      warnings: (message) => warnings.push(message),
      retry: { maxRetries: 0 },
    })
    for (let i = 0; i < 5; i++) {
      tracer.startSpan(`s${i}`).end()
      await tracer.flush({ timeoutMs: 5000 })
    }
    expect(tracer.stats()).toMatchObject({ exported: 2, failed: 3 })
    expect(warnings).toEqual([
      expect.stringMatching(new RegExp(`^spans not delivered to ${url}: 503 `)),
      `spans reach ${url} again (1 span lost before)`,
      expect.stringMatching(new RegExp(`^spans not delivered to ${url}: 401 `)),
      `spans reach ${url} again (2 spans lost before)`,
      // The same reason as the last one said: left to the summaries.
    ])
  })
})
