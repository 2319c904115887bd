import { join } from 'node:path'
import {
  createTracer,
  type MetricsSnapshot,
  type OtlpCompression,
  type OtlpProtocol,
  otlpExporter,
  otlpMetricsExporter,
} from '@tokentrail/core'
import { describe, expect, it } from 'vitest'
import { type Collector, startCollector } from '../src/index.js'
import { chatTrace, onCleanup, tempDir } from './helpers.js'

async function collector(): Promise<Collector> {
  const c = await startCollector({ port: 0, db: join(tempDir(), 'traces.db') })
  onCleanup(() => c.close())
  return c
}

const ENCODINGS: [OtlpProtocol, OtlpCompression][] = [
  ['http/json', 'none'],
  ['http/json', 'gzip'],
  ['http/protobuf', 'none'],
  ['http/protobuf', 'gzip'],
]

describe('tokentrail dev shows the same trace whichever encoding arrived', () => {
  it('JSON and protobuf, plain and gzip, from core’s otlpExporter over real HTTP', async () => {
    const spans = await chatTrace({ fail: true })
    const traceId = spans[0]!.traceId
    const shown: unknown[] = []
    for (const [protocol, compression] of ENCODINGS) {
      const c = await collector()
      const exporter = otlpExporter({ url: `${c.url}/v1/traces`, protocol, compression })
      const result = await exporter.export(spans, new AbortController().signal)
      expect(result, `${protocol} ${compression}`).toEqual({ code: 'success' })
      // What the viewer and `tokentrail show` read: the trace detail over the collector's API.
      const response = await fetch(`${c.url}/api/traces/${traceId}`)
      expect(response.status).toBe(200)
      shown.push(await response.json())
    }
    const [first, ...rest] = shown
    for (const other of rest) expect(other).toEqual(first)
    const detail = first as { spans: { name: string; attributes: Record<string, unknown> }[] }
    expect(detail.spans).toHaveLength(spans.length)
    const llm = detail.spans.find((s) => s.name.startsWith('chat '))!
    expect(llm.attributes).toMatchObject({
      'gen_ai.usage.input_tokens': 21,
      'tokentrail.cost.usd': 0.000123,
    })
  })

  it('stores text as sent in every encoding: non-ASCII, emoji, long text and a leading U+FEFF', async () => {
    const made = await chatTrace()
    const texts = {
      'app.note': '\ufeffa note that starts with a byte order mark',
      'app.city': 'Tōkyō 東京: 21°C 👍',
      'app.mark': '\ufeff',
      // Long strings, which the collector reads apart on Node before 24.13.1.
      'app.story': '東京の天気を教えてください。明日は雨が降りますか？'.repeat(30),
      'app.minutes': 'Résumé de la réunion au café : coordination naïve. '.repeat(20),
    }
    const spans = [
      { ...made[0]!, name: 'chat ünïcødé', attributes: { ...made[0]!.attributes, ...texts } },
      ...made.slice(1),
    ]
    for (const [protocol, compression] of ENCODINGS) {
      const c = await collector()
      const exporter = otlpExporter({ url: `${c.url}/v1/traces`, protocol, compression })
      expect(await exporter.export(spans, new AbortController().signal)).toEqual({
        code: 'success',
      })
      const detail = (await (await fetch(`${c.url}/api/traces/${spans[0]!.traceId}`)).json()) as {
        spans: { spanId: string; name: string; attributes: Record<string, unknown> }[]
      }
      const stored = detail.spans.find((s) => s.spanId === spans[0]!.spanId)!
      expect(stored.name, `${protocol} ${compression}`).toBe('chat ünïcødé')
      expect(stored.attributes, `${protocol} ${compression}`).toMatchObject(texts)
    }
  })

  it('metrics: the same series from JSON and gzip protobuf', async () => {
    let snapshot: MetricsSnapshot | undefined
    const tracer = createTracer({
      serviceName: 'chat-api',
      exporters: [],
      metrics: {
        exporters: [
          {
            name: 'capture',
            async export(s) {
              snapshot = s
              return { code: 'success' }
            },
          },
        ],
        exportIntervalMs: 3_600_000,
      },
    })
    tracer
      .startSpan('chat gpt-4o', {
        kind: 'llm',
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': 'gpt-4o',
          'gen_ai.usage.input_tokens': 10,
          'gen_ai.usage.output_tokens': 4,
        },
      })
      .end()
    await tracer.shutdown()
    expect(snapshot).toBeDefined()
    const shown: unknown[] = []
    for (const [protocol, compression] of [ENCODINGS[0]!, ENCODINGS[3]!]) {
      const c = await collector()
      const exporter = otlpMetricsExporter({ url: `${c.url}/v1/metrics`, protocol, compression })
      expect(await exporter.export(snapshot!, new AbortController().signal)).toEqual({
        code: 'success',
      })
      const response = await fetch(`${c.url}/api/metrics`)
      expect(response.status).toBe(200)
      shown.push(await response.json())
    }
    expect(shown[1]).toEqual(shown[0])
    expect(JSON.stringify(shown[0])).toContain('gen_ai.client.token.usage')
  })
})
