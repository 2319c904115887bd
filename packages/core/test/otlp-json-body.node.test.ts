// The OTLP JSON exporter keeps its body buffer between exports. Every body a real server receives
// must be exactly the encoding of its own batch: a large batch, then a small one written over it,
// an answer the server gave before reading, gzip, and two exports at once.
import { createServer, type Server } from 'node:http'
import { type AddressInfo, createServer as createNetServer } from 'node:net'
import { gunzipSync } from 'node:zlib'
import { afterEach, describe, expect, it, onTestFinished } from 'vitest'
import { createTracer, otlpExporter, type SpanData } from '../src/index.js'
import { encodeOtlpTraces } from '../src/otlp.js'
import { closeReceivers, type ReceivedRequest, startReceiver } from './http-receiver.js'

/** A receiver that answers `status(count)`; `bodies` reads each body as text (gunzipped). */
async function startTextReceiver(status: (count: number) => number = () => 200) {
  const { url, requests } = await startReceiver((_request, response, count) => {
    response.statusCode = status(count)
    response.end('{}')
  })
  const text = ({ headers, body }: ReceivedRequest) =>
    (headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body).toString('utf8')
  return {
    url,
    get bodies() {
      return requests.map(text)
    },
  }
}

// Servers a test makes itself (one that answers before reading, a raw socket).
const servers: Server[] = []

afterEach(async () => {
  await closeReceivers()
  for (const server of servers.splice(0)) {
    if ('closeAllConnections' in server) server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

/** Finished spans: `count` of them, each with a text of `size` characters (quotes, non-ASCII). */
async function batch(count: number, size: number, label: string): Promise<SpanData[]> {
  const spans: SpanData[] = []
  const tracer = createTracer({
    serviceName: 'body-test',
    maxQueueSize: 10_000,
    exporters: [
      {
        name: 'keep',
        export: async (batch) => {
          spans.push(...batch)
          return { code: 'success' }
        },
      },
    ],
  })
  const text = `${label} "quoted" café 😀\n`.repeat(Math.ceil(size / 20)).slice(0, size)
  for (let i = 0; i < count; i++)
    tracer.startSpan(`${label} ${i}`, { kind: 'llm', attributes: { text, i } }).end()
  await tracer.flush()
  return spans
}

const signal = () => new AbortController().signal

describe('otlpExporter JSON bodies, one buffer between exports', () => {
  it('sends each batch as its own encoding: large, then small over it, then large again', async () => {
    const receiver = await startTextReceiver()
    const exporter = otlpExporter({ url: receiver.url, protocol: 'http/json' })
    const batches = [
      await batch(200, 4000, 'large'),
      await batch(3, 50, 'small'),
      await batch(1, 10, 'tiny'),
      await batch(120, 6000, 'again'),
    ]
    for (const spans of batches)
      expect(await exporter.export(spans, signal())).toEqual({ code: 'success' })
    expect(receiver.bodies).toEqual(batches.map((spans) => encodeOtlpTraces(spans)))
  })

  it('does not write over a body the server answered with an error', async () => {
    const receiver = await startTextReceiver((count) => (count === 1 ? 400 : 200))
    const exporter = otlpExporter({ url: receiver.url, protocol: 'http/json' })
    const batches = [await batch(100, 3000, 'refused'), await batch(5, 100, 'next')]
    expect((await exporter.export(batches[0]!, signal())).code).toBe('failed')
    expect((await exporter.export(batches[1]!, signal())).code).toBe('success')
    expect(receiver.bodies).toEqual(batches.map((spans) => encodeOtlpTraces(spans)))
  })

  it('gzips on Node with zlib at level 1', async () => {
    const raw: Buffer[] = []
    const server = createServer((request, response) => {
      const chunks: Buffer[] = []
      request.on('data', (chunk) => chunks.push(chunk))
      request.on('end', () => {
        raw.push(Buffer.concat(chunks))
        response.end('{}')
      })
    })
    servers.push(server)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    const exporter = otlpExporter({
      url: `http://127.0.0.1:${port}/v1/traces`,
      protocol: 'http/json',
      compression: 'gzip',
    })
    const spans = await batch(40, 3000, 'level')
    expect((await exporter.export(spans, signal())).code).toBe('success')
    // The gzip header's XFL byte: 4 when the fastest level wrote it (0 for the default level 6).
    expect([raw[0]![0], raw[0]![1], raw[0]![8]]).toEqual([0x1f, 0x8b, 4])
    expect(gunzipSync(raw[0]!).toString('utf8')).toBe(encodeOtlpTraces(spans))
  })

  it('gzips each body from the same buffer', async () => {
    const receiver = await startTextReceiver()
    const exporter = otlpExporter({ url: receiver.url, protocol: 'http/json', compression: 'gzip' })
    const batches = [await batch(50, 2000, 'first'), await batch(2, 30, 'second')]
    for (const spans of batches)
      expect((await exporter.export(spans, signal())).code).toBe('success')
    expect(receiver.bodies).toEqual(batches.map((spans) => encodeOtlpTraces(spans)))
  })

  it('never writes over a body the receiver answered before reading it all', async () => {
    // A receiver that answers as soon as it has the headers and reads the body later (as a proxy
    // might): a large body is still queued on the socket when the answer comes. The next export
    // must not change what that connection goes on to send: it may arrive cut short, never mixed
    // with another batch. A raw socket, so that nothing reads or drops the body before we do.
    const received: string[] = []
    const sockets = new Set<import('node:net').Socket>()
    const server = createNetServer((socket) => {
      sockets.add(socket)
      const chunks: Buffer[] = []
      let size = 0
      let body = -1
      let length = 0
      const keep = () => {
        if (body < 0) return
        received.push(
          Buffer.concat(chunks, size)
            .subarray(body, body + length)
            .toString('latin1'),
        )
        body = -1
      }
      socket.on('data', (chunk) => {
        chunks.push(chunk)
        size += chunk.length
        if (body < 0 && length === 0) {
          const head = Buffer.concat(chunks, size)
          const end = head.indexOf('\r\n\r\n')
          if (end < 0) return
          body = end + 4
          length = Number(/content-length: *(\d+)/i.exec(head.subarray(0, end).toString())![1])
          socket.write(
            'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}',
          )
          socket.pause()
          setTimeout(() => socket.resume(), 400)
        }
        if (body >= 0 && size >= body + length) keep()
      })
      socket.on('close', keep)
      socket.on('error', keep)
    })
    servers.push(server as unknown as Server)
    onTestFinished(() => {
      for (const socket of sockets) socket.destroy()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    const exporter = otlpExporter({
      url: `http://127.0.0.1:${port}/v1/traces`,
      protocol: 'http/json',
    })
    const first = await batch(300, 36_000, 'first')
    const second = await batch(300, 36_000, 'other')
    expect((await exporter.export(first, signal())).code).toBe('success')
    expect((await exporter.export(second, signal())).code).toBe('success')
    await expect.poll(() => received.length, { timeout: 10_000 }).toBe(2)
    const sent = Buffer.from(encodeOtlpTraces(first)).toString('latin1')
    const firstReceived = received.find((text) => text.includes('"first 0"'))!
    expect(firstReceived.length).toBeGreaterThan(0)
    expect(sent.startsWith(firstReceived)).toBe(true)
  }, 30_000)

  it('gives two exports at once two buffers', async () => {
    const receiver = await startTextReceiver()
    const exporter = otlpExporter({ url: receiver.url, protocol: 'http/json' })
    const batches = [await batch(80, 3000, 'one'), await batch(80, 3000, 'two')]
    await exporter.export(await batch(1, 10, 'warm'), signal())
    const results = await Promise.all(batches.map((spans) => exporter.export(spans, signal())))
    expect(results.map((result) => result.code)).toEqual(['success', 'success'])
    expect(receiver.bodies.slice(1).sort()).toEqual(
      batches.map((spans) => encodeOtlpTraces(spans)).sort(),
    )
  })
})
