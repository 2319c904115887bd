// A route whose spans cannot be delivered under `next start`: the warning must be printed inside
// the flush window (the flush `withTracing` hands to `after()`/`waitUntil`, bounded at 5 s), not
// after the whole retry budget. Built by the global setup, served by `next start`, real sockets.
import { type ChildProcess, spawn } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { startMockOpenAI } from '@tokentrail/mock-openai'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'

const app = fileURLToPath(new URL('..', import.meta.url))
const FLUSH_TIMEOUT_MS = 5000 // withTracing's default, which the example keeps

let mock: Awaited<ReturnType<typeof startMockOpenAI>>
const children: ChildProcess[] = []
const servers: Server[] = []

interface Line {
  text: string
  at: number
}

async function startNext(env: Record<string, string>) {
  const nextBin = createRequire(`${app}/package.json`).resolve('next/dist/bin/next')
  const { OPENAI_API_KEY: _ignored, ...inherited } = process.env
  const child = spawn(process.execPath, [nextBin, 'start', '-H', '127.0.0.1', '-p', '0'], {
    cwd: app,
    env: { ...inherited, NEXT_TELEMETRY_DISABLED: '1', MOCK_OPENAI_URL: mock.url, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  const lines: Line[] = []
  let output = ''
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`next start did not come up:\n${output}`)),
      30_000,
    )
    const onData = (chunk: Buffer) => {
      const at = performance.now()
      output += chunk.toString()
      for (const text of chunk.toString().split('\n')) if (text.trim()) lines.push({ text, at })
      const match = /Local:\s+(http:\/\/\S+)/.exec(output)
      if (match && output.includes('Ready')) {
        clearTimeout(timer)
        resolve(match[1]!.replace('localhost', '127.0.0.1'))
      }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.on('exit', (code) => reject(new Error(`next start exited with ${code}:\n${output}`)))
  })
  return { url, lines }
}

async function chat(url: string): Promise<number> {
  const response = await fetch(`${url}/api/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      id: 'chat-1',
      trigger: 'submit-message',
      messages: [{ id: 'm1', role: 'user', parts: [{ type: 'text', text: 'Hello' }] }],
    }),
  })
  expect(response.status).toBe(200)
  await response.text()
  return performance.now()
}

async function waitForLine(lines: Line[], pattern: RegExp, timeoutMs: number): Promise<Line> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const line = lines.find((l) => pattern.test(l.text))
    if (line) return line
    if (performance.now() > deadline)
      throw new Error(
        `no line matching ${pattern} within ${timeoutMs} ms:\n${lines.map((l) => l.text).join('\n')}`,
      )
    await new Promise((r) => setTimeout(r, 25))
  }
}

async function listen(server: Server): Promise<number> {
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

beforeAll(async () => {
  mock = await startMockOpenAI({ firstChunkDelayMs: 5, chunkDelayMs: 1 })
})

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode !== null) continue
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    await exited
  }
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

afterAll(async () => {
  await mock?.close()
})

describe('next start: undeliverable spans are said inside the flush window', () => {
  it('collector not running: the warning follows the first failed attempt, well inside the 5 s flush', async () => {
    const port = await listen(createServer())
    await new Promise((resolve) => servers.pop()!.close(resolve))
    const { url, lines } = await startNext({
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
    })
    const bodyEnded = await chat(url)
    const line = await waitForLine(lines, /\[tokentrail\] spans not delivered/, FLUSH_TIMEOUT_MS)
    expect(line.text).toMatch(
      new RegExp(
        `^\\[tokentrail\\] spans not delivered to http://127\\.0\\.0\\.1:${port}/v1/traces: connection refused \\(nothing listens there\\) \\[ECONNREFUSED\\]\\. \\d+ spans? waiting, retrying up to 5 more times\\.`,
      ),
    )
    console.log(`${Math.round(line.at - bodyEnded)} ms after the body ended: ${line.text}`)
    expect(line.at - bodyEnded).toBeLessThan(FLUSH_TIMEOUT_MS)
  })

  it('collector that never answers: the flush timeout itself is the warning, at the end of the 5 s window', async () => {
    const port = await listen(createServer(() => {}))
    const { url, lines } = await startNext({
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
    })
    const bodyEnded = await chat(url)
    const line = await waitForLine(lines, /\[tokentrail\]/, FLUSH_TIMEOUT_MS + 3000)
    expect(line.text).toMatch(
      new RegExp(
        `^\\[tokentrail\\] flush timed out after ${FLUSH_TIMEOUT_MS} ms: \\d+ spans? for http://127\\.0\\.0\\.1:${port}/v1/traces not delivered yet \\(no answer yet after \\d+ ms\\)\\. Spans still waiting when the function freezes are lost\\.`,
      ),
    )
    // Said when the flush gives up (the platform's waitUntil still holds it), not at the ~10 s
    // export timeout or after the ~15 s retry budget as before.
    console.log(`${Math.round(line.at - bodyEnded)} ms after the body ended: ${line.text}`)
    expect(line.at - bodyEnded).toBeLessThan(FLUSH_TIMEOUT_MS + 2000)
  })
})
