// Once its code has loaded, the OTLP JSON exporter's spans are written for the wire as they are
// queued, into chunks reused after each batch. What a real server receives must still be exactly
// the encoding of the spans that ended: across many batches that reuse the chunks, after a retry,
// and a wrapper with its own `export` must still be handed plain spans.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { EncodedSpan } from '../src/exporters/otlp-json.js'
import { createTracer, otlpExporter, type SpanData, type SpanExporter } from '../src/index.js'
import { encodeOtlpTraces } from '../src/otlp.js'

const servers: Server[] = []

/** A receiver that keeps each body as text and answers `status(count)`. */
async function startReceiver(status: (count: number) => number = () => 200) {
  const bodies: string[] = []
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk) => chunks.push(chunk))
    request.on('end', () => {
      bodies.push(Buffer.concat(chunks).toString('utf8'))
      response.statusCode = status(bodies.length)
      response.end('{}')
    })
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}/v1/traces`, bodies }
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

/** An exporter that keeps every span it is given, to encode them the direct way afterwards. */
function keeper() {
  const spans: SpanData[] = []
  const exporter: SpanExporter = {
    name: 'keep',
    export: async (batch) => {
      spans.push(...batch)
      return { code: 'success' }
    },
  }
  return { spans, exporter }
}

/** A text of `size` characters, different for each `label`: quotes, newlines, non-ASCII, emoji. */
const text = (label: string, size: number) =>
  `${label} "quoted" café 😀\n`.repeat(Math.ceil(size / 20)).slice(0, size)

const spansOf = (body: string): unknown[] =>
  JSON.parse(body).resourceSpans.flatMap((group: any) =>
    group.scopeSpans.flatMap((scope: any) => scope.spans),
  )

// The queue of the tracer's first processor (the OTLP exporter's), to see what it holds.
const queueOf = (tracer: object): unknown[] => (tracer as any).processors[0].queue

describe('otlpExporter: spans written for the wire as they are queued', () => {
  it('sends exactly the encoding of the ended spans, batch after batch over reused chunks', async () => {
    const receiver = await startReceiver()
    const kept = keeper()
    const tracer = createTracer({
      serviceName: 'queued-encoding',
      maxBatchSize: 25,
      maxQueueSize: 10_000,
      exporters: [otlpExporter({ url: receiver.url, protocol: 'http/json' }), kept.exporter],
    })
    // The first export loads the exporter's code; spans after it are written as they queue.
    tracer.startSpan('warm-up').end()
    await tracer.flush()
    let encoded = 0
    // Bursts of spans while earlier batches are still being sent: the queue holds spans of several
    // batches written in the same chunks, and chunks go back for reuse while others are queued.
    for (let round = 0; round < 16; round++) {
      for (let i = 0; i < 40; i++) {
        // 16 × 40 spans of 2–30 KB: many 256 KB chunks, each reused once its spans are sent.
        const size = 2000 + ((round * 40 + i) % 15) * 2000
        const span = tracer.startSpan(`span ${round}.${i}`, {
          kind: i % 2 ? 'llm' : 'internal',
          attributes: { 'gen_ai.input.messages': text(`${round}.${i}`, size), i },
        })
        if (i % 7 === 0) span.addEvent('chunk', { at: i })
        if (i % 5 === 0) span.recordError(new Error(`failed ${i}`))
        span.end()
      }
      await Promise.resolve()
      encoded += queueOf(tracer).filter((item) => item instanceof EncodedSpan).length
      await new Promise((resolve) => setTimeout(resolve, round % 4))
    }
    await tracer.flush()
    expect(encoded).toBeGreaterThan(100)
    const received = receiver.bodies.flatMap(spansOf)
    expect(received).toHaveLength(1 + 16 * 40)
    expect(received).toEqual(spansOf(encodeOtlpTraces(kept.spans)))
    expect(tracer.stats().exported).toBe(2 * (1 + 16 * 40))
  })

  it('resends the same body on a retry, and later batches stay whole', async () => {
    const receiver = await startReceiver((count) => (count === 2 ? 503 : 200))
    const kept = keeper()
    const tracer = createTracer({
      serviceName: 'queued-encoding',
      maxBatchSize: 30,
      retry: { maxRetries: 2, initialBackoffMs: 5, maxBackoffMs: 10 },
      exporters: [otlpExporter({ url: receiver.url, protocol: 'http/json' }), kept.exporter],
    })
    tracer.startSpan('warm-up').end()
    await tracer.flush()
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 30; i++)
        tracer
          .startSpan(`retry ${round}.${i}`, {
            attributes: { text: text(`r${round}.${i}`, 12_000) },
          })
          .end()
      await tracer.flush()
    }
    // warm-up, the refused body, its retry, then two more batches.
    expect(receiver.bodies).toHaveLength(5)
    expect(receiver.bodies[2]).toBe(receiver.bodies[1])
    const delivered = [receiver.bodies[0]!, ...receiver.bodies.slice(2)].flatMap(spansOf)
    expect(delivered).toEqual(spansOf(encodeOtlpTraces(kept.spans)))
    expect(tracer.stats()).toMatchObject({ exported: 2 * 91, retried: 30, failed: 0 })
  })

  it('hands plain spans to a wrapper that brings its own export', async () => {
    const receiver = await startReceiver()
    const inner = otlpExporter({ url: receiver.url, protocol: 'http/json' })
    const seen: unknown[] = []
    const wrapper: SpanExporter = {
      ...inner,
      export: (spans, signal) => {
        seen.push(...spans)
        return inner.export(spans, signal)
      },
    }
    const tracer = createTracer({ serviceName: 'wrapped', exporters: [wrapper] })
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 5; i++) tracer.startSpan(`wrapped ${i}`, { attributes: { i } }).end()
      await tracer.flush()
    }
    expect(seen).toHaveLength(10)
    for (const span of seen) expect((span as SpanData).attributes).toBeDefined()
    expect(receiver.bodies.flatMap(spansOf)).toHaveLength(10)
  })
})
