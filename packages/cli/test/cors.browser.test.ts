// A web page exporting to `tokentrail dev` from the browser (CORS): core's real otlpExporter runs
// in headless Chromium, loaded as ES modules from core's dist by a page on another port. Pages on
// localhost may send; other sites only when named with corsOrigins; a page reaching the port
// through DNS rebinding may neither send nor read; the read API never answers another origin.
import { readFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join, normalize } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Browser, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startCollector } from '../src/index.js'
import { onCleanup, runCapture, tempDir } from './helpers.js'
import { CHROMIUM, hasChromium } from './viewer-harness.js'

const CORE_DIST = fileURLToPath(new URL('../../core/dist/', import.meta.url))

const PAGE = `<!doctype html><meta charset="utf-8"><title>app</title><script type="module">
window.exportSpan = async (url, name) => {
  const { createTracer, otlpExporter } = await import('/core/index.js')
  const tracer = createTracer({ serviceName: 'browser-app', exporters: [otlpExporter({ url })] })
  await tracer.withSpan(name, { kind: 'internal' }, async () => {})
  await tracer.flush()
  await tracer.shutdown?.()
}
window.ready = true
</script>`

// A page server: `/` is the page above, `/core/…` core's dist.
let pages: Server
let pagePort: number
let browser: Browser

beforeAll(async () => {
  if (!hasChromium) return
  pages = createServer(async (request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname
    if (path.startsWith('/core/')) {
      const file = normalize(join(CORE_DIST, path.slice(6)))
      if (!file.startsWith(CORE_DIST)) return response.writeHead(404).end()
      try {
        const body = await readFile(file)
        response.writeHead(200, { 'content-type': 'text/javascript' }).end(body)
      } catch {
        response.writeHead(404).end()
      }
      return
    }
    response.writeHead(200, { 'content-type': 'text/html' }).end(PAGE)
  })
  await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve))
  pagePort = (pages.address() as AddressInfo).port
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      // Names that resolve to this machine, as another site's would after DNS rebinding.
      '--host-resolver-rules=MAP app.example 127.0.0.1, MAP evil.example 127.0.0.1',
      // Chromium's own check of public pages reaching private addresses (Private/Local Network
      // Access) is off, as in Firefox and Safari: the collector alone must refuse them.
      '--disable-features=PrivateNetworkAccessSendPreflights,PrivateNetworkAccessRespectPreflightResults,BlockInsecurePrivateNetworkRequests,LocalNetworkAccessChecks',
    ],
  })
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await new Promise((resolve) => pages?.close(resolve))
})

async function collectorFor(corsOrigins?: string[]) {
  const log: string[] = []
  const collector = await startCollector({
    port: 0,
    db: join(tempDir(), 'traces.db'),
    log: (line) => log.push(line),
    ...(corsOrigins ? { corsOrigins } : {}),
  })
  onCleanup(() => collector.close())
  return { collector, log }
}

async function openApp(origin: string) {
  const page = await browser.newPage()
  onCleanup(() => page.close())
  const problems: string[] = []
  page.on('pageerror', (error) => problems.push(error.message))
  await page.goto(`${origin}/`)
  await page.waitForFunction(() => (window as any).ready === true)
  return { page, problems }
}

function storedNames(collector: { store: { listTraces(): { traces: { rootName: string }[] } } }) {
  return collector.store.listTraces().traces.map((trace) => trace.rootName)
}

// What a page's fetch of a JSON OTLP body gets: the status, or the error's name when the browser
// refused it (a failed CORS preflight reads as a network failure).
async function postFromPage(page: import('playwright-core').Page, url: string) {
  return page.evaluate(async (url) => {
    const now = Date.now() * 1e6
    const span = {
      traceId: Array.from(
        { length: 32 },
        () => '0123456789abcdef'[Math.floor(Math.random() * 16)],
      ).join(''),
      spanId: 'cd'.repeat(8),
      name: 'forged',
      kind: 1,
      startTimeUnixNano: String(now),
      endTimeUnixNano: String(now + 1e6),
    }
    try {
      const answer = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [span] }] }] }),
      })
      return answer.status
    } catch (error) {
      return (error as Error).name
    }
  }, url)
}

describe.skipIf(!hasChromium)('browser exports (CORS)', () => {
  it('a page on localhost exports to tokentrail dev; it cannot read the API', async () => {
    const { collector, log } = await collectorFor()
    const { page } = await openApp(`http://localhost:${pagePort}`)
    await page.evaluate(
      ([url]) => (window as any).exportSpan(url, 'click checkout'),
      [`${collector.url}/v1/traces`],
    )
    expect(storedNames(collector)).toEqual(['click checkout'])
    expect(log).toEqual([])
    // The traces it sent hold prompts: the query API stays unreadable from another origin.
    const read = await page.evaluate(async (url) => {
      try {
        await (await fetch(url)).text()
        return 'read'
      } catch (error) {
        return (error as Error).name
      }
    }, `${collector.url}/api/traces`)
    expect(read).toBe('TypeError')
  })

  it('another site exports only when named with corsOrigins; else refused and said once', async () => {
    const refused = await collectorFor()
    const origin = `http://app.example:${pagePort}`
    const { page } = await openApp(origin)
    // Twice, as an exporter retries: said once.
    for (let i = 0; i < 2; i++)
      expect(await postFromPage(page, `${refused.collector.url}/v1/traces`)).toBe('TypeError')
    expect(storedNames(refused.collector)).toEqual([])
    expect(refused.log).toEqual([
      `tokentrail: refused a browser export from a web page at ${origin} (CORS); to accept exports from it, start tokentrail dev with --cors-origins ${origin}`,
    ])

    const { collector, log } = await collectorFor([origin])
    await page.evaluate(
      ([url]) => (window as any).exportSpan(url, 'allowed'),
      [`${collector.url}/v1/traces`],
    )
    expect(storedNames(collector)).toEqual(['allowed'])
    expect(log).toEqual([])
  })

  it('a page on a *.localhost name exports only when named with corsOrigins (Safari asks DNS for such names)', async () => {
    // Chromium resolves it to this machine itself; Safari asks DNS, so the same origin may be a
    // page a resolver sent anywhere: it is another site until named.
    const origin = `http://shop.localhost:${pagePort}`
    const refused = await collectorFor()
    const { page } = await openApp(origin)
    expect(await postFromPage(page, `${refused.collector.url}/v1/traces`)).toBe('TypeError')
    expect(storedNames(refused.collector)).toEqual([])
    expect(refused.log).toEqual([
      `tokentrail: refused a browser export from a web page at ${origin} (CORS); to accept exports from it, start tokentrail dev with --cors-origins ${origin}`,
    ])
    const { collector, log } = await collectorFor([origin])
    await page.evaluate(
      ([url]) => (window as any).exportSpan(url, 'named'),
      [`${collector.url}/v1/traces`],
    )
    expect(storedNames(collector)).toEqual(['named'])
    expect(log).toEqual([])
  })

  it('a page reaching the port through DNS rebinding can neither send spans nor read them', async () => {
    const { collector } = await collectorFor()
    const rebound = `http://evil.example:${collector.port}`
    const page = await browser.newPage()
    onCleanup(() => page.close())
    // The attacker's page, as its own server sent it before its name was pointed at 127.0.0.1.
    await page.route(`${rebound}/`, (route) =>
      route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>evil</title>' }),
    )
    await page.goto(`${rebound}/`)
    const answers = [
      await postFromPage(page, '/v1/traces'),
      await page.evaluate(async () => (await fetch('/api/traces')).status),
    ]
    expect(answers).toEqual([403, 403])
    expect(storedNames(collector)).toEqual([])
  })
})

describe('--cors-origins', () => {
  it('takes origins or *, and refuses anything else as bad usage, saying what is wrong with it', async () => {
    const said = {
      'https://app.example/path':
        '"https://app.example/path" has a path, query or fragment: an origin is scheme, host and port only (https://app.example)',
      'https://app.example?x=1':
        '"https://app.example?x=1" has a path, query or fragment: an origin is scheme, host and port only (https://app.example)',
      'app.example':
        '"app.example" has no scheme: an origin starts with http:// or https:// (such as http://app.example)',
      'localhost:3000':
        '"localhost:3000" has no scheme: an origin starts with http:// or https:// (such as http://localhost:3000)',
      'ftp://app.example':
        '"ftp://app.example" is not a web page origin: only http:// and https:// pages export from a browser',
      'https://user:pw@app.example':
        '"https://user:pw@app.example" has a user name or password: an origin is scheme, host and port only (https://app.example)',
      'http://app.example:99999': '"http://app.example:99999" is not a URL',
    }
    for (const [value, problem] of Object.entries(said))
      expect(await runCapture(['dev', '--port', '0', '--cors-origins', value])).toMatchObject({
        code: 2,
        stderr: expect.stringContaining(
          `--cors-origins takes web page origins separated by commas, such as https://app.example,http://myapp.test:3000 (or *): ${problem}`,
        ),
      })
    // In code, the entry is named by its place in the list.
    await expect(
      startCollector({
        port: 0,
        db: join(tempDir(), 'traces.db'),
        corsOrigins: ['*', 'app.example'],
      }),
    ).rejects.toThrow(
      'corsOrigins[1]: "app.example" has no scheme: an origin starts with http:// or https:// (such as http://app.example)',
    )
  })

  it('answers a token-protected collector’s preflight without the token, and asks it on the POST', async () => {
    const collector = await startCollector({
      port: 0,
      db: join(tempDir(), 'traces.db'),
      token: 'secret-token-1',
      corsOrigins: ['https://app.example/'],
      log: () => {},
    })
    onCleanup(() => collector.close())
    const preflight = await fetch(`${collector.url}/v1/traces`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
        'access-control-request-private-network': 'true',
      },
    })
    expect(preflight.status).toBe(204)
    expect(Object.fromEntries(preflight.headers)).toMatchObject({
      'access-control-allow-origin': 'https://app.example',
      'access-control-allow-methods': 'POST',
      'access-control-allow-headers': 'authorization,content-type',
      'access-control-allow-private-network': 'true',
    })
    const post = await fetch(`${collector.url}/v1/traces`, {
      method: 'POST',
      headers: { origin: 'https://app.example', 'content-type': 'application/json' },
      body: '{}',
    })
    // Readable by the page (it says why), and refused without the token.
    expect(post.status).toBe(401)
    expect(post.headers.get('access-control-allow-origin')).toBe('https://app.example')
    expect(post.headers.get('access-control-expose-headers')).toBe('retry-after')
    // A page opened from a file sends `Origin: null`: only * admits it, and the answer says so.
    const fromFile = await fetch(`${collector.url}/v1/traces`, {
      method: 'OPTIONS',
      headers: { origin: 'null', 'access-control-request-method': 'POST' },
    })
    expect(fromFile.status).toBe(403)
    expect((await fromFile.json()).message).toBe(
      "origin null may not send to this collector; start tokentrail dev with --cors-origins '*' (null is not an http(s) origin)",
    )
    // The read API answers no other origin, even an allowed one: refused, not answered with
    // data the browser alone kept from the page.
    const read = await fetch(`${collector.url}/api/traces?token=secret-token-1`, {
      headers: { origin: 'https://app.example' },
    })
    expect(read.status).toBe(403)
    expect(read.headers.get('access-control-allow-origin')).toBeNull()
  })
})
