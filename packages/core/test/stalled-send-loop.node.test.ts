// A send loop stalled past its own bound (its timers never fired: a Workers request that ended,
// here a Node event loop blocked for longer than the bound) is given up and its batch sent again
// by the next flush. Only what it had not finished goes again: a batch split after a 413 whose
// first half was delivered sent that half twice and counted it twice in stats().exported; given up
// during its first half, the old loop still sent the second half itself, beside the new loop.
// Real HTTP receiver; the event loop is blocked by a busy wait in the receiver's own handler.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { createTracer, otlpExporter } from '../src/index.js'

const servers: Server[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

function block(ms: number) {
  const until = Date.now() + ms
  while (Date.now() < until) {}
}

// Answers 413 to more than `limit` spans; `onBatch` sees each accepted batch's names first.
async function receiver(limit: number, onBatch: (names: string[], seen: number) => void) {
  const names: string[] = []
  let seen = 0
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const batch: string[] = []
      for (const resource of JSON.parse(Buffer.concat(chunks).toString()).resourceSpans)
        for (const scope of resource.scopeSpans)
          for (const span of scope.spans) batch.push(span.name)
      if (batch.length > limit) {
        response.writeHead(413).end('request body too large')
        return
      }
      names.push(...batch)
      onBatch(batch, seen++)
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`, names }
}

describe('a send loop given up as stalled', () => {
  for (const [stalledAt, once] of [
    [1, ['call 0', 'call 1']],
    [0, ['call 2', 'call 3']],
  ] as const)
    it(`sends again only the part of a split batch it had not delivered, counted once (stalled in part ${stalledAt + 1})`, async () => {
      let tracer: ReturnType<typeof createTracer> | undefined
      let midFlush: Promise<unknown> | undefined
      const sink = await receiver(2, (_batch, seen) => {
        // A half is out: the event loop blocks past the export's bound (300 ms + 2 s), then a
        // flush runs before any timer could.
        if (seen !== stalledAt) return
        block(3000)
        midFlush = tracer?.flush()
      })
      tracer = createTracer({
        serviceName: 'stalled',
        exporters: [otlpExporter({ url: sink.url, protocol: 'http/json' })],
        maxBatchSize: 4,
        exportTimeoutMs: 300,
        metrics: false,
        warnings: () => {},
      })
      for (let i = 0; i < 4; i++) tracer.startSpan(`call ${i}`).end()
      await tracer.flush()
      await midFlush
      await new Promise((resolve) => setTimeout(resolve, 600))
      expect(await tracer.flush()).toEqual({ ok: true, pending: 0 })
      const stats = tracer.stats()
      expect(stats.exported).toBe(4)
      expect(stats.inflight).toBe(0)
      expect(stats.queued).toBe(0)
      // The half sent before or after the stall arrived once; the stalled one may arrive twice (its
      // answer came too late to count).
      expect(sink.names.filter((n) => (once as readonly string[]).includes(n))).toEqual(once)
      expect(new Set(sink.names)).toEqual(new Set(['call 0', 'call 1', 'call 2', 'call 3']))
    }, 20_000)
})

describe('a batch put back by a send loop given up as stalled', () => {
  it('keeps the retries it used: a receiver that stays down fails it within maxRetries', async () => {
    let tracer: ReturnType<typeof createTracer> | undefined
    let midFlush: Promise<unknown> | undefined
    let requests = 0
    const server = createServer((request, response) => {
      request.resume()
      request.on('end', () => {
        // The first retry is out: the event loop blocks past its bound, then a flush runs.
        if (requests++ === 1) {
          block(3000)
          midFlush = tracer?.flush()
        }
        response.writeHead(503).end()
      })
    })
    servers.push(server)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    tracer = createTracer({
      serviceName: 'stalled',
      exporters: [
        otlpExporter({
          url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`,
          protocol: 'http/json',
        }),
      ],
      exportTimeoutMs: 300,
      retry: { maxRetries: 2, initialBackoffMs: 50, maxBackoffMs: 50 },
      metrics: false,
      warnings: () => {},
    })
    for (let i = 0; i < 3; i++) tracer.startSpan(`call ${i}`).end()
    await tracer.flush()
    await midFlush
    await tracer.flush()
    await new Promise((resolve) => setTimeout(resolve, 600))
    const stats = tracer.stats()
    // One try and two retries in all, the stalled one included (it was 2 + 3, from 0 again).
    expect(requests).toBe(3)
    expect(stats.failed).toBe(3)
    expect(stats.exported).toBe(0)
    expect(stats.inflight).toBe(0)
    expect(stats.queued).toBe(0)
  }, 20_000)
})
