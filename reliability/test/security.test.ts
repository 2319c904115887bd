// Security: hostile prompt and output text shown by the viewer (real Chromium) and the CLI; no
// secret (Authorization header, provider apiKey, cookies) in the collector's database; the
// collector binds loopback, enforces --token on ingest and API, and limits request size.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Browser, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getTrace, SPANS_PER_CHAT_TRACE } from '../src/collector-api.js'
import { recordFigure } from '../src/figures.js'
import { send } from '../src/http-send.js'
import { runLoad } from '../src/load.js'
import {
  type Child,
  CLI_BIN,
  startAppProcess,
  startCollectorProcess,
  startMockProcess,
} from '../src/processes.js'

const CHROMIUM = '/usr/bin/chromium'
const ARTIFACTS = fileURLToPath(new URL('../test-artifacts/', import.meta.url))
const COLUMNS = ['check', 'result']
const figure = (check: string, result: string) =>
  recordFigure('Security', COLUMNS, { check, result })

/** Markup, script URLs and terminal escapes (clear screen, colour, window title, C1 CSI). */
const HOSTILE = [
  '<script>window.__pwned=1</script>',
  '<img src=x onerror="window.__pwned=2">',
  '<a href="javascript:window.__pwned=3">click</a>',
  '<svg onload="window.__pwned=4"></svg>',
  '\u001b[2J\u001b[31mRED\u001b[0m',
  '\u001b]0;pwned-title\u0007',
  '\u009b31m',
  'Use the tool for',
  '<img/src=x/onerror=window.__pwned=5>',
].join(' ')
/** The model's answer (the mock replies with it) and the model name (printed by the CLI). */
const HOSTILE_OUTPUT = `Sure: <iframe srcdoc="<script>parent.__pwned=6</script>"></iframe> \u001b[1;1H\u001b[2Kgone \u001b]8;;javascript:alert(7)\u0007link\u001b]8;;\u0007`
const HOSTILE_MODEL = 'gpt-4o-mini\u001b[2J\u001b]0;pwned-title\u0007<b>bold</b>'

let dir: string
let collector: Child
let mock: Child
let hostileMock: Child

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tokentrail-security-'))
  mock = await startMockProcess()
  hostileMock = await startMockProcess({ reply: HOSTILE_OUTPUT })
  collector = await startCollectorProcess({ db: join(dir, 'traces.db') })
})

afterAll(async () => {
  await collector?.stop()
  await mock?.stop()
  await hostileMock?.stop()
  rmSync(dir, { recursive: true, force: true })
})

/** One traced chat request through the hono-chat app; returns its trace id once stored. */
async function tracedRequest(options: {
  prompt: string
  headers?: Record<string, string>
  apiKey?: string
  service: string
  model?: string
  mock?: Child
  expect?: string[]
}): Promise<string> {
  const app = await startAppProcess({
    tracing: true,
    otlpEndpoint: collector.url,
    mockUrl: (options.mock ?? mock).url,
    service: options.service,
    apiKey: options.apiKey,
    model: options.model,
  })
  try {
    const load = await runLoad({
      url: `${app.url}/api/chat`,
      total: 1,
      concurrency: 1,
      body: JSON.stringify({ prompt: options.prompt }),
      headers: options.headers,
      ...(options.expect ? { expect: options.expect } : {}),
    })
    expect(load.failures).toEqual([])
    await fetch(`${app.url}/__flush?timeoutMs=10000`, { method: 'POST' })
    return load.traceIds[0]!
  } finally {
    await app.stop()
  }
}

describe('hostile text', () => {
  // One tool loop with a hostile prompt and model name; one answer that is hostile itself.
  let traceId = ''
  let outputTraceId = ''
  beforeAll(async () => {
    traceId = await tracedRequest({
      prompt: HOSTILE,
      service: 'security-hostile',
      model: HOSTILE_MODEL,
    })
    outputTraceId = await tracedRequest({
      prompt: 'Say something',
      service: 'security-hostile',
      model: HOSTILE_MODEL,
      mock: hostileMock,
      expect: ['"finishReason":"stop"'],
    })
  })

  it('is stored verbatim: the prompt, the tool arguments and the streamed output', async () => {
    const { spans } = await getTrace(collector.url, traceId)
    expect(spans).toHaveLength(SPANS_PER_CHAT_TRACE)
    const [first] = spans.filter((s) => s.kind === 'llm')
    const prompt = JSON.parse(first!.attributes['gen_ai.input.messages'] as string)
    expect(prompt[0].parts[0].content).toBe(HOSTILE)
    expect(first!.name).toBe(`chat ${HOSTILE_MODEL}`)
    const answer = (await getTrace(collector.url, outputTraceId)).spans.find(
      (s) => s.kind === 'llm',
    )
    const output = JSON.parse(answer!.attributes['gen_ai.output.messages'] as string)
    expect(output[0].parts[0].content).toBe(HOSTILE_OUTPUT)
  })

  it.skipIf(!existsSync(CHROMIUM))('runs nothing in the viewer (real Chromium)', async () => {
    const browser: Browser = await chromium.launch({
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
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
      const problems: string[] = []
      page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`))
      page.on('dialog', (dialog) => {
        problems.push(`dialog: ${dialog.message()}`)
        void dialog.dismiss()
      })
      page.on('request', (request) => {
        if (!request.url().startsWith(collector.url) && !request.url().startsWith('blob:'))
          problems.push(`request: ${request.url()}`)
      })
      await page.goto(`${collector.url}/`)
      await page.waitForSelector('tr.trace-row')
      let shown = ''
      let opened = 0
      for (const [id, spans] of [
        [traceId, SPANS_PER_CHAT_TRACE],
        // request, call, one LLM step
        [outputTraceId, 3],
      ] as const) {
        await page.goto(`${collector.url}/#/trace/${id}`)
        await page.waitForSelector('.wf-row')
        const rows = page.locator('.wf-row')
        // A hash change re-renders the page: the previous trace's rows can still be there.
        await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(spans)
        for (let i = 0; i < spans; i++) {
          await rows.nth(i).click()
          await page.waitForSelector('#span-panel')
          shown += await page.locator('#span-panel').innerText()
          opened++
        }
      }
      expect(shown).toContain('<script>window.__pwned=1</script>')
      expect(shown).toContain('<iframe srcdoc=')
      const injected = await page.evaluate(() => ({
        pwned: (window as any).__pwned,
        title: document.title,
        scripts: document.querySelectorAll(
          '#span-panel script, #span-panel img, #span-panel svg, #span-panel iframe, #span-panel b',
        ).length,
        javascriptLinks: [...document.querySelectorAll('a[href]')].filter((a) =>
          (a as HTMLAnchorElement).href.toLowerCase().startsWith('javascript:'),
        ).length,
      }))
      expect(injected).toMatchObject({ pwned: undefined, scripts: 0, javascriptLinks: 0 })
      expect(injected.title).not.toContain('pwned')
      mkdirSync(ARTIFACTS, { recursive: true })
      await page.screenshot({ path: join(ARTIFACTS, 'hostile-trace.png') })
      expect(problems).toEqual([])
      figure(
        `hostile prompt, output and model name in the viewer (Chromium, ${opened} spans opened)`,
        'shown as text; no script ran, no dialog, no javascript: link, no request off-origin',
      )
    } finally {
      await browser.close()
    }
  })

  it('garbles nothing in the terminal: control characters are shown, never sent raw', () => {
    const run = (args: string[], env: Record<string, string>) =>
      execFileSync(process.execPath, ['--disable-warning=ExperimentalWarning', CLI_BIN, ...args], {
        env: { ...process.env, ...env, TOKENTRAIL_URL: collector.url },
        encoding: 'utf8',
      })
    const outputs = [
      ...[
        ['trace', outputTraceId],
        ['trace', traceId],
        ['list', '--limit', '5'],
      ].map((args) => run(args, { NO_COLOR: '1' })),
      run(['trace', traceId], { FORCE_COLOR: '1' }),
    ]
    for (const [i, output] of outputs.slice(0, 3).entries()) {
      expect(output).toContain('\\x1b[2J')
      if (i < 2) expect(output).toContain('\\x07')
      expect(output).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/)
    }
    // With colours on, the only escapes are the CLI's own SGR colour codes.
    const forced = outputs[3]!
    expect(forced.replace(/\u001b\[[0-9;]*m/g, '')).not.toMatch(
      /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/,
    )
    figure(
      'hostile text in `tokentrail last/trace/list` (plain and forced colour)',
      'ESC, BEL and C1 bytes printed as \\xNN; only the CLI’s own colour codes reach the terminal',
    )
  })
})

describe('secrets', () => {
  it('no Authorization header, provider apiKey or cookie reaches the database', async () => {
    const secrets = {
      authorization: `tt-auth-${crypto.randomUUID()}`,
      apiKey: `sk-proj-${crypto.randomUUID().replaceAll('-', '')}`,
      cookie: `tt-cookie-${crypto.randomUUID()}`,
      setCookieLike: `tt-session-${crypto.randomUUID()}`,
      xApiKey: `tt-xkey-${crypto.randomUUID()}`,
    }
    const traceId = await tracedRequest({
      prompt: 'What is the weather? Use the tool for Paris',
      service: 'security-secrets',
      apiKey: secrets.apiKey,
      headers: {
        authorization: `Bearer ${secrets.authorization}`,
        cookie: `session=${secrets.cookie}; other=${secrets.setCookieLike}`,
        'x-api-key': secrets.xApiKey,
      },
    })
    // The request really went through with the key: the mock saw it.
    const { spans } = await getTrace(collector.url, traceId)
    expect(spans).toHaveLength(SPANS_PER_CHAT_TRACE)
    const apiText = JSON.stringify(spans)
    // Stop the collector so SQLite checkpoints its WAL, then read every file of the database.
    const dbFiles = () => readdirSync(dir).filter((f) => f.startsWith('traces.db'))
    await collector.stop()
    const bytes = Buffer.concat(dbFiles().map((f) => readFileSync(join(dir, f))))
    collector = await startCollectorProcess({ db: join(dir, 'traces.db') })
    expect(bytes.includes(traceId)).toBe(true)
    const found = Object.entries(secrets).filter(
      ([, value]) => bytes.includes(value) || apiText.includes(value),
    )
    expect(found).toEqual([])
    figure(
      'Authorization, x-api-key, Cookie headers and provider apiKey on a real traced request',
      `none of ${Object.keys(secrets).length} secrets in the SQLite files (${(bytes.length / 1024).toFixed(0)} KB searched) or the API`,
    )
  })
})

describe('collector hardening', () => {
  function listening(port: number): string[] {
    // /proc/net/tcp{,6}: local address of sockets in LISTEN state (0A), without sending anything.
    const hex = port.toString(16).toUpperCase().padStart(4, '0')
    return ['/proc/net/tcp', '/proc/net/tcp6']
      .filter((f) => existsSync(f))
      .flatMap((f) => readFileSync(f, 'utf8').split('\n').slice(1))
      .map((line) => line.trim().split(/\s+/))
      .filter((cols) => cols[1]?.endsWith(`:${hex}`) && cols[3] === '0A')
      .map((cols) => cols[1]!.split(':')[0]!)
  }

  it('binds loopback only unless told otherwise', async () => {
    const port = Number(new URL(collector.url).port)
    expect(listening(port)).toEqual(['0100007F'])
    const open = await startCollectorProcess({
      db: join(dir, 'open.db'),
      extra: ['--host', '0.0.0.0'],
    })
    try {
      expect(listening(Number(new URL(open.url).port))).toEqual(['00000000'])
    } finally {
      await open.stop()
    }
    const rebinding = await send(
      `${collector.url}/api/traces`,
      '',
      { host: 'evil.example' },
      undefined,
      'GET',
    )
    expect(rebinding.status).toBe(403)
    figure(
      'tokentrail dev bind address; Host: evil.example (DNS rebinding)',
      '127.0.0.1 by default (0.0.0.0 only with --host); 403 for a foreign Host',
    )
  })

  it('answers browser exports (CORS) only from pages on this machine or named with --cors-origins', async () => {
    // The preflight a browser sends before a page's export; 204 lets the page send, 403 refuses.
    const preflight = async (origin: string, url = collector.url) =>
      (
        await fetch(`${url}/v1/traces`, {
          method: 'OPTIONS',
          headers: { origin, 'access-control-request-method': 'POST' },
        })
      ).status
    const origins = [
      'http://localhost:5173',
      'http://127.0.0.1:3000',
      'https://evil.example',
      'http://shop.localhost:3000',
      'null',
    ]
    const answers = []
    for (const origin of origins) answers.push(await preflight(origin))
    expect(answers).toEqual([204, 204, 403, 403, 403])
    const named = await startCollectorProcess({
      db: join(dir, 'cors.db'),
      extra: ['--cors-origins', 'https://app.example,http://shop.localhost:3000'],
    })
    try {
      expect(await preflight('https://app.example', named.url)).toBe(204)
      expect(await preflight('http://shop.localhost:3000', named.url)).toBe(204)
      expect(await preflight('https://evil.example', named.url)).toBe(403)
    } finally {
      await named.stop()
    }
    // The read API returns prompts: it answers no other page, not even one on localhost.
    const read = await fetch(`${collector.url}/api/traces`, {
      headers: { origin: 'http://localhost:5173' },
    })
    expect(read.status).toBe(403)
    expect(read.headers.get('access-control-allow-origin')).toBeNull()
    figure(
      'browser exports (CORS): pages on localhost:5173, 127.0.0.1:3000, evil.example, shop.localhost:3000, a file (null); --cors-origins',
      `preflight ${answers.join(', ')}; 204 once named with --cors-origins; the read API refuses other pages (403)`,
    )
  })

  it('enforces --token on ingest and on the API', async () => {
    const token = `tok-${crypto.randomUUID()}`
    const guarded = await startCollectorProcess({ db: join(dir, 'token.db'), token })
    try {
      const body = '{"resourceSpans":[]}'
      const json = { 'content-type': 'application/json' }
      const ingest = (headers: Record<string, string>) =>
        send(`${guarded.url}/v1/traces`, body, { ...json, ...headers })
      const api = (headers: Record<string, string>, path = '/api/traces') =>
        send(`${guarded.url}${path}`, '', headers, undefined, 'GET')
      const results = {
        ingestNone: (await ingest({})).status,
        ingestWrong: (await ingest({ authorization: 'Bearer wrong-token-123' })).status,
        ingestRight: (await ingest({ authorization: `Bearer ${token}` })).status,
        apiNone: (await api({})).status,
        apiWrong: (await api({ authorization: `Bearer ${token}x` })).status,
        apiRight: (await api({ authorization: `Bearer ${token}` })).status,
        liveNone: (await api({}, '/api/live')).status,
        spansNone: (await send(`${guarded.url}/api/spans`, '{"spans":[]}', json)).status,
      }
      expect(results).toEqual({
        ingestNone: 401,
        ingestWrong: 401,
        ingestRight: 200,
        apiNone: 401,
        apiWrong: 401,
        apiRight: 200,
        liveNone: 401,
        spansNone: 401,
      })
      figure(
        'tokentrail dev --token: /v1/traces, /api/spans, /api/traces, /api/live',
        '401 without or with a wrong token, 200 with it',
      )
    } finally {
      await guarded.stop()
    }
  })

  it('limits request size: body over --max-body and oversized headers', async () => {
    const limited = await startCollectorProcess({
      db: join(dir, 'limit.db'),
      extra: ['--max-body', '64kb'],
    })
    try {
      const big = await send(`${limited.url}/v1/traces`, Buffer.alloc(65 * 1024, 0x20), {
        'content-type': 'application/json',
      })
      expect(big.status).toBe(413)
      const headers = await send(
        `${limited.url}/health`,
        '',
        { 'x-big': 'a'.repeat(64 * 1024) },
        undefined,
        'GET',
      )
      expect(headers.status === 431 || headers.status === 400 || headers.error !== undefined).toBe(
        true,
      )
      expect((await fetch(`${limited.url}/health`)).status).toBe(200)
      figure(
        'request size limits (--max-body 64kb; 64 KB header)',
        `413 for the body; ${headers.status || 'closed'} for the header; still serving`,
      )
    } finally {
      await limited.stop()
    }
  })
})
