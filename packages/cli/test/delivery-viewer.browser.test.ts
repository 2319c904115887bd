// #13: the viewer's stats page shows each service's delivery health (exported, failed, dropped,
// last error) from the otel.sdk.* metrics its tracer sends — in real Chromium.
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createTracer, otlpExporter, otlpMetricsExporter } from '@tokentrail/core'
import { chromium } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { startCollector } from '../src/index.js'
import { closedPort, HOSTILE, onCleanup, tempDir } from './helpers.js'

const CHROMIUM = '/usr/bin/chromium'
const ARTIFACTS = fileURLToPath(new URL('../test-artifacts/', import.meta.url))

describe.skipIf(!existsSync(CHROMIUM))('delivery health in the viewer', () => {
  it('the stats page lists each service with what was exported and failed, and the last error', async () => {
    const c = await startCollector({ port: 0, db: join(tempDir(), 'traces.db') })
    onCleanup(() => c.close())
    const port = await closedPort()
    const makeTracer = (serviceName: string, broken: boolean) =>
      createTracer({
        serviceName,
        warnings: false,
        retry: { maxRetries: 0 },
        exporters: [
          otlpExporter({ url: `${c.url}/v1/traces` }),
          ...(broken ? [otlpExporter({ url: `http://127.0.0.1:${port}/v1/traces` })] : []),
        ],
        metrics: { exporters: [otlpMetricsExporter({ url: `${c.url}/v1/metrics` })] },
      })
    // A hostile service name must stay text.
    const broken = makeTracer(`checkout ${HOSTILE}`, true)
    broken.startSpan('GET /cart').end()
    await broken.flush({ timeoutMs: 3000 })
    await broken.flush({ timeoutMs: 3000 })

    const browser = await chromium.launch({
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
    onCleanup(() => browser.close())
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
    const problems: string[] = []
    page.on('pageerror', (error) => problems.push(error.message))
    page.on('dialog', (dialog) => {
      problems.push(`dialog: ${dialog.message()}`)
      void dialog.dismiss()
    })
    await page.goto(`${c.url}/#/stats`)
    const row = page.locator('#stats-delivery tbody tr')
    await expect.poll(() => row.count(), { timeout: 10_000 }).toBe(1)
    const cells = await row.first().locator('td').allInnerTexts()
    expect(cells[0]).toBe(`checkout ${HOSTILE}`)
    // started, exported, failed (the closed port), rejected, dropped
    expect(cells.slice(1, 6)).toEqual(['1', '1', '1', '0', '0'])
    expect(cells[7]).toContain(`127.0.0.1:${port}`)
    expect(cells[7]).toMatch(/ECONNREFUSED|_OTHER/)
    expect(await row.first().getAttribute('class')).toBe('delivery-problem')
    mkdirSync(ARTIFACTS, { recursive: true })
    await page.screenshot({ path: join(ARTIFACTS, 'stats-delivery.png'), fullPage: true })
    expect(problems).toEqual([])
  }, 60_000)
})
