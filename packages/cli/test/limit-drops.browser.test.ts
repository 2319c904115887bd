// The viewer says, where a span's attributes and events are shown, how many its SDK dropped at
// its limits (OTLP droppedAttributesCount / droppedEventsCount), in headless Chromium.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { SpanData } from '@tokentrail/core'
import { encodeOtlpTracesProtobuf } from '@tokentrail/core/otlp'
import { type Browser, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Collector, startCollector } from '../src/index.js'
import { tempDir } from './helpers.js'

const CHROMIUM = '/usr/bin/chromium'

describe.skipIf(!existsSync(CHROMIUM))('viewer: counts dropped at span limits', () => {
  let collector: Collector
  let browser: Browser

  beforeAll(async () => {
    collector = await startCollector({ port: 0, db: join(tempDir(), 'traces.db') })
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
    })
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await collector?.close()
  })

  it('shows them beside the attributes and the events, and nothing for a span without', async () => {
    const resource = { serviceName: 'limits', attributes: {} }
    const base = {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      kind: 'internal' as const,
      status: 'ok' as const,
      resource,
    }
    const spans: SpanData[] = [
      {
        ...base,
        spanId: '00f067aa0ba902b7',
        name: 'answer',
        startTime: 1_700_000_000_000,
        endTime: 1_700_000_000_100,
        attributes: { a: 1, b: 2 },
        droppedAttributesCount: 1234,
        events: [
          {
            name: 'rows',
            time: 1_700_000_000_010,
            attributes: { n: 1 },
            droppedAttributesCount: 2,
          },
        ],
        droppedEventsCount: 1,
      },
      {
        ...base,
        spanId: '00f067aa0ba902b8',
        parentSpanId: '00f067aa0ba902b7',
        name: 'child',
        startTime: 1_700_000_000_020,
        endTime: 1_700_000_000_030,
        attributes: { a: 1 },
        events: [],
      },
    ]
    const response = await fetch(`${collector.url}/v1/traces`, {
      method: 'POST',
      body: Buffer.from(encodeOtlpTracesProtobuf(spans)),
      headers: { 'content-type': 'application/x-protobuf' },
    })
    expect(response.status).toBe(200)
    const page = await browser.newPage()
    const problems: string[] = []
    page.on('pageerror', (error) => problems.push(error.message))
    await page.goto(`${collector.url}/#/trace/${base.traceId}`)
    await page.locator('.wf-row', { hasText: 'answer' }).click()
    await page.waitForSelector('#attributes-dropped')
    expect(await page.locator('#attributes-dropped').innerText()).toMatch(
      /^1,234 attributes dropped \(limit\)/,
    )
    expect(await page.locator('#events-dropped').innerText()).toMatch(/^1 event dropped \(limit\)/)
    expect(await page.locator('#span-panel .msg .dropped').innerText()).toMatch(
      /^2 attributes dropped \(limit\): the event reached/,
    )
    await page.locator('.wf-row', { hasText: 'child' }).click()
    await expect.poll(() => page.locator('#span-title').innerText()).toMatch(/child/)
    expect(await page.locator('#span-panel .dropped').count()).toBe(0)
    expect(problems).toEqual([])
    await page.close()
  })
})
