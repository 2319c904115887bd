// A collector started with --token: the viewer keeps the token per tab, so a trace link pasted
// into a new tab has none. The page said "send Authorization: Bearer <token>", which a person in a
// browser cannot do.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { startCollector } from '../src/index.js'
import { onCleanup, tempDir } from './helpers.js'
import { hexId, llmTrace } from './synthetic.js'

const CHROMIUM = '/usr/bin/chromium'
const TOKEN = 'team-token-1234'

describe.skipIf(!existsSync(CHROMIUM))('the viewer of a collector with a token', () => {
  it('says how to open a link without the token, and the same link with ?token= works', async () => {
    const c = await startCollector({ port: 0, db: join(tempDir(), 'traces.db'), token: TOKEN })
    onCleanup(() => c.close())
    const trace = llmTrace(Date.now())
    const answer = await fetch(`${c.url}/api/spans`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ spans: trace }),
    })
    expect(answer.status).toBe(200)
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
    })
    onCleanup(() => browser.close())
    const traceId = trace[0]!.traceId
    const pasted = await browser.newPage()
    await pasted.goto(`${c.url}/#/trace/${traceId}`)
    await pasted.waitForSelector('#app-error')
    expect(await pasted.textContent('#app-error')).toBe(
      'this collector needs its token: open this address with ?token=<token> before the # (as in the link tokentrail dev printed)',
    )
    const wrong = await browser.newPage()
    await wrong.goto(`${c.url}/?token=${hexId(16)}#/trace/${traceId}`)
    await wrong.waitForSelector('#app-error')
    expect(await wrong.textContent('#app-error')).toMatch(/^this token is not the collector’s/)
    const linked = await browser.newPage()
    await linked.goto(`${c.url}/?token=${TOKEN}#/trace/${traceId}`)
    await linked.waitForSelector('#trace-title')
    expect(await linked.textContent('#trace-title')).toBe('POST /api/chat')
    // The token leaves the address bar (and anything copied from it).
    expect(linked.url()).toBe(`${c.url}/#/trace/${traceId}`)
  }, 60_000)
})
