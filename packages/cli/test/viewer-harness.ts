// One `tokentrail dev` collector and one headless Chromium page on it, for the viewer's browser
// tests: started before a describe's tests, closed after them.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll } from 'vitest'
import { type Collector, startCollector } from '../src/index.js'
import { tempDir } from './helpers.js'

export const CHROMIUM = '/usr/bin/chromium'
/** Whether Debian's Chromium is installed (the browser tests skip without it). */
export const hasChromium = existsSync(CHROMIUM)

export interface ViewerHarness {
  collector: Collector
  browser: Browser
  page: Page
  /** Errors the page threw, as `pageerror: …`. */
  problems: string[]
}

/** Call inside a `describe`: its fields are set once the describe's `beforeAll` has run. */
export function viewerHarness(): ViewerHarness {
  const harness = { problems: [] as string[] } as ViewerHarness
  beforeAll(async () => {
    harness.collector = await startCollector({ port: 0, db: join(tempDir(), 'traces.db') })
    harness.browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
    })
    harness.page = await harness.browser.newPage({ viewport: { width: 1400, height: 900 } })
    harness.page.on('pageerror', (error) => harness.problems.push(`pageerror: ${error.message}`))
  }, 60_000)
  afterAll(async () => {
    await harness.browser?.close()
    await harness.collector?.close()
  })
  return harness
}
