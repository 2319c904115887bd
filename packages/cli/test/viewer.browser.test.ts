import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Collector, startCollector } from '../src/index.js'
import { sendAiSdkTraces } from './ai-sdk-traces.js'
import { HOSTILE, tempDir } from './helpers.js'

const CHROMIUM = '/usr/bin/chromium'
const hasChromium = existsSync(CHROMIUM)
const ARTIFACTS = fileURLToPath(new URL('../test-artifacts/', import.meta.url))

if (!hasChromium)
  console.warn(
    `skipping the viewer browser test: ${CHROMIUM} is missing. Install Debian's Chromium with: apt-get install -y chromium`,
  )

describe.skipIf(!hasChromium)('viewer in headless Chromium', () => {
  let collector: Collector
  let browser: Browser
  let page: Page
  const problems: string[] = []
  let loopId = ''
  let failedId = ''

  beforeAll(async () => {
    collector = await startCollector({ port: 0, db: join(tempDir(), 'traces.db') })
    ;[loopId, failedId] = (await sendAiSdkTraces(collector.url, {
      prompt: HOSTILE,
      fail: true,
    })) as [string, string]
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    })
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`))
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`)
    })
    page.on('dialog', (dialog) => {
      problems.push(`dialog: ${dialog.message()}`)
      void dialog.dismiss()
    })
    // Any request to another origin would mean captured text was turned into markup.
    page.on('request', (request) => {
      if (!request.url().startsWith(collector.url) && !request.url().startsWith('blob:'))
        problems.push(`request: ${request.url()}`)
    })
    mkdirSync(ARTIFACTS, { recursive: true })
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await collector?.close()
  })

  it('lists traces and adds new ones live', async () => {
    await page.goto(`${collector.url}/`)
    await page.waitForSelector('#live.on')
    await expect.poll(() => page.locator('tr.trace-row').count()).toBe(2)
    const first = page.locator('tr.trace-row').first()
    expect(await first.getAttribute('data-trace-id')).toBe(failedId)
    expect(await first.innerText()).toMatch(/POST \/api\/chat[\s\S]*error[\s\S]*gpt-4o-mini/)
    const [liveId] = await sendAiSdkTraces(collector.url, { prompt: 'live one' })
    await expect.poll(() => page.locator('tr.trace-row').count()).toBe(3)
    expect(await page.locator('tr.trace-row').first().getAttribute('data-trace-id')).toBe(liveId)
    await page.selectOption('select[name=status]', 'error')
    await expect.poll(() => page.locator('tr.trace-row').count()).toBe(1)
    await page.selectOption('select[name=status]', '')
    await expect.poll(() => page.locator('tr.trace-row').count()).toBe(3)
    await page.screenshot({ path: join(ARTIFACTS, 'viewer-list.png') })
    // A link with the status in capitals (it matches in any case) lists new failures live too.
    await page.goto(`${collector.url}/#/?status=ERROR`)
    await page.waitForSelector('#live.on')
    await expect.poll(() => page.locator('tr.trace-row').count()).toBe(1)
    const [, failedLive] = await sendAiSdkTraces(collector.url, {
      prompt: 'fails live',
      fail: true,
    })
    await expect.poll(() => page.locator('tr.trace-row').count()).toBe(2)
    expect(await page.locator('tr.trace-row').first().getAttribute('data-trace-id')).toBe(
      failedLive,
    )
  })

  it('shows the waterfall, the LLM panel with the prompt escaped, and tool arguments', async () => {
    await page.goto(`${collector.url}/#/trace/${loopId}`)
    await page.waitForSelector('.wf-row')
    const rows = await page.locator('.wf-row').allInnerTexts()
    // The request, the AI SDK call span, two model steps and the tool.
    expect(rows).toHaveLength(5)
    expect(rows[0]).toMatch(/^HTTP\s*POST \/api\/chat/i)
    expect(rows.filter((r) => /^INTERNAL/i.test(r))).toHaveLength(1)
    expect(rows.filter((r) => /LLM/i.test(r) && r.includes('chat gpt-4o-mini'))).toHaveLength(2)
    expect(rows.some((r) => /TOOL/i.test(r) && r.includes('weather'))).toBe(true)

    // The first LLM call holds the hostile prompt: shown as text, never parsed as HTML.
    await page.locator('.wf-row', { hasText: 'chat gpt-4o-mini' }).first().click()
    await page.waitForSelector('#prompt')
    expect(await page.locator('#prompt').innerText()).toContain(
      '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>',
    )
    expect(await page.locator('#span-panel img, #span-panel script').count()).toBe(0)
    expect(await page.evaluate(() => (window as any).__pwned)).toBeUndefined()
    const panel = await page.locator('#span-panel').innerText()
    expect(panel).toMatch(/model\s+gpt-4o-mini/)
    expect(panel).toMatch(/input\s+40/)
    expect(panel).toMatch(/finish reason\s+tool_call/)

    await page.locator('.wf-row', { hasText: 'chat gpt-4o-mini' }).nth(1).click()
    await expect.poll(() => page.locator('#output').innerText()).toBe('It is 21°C in Paris.')
    expect(await page.locator('#span-panel').innerText()).toMatch(/time to first token\s+[\d.]+ ms/)

    await page.locator('.wf-row', { hasText: 'weather' }).click()
    await page.waitForSelector('#tool-arguments')
    expect(JSON.parse(await page.locator('#tool-arguments').innerText())).toEqual({ city: 'Paris' })
    expect(JSON.parse(await page.locator('#tool-result').innerText())).toMatchObject({
      celsius: 21,
    })
    await page.screenshot({ path: join(ARTIFACTS, 'viewer-trace.png') })
  })

  it('shows a failed call with its error and stack', async () => {
    await page.goto(`${collector.url}/#/trace/${failedId}`)
    await page.waitForSelector('#span-error')
    // The failing LLM span is selected first.
    expect(await page.locator('#span-title').innerText()).toMatch(/chat gpt-4o-mini/)
    expect(await page.locator('#span-error .title').innerText()).toBe(
      'Error: 429 rate limit exceeded for gpt-4o-mini',
    )
    expect(await page.locator('#span-error .stack').innerText()).toMatch(/at .*ai-sdk-traces/)
    await page.screenshot({ path: join(ARTIFACTS, 'viewer-error.png') })
    expect(problems).toEqual([])
  })

  it('shows the GenAI metrics received at /v1/metrics in the stats view', async () => {
    await page.goto(`${collector.url}/#/stats`)
    await page.waitForSelector('#metrics-empty')
    await sendAiSdkTraces(collector.url, { prompt: 'with metrics', metrics: true })
    await page.goto(`${collector.url}/`)
    await page.click('#stats-link')
    const row = page.locator('#stats-metrics tr.metric-model[data-model="gpt-4o-mini"]')
    await row.waitFor()
    // One tool loop: two model calls, 40 + 60 input and 12 + 3 output tokens.
    const cells = await row.locator('td').allInnerTexts()
    expect(cells.slice(0, 3)).toEqual(['gpt-4o-mini', '2', '0.0%'])
    expect(cells.slice(7, 9)).toEqual(['100', '15'])
    expect(await page.locator('#stats-tools tbody tr').first().innerText()).toMatch(
      /^weather\s+1\s/,
    )
    expect(await page.locator('#stats-traces tbody tr').first().innerText()).toMatch(/^gpt-4o-mini/)
    await page.screenshot({ path: join(ARTIFACTS, 'viewer-stats.png') })
    expect(problems).toEqual([])
  })
})
