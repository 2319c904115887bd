import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'

// The scrub every span gets as it ends (span-end.ts, with the text scrub) loads by import() as a
// tracer is made, not awaited: spans that end before it lands wait in the tracer, in order. Each
// test gets fresh modules, so the tracer runs before that code has arrived.
async function freshCore() {
  vi.resetModules()
  return {
    ...(await import('../src/index.js')),
    ...(await import('../src/testing.js')),
  }
}

// The span-end chunk arrives only when the test calls the function returned (or never).
function holdSpanEnd(): () => void {
  let arrive!: () => void
  const arrived = new Promise<void>((resolve) => {
    arrive = resolve
  })
  vi.doMock('../src/span-end.js', async (importOriginal) => {
    await arrived
    return importOriginal()
  })
  return arrive
}

// A real OTLP/HTTP receiver: the request bodies it got.
async function receiver() {
  const bodies: string[] = []
  const server = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk) => {
      body += chunk
    })
    request.on('end', () => {
      bodies.push(body)
      response.setHeader('content-type', 'application/json')
      response.end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`
  return { url, bodies, close: () => new Promise((resolve) => server.close(resolve)) }
}

const KEY = 'sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789'

afterEach(() => {
  vi.doUnmock('../src/span-end.js')
})

describe('span-end code loaded after the tracer is made', () => {
  it('holds the spans that end before it lands, over several ticks, then sends them in order and scrubbed to a real OTLP server', async () => {
    const arrive = holdSpanEnd()
    const { createTracer, otlpExporter } = await freshCore()
    const server = await receiver()
    try {
      const tracer = createTracer({
        exporters: [otlpExporter({ url: server.url })],
        flushIntervalMs: 600_000,
      })
      const root = tracer.startSpan(`fetch https://api.example.com/v1?key=${KEY}`)
      tracer
        .startSpan('chat m', { parent: root, attributes: { authorization: `Bearer ${KEY}` } })
        .end()
      await null
      const failed = tracer.startSpan('tool', { parent: root })
      failed.recordError(new Error(`refused key ${KEY}`))
      failed.end({ status: 'error' })
      await new Promise((resolve) => setTimeout(resolve, 20))
      expect(tracer.stats()).toMatchObject({ ended: 2, queued: 0, exported: 0 })
      const flushed = tracer.flush({ timeoutMs: 10_000 })
      arrive()
      root.end()
      expect(await flushed).toMatchObject({ ok: true })
      expect(await tracer.flush({ timeoutMs: 10_000 })).toEqual({ ok: true, pending: 0 })
      expect(tracer.stats()).toMatchObject({ exported: 3, dropped: { redactError: 0 } })
      const body = server.bodies.join('')
      expect(body).not.toContain(KEY)
      expect(body).toContain('[REDACTED]')
      const names = server.bodies.flatMap((b) =>
        JSON.parse(b).resourceSpans[0].scopeSpans[0].spans.map((s: { name: string }) => s.name),
      )
      expect(names.slice(0, 2)).toEqual(['chat m', 'tool'])
      expect(names).toHaveLength(3)
      await tracer.shutdown()
    } finally {
      await server.close()
    }
  })

  it('a flush waits for the spans held before it, not for those that end after it while the code loads', async () => {
    const arrive = holdSpanEnd()
    const { createTracer } = await freshCore()
    const gates: (() => void)[] = []
    const sent: string[] = []
    const tracer = createTracer({
      maxBatchSize: 1,
      exporters: [
        {
          name: 'gated',
          export: async (spans) => {
            await new Promise<void>((resolve) => gates.push(resolve))
            sent.push(spans[0]!.name)
            return { code: 'success' }
          },
        },
      ],
    })
    tracer.startSpan('mine').end()
    const flushed = tracer.flush({ timeoutMs: 5000 })
    tracer.startSpan('theirs 1').end()
    tracer.startSpan('theirs 2').end()
    arrive()
    await vi.waitFor(() => expect(gates).toHaveLength(1))
    gates[0]!() // 'mine' delivered; 'theirs 1' goes out next and hangs
    expect(await flushed).toEqual({ ok: true, pending: 2 })
    expect(sent).toEqual(['mine'])
  })

  it('when it cannot load: the held spans are dropped (never sent unscrubbed), counted and said once, and the next span tries again', async () => {
    // As a chunk that cannot be fetched: the import() rejects.
    vi.doMock('../src/span-end.js', () => {
      throw new Error('chunk missing')
    })
    const { createTracer, memoryExporter } = await freshCore()
    const warnings: string[] = []
    const exporter = memoryExporter()
    const tracer = createTracer({
      exporters: [exporter],
      warnings: (message) => warnings.push(message),
    })
    tracer.startSpan('early 1', { attributes: { authorization: `Bearer ${KEY}` } }).end()
    tracer.startSpan('early 2').end()
    const result = await tracer.flush()
    expect(exporter.spans).toHaveLength(0)
    expect(result.pending).toBe(0)
    expect(tracer.stats().dropped.redactError).toBe(2)
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/^2 spans dropped before export: the code that scrubs credentials/)
    vi.doUnmock('../src/span-end.js')
    tracer.startSpan('later', { attributes: { authorization: `Bearer ${KEY}` } }).end()
    expect(await tracer.flush()).toEqual({ ok: true, pending: 0 })
    expect(exporter.spans.map((s) => [s.name, s.attributes.authorization])).toEqual([
      ['later', '[REDACTED]'],
    ])
    expect(warnings).toHaveLength(1)
  })

  it("a shutdown made before it lands still runs the exporter's own shutdown, and spans after it are dropped and counted", async () => {
    const arrive = holdSpanEnd()
    const { createTracer } = await freshCore()
    const calls: string[] = []
    const tracer = createTracer({
      exporters: [
        {
          name: 'own',
          export: async (spans) => {
            calls.push(`export ${spans.map((s) => s.name).join(',')}`)
            return { code: 'success' }
          },
          shutdown: async () => {
            calls.push('shutdown')
          },
        },
      ],
    })
    const shut = tracer.shutdown({ timeoutMs: 5000 })
    await new Promise((resolve) => setTimeout(resolve, 20))
    arrive()
    await shut
    expect(calls).toEqual(['shutdown'])
    tracer.startSpan('after').end()
    expect(tracer.stats()).toMatchObject({ ended: 1, exported: 0, dropped: { shutdown: 1 } })
    expect(calls).toEqual(['shutdown'])
  })

  it('lands after a shutdown that could not wait for it: the processors it makes are shut, spans after are dropped and counted', async () => {
    const arrive = holdSpanEnd()
    const { createTracer } = await freshCore()
    const calls: string[] = []
    const tracer = createTracer({
      exporters: [
        {
          name: 'own',
          export: async () => {
            calls.push('export')
            return { code: 'success' }
          },
          shutdown: async () => {
            calls.push('shutdown')
          },
        },
      ],
    })
    await tracer.shutdown({ timeoutMs: 20 })
    arrive()
    await vi.waitFor(() => expect(calls).toEqual(['shutdown']))
    tracer.startSpan('after').end()
    expect(tracer.stats()).toMatchObject({ ended: 1, exported: 0, dropped: { shutdown: 1 } })
  })

  it('a flush and a shutdown stay within their bounds when it never arrives: the flush says the spans pending, the shutdown drops and counts them', async () => {
    holdSpanEnd()
    const { createTracer, memoryExporter } = await freshCore()
    const warnings: string[] = []
    const exporter = memoryExporter()
    const tracer = createTracer({
      exporters: [exporter],
      warnings: (message) => warnings.push(message),
    })
    tracer.startSpan('held').end()
    expect(await tracer.flush({ timeoutMs: 50 })).toEqual({
      ok: false,
      pending: 1,
      reason: 'the span-end code did not load in time',
    })
    await tracer.shutdown({ timeoutMs: 50 })
    expect(exporter.spans).toHaveLength(0)
    expect(tracer.stats()).toMatchObject({ ended: 1, dropped: { redactError: 1 } })
    expect(warnings).toEqual([expect.stringMatching(/^1 span dropped before export: .*in time/)])
  })
})
