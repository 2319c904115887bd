// The stats page's y axis in real Chromium: its labels are drawn whole. A fixed 70 px axis cut the
// first digit of `2,000,000` tokens off (`,000,000`).
import { describe, expect, it } from 'vitest'
import { llmTrace, postSpans } from './synthetic.js'
import { hasChromium, viewerHarness } from './viewer-harness.js'

describe.skipIf(!hasChromium)('stats charts: y axis labels', () => {
  const harness = viewerHarness()

  it('a chart of millions of tokens draws its labels whole, inside the canvas', async () => {
    const { collector, page, problems } = harness
    const now = Date.now()
    const big = llmTrace(now - 60_000)
    big[1]!.attributes['gen_ai.usage.input_tokens'] = 2_000_000
    expect(await postSpans(collector.url, [...big, ...llmTrace(now - 30_000)])).toBe(200)
    await page.goto(`${collector.url}/#/stats`)
    await page.waitForSelector('#chart-tokens canvas')
    // The leftmost columns of the canvas: a label wider than its axis starts left of 0, and its
    // pixels fill column 0.
    const firstLit = await page.locator('#chart-tokens canvas').evaluate((canvas) => {
      const c = canvas as HTMLCanvasElement
      const { data } = c.getContext('2d')!.getImageData(0, 0, c.width, c.height)
      for (let x = 0; x < c.width; x++)
        for (let y = 0; y < c.height; y++) if (data[(y * c.width + x) * 4 + 3]! > 0) return x
      return -1
    })
    expect(firstLit).toBeGreaterThan(1)
    const axis = await page
      .locator('#chart-tokens .u-over')
      .evaluate((el) => (el as HTMLElement).offsetLeft)
    // Not wider than it needs: `2,200,000` is about 60 px.
    expect(axis).toBeLessThan(120)
    expect(problems).toEqual([])
  })
})
