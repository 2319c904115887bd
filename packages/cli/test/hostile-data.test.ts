// Issue 17, items 3, 5, 6, 7, 8 and 9: span parent cycles and deep traces, the Host check on a
// non-loopback bind, terminal escapes in CLI output, storage errors, odd ids, live-stream memory.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { connect, type Socket } from 'node:net'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { type CliIO, type Collector, openTraceStore, runCli, startCollector } from '../src/index.js'
import { onCleanup, runCapture, tempDir } from './helpers.js'
import { hexId, llmTrace, postSpans, span } from './synthetic.js'

async function collector(options: Parameters<typeof startCollector>[0] = {}): Promise<Collector> {
  const c = await startCollector({ port: 0, db: join(tempDir(), 'traces.db'), ...options })
  onCleanup(() => c.close())
  return c
}

const run = runCapture

/** A GET with a chosen Host header (fetch does not let a caller set it). */
function getWithHost(url: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { headers: { host } }, (response) => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk) => (body += chunk))
      response.on('end', () => resolve({ status: response.statusCode!, body }))
    })
    request.on('error', reject)
    request.end()
  })
}

function chain(n: number, { cycle }: { cycle: boolean }) {
  const traceId = hexId(32)
  const ids = Array.from({ length: n }, () => hexId(16))
  const start = Date.now()
  const spans = ids.map((spanId, i) =>
    span({
      traceId,
      spanId,
      // Each span's parent is the next one; with `cycle` the last points back at the first.
      parentSpanId: i + 1 < n ? ids[i + 1] : cycle ? ids[0] : undefined,
      name: `level ${n - i}`,
      startTime: start + (n - i),
      endTime: start + 2 * n - (n - i),
    }),
  )
  return { traceId, spans, ids }
}

describe('traces shaped to break tree building', () => {
  it('answers a 16,000-span parent cycle in linear time, the earliest span as the root', async () => {
    const c = await collector()
    const { traceId, spans, ids } = chain(16_000, { cycle: true })
    expect(await postSpans(c.url, spans)).toBe(200)
    const response = await fetch(`${c.url}/api/traces/${traceId}?limit=all`)
    expect(response.status).toBe(200)
    const detail = await response.json()
    expect(detail.waterfall).toHaveLength(16_000)
    expect(detail.spans).toHaveLength(16_000)
    expect(detail.page).toEqual({ offset: 0, limit: 16_000, total: 16_000 })
    // The earliest span (the last id) loses its parent link; every other span hangs below it.
    expect(detail.waterfall[0]).toMatchObject({ spanId: ids[15_999], depth: 0 })
    expect(detail.waterfall[0].parentSpanId).toBeUndefined()
    expect(detail.waterfall.at(-1)).toMatchObject({ spanId: ids[0], depth: 15_999 })
    // Without a limit the answer holds the first 1,000 rows and only their spans; any page is
    // the same rows as the whole answer's.
    const first = await (await fetch(`${c.url}/api/traces/${traceId}`)).json()
    expect(first.page).toEqual({ offset: 0, limit: 1000, total: 16_000 })
    expect(first.waterfall).toEqual(detail.waterfall.slice(0, 1000))
    expect(first.spans.map((s: { spanId: string }) => s.spanId).sort()).toEqual(
      first.waterfall.map((r: { spanId: string }) => r.spanId).sort(),
    )
    const tail = await (
      await fetch(`${c.url}/api/traces/${traceId}?offset=15500&limit=1000`)
    ).json()
    expect(tail.page).toEqual({ offset: 15_500, limit: 1000, total: 16_000 })
    expect(tail.waterfall).toEqual(detail.waterfall.slice(15_500))
    expect(tail.spans).toHaveLength(500)
    expect(tail.spans.at(-1).spanId).toBe(ids[0])
    const bad = await fetch(`${c.url}/api/traces/${traceId}?limit=0`)
    expect(bad.status).toBe(400)
    expect((await bad.json()).error).toBe('limit must be a whole number ≥ 1 or all, got "0"')
  }, 20_000)

  it('--url and TOKENTRAIL_URL are checked as URLs, named, a password masked; an empty one is the default', async () => {
    const bad = await run(['list', '--url', 'http://me:SECRET@127.0.0.1:99999'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain(
      '--url must be an http(s) URL such as http://127.0.0.1:4318, got "http://me:***@127.0.0.1:99999"',
    )
    const fromEnv = await run(['list'], { env: { TOKENTRAIL_URL: 'ftp://collector:4318' } })
    expect(fromEnv.code).toBe(2)
    expect(fromEnv.stderr).toContain(
      'TOKENTRAIL_URL must be an http(s) URL such as http://127.0.0.1:4318, got "ftp://collector:4318" (not http(s))',
    )
    const query = await run(['list', '--url', 'http://127.0.0.1:4318/?token=SECRET'])
    expect(query.stderr).toContain(
      'got "http://127.0.0.1:4318/?token=***" (it has a query or fragment',
    )
    // Empty (a compose file's `TOKENTRAIL_URL=`), or blank with a trailing space: the default, trimmed.
    const c = await collector()
    expect((await run(['list', '--url', `${c.url} `])).code).toBe(0)
    const empty = await run(['list'], { env: { TOKENTRAIL_URL: '' } })
    expect(empty.stderr).not.toContain('must be an http(s) URL')
  })

  it('the query API and viewer refuse another page (an Origin not their own) with 403', async () => {
    const c = await collector()
    expect(await postSpans(c.url, llmTrace(Date.now() - 1000))).toBe(200)
    for (const path of ['/api/traces', '/api/last', '/api/stats', '/'])
      expect(
        (await fetch(`${c.url}${path}`, { headers: { origin: 'http://evil.example' } })).status,
        path,
      ).toBe(403)
    const own = new URL(c.url).origin
    expect((await fetch(`${c.url}/api/traces`, { headers: { origin: own } })).status).toBe(200)
    expect((await fetch(`${c.url}/api/traces`)).status).toBe(200)
  })

  it('a token the collector refuses is said as refused; none given, as needed', async () => {
    const c = await collector({ token: 'right-token-123' })
    const wrong = await run(['list', '--url', c.url, '--token', 'wrong-token-456'])
    expect(wrong.code).toBe(1)
    expect(wrong.stderr).toContain(
      'the collector refused the token: check --token or TOKENTRAIL_TOKEN against the one `tokentrail dev` was started with',
    )
    expect(wrong.stderr).not.toContain('wrong-token-456')
    const none = await run(['list', '--url', c.url])
    expect(none.stderr).toContain(
      'the collector needs a token: pass --token or set TOKENTRAIL_TOKEN',
    )
    expect((await run(['list', '--url', c.url, '--token', 'right-token-123'])).code).toBe(0)
  })

  it('`tokentrail trace` cut at 1,000 spans draws no branch closed at the cut', async () => {
    const c = await collector()
    const traceId = hexId(32)
    const root = hexId(16)
    const start = Date.now()
    const spans = [
      span({ traceId, spanId: root, name: 'root', startTime: start, endTime: start + 10_000 }),
    ]
    // 30 calls of 40 tools each: 1,231 spans, the page ends inside call 23.
    for (let i = 0; i < 30; i++) {
      const call = hexId(16)
      spans.push(
        span({
          traceId,
          spanId: call,
          parentSpanId: root,
          name: `call-${i}`,
          startTime: start + i * 100,
        }),
      )
      for (let j = 0; j < 40; j++)
        spans.push(
          span({
            traceId,
            spanId: hexId(16),
            parentSpanId: call,
            name: `tool-${i}-${j}`,
            startTime: start + i * 100 + j,
          }),
        )
    }
    expect(await postSpans(c.url, spans)).toBe(200)
    const { stdout } = await run(['trace', traceId, '--url', c.url])
    const lines = stdout.split('\n')
    const shown = lines.filter((line) => / (call|tool)-\d/.test(line))
    expect(shown).toHaveLength(999)
    // The last call and the last tool shown have siblings after the cut: not drawn as the last.
    const lastCall = shown.filter((line) => / call-\d+/.test(line)).at(-1)!
    expect(lastCall).toContain('├─')
    expect(shown.at(-1)).toContain('├─')
    expect(lines.filter(Boolean).at(-1)).toBe(
      '… 231 more spans not shown (1–1,000 of 1,231); --all shows every span',
    )
    // Whole, the last call and its last tool close their branches.
    const all = (await run(['trace', traceId, '--all', '--url', c.url])).stdout
    expect(all.split('\n').find((line) => line.includes(' call-29'))).toContain('└─')
    expect(all.split('\n').find((line) => line.includes(' tool-29-39'))).toContain('└─')
  })

  it('the Markdown report of a 3,000-deep trace stops indenting, and says the depth', async () => {
    const c = await collector()
    const { traceId, spans } = chain(3000, { cycle: false })
    expect(await postSpans(c.url, spans)).toBe(200)
    const { code, stdout } = await run(['trace', traceId, '--export', '--url', c.url])
    expect(code).toBe(0)
    const lines = stdout
      .split('\n')
      .filter((line) => /^\s*- \+/.test(line) || /^\s*- \(depth/.test(line))
    expect(lines.length).toBeGreaterThan(100)
    // Two spaces a level, 24 levels at most: before, the last line alone was 6 KB of spaces.
    expect(Math.max(...lines.map((line) => /^ */.exec(line)![0].length))).toBe(48)
    expect(lines.some((line) => line.startsWith(`${' '.repeat(48)}- (depth 2999) `))).toBe(true)
  })

  it('serves a 10,000-deep trace to /api/traces/:id, /api/last and `tokentrail last`', async () => {
    const c = await collector()
    const { traceId, spans } = chain(10_000, { cycle: false })
    expect(await postSpans(c.url, spans)).toBe(200)
    for (const path of [`/api/traces/${traceId}`, '/api/last']) {
      const response = await fetch(`${c.url}${path}?offset=9000`)
      expect(response.status).toBe(200)
      const detail = await response.json()
      expect(detail.page).toEqual({ offset: 9000, limit: 1000, total: 10_000 })
      expect(detail.waterfall.map((row: { depth: number }) => row.depth).at(-1)).toBe(9_999)
    }
    const last = await run(['last', '--url', c.url])
    expect(last.stderr).toBe('')
    expect(last.code).toBe(0)
    const shown = last.stdout.split('\n')
    expect(shown.some((line) => line.includes('level 1 '))).toBe(true)
    expect(shown.some((line) => line.includes('level 10000 '))).toBe(false)
    expect(shown.filter(Boolean).at(-1)).toBe(
      '… 9,000 more spans not shown (1–1,000 of 10,000); --all shows every span',
    )
    const all = await run(['last', '--all', '--url', c.url])
    expect(all.stderr).toBe('')
    expect(all.code).toBe(0)
    const lines = all.stdout.split('\n')
    expect(lines.some((line) => line.includes('level 1 '))).toBe(true)
    // Indentation stops growing: the deepest row says how deep it is instead.
    const deepest = lines.find((line) => line.includes('level 10000 '))
    expect(deepest).toContain('…9976 levels…')
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThan(400)
    // The bug report covers every span, and says so.
    const file = join(tempDir(), 'deep.json')
    const exported = await run([
      'last',
      '--export',
      '--format',
      'json',
      '--out',
      file,
      '--url',
      c.url,
    ])
    expect(exported.stderr).toBe('')
    expect(exported.stdout).toMatch(new RegExp(`^exported trace ${traceId} \\(10000 spans, `))
    expect(JSON.parse(readFileSync(file, 'utf8')).timeline).toHaveLength(10_000)
  }, 30_000)

  it('answers 400 to a malformed percent-escape in a trace id', async () => {
    const c = await collector()
    for (const path of ['/api/traces/%', '/api/traces/%E0%A4%A']) {
      const response = await fetch(`${c.url}${path}`)
      expect(response.status).toBe(400)
      expect((await response.json()).error).toMatch(/trace id must be hex characters/)
    }
  })
})

describe('bound to every interface', () => {
  it('keeps the Host check, with --allowed-hosts, and still takes spans from any host', async () => {
    const c = await collector({ host: '0.0.0.0', allowedHosts: ['devbox.local'] })
    const base = `http://127.0.0.1:${c.port}`
    const rebinding = await getWithHost(`${base}/api/traces`, `attacker.example:${c.port}`)
    expect(rebinding.status).toBe(403)
    expect(JSON.parse(rebinding.body).error).toBe(
      'host "attacker.example" is not allowed; use 127.0.0.1, localhost or an IP address, or start with --allowed-hosts attacker.example',
    )
    expect((await getWithHost(`${base}/`, 'attacker.example')).status).toBe(403)
    // Brackets are an IPv6 literal only when what they hold is one, followed by a port at most.
    for (const host of [
      '[evil.example]',
      `[evil.example]:${c.port}`,
      '[::1].evil.example',
      '[::1]x',
      '[',
    ])
      expect(await getWithHost(`${base}/api/traces`, host), host).toMatchObject({
        status: 403,
        body: expect.stringContaining('not a host name or IP address'),
      })
    expect((await getWithHost(`${base}/api/live`, 'attacker.example')).status).toBe(403)
    for (const host of [
      `devbox.local:${c.port}`,
      `192.168.1.20:${c.port}`,
      'localhost',
      '[::1]:80',
      '[::1]',
      '[fe80::1]',
    ])
      expect((await getWithHost(`${base}/api/traces`, host)).status).toBe(200)
    // Ingest only writes: exporters on other machines name the collector however they like.
    const ingest = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(
        `${base}/api/spans`,
        {
          method: 'POST',
          headers: { host: 'tokentrail:4318', 'content-type': 'application/json' },
        },
        (response) => {
          response.resume()
          resolve(response.statusCode!)
        },
      )
      request.on('error', reject)
      request.end(JSON.stringify({ spans: [span({ traceId: hexId(32), spanId: hexId(16) })] }))
    })
    expect(ingest).toBe(200)
  })

  it('warns at start-up, naming the exposure', async () => {
    const controller = new AbortController()
    const dir = tempDir()
    let stderr = ''
    const done = runCli(['dev', '--port', '0', '--host', '0.0.0.0', '--db', join(dir, 't.db')], {
      stdout: { write: () => true },
      stderr: { write: (text: string) => (stderr += text) },
      env: {},
      cwd: dir,
      signal: controller.signal,
      onListening: () => controller.abort(),
    })
    expect(await done).toBe(0)
    expect(stderr).toMatch(
      /^warning listening on 0\.0\.0\.0: every machine that can reach port \d+ can send spans and read every stored prompt, output and error through the API and viewer, with no token; pass --token\. The viewer and API answer only to IP addresses and localhost \(add names with --allowed-hosts\)\.\n$/,
    )
    const bad = await run(['dev', '--allowed-hosts', 'a b'])
    expect(bad.code).toBe(2)
  })
})

describe('terminal escapes', () => {
  const ESC = /[\u001b\u0007\u009b]/

  it('never reach the terminal from last, error, trace or list', async () => {
    const c = await collector()
    const traceId = hexId(32)
    const root = hexId(16)
    const now = Date.now()
    const hostile = '\u001b]0;owned\u0007\u001b[2J'
    expect(
      await postSpans(c.url, [
        span({
          traceId,
          spanId: root,
          name: 'root',
          kind: 'http',
          status: 'error',
          startTime: now,
          resource: { serviceName: `svc${hostile}`, attributes: {} },
        }),
        span({
          traceId,
          spanId: hexId(16),
          parentSpanId: root,
          name: `chat ${hostile}`,
          kind: `llm`,
          status: 'error',
          startTime: now + 1,
          error: {
            type: `Err${hostile}`,
            message: `failed${hostile}`,
            stack: `Err\n at ${hostile}`,
          },
          resource: { serviceName: `svc${hostile}`, attributes: {} },
          attributes: {
            'gen_ai.request.model': `gpt${hostile}`,
            'gen_ai.usage.input_tokens': `12${hostile}`,
            'gen_ai.usage.output_tokens': [hostile],
            'tokentrail.cost.usd': hostile,
            'gen_ai.response.finish_reasons': [`stop${hostile}`],
          } as never,
        }),
      ]),
    ).toBe(200)
    for (const argv of [
      ['last'],
      ['error'],
      ['trace', traceId.slice(0, 10)],
      ['list'],
      ['stats'],
    ]) {
      const result = await run([...argv, '--url', c.url], { env: { FORCE_COLOR: '0' } })
      expect(result.code, argv.join(' ')).toBe(0)
      expect(result.stdout, argv.join(' ')).not.toMatch(ESC)
    }
    const last = await run(['last', '--url', c.url])
    expect(last.stdout).toContain('svc\\x1b]0;owned\\x07\\x1b[2J')
    expect(last.stdout).toContain('12\\x1b]0;owned')
    expect(last.stdout).toContain('finish stop\\x1b]0;owned')
  })

  it('never reach the terminal from a server’s error message (import, trace <id>)', async () => {
    const server = createServer((request, response) => {
      request.resume()
      response.writeHead(400, { 'content-type': 'application/json' })
      response.end(JSON.stringify({ error: 'bad \u001b]52;c;cm0gLXJmIH4=\u0007 input \u001b[2J' }))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    onCleanup(() => new Promise((resolve) => server.close(resolve)))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const dir = tempDir()
    writeFileSync(join(dir, 'trace.json'), '{"spans":[]}')
    for (const argv of [['import', 'trace.json'], ['trace', 'abcdef123456'], ['last']]) {
      const result = await run([...argv, '--url', url], { cwd: dir })
      expect(result.code, argv.join(' ')).toBe(1)
      expect(result.stderr, argv.join(' ')).not.toMatch(ESC)
      expect(result.stderr).toContain('bad \\x1b]52;c;cm0gLXJmIH4=\\x07 input \\x1b[2J')
    }
  })
})

describe('storage failures', () => {
  it('a full disk answers 503 with Retry-After, logs SQLite’s error, loses nothing once space is back', async () => {
    const path = join(tempDir(), 'traces.db')
    const store = openTraceStore({ path })
    onCleanup(() => store.close())
    const logs: string[] = []
    const c = await collector({ store, log: (line) => logs.push(line) })
    expect(await postSpans(c.url, [span({ traceId: hexId(32), spanId: hexId(16) })])).toBe(200)
    // SQLite's own page limit makes the next write fail exactly as a full disk does (SQLITE_FULL).
    const db = (store as unknown as { db: import('node:sqlite').DatabaseSync }).db
    const { page_count } = db.prepare('PRAGMA page_count').get() as { page_count: number }
    db.exec(`PRAGMA max_page_count = ${page_count}`)
    const big = Array.from({ length: 2000 }, () =>
      span({ traceId: hexId(32), spanId: hexId(16), name: 'x'.repeat(200) }),
    )
    for (const path of ['/api/spans', '/v1/traces']) {
      const response = await fetch(`${c.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body:
          path === '/api/spans'
            ? JSON.stringify({ spans: big })
            : JSON.stringify({
                resourceSpans: [
                  {
                    scopeSpans: [
                      {
                        spans: big.slice(0, 500).map((s) => ({
                          traceId: s.traceId,
                          spanId: s.spanId,
                          name: s.name,
                          startTimeUnixNano: `${s.startTime * 1e6}`,
                          endTimeUnixNano: `${s.endTime * 1e6}`,
                        })),
                      },
                    ],
                  },
                ],
              }),
      })
      expect(response.status, path).toBe(503)
      expect(response.headers.get('retry-after')).toBe('30')
      const text = await response.text()
      expect(text).toContain('storage unavailable (disk full): database or disk is full')
      expect(text).not.toContain('cannot rollback')
    }
    expect(logs).toEqual([`tokentrail: cannot store data in ${path}: database or disk is full`])
    expect(store.counts.traces).toBe(1)
    db.exec('PRAGMA max_page_count = 1073741823')
    expect(await postSpans(c.url, big)).toBe(200)
    expect(store.counts).toEqual({ traces: 2001, spans: 2001 })
    expect(store.stats().traces.count).toBe(2001)
  })

  it('a database that cannot be opened for I/O reasons is not called “not a tokentrail database”', async () => {
    const dir = tempDir()
    const path = join(dir, 'traces.db')
    const first = openTraceStore({ path })
    first.insert([span({ traceId: hexId(32), spanId: hexId(16) })])
    first.close()
    // The write-ahead log cannot be opened: an I/O failure, while the file itself is fine.
    mkdirSync(`${path}-wal`)
    expect(() => openTraceStore({ path })).toThrow(
      new RegExp(
        `^cannot open the trace database at ${path.replace(/[.]/g, '\\.')}: unable to open database file; check the disk and the file's permissions, or pass another --db path$`,
      ),
    )
    rmSync(`${path}-wal`, { recursive: true })
    // Only writes fail (its shared-memory file cannot be made): the store opens and reads; the
    // collector answers ingest 503 read-only instead of refusing to start.
    mkdirSync(`${path}-shm`)
    const store = openTraceStore({ path })
    onCleanup(() => store.close())
    expect(store.listTraces().traces).toHaveLength(1)
    const logs: string[] = []
    const c = await collector({ store, log: (line) => logs.push(line) })
    const response = await fetch(`${c.url}/api/spans`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ spans: [span({ traceId: hexId(32), spanId: hexId(16) })] }),
    })
    expect(response.status).toBe(503)
    expect((await response.json()).error).toMatch(
      /^storage unavailable \(read-only\): attempt to write a readonly database/,
    )
    expect(logs).toHaveLength(1)
  })
})

describe('live stream memory', () => {
  it('1,000 subscribers that never read stay within the global budget', async () => {
    const budget = 8 * 1024 * 1024
    const c = await collector({ maxLiveBufferBytes: budget })
    const sockets: Socket[] = []
    onCleanup(() => {
      for (const socket of sockets) socket.destroy()
    })
    for (let i = 0; i < 1000; i++) {
      const socket = connect(c.port, '127.0.0.1')
      socket.write(`GET /api/live HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n`)
      // Never read: the kernel buffers fill, then the collector's queue for this client grows.
      socket.pause()
      socket.on('error', () => {})
      sockets.push(socket)
    }
    await expect.poll(() => c.stats().liveClients, { timeout: 20_000 }).toBe(1000)
    const rss = process.memoryUsage().rss
    let peak = 0
    for (let round = 0; round < 3; round++) {
      const spans = Array.from({ length: 20 }, () =>
        span({ traceId: hexId(32), spanId: hexId(16), name: 'n'.repeat(20_000) }),
      )
      expect(await postSpans(c.url, spans)).toBe(200)
      peak = Math.max(peak, c.stats().liveBufferedBytes)
    }
    const stats = c.stats()
    expect(peak).toBeLessThanOrEqual(budget)
    expect(stats.slowLiveClientsDropped).toBeGreaterThan(900)
    expect(stats.liveClients + stats.slowLiveClientsDropped).toBe(1000)
    expect(process.memoryUsage().rss - rss).toBeLessThan(256 * 1024 * 1024)
  }, 60_000)
})
