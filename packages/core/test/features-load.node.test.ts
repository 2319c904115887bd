import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'

// Sampling, redaction and metrics load by import() (tracer-features.ts) when a tracer with any of
// them is made. Each test gets fresh modules, so the tracer runs before that code has arrived.
async function freshCore() {
  vi.resetModules()
  return {
    ...(await import('../src/index.js')),
    ...(await import('../src/testing.js')),
  }
}

// The features' chunk arrives only when the test calls the function returned.
function holdFeatures(): () => void {
  let arrive!: () => void
  const arrived = new Promise<void>((resolve) => {
    arrive = resolve
  })
  vi.doMock('../src/tracer-features.js', async (importOriginal) => {
    await arrived
    return importOriginal()
  })
  return arrive
}

// A real OTLP/HTTP receiver: the request bodies it got, by path.
async function receiver() {
  const received: Record<string, string[]> = {}
  const server = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk) => {
      body += chunk
    })
    request.on('end', () => {
      ;(received[request.url ?? ''] ??= []).push(body)
      response.end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return { url, received, close: () => server.close() }
}

const llm = (model: string) => ({
  kind: 'llm' as const,
  attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': model },
})

afterEach(() => {
  vi.doUnmock('../src/tracer-features.js')
})

describe('sampling, redaction and metrics loaded after the tracer is made', () => {
  it('holds what they would see until their code lands, over several ticks, then sends it to a real OTLP server', async () => {
    const arrive = holdFeatures()
    const { createTracer, otlpExporter, memoryMetricExporter } = await freshCore()
    const server = await receiver()
    try {
      const metrics = memoryMetricExporter()
      const tracer = createTracer({
        exporters: [otlpExporter({ url: `${server.url}/v1/traces` })],
        metrics: { exporters: [metrics] },
        sampling: {},
        redaction: {},
        sampleRate: 0,
        flushIntervalMs: 600_000,
      })
      // Tick 1: a failed trace (kept) and a fine one (sampled out).
      const failed = tracer.startSpan('failed request', {
        attributes: { who: 'ann@example.com' },
      })
      tracer.startSpan('chat m', { ...llm('m'), parent: failed }).end({ status: 'error' })
      failed.end()
      const fine = tracer.startSpan('fine request')
      tracer.startSpan('chat m', { ...llm('m'), parent: fine }).end()
      fine.end()
      await null
      // Tick 2: a trace kept by its error, whose root is still open when the code lands.
      const late = tracer.startSpan('late request')
      tracer.startSpan('chat n', { ...llm('n'), parent: late }).end({ status: 'error' })
      // Until the span-end code has landed (a chunk of its own: slower on a cold, loaded machine),
      // the spans wait before the sampler's buffer.
      await vi.waitFor(() => expect(tracer.stats().sampling?.bufferedSpans).toBe(5), {
        timeout: 10_000,
        interval: 5,
      })
      expect(tracer.stats()).toMatchObject({
        ended: 5,
        queued: 0,
        exported: 0,
        sampling: { bufferedSpans: 5, keptTraces: 0 },
        redaction: { email: 0 },
        metrics: { exports: 0 },
      })
      arrive()
      late.end()
      const result = await tracer.flush({ timeoutMs: 10_000 })
      expect(result).toMatchObject({ ok: true, pending: 0 })
      const stats = tracer.stats()
      expect(stats).toMatchObject({
        exported: 4,
        failed: 0,
        dropped: { redactError: 0 },
        sampling: { keptTraces: 2, droppedTraces: 1, bufferedSpans: 0 },
        redaction: { email: 1 },
      })
      const traces = server.received['/v1/traces']!.join('')
      for (const name of ['failed request', 'late request', 'chat n'])
        expect(traces).toContain(name)
      expect(traces).not.toContain('fine request')
      expect(traces).toContain('[EMAIL]')
      expect(traces).not.toContain('ann@example.com')
      // Metrics stay exact: every LLM span counted, the sampled-out one too.
      const calls = metrics.metric('tokentrail.llm.calls')
      expect(calls?.type === 'sum' && calls.points.reduce((n, p) => n + p.value, 0)).toBe(3)
      await tracer.shutdown()
    } finally {
      server.close()
    }
  })

  it('when their code cannot load: spans waiting for the sampler are sent as kept, spans waiting for redaction are dropped and counted, and the next span tries again', async () => {
    // As a chunk that cannot be fetched: the import() rejects.
    vi.doMock('../src/tracer-features.js', () => {
      throw new Error('chunk missing')
    })
    const { createTracer, memoryExporter } = await freshCore()
    const errors: string[] = []
    const debug = (message: string) => errors.push(message)
    const sampled = memoryExporter()
    const sampling = createTracer({ exporters: [sampled], sampling: {}, debug, warnings: false })
    const redacted = memoryExporter()
    const redaction = createTracer({ exporters: [redacted], redaction: {}, debug, warnings: false })
    for (const tracer of [sampling, redaction])
      tracer.startSpan('early', { attributes: { who: 'ann@example.com' } }).end()
    await sampling.flush()
    await redaction.flush()
    expect(sampled.spans.map((s) => s.name)).toEqual(['early'])
    expect(redacted.spans).toHaveLength(0)
    expect(redaction.stats().dropped.redactError).toBe(1)
    expect(errors.filter((e) => e.startsWith('sampling, redaction or metrics load'))).toHaveLength(
      2,
    )
    vi.doUnmock('../src/tracer-features.js')
    redaction.startSpan('later', { attributes: { who: 'ann@example.com' } }).end()
    expect((await redaction.flush()).ok).toBe(true)
    expect(redacted.spans.map((s) => [s.name, s.attributes.who])).toEqual([['later', '[EMAIL]']])
  })
  it('holds as many spans as a queue takes while their code loads (maxQueueSize, at least 10,000), counted in stats().queued, and drops past the bound as a full queue (dropped.queueFull, said once), not as a failed load', async () => {
    const arrive = holdFeatures()
    const { createTracer, otlpExporter } = await freshCore()
    const server = await receiver()
    try {
      const warnings: string[] = []
      const tracer = createTracer({
        exporters: [otlpExporter({ url: `${server.url}/v1/traces` })],
        redaction: {},
        maxQueueSize: 12_000,
        maxBatchSize: 4000,
        flushIntervalMs: 600_000,
        warnings: (message) => warnings.push(message),
      })
      // The span-end code has landed (it makes the processors); the features' code has not.
      await vi.waitFor(() =>
        expect((tracer as unknown as { processors: unknown[] }).processors).toHaveLength(1),
      )
      for (let i = 1; i <= 12_001; i++) tracer.startSpan(`s${i}`).end()
      const during = tracer.stats()
      expect(during).toMatchObject({
        ended: 12_001,
        exported: 0,
        queued: 12_000,
        dropped: { queueFull: 1, redactError: 0 },
      })
      arrive()
      expect(await tracer.flush({ timeoutMs: 20_000 })).toEqual({ ok: true, pending: 0 })
      const spans = (server.received['/v1/traces'] ?? []).reduce(
        (n, b) => n + JSON.parse(b).resourceSpans[0].scopeSpans[0].spans.length,
        0,
      )
      expect(spans).toBe(12_000)
      expect(tracer.stats()).toMatchObject({
        exported: 12_000,
        queued: 0,
        dropped: { queueFull: 1, redactError: 0 },
      })
      expect(warnings).toEqual([
        expect.stringMatching(
          /^1 span dropped before export: the queue was full \(12000 spans held while the sampling, redaction and metrics code loads/,
        ),
      ])
      expect(warnings[0]).toContain('tracer.stats().dropped.queueFull')
      await tracer.shutdown()
    } finally {
      server.close()
    }
  })
})

// A chunk whose fetch never settles (a hung dynamic import on a cold start, a chunk loader
// waiting on the network): flush() and shutdown() still resolve within their bound, the spans
// held for that code pending, then dropped and counted, never sent unsampled or unredacted.
describe.each([
  ['../src/tracer-features.js', 'sampling, redaction or metrics', {}],
  ['../src/sampling/trace-sampler.js', 'sampling', { sampling: {} }],
  ['../src/redaction/redactor.js', 'redaction', { redaction: {} }],
] as const)('a chunk that never arrives (%s)', (chunk, code, features) => {
  afterEach(() => {
    vi.doUnmock(chunk)
  })

  it('leaves flush() and shutdown() within their bound, the spans held dropped and said, none sent', async () => {
    vi.resetModules()
    vi.doMock(chunk, () => new Promise(() => {}))
    const { createTracer, otlpExporter } = await import('../src/index.js')
    const server = await receiver()
    try {
      const warnings: string[] = []
      const tracer = createTracer({
        exporters: [otlpExporter({ url: `${server.url}/v1/traces` })],
        ...(code === 'sampling, redaction or metrics' ? { sampling: {}, redaction: {} } : features),
        flushIntervalMs: 600_000,
        warnings: (message) => warnings.push(message),
      })
      const root = tracer.startSpan('request', { attributes: { who: 'ann@example.com' } })
      tracer.startSpan('chat m', { ...llm('m'), parent: root }).end()
      root.end()
      // The span-end code lands; the spans then wait for the chunk that never comes.
      await vi.waitFor(() => expect(tracer.stats()).toMatchObject({ ended: 2, queued: 2 }), {
        timeout: 10_000,
        interval: 5,
      })
      const result = await tracer.flush({ timeoutMs: 200 })
      expect(result).toEqual({
        ok: false,
        pending: 2,
        reason: `flush timed out after 200 ms: the ${code} code had not loaded`,
      })
      await tracer.shutdown({ timeoutMs: 200 })
      expect(tracer.stats()).toMatchObject({
        ended: 2,
        exported: 0,
        queued: 0,
        dropped: { redactError: 2 },
      })
      expect(warnings.join('\n')).toContain(
        `2 spans dropped before export: the sampling, redaction or metrics code could not load (Error: the ${code} code did not load in time), and a span that could not be sampled or redacted is never sent; tracer.stats().dropped.redactError counts them.`,
      )
      expect(server.received['/v1/traces']).toBeUndefined()
    } finally {
      server.close()
    }
  })
})
