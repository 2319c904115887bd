// What teams hit running `tokentrail dev` beside real exporters: roots written with an all-zero
// parent id, exporters that give up mid-upload, a damaged database file.
import { copyFileSync, openSync, writeSync, closeSync, statSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import { describe, expect, it } from 'vitest'
import { type Collector, type CollectorOptions, openTraceStore, startCollector } from '../src/index.js'
import { onCleanup, tempDir } from './helpers.js'
import { hexId, llmTrace, postSpans } from './synthetic.js'

async function collector(options: CollectorOptions = {}): Promise<Collector> {
  const c = await startCollector({ port: 0, db: join(tempDir(), 'traces.db'), ...options })
  onCleanup(() => c.close())
  return c
}

const ZERO_PARENT = '0000000000000000'

describe('roots whose exporter writes the all-zero parent id', () => {
  it('stores them as roots, over OTLP/JSON and OTLP/protobuf, instead of refusing the batch', async () => {
    const c = await collector()
    const nanos = `${Date.now()}000000`
    const traceId = hexId(32)
    const rootId = hexId(16)
    const json = {
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'java-app' } }] },
          scopeSpans: [
            {
              spans: [
                {
                  traceId,
                  spanId: rootId,
                  parentSpanId: ZERO_PARENT,
                  name: 'GET /orders',
                  kind: 2,
                  startTimeUnixNano: nanos,
                  endTimeUnixNano: nanos,
                },
                {
                  traceId,
                  spanId: hexId(16),
                  parentSpanId: rootId,
                  name: 'SELECT orders',
                  kind: 3,
                  startTimeUnixNano: nanos,
                  endTimeUnixNano: nanos,
                },
              ],
            },
          ],
        },
      ],
    }
    const answer = await fetch(`${c.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(json),
    })
    expect(answer.status, await answer.clone().text()).toBe(200)
    const stored = c.store.getTrace(traceId)!
    expect(stored.trace).toMatchObject({ rootName: 'GET /orders', spanCount: 2 })
    expect(stored.spans.find((s) => s.spanId === rootId)!.parentSpanId).toBeUndefined()

    // The same from an OpenTelemetry SDK span whose parent context holds the invalid span id, in
    // protobuf: 8 zero bytes.
    const memory = new InMemorySpanExporter()
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] })
    provider.getTracer('t').startSpan('protobuf root').end()
    const [finished] = memory.getFinishedSpans()
    const withZeroParent: ReadableSpan = Object.assign(Object.create(finished!), {
      parentSpanContext: { traceId: finished!.spanContext().traceId, spanId: ZERO_PARENT, traceFlags: 1 },
    })
    const body = ProtobufTraceSerializer.serializeRequest([withZeroParent])!
    // The body really carries the zero parent: 8 zero bytes after the field's tag and length.
    expect(Buffer.from(body).includes(Buffer.from([0x22, 8, 0, 0, 0, 0, 0, 0, 0, 0]))).toBe(true)
    const proto = await fetch(`${c.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body,
    })
    expect(proto.status).toBe(200)
    const fromProto = c.store.getTrace(finished!.spanContext().traceId)!
    expect(fromProto.trace.rootName).toBe('protobuf root')
    expect(fromProto.spans[0]!.parentSpanId).toBeUndefined()
  })

  it('still refuses an all-zero trace or span id', async () => {
    const c = await collector()
    const nanos = `${Date.now()}000000`
    for (const [field, span] of [
      ['traceId', { traceId: '0'.repeat(32), spanId: hexId(16) }],
      ['spanId', { traceId: hexId(32), spanId: ZERO_PARENT }],
    ] as const) {
      const answer = await fetch(`${c.url}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          resourceSpans: [
            {
              scopeSpans: [
                { spans: [{ ...span, name: 'x', startTimeUnixNano: nanos, endTimeUnixNano: nanos }] },
              ],
            },
          ],
        }),
      })
      expect(answer.status).toBe(400)
      expect((await answer.json()).message).toMatch(new RegExp(`${field}: an all-zero id is invalid`))
    }
  })
})

describe('an exporter that goes away mid-upload', () => {
  it('is counted, not reported as an internal error, and the collector keeps serving', async () => {
    const logs: string[] = []
    const c = await collector({ log: (line) => logs.push(line) })
    for (const type of ['application/json', 'application/x-protobuf']) {
      // Headers and part of a 100 KB body, then the socket closes: an exporter's timeout firing,
      // or the app stopped with Ctrl-C while it flushed.
      await new Promise<void>((resolve, reject) => {
        const socket = connect(c.port, '127.0.0.1', () => {
          socket.write(
            `POST /v1/traces HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: ${type}\r\ncontent-length: 100000\r\n\r\n{"resourceSpans":[`,
            () => setTimeout(() => socket.destroy(), 50),
          )
        })
        socket.on('close', () => resolve())
        socket.on('error', reject)
      })
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(logs).toEqual([])
    expect(c.stats().rejected).toEqual({ 499: 2 })
    expect(await postSpans(c.url, llmTrace(Date.now()))).toBe(200)
    expect(c.store.counts.spans).toBe(2)
  })
})
