// OTLP span links (a consumer's span linked to the producer's, in another trace) as the real
// OpenTelemetry JS SDK sends them, in protobuf through its OTLP exporter and in OTLP/JSON through
// its serializer, to the built `tokentrail dev`: stored, printed by `tokentrail trace` (text and
// --json), kept through /api/spans (what `import` sends) and shown in the viewer as a link to the
// linked trace.
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { INVALID_SPAN_CONTEXT, type SpanContext } from '@opentelemetry/api'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto'
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer'
import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import { chromium } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { startCollector } from '../src/index.js'
import { onCleanup, startBuiltDev as startDev, tempDir } from './helpers.js'
import { CHROMIUM, hasChromium } from './viewer-harness.js'

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url))

async function cli(url: string, ...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [bin, ...args, '--url', url], {
    env: { ...process.env, NO_COLOR: '1' },
  })
  return stdout
}

/** A producer span, and a consumer span in another trace linked to it (with link attributes). */
function producerAndConsumer(provider: BasicTracerProvider, label: string) {
  const tracer = provider.getTracer('queue')
  const producer = tracer.startSpan(`publish ${label}`)
  producer.end()
  const context: SpanContext = producer.spanContext()
  const consumer = tracer.startSpan(`process ${label}`, {
    root: true,
    links: [
      {
        context,
        attributes: { 'messaging.operation.type': 'receive', 'queue.api_key': 'sk-live-1234' },
      },
    ],
  })
  consumer.end()
  return { producer: context, consumer: consumer.spanContext() }
}

describe('span links', () => {
  it('are stored from OTLP protobuf and JSON and printed by tokentrail trace', async () => {
    const url = await startDev()
    const proto = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'worker' }),
      spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${url}/v1/traces` }))],
    })
    const viaProto = producerAndConsumer(proto, 'proto')
    await proto.forceFlush()
    await proto.shutdown()

    const memory = new InMemorySpanExporter()
    const json = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'worker' }),
      spanProcessors: [new SimpleSpanProcessor(memory)],
    })
    const viaJson = producerAndConsumer(json, 'json')
    const body = JsonTraceSerializer.serializeRequest(memory.getFinishedSpans())!
    const answer = await fetch(`${url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new Uint8Array(body),
    })
    expect(answer.status, await answer.text()).toBe(200)

    for (const { producer, consumer } of [viaProto, viaJson]) {
      const detail = JSON.parse(await cli(url, 'trace', consumer.traceId, '--json'))
      expect(detail.spans[0].links).toEqual([
        {
          traceId: producer.traceId,
          spanId: producer.spanId,
          // Redacted on the way in, as a span's own attributes are.
          attributes: { 'messaging.operation.type': 'receive', 'queue.api_key': '[REDACTED]' },
        },
      ])
      expect(await cli(url, 'trace', consumer.traceId.slice(0, 8))).toContain(
        `link ${producer.traceId}/${producer.spanId}`,
      )
    }

    // A malformed link is refused whole, named like any other field.
    const now = `${Date.now()}000000`
    const bad = await fetch(`${url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        resourceSpans: [
          {
            scopeSpans: [
              {
                spans: [
                  {
                    traceId: 'a'.repeat(32),
                    spanId: 'b'.repeat(16),
                    name: 'bad link',
                    startTimeUnixNano: now,
                    endTimeUnixNano: now,
                    links: [{ traceId: 'xyz', spanId: 'c'.repeat(16) }],
                  },
                ],
              },
            ],
          },
        ],
      }),
    })
    expect(bad.status).toBe(400)
    expect((await bad.json()).message).toMatch(
      /^resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.links\[0\]\.traceId: expected 32 hex characters/,
    )

    // What `tokentrail import` sends: the stored span again, links and all.
    const stored = await (await fetch(`${url}/api/traces/${viaJson.consumer.traceId}`)).json()
    const other = await startCollector({ port: 0, db: join(tempDir(), 'other.db') })
    onCleanup(() => other.close())
    const imported = await fetch(`${other.url}/api/spans`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ spans: stored.spans }),
    })
    expect(imported.status, await imported.text()).toBe(200)
    expect(other.store.getTrace(viaJson.consumer.traceId)!.spans[0]).toMatchObject({
      links: stored.spans[0].links,
    })
  })

  it('to an invalid context (all-zero ids, which OTLP allows) keep the batch and the link', async () => {
    const url = await startDev()
    const provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${url}/v1/traces` }))],
    })
    const span = provider.getTracer('batch').startSpan('nightly batch', {
      links: [{ context: INVALID_SPAN_CONTEXT, attributes: { 'batch.source': 'cron' } }],
    })
    span.end()
    await provider.forceFlush()
    await provider.shutdown()
    const { traceId } = span.spanContext()
    const detail = JSON.parse(await cli(url, 'trace', traceId, '--json'))
    expect(detail.spans[0].links).toEqual([{ attributes: { 'batch.source': 'cron' } }])
    expect(await cli(url, 'trace', traceId)).toContain('link (no span context)')
  })

  it.skipIf(!hasChromium)('are shown in the viewer as links to the linked trace', async () => {
    const url = await startDev()
    const provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${url}/v1/traces` }))],
    })
    const { producer, consumer } = producerAndConsumer(provider, 'order')
    await provider.forceFlush()
    await provider.shutdown()

    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
    })
    onCleanup(() => browser.close())
    const page = await browser.newPage()
    const problems: string[] = []
    page.on('pageerror', (error) => problems.push(error.message))
    await page.goto(`${url}/#/trace/${consumer.traceId}`)
    await page.locator('.wf-row', { hasText: 'process order' }).click()
    const link = page.locator('#span-links a')
    await link.waitFor()
    expect(await link.textContent()).toBe(`trace ${producer.traceId} · span ${producer.spanId}`)
    expect(await page.locator('#span-links pre').textContent()).toContain('"receive"')
    await link.click()
    await page.locator('.wf-row', { hasText: 'publish order' }).waitFor()
    expect(page.url()).toContain(`#/trace/${producer.traceId}`)
    expect(problems).toEqual([])
  })
})
