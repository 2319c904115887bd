// The viewer's service and model filters in another case than the app wrote them: the list the
// server sends and the rows that arrive live afterwards both match, in headless Chromium, with
// traces from core's real otlpExporter.
import { ATTR, createTracer, otlpExporter } from '@tokentrail/core'
import { describe, expect, it } from 'vitest'
import { hasChromium, viewerHarness } from './viewer-harness.js'

async function send(url: string, name: string, service: string, model: string) {
  const tracer = createTracer({
    serviceName: service,
    exporters: [otlpExporter({ url: `${url}/v1/traces` })],
  })
  await tracer.withSpan(name, { kind: 'http' }, async () => {
    await tracer.withSpan(
      `chat ${model}`,
      { kind: 'llm', attributes: { [ATTR.operationName]: 'chat', [ATTR.requestModel]: model } },
      async () => {},
    )
  })
  await tracer.flush()
}

describe.skipIf(!hasChromium)('viewer filters in another case', () => {
  const harness = viewerHarness()

  it('a service or model typed in lower case lists and follows the traces live', async () => {
    const { collector, page, problems } = harness
    await send(collector.url, 'GET /first', 'Chat-API', 'GPT-4o-Mini')
    await send(collector.url, 'GET /other', 'billing', 'gpt-4o')
    await page.goto(`${collector.url}/`)
    await page.waitForSelector('#live.on')
    await expect.poll(() => page.locator('tr.trace-row').count()).toBe(2)
    // The model filter, then the service filter alone: a model filter makes the list ask the
    // server again for each live trace; a service filter is applied to live rows in the page.
    for (const [field, value] of [
      ['model', 'gpt-4o-mini'],
      ['model', ''],
      ['service', 'chat-api'],
    ] as const) {
      await page.fill(`input[name=${field}]`, value)
      await page.locator(`input[name=${field}]`).dispatchEvent('change')
      if (value)
        await expect
          .poll(() => page.locator('tr.trace-row').allInnerTexts())
          .toEqual([expect.stringContaining('GET /first')])
      else await expect.poll(() => page.locator('tr.trace-row').count()).toBe(2)
    }
    // A new trace of that service arrives live, while the filter stays as typed.
    await send(collector.url, 'GET /second', 'Chat-API', 'GPT-4o-Mini')
    await send(collector.url, 'GET /elsewhere', 'billing', 'gpt-4o')
    await expect
      .poll(() => page.locator('tr.trace-row').allInnerTexts())
      .toEqual([expect.stringContaining('GET /second'), expect.stringContaining('GET /first')])
    expect(problems).toEqual([])
  })
})
