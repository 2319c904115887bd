// The viewer's minimum duration and cost filters typed with units (`2s`, `$0.01`), as the server
// reads them: the list the server sends and the rows that arrive live afterwards both match, in
// headless Chromium, with traces from core's real otlpExporter. (Live rows were compared with
// Number('2s'), NaN, so every new trace showed up whatever the filter.)
import { ATTR, createTracer, otlpExporter } from '@tokentrail/core'
import { describe, expect, it } from 'vitest'
import { hasChromium, viewerHarness } from './viewer-harness.js'

async function send(url: string, name: string, durationMs: number, costUsd: number) {
  const tracer = createTracer({
    serviceName: 'chat-api',
    exporters: [otlpExporter({ url: `${url}/v1/traces` })],
  })
  const start = Date.now() - durationMs - 1000
  const root = tracer.startSpan(name, { kind: 'http', startTime: start })
  tracer
    .startSpan('chat gpt-4o', {
      kind: 'llm',
      parent: root,
      startTime: start + 1,
      attributes: { [ATTR.requestModel]: 'gpt-4o', [ATTR.costUsd]: costUsd },
    })
    .end({ endTime: start + 2 })
  root.end({ endTime: start + durationMs })
  await tracer.flush()
}

for (const [field, value] of [
  ['minDuration', '2s'],
  ['minCost', '$0.01'],
] as const)
  describe.skipIf(!hasChromium)(`viewer filter ${field} with units`, () => {
    const harness = viewerHarness()

    it(`${field} typed as ${value}: the list and the live rows both keep only what passes`, async () => {
      const { collector, page, problems } = harness
      await send(collector.url, 'GET /slow-costly', 3000, 0.05)
      await send(collector.url, 'GET /fast-cheap', 50, 0.001)
      await page.goto(`${collector.url}/`)
      await page.waitForSelector('#live.on')
      await expect.poll(() => page.locator('tr.trace-row').count()).toBe(2)
      await page.fill(`input[name=${field}]`, value)
      await page.locator(`input[name=${field}]`).dispatchEvent('change')
      await expect
        .poll(() => page.locator('tr.trace-row').allInnerTexts())
        .toEqual([expect.stringContaining('GET /slow-costly')])
      // New traces arrive live, the filter staying as typed.
      await send(collector.url, 'GET /fast-cheap-2', 40, 0.002)
      await send(collector.url, 'GET /slow-costly-2', 2500, 0.02)
      await expect
        .poll(() => page.locator('tr.trace-row').allInnerTexts())
        .toEqual([
          expect.stringContaining('GET /slow-costly-2'),
          expect.stringContaining('GET /slow-costly'),
        ])
      // Still none of the others, after the live stream had time to bring them.
      await new Promise((resolve) => setTimeout(resolve, 1500))
      expect(await page.locator('tr.trace-row').count()).toBe(2)
      expect(problems).toEqual([])
    })
  })
