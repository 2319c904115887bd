// A receiver that refuses a body as too large (413) costs the batch nothing: it goes again in
// halves until the parts fit, and only a span too large on its own is lost (counted, and said).
// Full 512-span batches of long prompts are the common case under load (a 20 KB chat history makes
// ~13 MB bodies; many receivers stop at 4–16 MB). Real HTTP receivers, OTLP JSON and protobuf.
import { createServer, type Server, type ServerResponse } from 'node:http'
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

// A receiver that answers 413 to a body over `limit` bytes, as the Collector's max_request_body_size.
async function receiver(
  limit: number,
  refuse = (response: ServerResponse) => response.writeHead(413).end('request body too large'),
) {
  const bodies: number[] = []
  const refused: number[] = []
  const names: string[] = []
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const body = Buffer.concat(chunks)
      if (body.length > limit) {
        refused.push(body.length)
        refuse(response)
        return
      }
      bodies.push(body.length)
      if (request.headers['content-type'] === 'application/json')
        for (const resource of JSON.parse(body.toString()).resourceSpans)
          for (const scope of resource.scopeSpans)
            for (const span of scope.spans) names.push(span.name)
      response.writeHead(200, { 'content-type': request.headers['content-type'] }).end()
    })
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`
  return { url, bodies, refused, names }
}

const PROMPT = 'A long chat history line, as a RAG app sends with every call. '.repeat(40) // ~2.5 KB

describe('a batch the receiver refuses as too large (413)', () => {
  for (const protocol of ['http/json', 'http/protobuf'] as const)
    it(`goes again in halves until every part fits, losing nothing (${protocol})`, async () => {
      const sink = await receiver(20_000)
      const warnings: string[] = []
      const tracer = createTracer({
        serviceName: 'split',
        exporters: [otlpExporter({ url: sink.url, protocol })],
        maxBatchSize: 64,
        metrics: false,
        warnings: (message) => warnings.push(message),
      })
      for (let i = 0; i < 64; i++)
        tracer.startSpan(`call ${i}`, { attributes: { 'gen_ai.input.messages': PROMPT } }).end()
      const result = await tracer.flush()
      expect(result).toEqual({ ok: true, pending: 0 })
      const stats = tracer.stats()
      expect(stats.exported).toBe(64)
      expect(stats.failed).toBe(0)
      expect(stats.retried).toBeGreaterThanOrEqual(64)
      // Refused whole, then in parts; every delivered body fits.
      expect(sink.refused[0]).toBeGreaterThan(20_000)
      expect(Math.max(...sink.bodies)).toBeLessThanOrEqual(20_000)
      expect(sink.bodies.length).toBeGreaterThan(1)
      if (protocol === 'http/json')
        expect(sink.names.sort()).toEqual(Array.from({ length: 64 }, (_, i) => `call ${i}`).sort())
      // Said once, with what to change; nothing said lost.
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).toContain('a batch of 64 spans was too large for')
      expect(warnings[0]).toContain('413')
      expect(warnings[0]).toContain('maxBatchSize')
      await tracer.shutdown()
    })

  it('loses only a span too large on its own, counted and said, and delivers the rest', async () => {
    const sink = await receiver(20_000)
    const warnings: string[] = []
    const tracer = createTracer({
      serviceName: 'split',
      exporters: [otlpExporter({ url: sink.url })],
      maxBatchSize: 16,
      metrics: false,
      limits: { maxStringLength: 100_000 },
      warnings: (message) => warnings.push(message),
    })
    for (let i = 0; i < 16; i++)
      tracer
        .startSpan(`call ${i}`, {
          attributes: { 'gen_ai.input.messages': i === 5 ? PROMPT.repeat(12) : PROMPT },
        })
        .end()
    const result = await tracer.flush()
    expect(result.ok).toBe(false)
    expect(result.reason).toContain('1 span not delivered: 413')
    // A smaller batch cannot help a span too large alone: the reason says what can.
    expect(result.reason).toContain("this span alone is over the receiver's body limit")
    expect(result.reason).not.toContain('lower maxBatchSize')
    const stats = tracer.stats()
    expect(stats.exported).toBe(15)
    expect(stats.failed).toBe(1)
    expect(sink.names).toHaveLength(15)
    expect(sink.names).not.toContain('call 5')
    expect(warnings.some((w) => w.includes('a batch of 16 spans was too large'))).toBe(true)
    expect(warnings.some((w) => w.includes('spans not delivered') && w.includes('413'))).toBe(true)
    await tracer.shutdown()
  })

  it('says a span too large alone once, not "reach again" after every batch that lost one', async () => {
    const sink = await receiver(20_000)
    const warnings: string[] = []
    const tracer = createTracer({
      serviceName: 'split',
      exporters: [otlpExporter({ url: sink.url })],
      maxBatchSize: 8,
      metrics: false,
      limits: { maxStringLength: 100_000 },
      warnings: (message) => warnings.push(message),
    })
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 8; i++)
        tracer
          .startSpan(`r${round} ${i}`, {
            attributes: { 'gen_ai.input.messages': i === 3 ? PROMPT.repeat(12) : PROMPT },
          })
          .end()
      await tracer.flush()
    }
    const stats = tracer.stats()
    expect(stats.exported).toBe(28)
    expect(stats.failed).toBe(4)
    expect(warnings).toHaveLength(2)
    expect(warnings.filter((w) => w.includes('again'))).toEqual([])
    await tracer.shutdown()
  })

  it('gives up on a batch after a bounded number of extra requests when every span is too large', async () => {
    const sink = await receiver(2_000)
    const tracer = createTracer({
      serviceName: 'split',
      exporters: [otlpExporter({ url: sink.url })],
      maxBatchSize: 512,
      metrics: false,
      warnings: false,
    })
    for (let i = 0; i < 512; i++)
      tracer.startSpan(`call ${i}`, { attributes: { 'gen_ai.input.messages': PROMPT } }).end()
    const result = await tracer.flush({ timeoutMs: 30_000 })
    expect(result.ok).toBe(false)
    const stats = tracer.stats()
    expect(stats.exported).toBe(0)
    expect(stats.failed).toBe(512)
    // The first request, then at most 64 more.
    expect(sink.refused.length).toBeLessThanOrEqual(65)
    expect(result.reason).toContain('given up after 64 more requests')
    await tracer.shutdown()
  })
})

describe('bodies too large for the OpenTelemetry Collector', () => {
  it("splits on its 400 'http: request body too large' as on a 413", async () => {
    const sink = await receiver(20_000, (response) =>
      response.writeHead(400, { 'content-type': 'text/plain' }).end('http: request body too large'),
    )
    const tracer = createTracer({
      serviceName: 'split',
      exporters: [otlpExporter({ url: sink.url })],
      maxBatchSize: 64,
      metrics: false,
      warnings: false,
    })
    for (let i = 0; i < 64; i++)
      tracer.startSpan(`call ${i}`, { attributes: { 'gen_ai.input.messages': PROMPT } }).end()
    expect(await tracer.flush()).toEqual({ ok: true, pending: 0 })
    expect(tracer.stats().exported).toBe(64)
    expect(sink.refused.length).toBeGreaterThan(0)
    await tracer.shutdown()
  })

  for (const protocol of ['http/json', 'http/protobuf'] as const)
    it(`never sends a body over 16 MB: a full batch of long prompts goes in parts (${protocol})`, async () => {
      const sink = await receiver(Number.POSITIVE_INFINITY)
      const warnings: string[] = []
      const tracer = createTracer({
        serviceName: 'split',
        exporters: [otlpExporter({ url: sink.url, protocol })],
        metrics: false,
        warnings: (message) => warnings.push(message),
      })
      // 512 spans of a 40 KB prompt: about 20 MB in one body.
      const prompt = PROMPT.repeat(16)
      for (let i = 0; i < 512; i++)
        tracer.startSpan(`call ${i}`, { attributes: { 'gen_ai.input.messages': prompt } }).end()
      expect(await tracer.flush({ timeoutMs: 60_000 })).toEqual({ ok: true, pending: 0 })
      expect(tracer.stats().exported).toBe(512)
      expect(tracer.stats().failed).toBe(0)
      expect(sink.bodies.length).toBeGreaterThanOrEqual(2)
      expect(Math.max(...sink.bodies)).toBeLessThanOrEqual(16 * 1024 * 1024)
      // Said as what it is (before: "network error [body_too_large]").
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).toMatch(
        /too large for .*the body is \d+\.\d MB, over the 16 MB a request may carry/,
      )
      expect(warnings[0]).not.toContain('network error')
      await tracer.shutdown()
    })
})

describe('a queue smaller than a batch', () => {
  it('sends when the queue is full, without waiting for the interval', async () => {
    const sink = await receiver(10_000_000)
    const tracer = createTracer({
      serviceName: 'small-queue',
      exporters: [otlpExporter({ url: sink.url })],
      maxQueueSize: 50,
      flushIntervalMs: 60_000,
      metrics: false,
    })
    for (let i = 0; i < 50; i++) tracer.startSpan(`s${i}`).end()
    const started = Date.now()
    while (sink.names.length < 50 && Date.now() - started < 5_000)
      await new Promise((resolve) => setTimeout(resolve, 10))
    expect(sink.names).toHaveLength(50)
    expect(tracer.stats().dropped.queueFull).toBe(0)
    await tracer.shutdown()
  })
})
