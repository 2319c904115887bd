// A request that still runs: its root span is exported when it ends, after its children (the LLM
// call of a finished step, a tool), so for a while the collector holds a trace without its root.
// The viewer said nothing: the trace looked done, named after its first child, with the children's
// duration. And a trace id pasted in upper case, or a prefix, opened no live-updating trace page.
import type { Page } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { type Collector, runCli } from '../src/index.js'
import { hexId, postSpans, span } from './synthetic.js'
import { hasChromium, viewerHarness } from './viewer-harness.js'

describe.skipIf(!hasChromium)('a trace whose root span has not arrived', () => {
  const viewer = viewerHarness()
  const { problems } = viewer
  let collector: Collector
  let page: Page
  beforeAll(() => {
    ;({ collector, page } = viewer)
  })

  it('is shown in progress in the list and on its page, live, until the root arrives', async () => {
    const traceId = hexId(32)
    const rootId = hexId(16)
    const start = Date.now() - 3000
    // Step one of an agent and its tool call are done and exported; the request still streams.
    const children = [
      span({
        traceId,
        spanId: hexId(16),
        parentSpanId: rootId,
        name: 'chat gpt-4o',
        kind: 'llm',
        startTime: start + 10,
        endTime: start + 1000,
        attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o' },
      }),
      span({
        traceId,
        spanId: hexId(16),
        parentSpanId: rootId,
        name: 'execute_tool weather',
        kind: 'tool',
        startTime: start + 1000,
        endTime: start + 1500,
      }),
    ]
    expect(await postSpans(collector.url, children)).toBe(200)
    // A trace of a service called by another that does not send here: its root never comes.
    const orphanId = hexId(32)
    const old = Date.now() - 3_600_000
    expect(
      await postSpans(collector.url, [
        span({
          traceId: orphanId,
          spanId: hexId(16),
          parentSpanId: hexId(16),
          name: 'GET /inventory',
          startTime: old,
          endTime: old + 20,
        }),
      ]),
    ).toBe(200)

    await page.goto(`${collector.url}/`)
    await page.waitForSelector('#live.on')
    const badge = (id: string) =>
      page.locator(`tr.trace-row[data-trace-id="${id}"] .status.open`).textContent()
    expect(await badge(traceId)).toBe('in progress')
    expect(await badge(orphanId)).toBe('no root span')

    // Opened from an id pasted in upper case, cut to a prefix.
    await page.goto(`${collector.url}/#/trace/${traceId.slice(0, 12).toUpperCase()}`)
    await page.waitForSelector('#root-missing')
    expect(await page.textContent('#root-missing')).toMatch(/^In progress: the root span/)
    expect(await page.textContent('.trace-head .status.open')).toBe('in progress')
    expect(await page.locator('.wf-row').count()).toBe(2)

    // The request ends: its root arrives and the open page updates by itself.
    const rootEnd = Date.now()
    expect(
      await postSpans(collector.url, [
        span({
          traceId,
          spanId: rootId,
          name: 'POST /api/chat',
          kind: 'http',
          startTime: start,
          endTime: rootEnd,
        }),
      ]),
    ).toBe(200)
    await page.waitForFunction(() => document.querySelectorAll('.wf-row').length === 3, null, {
      timeout: 10_000,
    })
    expect(await page.textContent('#trace-title')).toBe('POST /api/chat')
    expect(await page.locator('#root-missing').count()).toBe(0)
    expect(await page.locator('.trace-head .status.open').count()).toBe(0)

    // And the list row, from the live stream.
    await page.goto(`${collector.url}/`)
    await page.waitForSelector(`tr.trace-row[data-trace-id="${traceId}"]`)
    expect(
      await page.locator(`tr.trace-row[data-trace-id="${traceId}"] .status.open`).count(),
    ).toBe(0)
    expect(await badge(orphanId)).toBe('no root span')

    // The terminal says it too, for a trace still without its root.
    let stdout = ''
    const code = await runCli(['trace', orphanId, '--url', collector.url], {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: () => true },
      env: { NO_COLOR: '1' },
    })
    expect(code).toBe(0)
    expect(stdout.split('\n')[0]).toMatch(
      /^GET \/inventory {2}✓ ok {2}20ms {2}root span not received yet$/,
    )
    expect(problems).toEqual([])
  }, 60_000)

  it('a trace page and a filtered list keep updating while spans arrive every 200 ms', async () => {
    const traceId = hexId(32)
    const rootId = hexId(16)
    const step = (i: number) =>
      span({
        traceId,
        spanId: hexId(16),
        parentSpanId: rootId,
        name: `streamed step ${i}`,
        startTime: Date.now(),
      })
    expect(await postSpans(collector.url, [step(0)])).toBe(200)
    await page.goto(`${collector.url}/#/trace/${traceId}`)
    await page.waitForSelector('.wf-row')
    await page.waitForSelector('#live.on')
    // A long agent run whose spans are exported one by one, faster than any pause.
    const rows: number[] = []
    for (let i = 1; i <= 15; i++) {
      expect(await postSpans(collector.url, [step(i)])).toBe(200)
      await new Promise((resolve) => setTimeout(resolve, 200))
      rows.push(await page.locator('.wf-row').count())
    }
    // Drawn again while the spans still came (not only once they stopped).
    expect(rows.at(-1)).toBeGreaterThan(5)

    // The list filtered by text reloads on live updates: the same while traces keep coming.
    await page.goto(`${collector.url}/#/`)
    await page.waitForSelector('#live.on')
    await page.fill('input[name=text]', 'streamed trace')
    await page.press('input[name=text]', 'Enter')
    await page.waitForTimeout(800)
    const shown: number[] = []
    for (let i = 0; i < 15; i++) {
      expect(
        await postSpans(collector.url, [
          span({ traceId: hexId(32), spanId: hexId(16), name: `streamed trace ${i}` }),
        ]),
      ).toBe(200)
      await new Promise((resolve) => setTimeout(resolve, 200))
      shown.push(await page.locator('tr.trace-row').count())
    }
    expect(shown.at(-1)).toBeGreaterThan(5)
    expect(problems).toEqual([])
  }, 60_000)
})
