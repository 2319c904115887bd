// Once its code has loaded, otlpExporter (http/json) queues each ended span as its encoded bytes
// (exporters/otlp-queued.ts), so the span and its strings are not kept alive in the JS heap until
// the batch goes. The bodies a real receiver gets must be the very bytes the SpanData would have
// been encoded to at export: spans of every shape, parent and child, events, errors, cancelled,
// limits hit, non-ASCII, and a backend mapper that adds attributes (langfuse).
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { createSpanMapper } from '../src/exporters/backend-profiles.js'
import { QueuedSpan } from '../src/exporters/otlp-queued.js'
import { createTracer, otlpExporter, type SpanData } from '../src/index.js'
import { encodeOtlpTraces } from '../src/otlp.js'

const servers: Server[] = []

async function startReceiver() {
  const bodies: string[] = []
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk) => chunks.push(chunk))
    request.on('end', () => {
      bodies.push(Buffer.concat(chunks).toString('utf8'))
      response.statusCode = 200
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
    if ('closeAllConnections' in server) server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

/** A tracer sending to `url` (JSON, `profile`) and to an exporter that keeps every batch it got. */
function tracerPair(url: string, profile: 'otel' | 'langfuse') {
  const batches: SpanData[][] = []
  const tracer = createTracer({
    serviceName: 'queued-test',
    resource: { 'deployment.environment': 'café' },
    maxBatchSize: 7,
    limits: { maxAttributes: 6 },
    exporters: [
      otlpExporter({ url, protocol: 'http/json', profile }),
      {
        name: 'keep',
        export: async (batch) => {
          batches.push([...batch])
          return { code: 'success' }
        },
      },
    ],
  })
  return { tracer, batches }
}

function endSpans(tracer: ReturnType<typeof createTracer>, round: number, count = 10) {
  const prompt = JSON.stringify([
    { role: 'user', content: `"hi" ${round} été 😀\n\t`.repeat(1500) },
  ])
  for (let i = 0; i < count; i++) {
    const root = tracer.startSpan(`request ${round}.${i}`, { kind: 'http' })
    const llm = tracer.startSpan(`chat model-${i}`, {
      kind: 'llm',
      parent: root,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.input.messages': prompt,
        'gen_ai.output.messages': `[{"role":"assistant","content":"ok ${i}"}]`,
        'gen_ai.usage.input_tokens': 1000 + i,
        'tokentrail.cost.usd': 0.000123 * (i + 1),
        flags: [true, false],
      },
    })
    if (i % 3 === 0) llm.addEvent('retry', { attempt: i, reason: 'rate "limited"' })
    if (i % 4 === 1) llm.recordError(new Error(`boom ${i} — "quoted"`))
    if (i % 5 === 2) for (let k = 0; k < 9; k++) llm.setAttribute(`extra.${k}`, k)
    llm.end(i % 4 === 3 ? { status: 'cancelled' } : undefined)
    root.end()
  }
}

describe('otlpExporter JSON: spans queued as their encoded bytes', () => {
  for (const profile of ['otel', 'langfuse'] as const)
    it(`sends the same bytes as encoding the spans at export (${profile})`, async () => {
      const receiver = await startReceiver()
      const { tracer, batches } = tracerPair(receiver.url, profile)
      // The first export loads the encoder; spans ended after it queue encoded.
      tracer.startSpan('first').end()
      await tracer.flush()
      endSpans(tracer, 1)
      const otlp = (tracer as unknown as { processors: { queue: unknown[] }[] }).processors[0]!
      expect(otlp.queue.length).toBeGreaterThan(0)
      expect(otlp.queue.every((item) => item instanceof QueuedSpan)).toBe(true)
      await tracer.flush()
      endSpans(tracer, 2)
      // Spans that queue while batches are out: their bytes go where released ones were.
      for (let round = 3; round < 40; round++) {
        endSpans(tracer, round, 2)
        await new Promise((resolve) => setTimeout(resolve, 1))
      }
      await tracer.shutdown()
      expect(receiver.bodies.length).toBe(batches.length)
      expect(receiver.bodies.length).toBeGreaterThan(5)
      const mapper = createSpanMapper(profile)
      expect(receiver.bodies).toEqual(batches.map((spans) => encodeOtlpTraces(spans, mapper)))
    })

  it('gives a span over 512 KB a chunk of its own, which later spans are never written into', async () => {
    const receiver = await startReceiver()
    const batches: SpanData[][] = []
    const tracer = createTracer({
      serviceName: 'queued-test',
      limits: { maxStringLength: 1_000_000 },
      exporters: [
        otlpExporter({ url: receiver.url, protocol: 'http/json' }),
        { name: 'keep', export: async (batch) => (batches.push([...batch]), { code: 'success' }) },
      ],
    })
    tracer.startSpan('first').end()
    await tracer.flush()
    const otlp = (tracer as unknown as { processors: { queue: unknown[] }[] }).processors[0]!
    const chunkOf = (item: unknown) => (item as { chunk: unknown }).chunk
    const huge = 'a long document, as a RAG app pastes it whole. '.repeat(15_000) // ~700 KB
    const hugeChunks = new Set<unknown>()
    for (let round = 0; round < 3; round++) {
      tracer.startSpan(`huge ${round}`, { attributes: { 'gen_ai.input.messages': huge } }).end()
      hugeChunks.add(chunkOf(otlp.queue.at(-1)))
      // Sent and released: the next spans, small, must not be written into the huge one's chunk.
      await tracer.flush()
      for (let i = 0; i < 3; i++) {
        tracer.startSpan(`small ${round}.${i}`).end()
        expect(hugeChunks.has(chunkOf(otlp.queue.at(-1)))).toBe(false)
      }
    }
    await tracer.shutdown()
    expect(receiver.bodies).toEqual(
      batches.map((spans) => encodeOtlpTraces(spans, createSpanMapper('otel'))),
    )
  })

  it('hands SpanData to an exporter built on it (spread, or its prototype) with its own export()', async () => {
    const receiver = await startReceiver()
    const inner = otlpExporter({ url: receiver.url, protocol: 'http/json' })
    const names: unknown[] = []
    const own = async (spans: readonly SpanData[], signal: AbortSignal) => {
      for (const span of spans) names.push(span.name)
      return inner.export(spans, signal)
    }
    const tracer = createTracer({
      serviceName: 'queued-test',
      exporters: [
        { ...inner, name: 'spread', export: own },
        Object.create(inner, { name: { value: 'derived' }, export: { value: own } }),
      ],
    })
    tracer.startSpan('first').end()
    await tracer.flush()
    tracer.startSpan('second').end()
    await tracer.shutdown()
    expect(names).toEqual(['first', 'first', 'second', 'second'])
  })

  it('hands SpanData to an export() replaced on the exporter itself, or read through a Proxy', async () => {
    const receiver = await startReceiver()
    const names: unknown[] = []
    // A wrapper that logs or filters by name: set on the object, or through a Proxy.
    const patched = otlpExporter({ url: receiver.url, protocol: 'http/json' })
    const original = patched.export.bind(patched)
    patched.export = (spans, signal) => {
      for (const span of spans) names.push(`patched ${span.name}`)
      return original(spans, signal)
    }
    const target = otlpExporter({ url: receiver.url, protocol: 'http/json' })
    const proxied = new Proxy(target, {
      get(inner, key, receiverObject) {
        if (key === 'name') return 'proxied'
        if (key !== 'export') return Reflect.get(inner, key, receiverObject)
        return (spans: readonly SpanData[], signal: AbortSignal) => {
          for (const span of spans) names.push(`proxied ${span.name}`)
          return inner.export(spans, signal)
        }
      },
    })
    const tracer = createTracer({ serviceName: 'queued-test', exporters: [patched, proxied] })
    tracer.startSpan('first').end()
    await tracer.flush()
    tracer.startSpan('second').end()
    await tracer.shutdown()
    expect(names.sort()).toEqual([
      'patched first',
      'patched second',
      'proxied first',
      'proxied second',
    ])
    expect(receiver.bodies.join('')).toContain('"second"')
  })
})
