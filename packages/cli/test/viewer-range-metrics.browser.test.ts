// Issues 15 and 17 in real Chromium: the list's from – to range (and the stats page showing the
// same range), the GenAI metric charts over time, and a trace of more spans than one answer holds.
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createTracer, otlpMetricsExporter } from '@tokentrail/core'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Collector, startCollector } from '../src/index.js'
import { tempDir } from './helpers.js'
import { CALLS, recordCalls } from './metrics-helpers.js'
import { hexId, llmTrace, postSpans, span } from './synthetic.js'

const CHROMIUM = '/usr/bin/chromium'
const hasChromium = existsSync(CHROMIUM)
const ARTIFACTS = fileURLToPath(new URL('../test-artifacts/', import.meta.url))
const HOUR = 3_600_000

/** `YYYY-MM-DDTHH:mm` in UTC, as a `datetime-local` input takes it (the page runs in UTC). */
const local = (ms: number) => new Date(ms).toISOString().slice(0, 16)

/** How many pixels of the first series colour (#58a6ff) a chart's canvas has. */
function litPixels(page: Page, selector: string): Promise<number> {
  return page.locator(selector).evaluate((canvas) => {
    const c = canvas as HTMLCanvasElement
    const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data
    let lit = 0
    for (let i = 0; i < data.length; i += 4)
      if (data[i]! < 130 && data[i + 1]! > 140 && data[i + 2]! > 220) lit++
    return lit
  })
}

describe.skipIf(!hasChromium)('viewer: time range, metric charts, large traces', () => {
  let collector: Collector
  let browser: Browser
  let page: Page
  const problems: string[] = []
  const shot = (name: string) =>
    page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true })

  beforeAll(async () => {
    collector = await startCollector({ port: 0, db: join(tempDir(), 'traces.db') })
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
    })
    page = await browser.newPage({ viewport: { width: 1400, height: 900 }, timezoneId: 'UTC' })
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`))
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`)
    })
    mkdirSync(ARTIFACTS, { recursive: true })
  }, 60_000)

  afterAll(async () => {
    expect(problems).toEqual([])
    await browser?.close()
    await collector?.close()
  })

  it('charts the GenAI metrics over time on the stats page, where no trace was stored', async () => {
    // Metrics only: the tracer exports no spans, so any chart drawn comes from /v1/metrics.
    const tracer = createTracer({
      serviceName: 'metrics-only',
      exporters: [],
      metrics: { exporters: [otlpMetricsExporter({ url: `${collector.url}/v1/metrics` })] },
    })
    for (let round = 0; round < 2; round++) {
      recordCalls(tracer, CALLS)
      await tracer.flush()
    }
    await page.goto(`${collector.url}/#/stats`)
    await page.waitForSelector('#metric-chart-latency canvas')
    for (const id of ['latency', 'ttft', 'tokens', 'cost', 'errors'])
      expect(await page.locator(`#metric-chart-${id} canvas`).count()).toBe(1)
    // The trace charts have nothing: the data above is the metrics'.
    expect(await page.locator('#charts-empty').innerText()).toBe('No LLM calls in this period.')
    const legend = await page.locator('#metric-chart-latency .u-legend').innerText()
    expect(legend).toContain('gpt-4o p50')
    expect(legend).toContain('gpt-4o p95')
    expect(legend).toContain('mini p50')
    // gpt-4o (the busiest, first colour) is drawn on the token and latency charts, not only the grid.
    expect(await litPixels(page, '#metric-chart-tokens canvas')).toBeGreaterThan(4)
    expect(await litPixels(page, '#metric-chart-latency canvas')).toBeGreaterThan(4)
    await shot('stats-metric-charts')
    await page.selectOption('#charts-by', 'service')
    await expect
      .poll(() => page.locator('#metric-chart-latency .u-legend').innerText())
      .toContain('metrics-only p50')
  }, 60_000)

  // Three calls a minute or two apart fall in three buckets with empty ones between: uPlot hid the points
  // (many buckets for the width) and drew no line through lone values, so every chart looked blank.
  it('draws sparse data: lone buckets between empty ones show as points', async () => {
    const sparse = await startCollector({ port: 0, db: join(tempDir(), 'traces.db') })
    try {
      const now = Date.now()
      for (const seconds of [200, 110, 30])
        expect(await postSpans(sparse.url, llmTrace(now - seconds * 1000, 'gpt-4o'))).toBe(200)
      await page.goto(`${sparse.url}/#/stats`)
      await page.waitForSelector('#chart-latency canvas')
      for (const id of ['latency', 'tokens', 'cost'])
        expect(await litPixels(page, `#chart-${id} canvas`), id).toBeGreaterThan(20)
    } finally {
      await sparse.close()
    }
  }, 60_000)

  it('lists only the traces between from and to, and the stats page shows the same range', async () => {
    const now = Date.now()
    const [old, middle, recent] = [now - 72 * HOUR, now - 24 * HOUR, now - 2 * HOUR].map((t) =>
      llmTrace(t),
    )
    expect(await postSpans(collector.url, [...old!, ...middle!, ...recent!])).toBe(200)
    await page.goto(`${collector.url}/#/`)
    await expect.poll(() => page.locator('tr.trace-row').count()).toBe(3)
    expect(await page.locator('#range').isVisible()).toBe(false)
    await page.selectOption('select[name=since]', 'range')
    expect(await page.locator('#range').isVisible()).toBe(true)
    await page.fill('input[name=from]', local(now - 48 * HOUR))
    await page.fill('input[name=to]', local(now - 12 * HOUR))
    await expect.poll(() => page.locator('tr.trace-row').count()).toBe(1)
    expect(await page.locator('tr.trace-row').getAttribute('data-trace-id')).toBe(
      middle![0]!.traceId,
    )
    // Only a `to`: everything before it.
    await page.fill('input[name=from]', '')
    await expect.poll(() => page.locator('tr.trace-row').count()).toBe(2)
    await page.fill('input[name=from]', local(now - 48 * HOUR))
    await expect.poll(() => page.locator('tr.trace-row').count()).toBe(1)
    // A live trace of now is outside the range: it does not appear.
    expect(await postSpans(collector.url, llmTrace(Date.now()))).toBe(200)
    await page.waitForTimeout(500)
    expect(await page.locator('tr.trace-row').count()).toBe(1)
    await shot('list-range')

    const statsRequest = page.waitForRequest((r) => r.url().includes('/api/stats?'))
    await page.click('nav a[data-page=stats]')
    const asked = new URL((await statsRequest).url())
    expect(Number(asked.searchParams.get('from'))).toBe(Date.parse(`${local(now - 48 * HOUR)}Z`))
    expect(Number(asked.searchParams.get('to'))).toBe(Date.parse(`${local(now - 12 * HOUR)}Z`))
    await page.waitForSelector('#stats-traces')
    expect(await page.locator('#stats-range').innerText()).toBe(
      `traces ${local(now - 48 * HOUR).replace('T', ' ')} – ${local(now - 12 * HOUR).replace('T', ' ')}`,
    )
    // The one trace in the range: one call of gpt-4o-mini.
    expect(await page.locator('#stats-traces tbody tr').count()).toBe(1)
    expect(await page.locator('#stats-traces tbody tr td').nth(1).innerText()).toBe('1')
    await page.waitForSelector('#chart-latency canvas')
    await shot('stats-range')
  }, 60_000)

  it('shows a 1,500-span trace 1,000 rows at a time, and the rest on request', async () => {
    const traceId = hexId(32)
    const root = hexId(16)
    const start = Date.now() - 60_000
    const spans = [
      span({ traceId, spanId: root, name: 'root', startTime: start, endTime: start + 2000 }),
      ...Array.from({ length: 1499 }, (_, i) =>
        span({
          traceId,
          spanId: hexId(16),
          parentSpanId: root,
          name: `step ${i + 1}`,
          startTime: start + i,
          endTime: start + i + 1,
        }),
      ),
    ]
    expect(await postSpans(collector.url, spans)).toBe(200)
    await page.goto(`${collector.url}/#/trace/${traceId}`)
    await page.waitForSelector('#more-spans')
    expect(await page.locator('.wf-row').count()).toBe(1000)
    expect(await page.locator('.wf-more').innerText()).toBe(
      '1,000 of 1,500 spans shown show 500 more',
    )
    await page.click('#more-spans')
    await expect.poll(() => page.locator('.wf-row').count()).toBe(1500)
    expect(await page.locator('#more-spans').count()).toBe(0)
    await page.locator('.wf-row', { hasText: 'step 1499' }).click()
    await expect.poll(() => page.locator('#span-panel').innerText()).toContain('step 1499')
  }, 60_000)

  it('fetches a span whole when its prompt was cut from the trace answer', async () => {
    const traceId = hexId(32)
    const root = hexId(16)
    const llm = hexId(16)
    const now = Date.now()
    const prompt = JSON.stringify([
      {
        role: 'user',
        parts: [
          { type: 'text', content: `${'Tell me about the weather. '.repeat(1500)}LAST-WORDS` },
        ],
      },
    ])
    expect(
      await postSpans(collector.url, [
        span({ traceId, spanId: root, name: 'POST /api/chat', kind: 'http', startTime: now }),
        span({
          traceId,
          spanId: llm,
          parentSpanId: root,
          name: 'chat gpt-4o',
          kind: 'llm',
          startTime: now + 1,
          attributes: { 'gen_ai.request.model': 'gpt-4o', 'gen_ai.input.messages': prompt },
        }),
      ]),
    ).toBe(200)
    const whole = page.waitForResponse((r) => r.url().endsWith(`/spans/${llm}`))
    await page.goto(`${collector.url}/#/trace/${traceId}`)
    expect((await whole).status()).toBe(200)
    // The LLM span is selected first; its prompt is shown whole, as messages, not cut JSON.
    await expect.poll(() => page.locator('#span-panel').innerText()).toContain('LAST-WORDS')
    expect(await page.locator('#span-loading').count()).toBe(0)
    expect(await page.locator('#span-panel .msg .role').first().textContent()).toBe('user')
  }, 60_000)
})
