import { afterEach, describe, expect, it, vi } from 'vitest'

// The processor's send loop (processor-send.ts) loads by import() when the first batch goes out.
// Each test gets fresh modules, so the tracer runs before that code has arrived.
async function freshCore() {
  vi.resetModules()
  const core = {
    ...(await import('../src/index.js')),
    ...(await import('../src/testing.js')),
  }
  // The span-end code (span-end.ts) as it is a few ms after the first tracer is made: loaded, so
  // spans reach the processor as they end (a span dropped by the hook sends nothing).
  const warm = core.createTracer({ exporters: [core.memoryExporter()], redact: () => null })
  warm.startSpan('warm').end()
  await warm.flush()
  return core
}

// The send loop's chunk arrives only when the test calls the function returned.
function holdSendLoop(): () => void {
  let arrive!: () => void
  const arrived = new Promise<void>((resolve) => {
    arrive = resolve
  })
  vi.doMock('../src/processor-send.js', async (importOriginal) => {
    await arrived
    return importOriginal()
  })
  return arrive
}

afterEach(() => {
  vi.doUnmock('../src/processor-send.js')
})

describe('send loop loaded on first export', () => {
  it('takes the first batch off the queue at once, so a burst in the same tick queues and drops as before', async () => {
    const { createTracer, memoryExporter } = await freshCore()
    const exporter = memoryExporter()
    const tracer = createTracer({ exporters: [exporter], maxQueueSize: 100, maxBatchSize: 10 })
    // In one tick: the 10th span fills a batch, which leaves the queue while the loop loads; the
    // next 100 fill the queue, and the last 40 find it full (as with an export under way).
    for (let i = 0; i < 150; i++) tracer.startSpan(`span ${i}`).end()
    expect(tracer.stats()).toMatchObject({ queued: 100, inflight: 10, dropped: { queueFull: 40 } })
    // Every span queued arrived; the flush says the 40 dropped before it.
    expect(await tracer.flush()).toMatchObject({
      ok: false,
      pending: 0,
      reason: expect.stringContaining('40 spans dropped since the last flush: the queue was full'),
    })
    expect(exporter.spans.map((s) => s.name)).toEqual(
      Array.from({ length: 110 }, (_, i) => `span ${i}`),
    )
    expect(tracer.stats()).toMatchObject({ exported: 110, failed: 0, inflight: 0, queued: 0 })
  })

  it('once it has loaded, spans still held count toward maxQueueSize (an export that hangs keeps them)', async () => {
    const arrive = holdSendLoop()
    const { createTracer } = await freshCore()
    const hung = { name: 'hung', export: () => new Promise<never>(() => {}) }
    const tracer = createTracer({
      exporters: [hung],
      maxQueueSize: 100,
      maxBatchSize: 10,
      exportTimeoutMs: 60_000,
    })
    // While the loop loads: 10 in flight, the rest of three ticks held (past maxQueueSize, as meant).
    for (let tick = 0; tick < 3; tick++) {
      for (let i = 0; i < 100; i++) tracer.startSpan(`span ${tick * 100 + i}`).end()
      await null
    }
    expect(tracer.stats()).toMatchObject({ inflight: 10, queued: 290, dropped: { queueFull: 0 } })
    arrive()
    await new Promise((resolve) => setTimeout(resolve, 50))
    // Loaded, the export hanging: 290 wait already, so a later burst finds the queue full.
    for (let i = 0; i < 50; i++) tracer.startSpan('later').end()
    expect(tracer.stats()).toMatchObject({ queued: 290, dropped: { queueFull: 50 } })
  })

  it('holds spans of later ticks while the send loop loads, up to 10,000, as an export under way would have taken them', async () => {
    const arrive = holdSendLoop()
    const { createTracer, memoryExporter } = await freshCore()
    const exporter = memoryExporter()
    const tracer = createTracer({ exporters: [exporter], maxQueueSize: 100, maxBatchSize: 10 })
    // 120 ticks of 100 spans: each tick fits the queue, and moves on at its end.
    for (let tick = 0; tick < 120; tick++) {
      for (let i = 0; i < 100; i++) tracer.startSpan(`span ${tick * 100 + i}`).end()
      await null
    }
    // 10 in flight, 10,000 held, 100 queued; past that the queue was full.
    expect(tracer.stats()).toMatchObject({
      inflight: 10,
      queued: 10_100,
      dropped: { queueFull: 12_000 - 10_110 },
    })
    arrive()
    expect(await tracer.flush()).toMatchObject({
      ok: false,
      pending: 0,
      reason: expect.stringContaining(`${12_000 - 10_110} spans dropped since the last flush`),
    })
    const names = exporter.spans.map((s) => s.name)
    expect(names).toHaveLength(10_110)
    expect(names.slice(0, 10_010)).toEqual(Array.from({ length: 10_010 }, (_, i) => `span ${i}`))
    // Loaded: nothing is held; a burst meets maxQueueSize.
    for (let i = 0; i < 150; i++) tracer.startSpan('later').end()
    await null
    await tracer.flush()
    expect(tracer.stats()).toMatchObject({
      exported: 10_110 + 110,
      dropped: { queueFull: 12_000 - 10_110 + 40 },
      queued: 0,
      inflight: 0,
    })
  })

  it('starts the first attempt aborted when the tracer shut down while the send loop loaded, as shutdown aborts one under way', async () => {
    const arrive = holdSendLoop()
    const { createTracer } = await freshCore()
    const signals: AbortSignal[] = []
    const tracer = createTracer({
      exporters: [
        {
          name: 'abortable',
          async export(_spans, signal) {
            signals.push(signal)
            return signal.aborted
              ? { code: 'retryable', error: signal.reason }
              : { code: 'success' }
          },
        },
      ],
      warnings: false,
    })
    tracer.startSpan('request').end()
    // Past its time bound before the send loop has loaded: the batch is taken, its export not begun.
    await tracer.shutdown({ timeoutMs: 0 })
    expect(signals).toHaveLength(0)
    arrive()
    await vi.waitFor(() => expect(signals).toHaveLength(1))
    expect(signals[0]!.aborted).toBe(true)
    await vi.waitFor(() => expect(tracer.stats()).toMatchObject({ failed: 1, exported: 0 }))
  })

  it('says a flush timed out while the send loop was still loading, within the flush', async () => {
    const arrive = holdSendLoop()
    const { createTracer, memoryExporter } = await freshCore()
    const warnings: string[] = []
    const tracer = createTracer({
      exporters: [memoryExporter()],
      warnings: (message) => warnings.push(message),
    })
    tracer.startSpan('waiting').end()
    const result = await tracer.flush({ timeoutMs: 50 })
    expect(result).toMatchObject({ ok: false })
    expect(result.reason).toMatch(/flush timed out after 50 ms with 1 span not delivered/)
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/^flush timed out after 50 ms: 1 span for the memory exporter/)
    arrive()
    expect((await tracer.flush()).ok).toBe(true)
  })

  it('fails and counts a batch when the send loop cannot load, says so, and loads it for the next batch', async () => {
    // As a chunk that cannot be fetched: the import() rejects.
    vi.doMock('../src/processor-send.js', () => {
      throw new Error('chunk missing')
    })
    const { createTracer, memoryExporter } = await freshCore()
    const exporter = memoryExporter()
    const errors: string[] = []
    const tracer = createTracer({
      exporters: [exporter],
      debug: (message, error) => errors.push(`${message}: ${(error as Error)?.message}`),
      warnings: false,
    })
    tracer.startSpan('lost').end()
    const first = await tracer.flush()
    expect(first.ok).toBe(false)
    // (vitest wraps the factory's error in its own message.)
    expect(first.reason).toMatch(/^the memory exporter: 1 span not delivered: .*mocking a module/)
    expect(tracer.stats()).toMatchObject({ exported: 0, failed: 1, inflight: 0, queued: 0 })
    expect(errors.filter((e) => e.startsWith('memory send loop failed'))).toHaveLength(1)
    vi.doUnmock('../src/processor-send.js')
    tracer.startSpan('sent').end()
    expect((await tracer.flush()).ok).toBe(true)
    expect(exporter.spans.map((s) => s.name)).toEqual(['sent'])
  })
})
