import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { receiver } from './otlp-receiver.js'

// What a flush says about spans that did not arrive (processor-flush.ts) loads by import() the
// first time a flush has that to say. Each test gets fresh modules, so that code has not arrived.
async function freshCore() {
  vi.resetModules()
  return import('../src/index.js')
}

afterEach(() => {
  vi.doUnmock('../src/processor-flush.js')
})

describe('flush report loaded when a flush has a failure to tell', () => {
  it('says nothing is wrong without loading it, and explains a failure once loaded', async () => {
    const server = await receiver([200, 400])
    try {
      const { createTracer, otlpExporter } = await freshCore()
      const tracer = createTracer({
        exporters: [otlpExporter({ url: server.url })],
        warnings: false,
      })
      tracer.startSpan('first').end()
      expect(await tracer.flush()).toEqual({ ok: true, pending: 0 })
      tracer.startSpan('refused').end()
      const refused = await tracer.flush()
      expect(refused.ok).toBe(false)
      expect(refused.reason).toMatch(/: 1 span not delivered: .*400/)
      expect(tracer.stats()).toMatchObject({ exported: 1, failed: 1, queued: 0, inflight: 0 })
      // An earlier failure is not this flush's: it waited for 'third' only, which arrived.
      tracer.startSpan('third').end()
      expect(await tracer.flush()).toEqual({ ok: true, pending: 0 })
      expect(server.bodies.join('')).toContain('third')
    } finally {
      await server.close()
    }
  })

  it('still answers, not ok, when that code cannot load; says so once and loads it next time', async () => {
    // As a chunk that cannot be fetched: the import() rejects.
    vi.doMock('../src/processor-flush.js', () => {
      throw new Error('chunk missing')
    })
    const server = await receiver([400, 400, 400])
    try {
      const { createTracer, otlpExporter } = await freshCore()
      const errors: string[] = []
      const tracer = createTracer({
        exporters: [otlpExporter({ url: server.url })],
        debug: (message) => errors.push(message),
        warnings: false,
      })
      tracer.startSpan('refused').end()
      const first = await tracer.flush()
      expect(first).toMatchObject({ ok: false, pending: 0 })
      expect(first.reason).toMatch(/could not load the flush report/)
      tracer.startSpan('refused again').end()
      expect((await tracer.flush()).ok).toBe(false)
      expect(errors.filter((e) => e.startsWith('otlp flush failed'))).toHaveLength(1)
      expect(tracer.stats()).toMatchObject({ exported: 0, failed: 2, queued: 0, inflight: 0 })
      vi.doUnmock('../src/processor-flush.js')
      tracer.startSpan('refused a third time').end()
      const third = await tracer.flush()
      expect(third.reason).toMatch(/: 1 span not delivered: .*400/)
      tracer.startSpan('sent').end()
      expect(await tracer.flush()).toEqual({ ok: true, pending: 0 })
      expect(server.bodies).toHaveLength(4)
    } finally {
      await server.close()
    }
  })

  it('a shutdown whose rest cannot load still stops sending, and drops and counts what is left', async () => {
    vi.doMock('../src/processor-flush.js', () => {
      throw new Error('chunk missing')
    })
    // A receiver that takes the request and never answers: the first batch stays in flight.
    const requests: unknown[] = []
    const server = createServer((request) => {
      requests.push(request)
      request.resume()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`
    try {
      const { createTracer, otlpExporter } = await freshCore()
      const errors: string[] = []
      const tracer = createTracer({
        exporters: [otlpExporter({ url })],
        maxBatchSize: 1,
        debug: (message) => errors.push(message),
        warnings: false,
      })
      for (const name of ['one', 'two', 'three']) tracer.startSpan(name).end()
      await tracer.shutdown({ timeoutMs: 300 })
      expect(errors).toContain('otlp shutdown failed (reported once)')
      expect(tracer.stats()).toMatchObject({ dropped: { shutdown: 2 }, queued: 0 })
      // Stopped: the aborted batch is not retried, nothing else goes out.
      await new Promise((resolve) => setTimeout(resolve, 300))
      expect(requests).toHaveLength(1)
      expect(tracer.stats()).toMatchObject({ inflight: 0, exported: 0 })
    } finally {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  })
})

describe('a shutdown whose rest cannot load', () => {
  it("still runs the exporter's own shutdown, within the bound", async () => {
    vi.doMock('../src/processor-flush.js', () => {
      throw new Error('chunk missing')
    })
    const server = await receiver([])
    try {
      const { createTracer, otlpExporter } = await freshCore()
      // A user's exporter around the OTLP one, whose shutdown closes what it holds.
      const otlp = otlpExporter({ url: server.url })
      let closed = 0
      const tracer = createTracer({
        exporters: [
          {
            name: 'mine',
            export: (spans, signal) => otlp.export(spans, signal),
            shutdown: async () => {
              closed++
            },
          },
        ],
        warnings: false,
        debug: () => {},
      })
      tracer.startSpan('one').end()
      await tracer.shutdown({ timeoutMs: 2000 })
      expect(server.bodies.join('')).toContain('one')
      expect(closed).toBe(1)
      expect(tracer.stats()).toMatchObject({ exported: 1, queued: 0, inflight: 0 })
    } finally {
      await server.close()
    }
  })

  it('an exporter shutdown that never settles does not hold it past the bound', async () => {
    vi.doMock('../src/processor-flush.js', () => {
      throw new Error('chunk missing')
    })
    const { createTracer } = await freshCore()
    const errors: string[] = []
    let asked = 0
    const tracer = createTracer({
      exporters: [
        {
          name: 'mine',
          export: async () => ({ ok: true }) as never,
          shutdown: () => {
            asked++
            return new Promise<void>(() => {})
          },
        },
      ],
      warnings: false,
      debug: (message) => errors.push(message),
    })
    await tracer.shutdown({ timeoutMs: 200 })
    expect(asked).toBe(1)
  })
})

describe('a shutdown whose rest never loads (a chunk fetch that hangs)', () => {
  it('still resolves within its bound and runs the exporter shutdown', async () => {
    vi.doMock('../src/processor-flush.js', () => new Promise(() => {}))
    const server = await receiver([])
    try {
      const { createTracer, otlpExporter } = await freshCore()
      const errors: string[] = []
      let closed = 0
      const otlp = otlpExporter({ url: server.url })
      const tracer = createTracer({
        exporters: [
          {
            name: 'mine',
            export: (spans, signal) => otlp.export(spans, signal),
            shutdown: async () => {
              closed++
            },
          },
        ],
        debug: (message) => errors.push(message),
        warnings: false,
      })
      tracer.startSpan('one').end()
      // Every span delivered: before 75723da this needed no lazy code; with it, a chunk that
      // never arrived held the shutdown for ever (this test timed out).
      await tracer.shutdown({ timeoutMs: 300 })
      expect(server.bodies.join('')).toContain('one')
      expect(closed).toBe(1)
      expect(errors).toContain('mine shutdown failed (reported once)')
      expect(tracer.stats()).toMatchObject({ exported: 1, queued: 0, inflight: 0 })
    } finally {
      await server.close()
    }
  }, 10_000)
})
