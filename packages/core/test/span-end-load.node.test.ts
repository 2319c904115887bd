import { afterEach, describe, expect, it, vi } from 'vitest'
import { receiver } from './otlp-receiver.js'

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

// Waits on real timers (up to 5 s) for what is not on a fake clock (module loading): vi.waitFor
// would move the fake one.
const realTimeout = globalThis.setTimeout
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !done(); i++) await new Promise((resolve) => realTimeout(resolve, 10))
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
      // Held, they count as queued: started = ended = exported + dropped + queued + inflight.
      expect(tracer.stats()).toMatchObject({ started: 3, ended: 2, queued: 2, exported: 0 })
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

  it("lands after a shutdown that could not wait for it: the shutdown ran the exporter's own shutdown, once; the processors it makes are shut, spans after are dropped and counted", async () => {
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
    // The exporter's own shutdown has run by the time the shutdown resolves, and once only.
    expect(calls).toEqual(['shutdown'])
    arrive()
    tracer.startSpan('after').end()
    await vi.waitFor(() =>
      expect(tracer.stats()).toMatchObject({ ended: 1, exported: 0, dropped: { shutdown: 1 } }),
    )
    expect(calls).toEqual(['shutdown'])
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
      reason: 'flush timed out after 50 ms: the span-end code had not loaded',
    })
    expect(tracer.stats()).toMatchObject({ ended: 1, queued: 1, flushTimeouts: 1 })
    await tracer.shutdown({ timeoutMs: 50 })
    expect(exporter.spans).toHaveLength(0)
    expect(tracer.stats()).toMatchObject({ ended: 1, queued: 0, dropped: { redactError: 1 } })
    expect(warnings).toEqual([expect.stringMatching(/^1 span dropped before export: .*in time/)])
  })

  it('spans ended in the same tick as the tracer was made count as queued until they reach the queues', async () => {
    const arrive = holdSpanEnd()
    const { createTracer, memoryExporter } = await freshCore()
    const exporter = memoryExporter()
    const tracer = createTracer({ exporters: [exporter] })
    tracer.startSpan('a').end()
    tracer.startSpan('b').end()
    const held = tracer.stats()
    expect(held).toMatchObject({ started: 2, ended: 2, queued: 2, inflight: 0, exported: 0 })
    arrive()
    expect(await tracer.flush()).toEqual({ ok: true, pending: 0 })
    expect(tracer.stats()).toMatchObject({ ended: 2, queued: 0, exported: 2 })
  })

  it("when it cannot load, a shutdown still runs each exporter's own shutdown, once", async () => {
    vi.doMock('../src/span-end.js', () => {
      throw new Error('chunk missing')
    })
    const { createTracer } = await freshCore()
    const calls: string[] = []
    const warnings: string[] = []
    const own = (name: string) => ({
      name,
      export: async () => {
        calls.push(`${name} export`)
        return { code: 'success' as const }
      },
      shutdown: async () => {
        calls.push(`${name} shutdown`)
      },
    })
    const tracer = createTracer({
      exporters: [own('file'), own('socket')],
      warnings: (message) => warnings.push(message),
    })
    tracer.startSpan('held', { attributes: { authorization: `Bearer ${KEY}` } }).end()
    await tracer.shutdown({ timeoutMs: 5000 })
    expect(calls).toEqual(['file shutdown', 'socket shutdown'])
    await tracer.shutdown({ timeoutMs: 5000 })
    expect(calls).toEqual(['file shutdown', 'socket shutdown'])
    expect(tracer.stats()).toMatchObject({ ended: 1, queued: 0, dropped: { redactError: 1 } })
    expect(warnings).toEqual([
      expect.stringMatching(/^1 span dropped before export: the code that scrubs/),
    ])
    // The code loads later after all: the processors it makes are shut, the exporters not closed
    // again, later spans dropped and counted.
    vi.doUnmock('../src/span-end.js')
    tracer.startSpan('after').end()
    // (One per exporter.)
    await vi.waitFor(() => expect(tracer.stats().dropped.shutdown).toBe(2))
    expect(calls).toEqual(['file shutdown', 'socket shutdown'])
  })

  it('a flush keeps to its bound when the code lands late: the queues get what is left, the message names the bound given', async () => {
    const arrive = holdSpanEnd()
    const { createTracer } = await freshCore()
    let exports = 0
    const tracer = createTracer({
      exporters: [
        {
          name: 'hangs',
          export: () => {
            exports++
            return new Promise(() => {})
          },
        },
      ],
    })
    tracer.startSpan('held').end()
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    try {
      let result: unknown
      void tracer.flush({ timeoutMs: 1000 }).then((r) => {
        result = r
      })
      await vi.advanceTimersByTimeAsync(900)
      arrive()
      // The code lands (module loading is not on the fake clock) and the span goes out, and hangs.
      await until(() => exports === 1)
      expect(exports).toBe(1)
      // Past the bound: the flush has answered (it waited 1900 ms of the 1000 given, before).
      await vi.advanceTimersByTimeAsync(150)
      await until(() => result !== undefined)
      expect(result).toMatchObject({ ok: false, pending: 1 })
      expect((result as { reason: string }).reason).toMatch(/flush timed out after 1000 ms/)
    } finally {
      vi.useRealTimers()
    }
  })

  it('a shutdown keeps to its bound when the code lands late: the export under way is aborted at the bound given', async () => {
    const arrive = holdSpanEnd()
    const { createTracer } = await freshCore()
    let signal: AbortSignal | undefined
    const tracer = createTracer({
      exporters: [
        {
          name: 'hangs',
          export: (_spans, given) => {
            signal = given
            return new Promise(() => {})
          },
        },
      ],
    })
    tracer.startSpan('held').end()
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    try {
      void tracer.shutdown({ timeoutMs: 1000 })
      await vi.advanceTimersByTimeAsync(900)
      arrive()
      await until(() => signal !== undefined)
      await vi.advanceTimersByTimeAsync(150)
      await until(() => signal!.aborted)
      expect(signal!.aborted).toBe(true)
      expect(String(signal!.reason)).toMatch(/ran out of time \(1000 ms\)/)
    } finally {
      vi.useRealTimers()
    }
  })

  it('a first flush with sampling on and nothing held waits for the sampler, which then keeps its budget in a synchronous loop', async () => {
    const { createTracer, memoryExporter } = await freshCore()
    const tracer = createTracer({
      exporters: [memoryExporter()],
      sampleRate: 0,
      sampling: { maxBufferedSpans: 50 },
    })
    expect(await tracer.flush()).toEqual({ ok: true, pending: 0 })
    let maxBuffered = 0
    for (let i = 0; i < 100; i++) {
      const root = tracer.startSpan('root')
      for (let j = 0; j < 3; j++) tracer.startSpan('chat m', { parent: root }).end()
      maxBuffered = Math.max(maxBuffered, tracer.stats().sampling!.bufferedSpans)
    }
    expect(maxBuffered).toBeLessThanOrEqual(50)
    await tracer.shutdown()
  })

  it('with sampling on and the sampler there first, spans held for it still count (as queued)', async () => {
    const arrive = holdSpanEnd()
    const { createTracer, memoryExporter } = await freshCore()
    const exporter = memoryExporter()
    const tracer = createTracer({ exporters: [exporter], sampleRate: 1, sampling: {} })
    const root = tracer.startSpan('root')
    // The sampler (loaded apart) has taken the root's start: it is there, the span-end code not.
    await vi.waitFor(() => expect(tracer.stats().sampling!.openTraces).toBe(1))
    tracer.startSpan('child', { parent: root }).end()
    const s = tracer.stats()
    const accounted = s.exported + s.notSampled + s.queued + s.inflight + s.sampling!.bufferedSpans
    expect({ ended: s.ended, accounted }).toEqual({ ended: 1, accounted: 1 })
    arrive()
    root.end()
    expect(await tracer.flush()).toEqual({ ok: true, pending: 0 })
    expect(exporter.spans.map((span) => span.name)).toEqual(['child', 'root'])
  })

  it('holds as many spans as maxQueueSize when it is above 10,000, and drops past the bound as a full queue (dropped.queueFull, said so), not as a redaction failure', async () => {
    const arrive = holdSpanEnd()
    const { createTracer, otlpExporter } = await freshCore()
    const server = await receiver()
    try {
      const warnings: string[] = []
      const tracer = createTracer({
        exporters: [otlpExporter({ url: server.url })],
        maxQueueSize: 12_000,
        maxBatchSize: 4000,
        flushIntervalMs: 600_000,
        warnings: (message) => warnings.push(message),
      })
      for (let i = 0; i < 12_001; i++) tracer.startSpan(`s${i}`).end()
      expect(tracer.stats()).toMatchObject({ queued: 12_000, dropped: { queueFull: 1 } })
      arrive()
      expect(await tracer.flush({ timeoutMs: 20_000 })).toEqual({ ok: true, pending: 0 })
      const sent = server.bodies.reduce(
        (n, b) => n + JSON.parse(b).resourceSpans[0].scopeSpans[0].spans.length,
        0,
      )
      expect(sent).toBe(12_000)
      expect(tracer.stats()).toMatchObject({
        exported: 12_000,
        dropped: { queueFull: 1, redactError: 0 },
      })
      expect(warnings).toEqual([
        expect.stringMatching(
          /^1 span dropped before export: the queue was full \(12000 spans held/,
        ),
      ])
      expect(warnings[0]).toContain('tracer.stats().dropped.queueFull')
      expect(warnings[0]).not.toContain('could not load')
      await tracer.shutdown()
    } finally {
      await server.close()
    }
  })

  it('when it cannot load, the flush after the spans it dropped resolves ok: false naming why, also when the load failed before the flush; the next flush is ok again', async () => {
    vi.doMock('../src/span-end.js', () => {
      throw new Error('chunk missing')
    })
    const { createTracer, otlpExporter } = await freshCore()
    const server = await receiver()
    try {
      const tracer = createTracer({
        exporters: [otlpExporter({ url: server.url })],
        warnings: () => {},
      })
      // Held as the flush starts; the load fails while it waits.
      tracer.startSpan('early 1').end()
      tracer.startSpan('early 2').end()
      const first = await tracer.flush()
      expect(first).toMatchObject({ ok: false, pending: 0 })
      expect(first.reason).toMatch(
        /^2 spans not delivered: the code that scrubs credentials from spans as they end could not load \(Error: .*\); dropped, never sent unscrubbed \(tracer\.stats\(\)\.dropped\.redactError\)$/,
      )
      // As a serverless handler's: the spans end, the load fails, then the flush is awaited.
      tracer.startSpan('early 3').end()
      await vi.waitFor(() => expect(tracer.stats().queued).toBe(0))
      const second = await tracer.flush()
      expect(second).toMatchObject({ ok: false, pending: 0 })
      expect(second.reason).toMatch(/^1 span not delivered: .*could not load/)
      expect(tracer.stats().dropped.redactError).toBe(3)
      // Dropped, then the code loads for a later span: the flush after (span-end.ts's) says both.
      tracer.startSpan('early 4').end()
      await vi.waitFor(() => expect(tracer.stats().queued).toBe(0))
      vi.doUnmock('../src/span-end.js')
      tracer.startSpan('later').end()
      const third = await tracer.flush()
      expect(third).toMatchObject({ ok: false, pending: 0 })
      expect(third.reason).toMatch(/^1 span not delivered: .*could not load/)
      expect(await tracer.flush()).toEqual({ ok: true, pending: 0 })
      expect(server.bodies.join('')).toContain('"later"')
      expect(server.bodies.join('')).not.toContain('early')
      await tracer.shutdown()
    } finally {
      await server.close()
    }
  })
})
