import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Collector, startCollector } from '../src/index.js'
import { sendAiSdkTraces } from './ai-sdk-traces.js'
import { HOSTILE, tempDir } from './helpers.js'
import { sendConversation } from './session-traces.js'

const CHROMIUM = '/usr/bin/chromium'
const hasChromium = existsSync(CHROMIUM)
const ARTIFACTS = fileURLToPath(new URL('../test-artifacts/', import.meta.url))

describe.skipIf(!hasChromium)('viewer pages in headless Chromium', () => {
  let collector: Collector
  let browser: Browser
  let page: Page
  const problems: string[] = []
  let bobTurns: string[] = []
  let hostileTurns: string[] = []
  const shot = (name: string) =>
    page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true })

  beforeAll(async () => {
    collector = await startCollector({ port: 0, db: join(tempDir(), 'traces.db') })
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
    expect(problems).toEqual([])
    await browser?.close()
    await collector?.close()
  })

  it('says the store is empty, then that a search matched nothing', async () => {
    await page.goto(`${collector.url}/`)
    await page.waitForSelector('#live.on')
    await expect.poll(() => page.locator('#list-empty').isVisible()).toBe(true)
    expect(await page.locator('#list-empty').innerText()).toContain(
      'No traces yet. Point an exporter at',
    )
    bobTurns = await sendConversation(collector.url, {
      userId: 'user-bob',
      sessionId: 'chat-bob-1',
      tags: ['support', 'beta'],
      turns: [
        { prompt: 'Where is my order 42?', answer: 'Order 42 shipped yesterday.', tool: 'ok' },
        { prompt: 'When will it arrive?', answer: 'It should arrive on Friday.' },
        {
          prompt: 'Can you check again?',
          answer: 'Sorry, I could not look it up.',
          tool: 'throws',
        },
      ],
    })
    hostileTurns = await sendConversation(collector.url, {
      userId: HOSTILE,
      sessionId: `s-${HOSTILE}`,
      tags: [HOSTILE],
      turns: [{ prompt: HOSTILE, answer: `echo ${HOSTILE}` }],
    })
    await sendAiSdkTraces(collector.url, { prompt: 'no user here', fail: true })
    await expect.poll(() => page.locator('tr.trace-row').count()).toBe(6)
    await page.fill('input[name=text]', 'no such words anywhere')
    await page.press('input[name=text]', 'Enter')
    await expect.poll(() => page.locator('#list-none').isVisible()).toBe(true)
    expect(await page.locator('#list-none').innerText()).toBe(
      'No traces match these filters. Clear the filters.',
    )
    expect(await page.locator('#list-empty').isVisible()).toBe(false)
    await shot('list-no-match')
    await page.click('#list-none a')
    await expect.poll(() => page.locator('tr.trace-row').count()).toBe(6)
  })

  it('lists rows with date and time, user, tags, an input → output preview and error text', async () => {
    await page.goto(`${collector.url}/#/`)
    await expect.poll(() => page.locator('tr.trace-row').count()).toBe(6)
    const row = page.locator(`tr[data-trace-id="${bobTurns[1]}"]`)
    const text = await row.innerText()
    expect(text).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/)
    expect(text).toContain('When will it arrive? → It should arrive on Friday.')
    expect(await row.locator('td.user').innerText()).toBe('user-bob')
    expect(await row.locator('.tag').allInnerTexts()).toEqual(['support', 'beta'])
    // The cost of a small call keeps its significant digits.
    expect(await row.locator('td.num').nth(2).innerText()).toMatch(/^\$0\.0000\d\d?$/)
    // Failed rows show their error instead of the preview.
    expect(await page.locator(`tr[data-trace-id="${bobTurns[2]}"] .row-preview`).innerText()).toBe(
      'lookup failed for order 42',
    )
    expect(await page.locator('tr.trace-row .row-preview.error-text').allInnerTexts()).toContain(
      '429 rate limit exceeded for gpt-4o-mini',
    )
    // Hostile user, tags and prompt are shown as text.
    const hostile = page.locator(`tr[data-trace-id="${hostileTurns[0]}"]`)
    expect(await hostile.locator('td.user').innerText()).toContain('<img src=x')
    expect(await hostile.locator('.row-preview').innerText()).toContain('<script>')
    expect(await page.locator('#trace-list img, #trace-list script').count()).toBe(0)
    expect(await page.evaluate(() => (window as any).__pwned)).toBeUndefined()
    await shot('list')
  })

  it('filters by user, session, tag, attribute, cost and duration', async () => {
    await page.goto(`${collector.url}/#/`)
    await expect.poll(() => page.locator('tr.trace-row').count()).toBe(6)
    const ids = () =>
      page
        .locator('tr.trace-row')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-trace-id')))
    await page.fill('input[name=user]', 'user-bob')
    await page.press('input[name=user]', 'Enter')
    await expect.poll(ids).toEqual([...bobTurns].reverse())
    await page.fill('input[name=user]', '')
    await page.press('input[name=user]', 'Enter')
    await page.fill('input[name=tag]', HOSTILE)
    await page.press('input[name=tag]', 'Enter')
    await expect.poll(ids).toEqual(hostileTurns)
    await page.fill('input[name=tag]', '')
    await page.press('input[name=tag]', 'Enter')
    await page.fill('input[name=attr]', 'gen_ai.tool.name=lookup')
    await page.press('input[name=attr]', 'Enter')
    await expect.poll(ids).toEqual([bobTurns[2], bobTurns[0]])
    await shot('list-filter-attr')
    await page.click('#clear-filters')
    await page.fill('input[name=session]', 'chat-bob-1')
    await page.press('input[name=session]', 'Enter')
    await page.fill('input[name=minCost]', '1')
    await page.press('input[name=minCost]', 'Enter')
    await expect.poll(() => page.locator('#list-none').isVisible()).toBe(true)
    await page.click('#clear-filters')
    // A user link in a row filters the list through the address.
    await page.locator(`tr[data-trace-id="${bobTurns[0]}"] td.user a`).click()
    await expect.poll(ids).toEqual([...bobTurns].reverse())
    expect(await page.inputValue('input[name=user]')).toBe('user-bob')
  })

  it('moves through the list with j/k, opens with Enter and goes back with Esc', async () => {
    await page.goto(`${collector.url}/#/`)
    await page.click('#clear-filters')
    await expect.poll(() => page.locator('tr.trace-row').count()).toBe(6)
    await page.locator('body').click({ position: { x: 5, y: 5 } })
    await page.keyboard.press('j')
    await page.keyboard.press('j')
    await page.keyboard.press('k')
    await page.keyboard.press('j')
    const selected = await page.locator('tr.trace-row.selected').getAttribute('data-trace-id')
    const second = await page.locator('tr.trace-row').nth(1).getAttribute('data-trace-id')
    expect(selected).toBe(second)
    await page.keyboard.press('Enter')
    await page.waitForURL(`**/#/trace/${second}`)
    await page.waitForSelector('.wf-row[data-span-id]')
    const before = await page.locator('.wf-row.selected').getAttribute('data-span-id')
    await page.keyboard.press('j')
    await expect
      .poll(() => page.locator('.wf-row.selected').getAttribute('data-span-id'))
      .not.toBe(before)
    await page.keyboard.press('Escape')
    await page.waitForSelector('tr.trace-row')
    expect(new URL(page.url()).hash).toBe('#/')
  })

  it('shows the trace page with a time axis, TTFT legend, step labels, people numbers and one stack per error', async () => {
    await page.goto(`${collector.url}/#/trace/${bobTurns[2]}`)
    await page.waitForSelector('#wf-axis')
    const ticks = await page.locator('#wf-axis .tick').allInnerTexts()
    expect(ticks[0]).toBe('0')
    expect(ticks.length).toBeGreaterThanOrEqual(4)
    expect(ticks.slice(1).every((t) => /^\d+(\.\d+)? (ms|s)$/.test(t))).toBe(true)
    expect(await page.locator('#wf-legend').innerText()).toContain('first token (TTFT)')
    const steps = await page.locator('.wf-row .step').allInnerTexts()
    expect(steps).toEqual(['step 1', 'step 2'])
    expect(await page.locator('.trace-head').innerText()).toMatch(
      /started \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}[\s\S]*user user-bob[\s\S]*session chat-bob-1/,
    )
    // The tool threw; the call span rethrew the same error: its stack is shown once.
    await page.locator('.wf-row[data-span-id]', { hasText: 'lookup' }).first().click()
    await page.waitForSelector('#span-error .stack')
    expect(await page.locator('#span-error .title').innerText()).toBe(
      'Error: lookup failed for order 42',
    )
    expect(await page.locator('#span-error .stack').innerText()).not.toContain(
      'Error: lookup failed for order 42',
    )
    // Attribute values for people: numbers formatted, keys unbroken mid-word.
    await page.locator('.wf-row[data-span-id]', { hasText: 'chat gpt-4o-mini' }).last().click()
    await page.waitForSelector('.attrs td.key')
    const perSecond = await page
      .locator('.attrs tr', { hasText: 'output_tokens_per_second' })
      .locator('td')
      .nth(1)
      .innerText()
    expect(perSecond).toMatch(/^[\d,]+(\.\d{1,3})?$/)
    expect(perSecond.replace(/[,.]/g, '').length).toBeLessThanOrEqual(6)
    expect(await page.locator('.attrs td.key wbr').count()).toBeGreaterThan(0)
    await shot('trace-page')
    // The bug report button downloads the Markdown the CLI's --export writes.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#bug-report')])
    expect(download.suggestedFilename()).toBe(`trace-${bobTurns[2]}.md`)
    const markdown = readFileSync((await download.path())!, 'utf8')
    expect(markdown).toMatch(/^# Trace `[0-9a-f]{32}`: POST \/api\/chat \(✗ error\)/)
    expect(markdown).toContain(
      '- **tool-threw**: tool `lookup` threw Error: lookup failed for order 42',
    )
    await page.goto(`${collector.url}/#/trace/${hostileTurns[0]}`)
    // The previous trace stays on screen until this one is fetched.
    await expect.poll(() => page.locator('#trace-user').innerText()).toBe(HOSTILE)
    expect(await page.locator('img, script:not([src])').count()).toBe(0)
  })

  it('shows a session as a chat with tool calls and per-turn numbers', async () => {
    await page.goto(`${collector.url}/#/sessions`)
    await page.waitForSelector('#session-list')
    const rows = await page.locator('tr.session-row').allInnerTexts()
    expect(rows).toHaveLength(2)
    expect(rows.find((r) => r.includes('chat-bob-1'))).toMatch(
      /user-bob\s+Where is my order 42\?\s+3\s+1\s/,
    )
    await shot('sessions')
    await page.locator('tr.session-row', { hasText: 'chat-bob-1' }).click()
    await page.waitForSelector('#chat .turn')
    const turns = page.locator('#chat .turn')
    expect(await turns.count()).toBe(3)
    expect(await turns.evaluateAll((t) => t.map((e) => e.getAttribute('data-trace-id')))).toEqual(
      bobTurns,
    )
    expect(await turns.nth(0).locator('.bubble.user').innerText()).toMatch(
      /Where is my order 42\?$/,
    )
    expect(await turns.nth(0).locator('.bubble.assistant').innerText()).toMatch(
      /Order 42 shipped yesterday\.$/,
    )
    expect(await turns.nth(0).locator('.tool-call summary').innerText()).toMatch(/lookup \d/)
    await turns.nth(0).locator('.tool-call summary').click()
    expect(await turns.nth(0).locator('.tool-call pre').first().innerText()).toBe(
      '{"query":"order 42"}',
    )
    expect(await turns.nth(2).locator('.tool-call.error summary').innerText()).toContain(
      '✗ Error: lookup failed for order 42',
    )
    const meta = await turns.nth(1).locator('.turn-meta').innerText()
    expect(meta).toMatch(
      /Turn 2[\s\S]*ok[\s\S]*\d+ ms[\s\S]*TTFT[\s\S]*150 → 30 tokens[\s\S]*\$0\.0000\d+/,
    )
    await shot('session-chat')
    // A new turn of the open conversation appears live.
    const [fourth] = await sendConversation(collector.url, {
      userId: 'user-bob',
      sessionId: 'chat-bob-1',
      tags: ['support'],
      turns: [{ prompt: 'Thanks!', answer: 'You are welcome.' }],
    })
    await expect.poll(() => page.locator('#chat .turn').count()).toBe(4)
    expect(await page.locator('#chat .turn').last().getAttribute('data-trace-id')).toBe(fourth)
    bobTurns.push(fourth!)
    await turns.nth(1).locator('.turn-link').click()
    await page.waitForURL(`**/#/trace/${bobTurns[1]}`)
    await page.keyboard.press('Escape')
    await page.waitForSelector('#chat .turn')

    // The hostile session: every captured string shown as text.
    await page.goto(`${collector.url}/#/session/${encodeURIComponent(`s-${HOSTILE}`)}`)
    await expect.poll(() => page.locator('#session-title').innerText()).toContain('<img src=x')
    expect(await page.locator('#chat .bubble.user pre').innerText()).toBe(HOSTILE)
    expect(await page.locator('#chat img, #chat script').count()).toBe(0)
    expect(await page.evaluate(() => (window as any).__pwned)).toBeUndefined()
  })

  it('lists users with traces, sessions, errors, tokens and cost', async () => {
    await page.goto(`${collector.url}/#/users`)
    await page.waitForSelector('#user-list')
    const rows = await page.locator('tr.user-row').allInnerTexts()
    expect(rows).toHaveLength(2)
    expect(rows.find((r) => r.startsWith('user-bob'))).toMatch(
      /^user-bob\s+4\s+1\s+1\s+[\d,]+\s+\$0\.000\d+\s+\d{4}-\d{2}-\d{2} [\d:]+\s+\d{4}-\d{2}-\d{2} [\d:]+\s+sessions$/,
    )
    expect(rows.some((r) => r.includes('<img src=x'))).toBe(true)
    await shot('users')
    await page.locator('tr.user-row', { hasText: 'user-bob' }).getByText('sessions').click()
    await page.waitForSelector('#sessions-user')
    expect(await page.locator('tr.session-row').count()).toBe(1)
  })

  it('plots latency, TTFT, tokens, cost and error rate over time per model and per service', async () => {
    await page.goto(`${collector.url}/#/stats`)
    await page.waitForSelector('#chart-latency canvas')
    for (const id of ['latency', 'ttft', 'tokens', 'cost', 'errors'])
      expect(await page.locator(`#chart-${id} canvas`).count()).toBe(1)
    const legend = await page.locator('#chart-latency .u-legend').innerText()
    expect(legend).toContain('gpt-4o-mini p50')
    expect(legend).toContain('gpt-4o-mini p95')
    // The series (first colour, #58a6ff) is drawn, not only the grid.
    const drawn = await page.locator('#chart-tokens canvas').evaluate((canvas) => {
      const c = canvas as HTMLCanvasElement
      const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data
      let lit = 0
      for (let i = 0; i < data.length; i += 4)
        if (data[i]! < 130 && data[i + 1]! > 140 && data[i + 2]! > 220) lit++
      return lit
    })
    expect(drawn).toBeGreaterThan(4)
    await shot('stats-charts')
    await page.selectOption('#charts-by', 'service')
    await expect
      .poll(() => page.locator('#chart-latency .u-legend').innerText())
      .toContain('support-bot p50')
    expect(await page.locator('#chart-latency .u-legend').innerText()).toContain('ai-chat p50')
    await shot('stats-charts-service')
  })
})
