import { afterEach, describe, expect, it, vi } from 'vitest'
import { receiver } from './otlp-receiver.js'

// The redaction rules' code (redaction/redactor.js) loads by import() as a tracer with `redaction`
// is made, not awaited: spans that reach the export boundary before it lands are held (LazyRedactor),
// like those held for the span-end code (span-end-load.node.test.ts), and bounded and reported as
// those are. Fresh modules per test, so a mock of the lazily loaded module applies.
async function freshCore() {
  vi.resetModules()
  return import('../src/index.js')
}

afterEach(() => {
  vi.doUnmock('../src/redaction/redactor.js')
})

describe('redaction code loaded after the tracer is made', () => {
  it('holds as many spans as a queue takes while it loads (maxQueueSize, at least 10,000), counted in stats().queued and among those lost at exit, and drops past the bound as a full queue (dropped.queueFull, said once)', async () => {
    let arrive!: () => void
    const arrived = new Promise<void>((resolve) => {
      arrive = resolve
    })
    vi.doMock('../src/redaction/redactor.js', async (importOriginal) => {
      await arrived
      return importOriginal()
    })
    const { createTracer, otlpExporter } = await freshCore()
    const server = await receiver()
    try {
      const warnings: string[] = []
      const tracer = createTracer({
        exporters: [otlpExporter({ url: server.url })],
        redaction: {},
        maxQueueSize: 12_000,
        maxBatchSize: 4000,
        flushIntervalMs: 600_000,
        warnings: (message) => warnings.push(message),
      })
      // The span-end code and the optional features have landed (nothing waits in the tracer);
      // the span waits for the redactor.
      tracer.startSpan('s0').end()
      await vi.waitFor(() =>
        expect(
          (tracer as unknown as { redactor?: { held: unknown[] } }).redactor?.held,
        ).toHaveLength(1),
      )
      expect(tracer.stats()).toMatchObject({ ended: 1, exported: 0, queued: 1 })
      for (let i = 1; i <= 12_000; i++) tracer.startSpan(`s${i}`).end()
      // The held spans are queued (ended = exported + dropped + queued), and among those a process
      // exiting now would lose (exit-watch.ts reads `waiting`).
      expect(tracer.stats()).toMatchObject({
        ended: 12_001,
        exported: 0,
        queued: 12_000,
        dropped: { queueFull: 1, redactError: 0 },
      })
      expect((tracer as unknown as { waiting: number }).waiting).toBe(12_000)
      arrive()
      expect(await tracer.flush({ timeoutMs: 20_000 })).toEqual({ ok: true, pending: 0 })
      expect(server.spans()).toBe(12_000)
      expect(tracer.stats()).toMatchObject({
        exported: 12_000,
        dropped: { queueFull: 1, redactError: 0 },
      })
      expect(warnings).toEqual([
        expect.stringMatching(
          /^1 span dropped before export: the queue was full \(12000 spans held while the redaction code loads/,
        ),
      ])
      expect(warnings[0]).toContain('tracer.stats().dropped.queueFull')
      await tracer.shutdown()
    } finally {
      await server.close()
    }
  })

  it('when it cannot load, the flush after the spans it dropped resolves ok: false naming them and why, also when the load failed before the flush; the next flush is ok again', async () => {
    // As a chunk that cannot be fetched: the import() rejects.
    vi.doMock('../src/redaction/redactor.js', () => {
      throw new Error('chunk missing')
    })
    const { createTracer, otlpExporter } = await freshCore()
    const server = await receiver()
    try {
      const warnings: string[] = []
      const tracer = createTracer({
        exporters: [otlpExporter({ url: server.url })],
        redaction: {},
        warnings: (message) => warnings.push(message),
      })
      tracer.startSpan('early 1', { attributes: { who: 'ann@example.com' } }).end()
      tracer.startSpan('early 2').end()
      const first = await tracer.flush()
      expect(first).toMatchObject({ ok: false, pending: 0 })
      expect(first.reason).toMatch(
        /^2 spans not delivered: the redaction code could not load \(Error: .*\); dropped, never sent unredacted \(tracer\.stats\(\)\.dropped\.redactError\)$/,
      )
      // As a serverless handler's: the span ends, the load fails, then the flush is awaited.
      tracer.startSpan('early 3').end()
      await vi.waitFor(() => expect(tracer.stats().dropped.redactError).toBe(3))
      const second = await tracer.flush()
      expect(second).toMatchObject({ ok: false, pending: 0 })
      expect(second.reason).toMatch(/^1 span not delivered: the redaction code could not load/)
      expect(await tracer.flush()).toEqual({ ok: true, pending: 0 })
      expect(server.bodies).toEqual([])
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).toMatch(
        /^2 spans dropped before export: the redaction code could not load/,
      )
      await tracer.shutdown()
    } finally {
      await server.close()
    }
  })
})
