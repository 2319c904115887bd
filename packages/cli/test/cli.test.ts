import { spawn } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { type CliIO, type Collector, runCli, startCollector } from '../src/index.js'
import { chatTrace, onCleanup, runCapture, tempDir } from './helpers.js'

async function collector(): Promise<Collector> {
  const c = await startCollector({ port: 0, db: join(tempDir(), 'traces.db') })
  onCleanup(() => c.close())
  return c
}

const run = runCapture

/** A port nothing listens on. */
async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

let ttyOut = ''

describe('tokentrail CLI', () => {
  it('lists traces, shows the last one and the last error as a span tree', async () => {
    const c = await collector()
    const ok = await chatTrace({ prompt: 'hello' })
    const failed = await chatTrace({ fail: true })
    c.store.insert(ok)
    c.store.insert(failed)
    const list = await run(['list', '--url', c.url])
    expect(list.code).toBe(0)
    const lines = list.stdout.trim().split('\n')
    expect(lines[0]).toMatch(
      /^TIME\s+TRACE\s+DURATION\s+STATUS\s+MODEL\s+TOKENS\s+COST\s+USER\s+NAME · INPUT$/,
    )
    expect(lines[1]).toContain(failed[0]!.traceId.slice(0, 12))
    // A failed row says why; an ok row what was asked.
    expect(lines[1]).toMatch(
      /✗ error\s+gpt-4o-mini\s+55\s+\$0\.00012\s+-\s+POST \/api\/chat · weather service unreachable$/,
    )
    expect(lines[2]).toMatch(/✓ ok.*POST \/api\/chat · hello$/)
    const errors = await run(['list', '--status', 'error', '--url', c.url])
    expect(errors.stdout.trim().split('\n')).toHaveLength(2)

    const error = await run(['error', '--url', c.url])
    expect(error.code).toBe(0)
    expect(error.stdout).toContain(`trace ${failed[0]!.traceId}`)
    expect(error.stdout).toMatch(/http POST \/api\/chat/)
    expect(error.stdout).toMatch(
      /├─ llm chat gpt-4o-mini\s+\d+(\.\d)?ms\s+.*21→34 tok\s+ttft 12\.5ms\s+\$0\.00012/,
    )
    expect(error.stdout).toMatch(
      /└─ tool execute_tool weather.*TypeError: weather service unreachable/,
    )
    expect(error.stdout).toMatch(
      /✗ execute_tool weather: TypeError: weather service unreachable\n\s+at /,
    )

    const last = await run(['last', '--json', '--url', c.url])
    expect(JSON.parse(last.stdout).trace.traceId).toBe(failed[0]!.traceId)
  })

  it('exports a report with raw spans (JSON to a file, Markdown to stdout) that imports into another collector', async () => {
    const source = await collector()
    const spans = await chatTrace({ fail: true })
    source.store.insert(spans)
    const cwd = tempDir()
    const exported = await run(
      [
        'trace',
        spans[0]!.traceId.slice(0, 8),
        '--export',
        '--format',
        'json',
        '--raw',
        '--out',
        'trace.json',
        '--url',
        source.url,
      ],
      { cwd },
    )
    expect(exported.code).toBe(0)
    const file = join(cwd, 'trace.json')
    expect(exported.stdout).toBe(
      `exported trace ${spans[0]!.traceId} (3 spans, 1 hints, raw spans) to ${file}\n`,
    )
    const content = JSON.parse(readFileSync(file, 'utf8'))
    expect(content).toMatchObject({
      format: 'tokentrail.report.v1',
      trace: { traceId: spans[0]!.traceId },
      hints: [{ id: 'tool-threw' }],
    })
    expect(content.spans).toHaveLength(3)

    const target = await collector()
    const imported = await run(['import', file, '--url', target.url], { cwd })
    expect(imported).toMatchObject({ code: 0, stdout: expect.stringContaining('imported 3 spans') })
    expect(target.store.getTrace(spans[0]!.traceId)!.spans).toEqual(
      source.store.getTrace(spans[0]!.traceId)!.spans,
    )

    // Piped (stdout not a terminal): Markdown on stdout; its raw block imports too.
    const markdown = await run(['last', '--export', '--raw', '--url', source.url], { cwd })
    expect(markdown.code).toBe(0)
    expect(markdown.stdout).toMatch(/^# Trace `[0-9a-f]{32}`: POST \/api\/chat \(✗ error\)/)
    expect(markdown.stdout).toContain('\n## Raw spans\n')
    writeFileSync(join(cwd, 'trace.md'), markdown.stdout)
    const third = await collector()
    const again = await run(['import', 'trace.md', '--url', third.url], { cwd })
    expect(again).toMatchObject({ code: 0, stdout: expect.stringContaining('imported 3 spans') })
    // A "Raw spans" heading quoted before the report's own (in a note pasted above it): the
    // report's own section, the last, is the one read.
    writeFileSync(
      join(cwd, 'quoted.md'),
      `Seen in chat:\n## Raw spans\n\n\`\`\`json\n{"spans": []}\n\`\`\`\n${markdown.stdout}`,
    )
    const fourth = await collector()
    const quoted = await run(['import', 'quoted.md', '--url', fourth.url], { cwd })
    expect(quoted).toMatchObject({ code: 0, stdout: expect.stringContaining('imported 3 spans') })
    const plain = await run(['last', '--export', '--url', source.url], { cwd })
    writeFileSync(join(cwd, 'plain.md'), plain.stdout)
    const refused = await run(['import', 'plain.md', '--url', third.url], { cwd })
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain('holds no spans: export with --raw')

    // On a terminal without --out, the report goes to a file named after the trace.
    const tty = await run(['last', '--export', '--url', source.url], {
      cwd,
      stdout: { write: (text: string) => (ttyOut += text), isTTY: true },
    })
    expect(tty.code).toBe(0)
    const named = join(cwd, `tokentrail-trace-${spans[0]!.traceId}.md`)
    expect(ttyOut).toContain(named)
    expect(readFileSync(named, 'utf8')).toBe(plain.stdout)
  })

  it('prints stats by model', async () => {
    const c = await collector()
    c.store.insert(await chatTrace({ model: 'gpt-4o' }))
    c.store.insert(await chatTrace({ model: 'gpt-4o', fail: true }))
    const stats = await run(['stats', '--url', c.url])
    expect(stats.code).toBe(0)
    expect(stats.stdout).toMatch(/^traces 2 {2}errors 1 \(50\.0%\)/)
    expect(stats.stdout).toMatch(/MODEL\s+CALLS\s+ERR%\s+P50\s+P95\s+P99\s+TTFT P50/)
    expect(stats.stdout).toMatch(
      /gpt-4o\s+2\s+0\.0\s.*12\.5ms\s+12\.5ms\s+12\.5ms\s+42\s+68\s+\$0\.00025/,
    )
  })

  it('tails spans as they arrive until stopped', async () => {
    const c = await collector()
    const controller = new AbortController()
    const lines: string[] = []
    let opened!: () => void
    const open = new Promise<void>((resolve) => (opened = resolve))
    const tail = runCli(['tail', '--url', c.url], {
      stdout: {
        write: (text: string) => {
          lines.push(text)
          if (lines.length >= 3) controller.abort()
        },
      },
      stderr: { write: () => opened() },
      env: {},
      signal: controller.signal,
    })
    await open
    const spans = await chatTrace({ fail: true })
    await fetch(`${c.url}/api/spans`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ spans }),
    })
    expect(await tail).toBe(0)
    expect(lines.join('')).toMatch(/✓ ok\s+llm chat gpt-4o-mini\s+.*21→34 tok/)
    expect(lines.join('')).toMatch(
      /✗ error\s+tool execute_tool weather.*weather service unreachable/,
    )
  })

  it('tail waits for a collector that restarts and follows it again, said once', async () => {
    const first = await startCollector({ port: 0, db: join(tempDir(), 'traces.db') })
    const port = first.port
    const controller = new AbortController()
    let stdout = ''
    let stderr = ''
    const seen = (text: string) =>
      new Promise<void>((resolve) => {
        const check = setInterval(() => {
          if (stderr.includes(text)) {
            clearInterval(check)
            resolve()
          }
        }, 20)
      })
    const tail = runCli(['tail', '--url', first.url], {
      stdout: {
        write: (text: string) => {
          stdout += text
          if (stdout.includes('tool execute_tool weather')) controller.abort()
        },
      },
      stderr: { write: (text: string) => (stderr += text) },
      env: {},
      signal: controller.signal,
    })
    await seen('(Ctrl-C to stop)\n')
    await first.close()
    await seen('closed the live stream: waiting for it to come back')
    // A new `tokentrail dev` on the same port, a few retries later.
    await new Promise((resolve) => setTimeout(resolve, 600))
    const second = await startCollector({ port, db: join(tempDir(), 'traces.db') })
    onCleanup(() => second.close())
    await seen(`following ${first.url} again`)
    await fetch(`${second.url}/api/spans`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ spans: await chatTrace({ fail: true }) }),
    })
    expect(await tail).toBe(0)
    expect(stdout).toMatch(/✗ error\s+tool execute_tool weather/)
    expect(stderr.match(/waiting for it to come back/g)).toHaveLength(1)
  })

  it('tail against no collector at all is still an error, exit 1', async () => {
    const port = await freePort()
    const result = await run(['tail', '--url', `http://127.0.0.1:${port}`])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('no collector is running at')
  })

  it('shows hostile captured text without running terminal escapes', async () => {
    const c = await collector()
    const spans = await chatTrace({ fail: true })
    c.store.insert(
      spans.map((s) =>
        s.kind === 'tool'
          ? {
              ...s,
              name: 'evil \u001b[2J name',
              error: { ...s.error!, message: '\u001b]0;pwned\u0007' },
            }
          : s,
      ),
    )
    const out = await run(['last', '--url', c.url])
    expect(out.stdout).not.toContain('\u001b')
    expect(out.stdout).toContain('evil \\x1b[2J name')
    expect(out.stdout).toContain('\\x1b]0;pwned\\x07')
  })

  it('explains a collector that is not running, an unknown id and bad usage', async () => {
    const port = await freePort()
    const down = await run(['list', '--url', `http://127.0.0.1:${port}`])
    expect(down.code).toBe(1)
    expect(down.stderr).toMatch(
      /no collector is running at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\): start one with `tokentrail dev`/,
    )
    const c = await collector()
    const unknown = await run(['trace', 'abcdef1234', '--url', c.url])
    expect(unknown).toMatchObject({ code: 1, stderr: 'error no trace with id "abcdef1234"\n' })
    const empty = await run(['error', '--url', c.url])
    expect(empty).toMatchObject({ code: 1, stderr: 'error no failed traces yet\n' })
    const badOption = await run(['list', '--bogus'])
    expect(badOption.code).toBe(2)
    expect(badOption.stderr).toMatch(/tokentrail list: Unknown option '--bogus'/)
    expect((await run(['list', '--status', 'broken'])).stderr).toMatch(
      /--status must be ok, error or cancelled, got "broken"/,
    )
    expect((await run(['trace'])).stderr).toMatch(/tokentrail trace needs one argument/)
    // Too short a prefix, or not hex: a usage error naming what an id is, not "no trace".
    for (const id of ['abcde', 'not-a-trace-id', 'abcdef1234abcdef1234abcdef1234abc'])
      expect(await run(['trace', id, '--url', c.url])).toMatchObject({
        code: 2,
        stderr: expect.stringContaining(
          `tokentrail trace: "${id}" is not a trace id: give the 32 hex characters of one, or a unique prefix of 6 or more`,
        ),
      })
    expect((await run(['frobnicate'])).stderr).toMatch(/unknown command "frobnicate"/)
    expect((await run(['dev', '--max-age', 'forever'])).stderr).toMatch(
      /--max-age must be a duration such as 12h or 7d, got "forever"/,
    )
    expect((await run(['dev', '--port', '99999'])).stderr).toMatch(
      /--port must be a whole number from 0 to 65535/,
    )
    // --format picks the --export report's format: alone it would be ignored.
    expect(await run(['last', '--format', 'xml', '--url', c.url])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining(
        `--format picks the format of --export's report (md or json), got "xml" without --export`,
      ),
    })
    expect((await run(['--help'])).stdout).toContain('tokentrail dev')
  })

  it('runs `dev` until stopped, serving the viewer and the API', async () => {
    const controller = new AbortController()
    const cwd = tempDir()
    let url = ''
    const listening = new Promise<void>((resolve) => {
      void run(['dev', '--port', '0', '--db', 'data/t.db', '--max-traces', '10'], {
        cwd,
        signal: controller.signal,
        onListening: (u) => {
          url = u
          resolve()
        },
      }).then((result) => done(result))
    })
    let done!: (result: Awaited<ReturnType<typeof run>>) => void
    const finished = new Promise<Awaited<ReturnType<typeof run>>>((resolve) => (done = resolve))
    await listening
    expect((await fetch(`${url}/health`)).status).toBe(200)
    expect(existsSync(join(cwd, 'data/t.db'))).toBe(true)
    controller.abort()
    const result = await finished
    expect(result.code).toBe(0)
    expect(result.stdout).toContain(`viewer   ${url}/`)
    expect(result.stdout).toContain(`OTLP     ${url}/v1/traces`)
    expect(result.stdout).toContain('collector stopped')
  })

  it('the built bin runs on Node without printing the SQLite experimental warning', async () => {
    const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url))
    expect(
      existsSync(bin),
      'run `pnpm --filter @tokentrail/cli build` first (the test script does)',
    ).toBe(true)
    const port = await freePort()
    const child = spawn(process.execPath, [bin, 'list', '--url', `http://127.0.0.1:${port}`], {
      env: { ...process.env, NO_COLOR: '1' },
    })
    let stderr = ''
    child.stderr.on('data', (chunk) => (stderr += chunk))
    const code = await new Promise((resolve) => child.on('close', resolve))
    expect(code).toBe(1)
    expect(stderr).toMatch(/^error no collector is running/)
    expect(stderr).not.toContain('ExperimentalWarning')
  })
})
