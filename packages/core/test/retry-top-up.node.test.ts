// A batch of one span (what a flush sent) waiting to retry in an outage held the send loop for its
// whole backoff while the queue filled and dropped; each retry now carries what queued meanwhile.
// Real HTTP receiver that is down for the first answers; spans end while the export backs off.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, expect, it } from 'vitest'
import { createTracer, otlpExporter } from '../src/index.js'

const servers: Server[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

// Answers 503 to the first `downFor` POSTs, then 200. `onDown(n)` runs before the n-th 503 goes.
async function receiver(downFor: number, onDown: (n: number) => void) {
  const names: string[] = []
  let posts = 0
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      if (posts < downFor) {
        onDown(posts++)
        response.writeHead(503).end('down for maintenance')
        return
      }
      posts++
      for (const resource of JSON.parse(Buffer.concat(chunks).toString()).resourceSpans)
        for (const scope of resource.scopeSpans)
          for (const span of scope.spans) names.push(span.name)
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`
  return { url, names, posts: () => posts }
}

it('a retried batch takes what queued while it backed off: a full queue does not drop in an outage', async () => {
  let tracer: ReturnType<typeof createTracer> | undefined
  const end = (prefix: string) => {
    for (let i = 0; i < 10; i++) tracer!.startSpan(`${prefix} ${i}`).end()
  }
  // While the export of one span is down, ten spans end (a full queue) before each 503.
  const sink = await receiver(2, (n) => end(n === 0 ? 'first outage' : 'second outage'))
  tracer = createTracer({
    serviceName: 'top-up',
    exporters: [otlpExporter({ url: sink.url })],
    maxQueueSize: 10,
    flushIntervalMs: 600_000,
    retry: { initialBackoffMs: 300, maxBackoffMs: 300, multiplier: 1, maxRetries: 5 },
    warnings: false,
  })
  tracer.startSpan('alone').end()
  await tracer.flush({ timeoutMs: 30_000 })
  await tracer.flush({ timeoutMs: 30_000 })
  const stats = tracer.stats()
  expect(stats.dropped.queueFull).toBe(0)
  expect(stats.exported).toBe(21)
  expect(sink.names).toHaveLength(21)
  expect(new Set(sink.names).size).toBe(21)
  // The third POST carried all of them.
  expect(sink.posts()).toBe(3)
  await tracer.shutdown()
})

it('spans that joined a retried batch late are not given up with it: they keep their own tries', async () => {
  let tracer: ReturnType<typeof createTracer> | undefined
  // The export of one span is down for its two tries (maxRetries 1); four spans end before the
  // first 503, so the last try carries them. Up again for the next POST.
  const sink = await receiver(2, (n) => {
    if (n === 0) for (let i = 0; i < 4; i++) tracer!.startSpan(`late ${i}`).end()
  })
  tracer = createTracer({
    serviceName: 'top-up-late',
    exporters: [otlpExporter({ url: sink.url })],
    flushIntervalMs: 600_000,
    retry: { initialBackoffMs: 50, maxBackoffMs: 50, multiplier: 1, maxRetries: 1 },
    warnings: false,
  })
  tracer.startSpan('first').end()
  await tracer.flush({ timeoutMs: 30_000 })
  await tracer.flush({ timeoutMs: 30_000 })
  const stats = tracer.stats()
  // 'first' had its two tries and is given up, counted; the four late ones had one, and arrive.
  expect(stats.failed).toBe(1)
  expect(stats.exported).toBe(4)
  expect(sink.names).toEqual(['late 0', 'late 1', 'late 2', 'late 3'])
  await tracer.shutdown()
})

// Spans given back by a batch that gave up are counted once, when their own batch settles: in a
// full outage, a partial one and a shutdown while they wait, exported + failed + dropped adds up
// to the spans started, each span is sent in order, and nothing is left queued or in flight.
it.each([
  ['a full outage', Number.POSITIVE_INFINITY, undefined],
  ['an outage of 3 POSTs', 3, undefined],
  ['an outage of 7 POSTs', 7, undefined],
  ['a shutdown while spans given back wait', Number.POSITIVE_INFINITY, 4],
])(
  'with the top-up and spans given back, every span is counted once: %s',
  async (_, downFor, shutdownAt) => {
    let tracer: ReturnType<typeof createTracer> | undefined
    let shut: Promise<void> | undefined
    let started = 0
    // Five spans end while each of the first twelve POSTs is out; the queue holds four.
    const sink = await receiver(downFor, (n) => {
      if (n === shutdownAt) shut = tracer!.shutdown({ timeoutMs: 100 })
      if (n < 12) for (let i = 0; i < 5; i++) tracer!.startSpan(`span ${started++}`).end()
    })
    tracer = createTracer({
      serviceName: 'top-up-counted',
      exporters: [otlpExporter({ url: sink.url })],
      maxQueueSize: 4,
      maxBatchSize: 64,
      flushIntervalMs: 600_000,
      retry: { initialBackoffMs: 10, maxBackoffMs: 10, multiplier: 1, maxRetries: 2 },
      warnings: false,
      metrics: false,
    })
    tracer.startSpan(`span ${started++}`).end()
    if (shutdownAt === undefined)
      for (let i = 0; i < 8; i++) await tracer.flush({ timeoutMs: 30_000 })
    else {
      void tracer.flush({ timeoutMs: 30_000 })
      while (!shut) await new Promise((resolve) => setTimeout(resolve, 5))
    }
    await (shut ?? tracer.shutdown())
    const s = tracer.stats()
    expect(s.queued + s.inflight).toBe(0)
    expect(s.exported + s.failed + s.rejected + s.dropped.queueFull + s.dropped.shutdown).toBe(
      s.started,
    )
    expect(s.started).toBe(started)
    expect(s.exported).toBe(sink.names.length)
    expect(new Set(sink.names).size).toBe(sink.names.length)
    // Delivered in the order they ended.
    const order = sink.names.map((name) => Number(name.split(' ')[1]))
    expect(order).toEqual([...order].sort((a, b) => a - b))
    if (downFor === Number.POSITIVE_INFINITY) expect(s.exported).toBe(0)
    else expect(s.exported).toBeGreaterThan(0)
  },
)
