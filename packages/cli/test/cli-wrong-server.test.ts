// The client commands pointed at something that is not `tokentrail dev`: another program on the
// port (an OpenTelemetry Collector also listens on 4318), a web app, a collector that stalls; and
// their output piped into a reader that stops early.
import { execFile, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer, type RequestListener, type Server } from 'node:http'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { startCollector } from '../src/index.js'
import { onCleanup, tempDir } from './helpers.js'
import { hexId, postSpans, span } from './synthetic.js'

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url))

async function server(handler: RequestListener): Promise<string> {
  const s: Server = createServer(handler)
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  onCleanup(
    () =>
      new Promise((resolve) => {
        s.closeAllConnections()
        s.close(resolve)
      }),
  )
  return `http://127.0.0.1:${(s.address() as { port: number }).port}`
}

/** The built CLI in a child process, as a user runs it. */
function tokentrail(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  expect(existsSync(bin), 'run `pnpm --filter @tokentrail/cli build` first').toBe(true)
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { env: { ...process.env, NO_COLOR: '1' }, timeout: 30_000 },
      (error, stdout, stderr) =>
        resolve({
          code: error ? Number(error.code) : 0,
          stdout: String(stdout),
          stderr: String(stderr),
        }),
    )
  })
}

describe('client commands against a server that is not tokentrail dev', () => {
  it('say so in one line, without a stack trace, exit 1', async () => {
    // What an OpenTelemetry Collector answers on its OTLP/HTTP port for any other path.
    const otelCollector = await server((_request, response) => {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' })
      response.end('404 page not found\n')
    })
    const webApp = await server((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' })
      response.end('<!doctype html><title>my app</title>')
    })
    const otherJson = await server((request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' })
      response.end(request.url?.startsWith('/api/spans') ? '{"ok":true}' : '{}')
    })
    const cases: [string, string[], string, RegExp][] = [
      [otelCollector, ['list'], '/api/traces', /answered 404 Not Found/],
      [otelCollector, ['trace', 'abcdef12'], '/api/traces/abcdef12', /answered 404 Not Found/],
      [otelCollector, ['stats'], '/api/stats', /answered 404 Not Found/],
      [webApp, ['list'], '/api/traces', /answered 200 with a body that is not JSON \(text\/html\)/],
      [webApp, ['last'], '/api/last', /answered 200 with a body that is not JSON \(text\/html\)/],
      [webApp, ['error', '--export'], '/api/last-error', /not JSON \(text\/html\)/],
      [webApp, ['tail'], '/api/live', /answered 200 without an event stream/],
      [otherJson, ['list'], '/api/traces', /answered JSON without "traces"/],
      [otherJson, ['last'], '/api/last', /answered JSON without "spans"/],
      [otherJson, ['stats'], '/api/stats', /answered JSON without "traces"/],
    ]
    for (const [url, args, path, answer] of cases) {
      const result = await tokentrail([...args, '--url', url])
      expect(result.code, `${args.join(' ')} at ${url}`).toBe(1)
      expect(result.stderr).toMatch(
        new RegExp(`^error ${url.replace(/[.]/g, '\\.')} is not a tokentrail collector: ${path} `),
      )
      expect(result.stderr).toMatch(answer)
      expect(result.stderr).toContain('Start `tokentrail dev` or pass --url')
      expect(result.stderr).not.toMatch(/\n\s+at /)
      expect(result.stderr.trim().split('\n')).toHaveLength(1)
    }
  })

  it('a collector that stops in the middle of its answer is said to, exit 1', async () => {
    const stalls = await server((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' })
      response.write('{"traces":[')
    })
    const result = await tokentrail(['list', '--url', stalls])
    expect(result).toMatchObject({
      code: 1,
      stderr: `error the collector at ${stalls} did not finish its answer within 10 s\n`,
    })
  }, 30_000)
})

describe('client commands whose reader stops early', () => {
  it('`tokentrail tail | head` and `tokentrail list | head` end quietly, exit 0', async () => {
    const c = await startCollector({ port: 0, db: join(tempDir(), 'traces.db') })
    onCleanup(() => c.close())
    const traces = Array.from({ length: 1000 }, (_, i) =>
      span({
        traceId: hexId(32),
        spanId: hexId(16),
        name: `request ${i}`,
        startTime: Date.now() - i,
      }),
    )
    expect(await postSpans(c.url, traces)).toBe(200)
    /** Runs the built CLI and closes its stdout after the first chunk, as `head -1` does. */
    const headOne = (args: string[], whileRunning?: () => Promise<unknown>) =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [bin, ...args, '--url', c.url], {
          env: { ...process.env, NO_COLOR: '1' },
        })
        let stderr = ''
        child.stderr.on('data', (chunk) => (stderr += chunk))
        child.stdout.once('data', () => child.stdout.destroy())
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
        child.on('exit', (code) => {
          clearTimeout(timer)
          resolve({ code, stderr })
        })
        void whileRunning?.()
      })
    // 1,000 rows: more than a pipe holds, so the write meets the closed pipe.
    expect(await headOne(['list', '--limit', '1000'])).toEqual({ code: 0, stderr: '' })
    let sending = true
    const tail = await headOne(['tail'], async () => {
      // Spans keep arriving after the reader has gone.
      while (sending) {
        await postSpans(c.url, [span({ traceId: hexId(32), spanId: hexId(16), name: 'live' })])
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    })
    sending = false
    expect(tail.code).toBe(0)
    expect(tail.stderr).not.toContain('EPIPE')
  }, 40_000)
})
