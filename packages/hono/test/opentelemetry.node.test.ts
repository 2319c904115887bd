// Tokentrail beside the OpenTelemetry JS SDK and its HTTP instrumentation in one process: the app's
// own traces must not gain a client span for each of Tokentrail's exports (sent on a timer armed
// inside whichever request came first), nor the exports a `traceparent`. The app runs in a child
// process (the instrumentation patches node:http for the whole process), bundled from its source
// with esbuild; Tokentrail's spans go to a real HTTP receiver in this process.
import { execFile } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { build } from 'esbuild'
import { afterAll, beforeAll, expect, it } from 'vitest'

const here = dirname(fileURLToPath(import.meta.url))
const received: { headers: IncomingHttpHeaders; spans: any[] }[] = []
const receiver = createServer((request, response) => {
  let body = ''
  request.setEncoding('utf8')
  request.on('data', (chunk) => (body += chunk))
  request.on('end', () => {
    const spans = JSON.parse(body)
      .resourceSpans.flatMap((r: any) => r.scopeSpans)
      .flatMap((s: any) => s.spans)
    received.push({ headers: request.headers, spans })
    response.writeHead(200, { 'content-type': 'application/json' }).end('{}')
  })
})
beforeAll(() => new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve)))
afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())))

it('the OpenTelemetry HTTP instrumentation records no span for Tokentrail’s exports and puts no traceparent on them', async () => {
  // Beside the package, so the app's bare imports resolve from its node_modules.
  const outdir = join(here, '..', 'node_modules', '.cache', 'opentelemetry-app')
  mkdirSync(outdir, { recursive: true })
  await build({
    entryPoints: [join(here, 'opentelemetry', 'app.ts')],
    outfile: join(outdir, 'app.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    logLevel: 'error',
  })
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/v1/traces`
  const run = await promisify(execFile)(process.execPath, [join(outdir, 'app.mjs')], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, HONO_OTEL_TEST_RECEIVER: url, OTEL_EXPORTER_OTLP_ENDPOINT: '' },
  })
  const result = JSON.parse(run.stdout.trim().split('\n').at(-1)!)
  expect(result.texts).toEqual(['answer 0', 'answer 1', 'answer 2', 'answer 3'])
  expect(result.flushed).toEqual({ ok: true, pending: 0 })
  expect(result.stats).toMatchObject({ started: 8, exported: 8, failed: 0, queued: 0 })

  // Every Tokentrail span arrived, in more than one export (interval and flush).
  const spans = received.flatMap((r) => r.spans)
  expect(spans).toHaveLength(8)
  expect(received.length).toBeGreaterThan(1)
  // The exports carry no trace context of the app's.
  for (const { headers } of received) {
    expect(headers.traceparent).toBeUndefined()
    expect(headers.tracestate).toBeUndefined()
  }
  // The app's OpenTelemetry spans are server spans of its requests (the instrumentation misses the
  // very first one), and nothing of the exports: no client span, no /v1/traces.
  const otel: { name: string; kind: number; path?: string }[] = result.otel
  expect(otel.length).toBeGreaterThan(0)
  for (const span of otel)
    expect(span).toMatchObject({ kind: 1, path: expect.stringMatching(/^\/chat\/\d$/) })
}, 60_000)
