// OpenTelemetry's OTLP header variables (`OTEL_EXPORTER_OTLP_HEADERS`, `…_TRACES_HEADERS`) as a
// user writes them, read by the built package in real processes (Node, and Bun, whose exports go
// through `fetch`) exporting to a real node:http receiver that keeps each request's headers.
import { execFile } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url))
const bun = join(
  dirname(createRequire(import.meta.url).resolve('bun/package.json')),
  'bin',
  'bun.exe',
)
const dir = mkdtempSync(join(tmpdir(), 'tokentrail-header-env-'))
const SECRET = 'sk-live-4f9a8b7c6d5e'

let server: Server
let origin = ''
// Headers of each /v1/traces request, by the `x-run` header each script sets.
const received = new Map<string, IncomingHttpHeaders[]>()

beforeAll(async () => {
  server = createServer((request, response) => {
    request.resume()
    request.on('end', () => {
      const run = String(request.headers['x-run'])
      received.set(run, [...(received.get(run) ?? []), request.headers])
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

/**
 * Runs `body` in a fresh process of `runtime` with `core` imported and `env` set, as a script or a
 * server started with these variables would; returns its output.
 */
async function run(
  body: string,
  env: Record<string, string>,
  runtime: 'node' | 'bun' = 'node',
): Promise<{ stdout: string; stderr: string }> {
  const file = join(dir, `run-${Math.random().toString(36).slice(2)}.mjs`)
  writeFileSync(file, `import * as core from ${JSON.stringify(dist)}\n${body}`)
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(OTEL_|TOKENTRAIL_)/.test(name)),
  )
  return promisify(execFile)(runtime === 'bun' ? bun : process.execPath, [file], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...clean, NO_COLOR: '1', ...env },
  })
}

describe('a malformed OTEL_EXPORTER_OTLP_HEADERS', () => {
  // Before, the "tracing is off" line quoted the whole entry: the API key went to the logs.
  it.each([
    ['a header line pasted as it is', `Authorization: Bearer ${SECRET}`, /entry 1 of 2 has no "="/],
    ['a bare key', `${SECRET},x-team=ai`, /entry 1 of 2 has no "="/],
    // A base64 key whose padding reads as the "=": its text was quoted as the header name.
    [
      'a key without its name',
      `Bearer ${SECRET}==,x-team=ai`,
      /entry 1 of 2 has no valid header name before its "="/,
    ],
    [
      'a % that is not %XX',
      `x-api-key=${SECRET}%zz,x-team=ai`,
      /: entry 1 of 2 is not valid percent-encoding \(a % starts %XX; %25 is a % sign\)/,
    ],
  ])(
    '%s: tracing is off, said once, naming the variable and the entry, never the value',
    async (_, headers, said) => {
      const { stdout, stderr } = await run(
        `const a = core.getTracer(), b = core.getTracer()
       a.startSpan('x').end()
       console.log(JSON.stringify({ enabled: a.enabled, same: a === b, flush: await a.flush() }))`,
        {
          OTEL_EXPORTER_OTLP_ENDPOINT: origin,
          OTEL_EXPORTER_OTLP_HEADERS: headers.includes(',') ? headers : `${headers},x-team=ai`,
        },
      )
      expect(JSON.parse(stdout)).toEqual({
        enabled: false,
        same: true,
        flush: { ok: true, pending: 0 },
      })
      const lines = stderr.trim().split('\n')
      expect(lines).toHaveLength(1)
      expect(lines[0]).toMatch(/^\[tokentrail\] tracing is off: OTEL_EXPORTER_OTLP_HEADERS/)
      expect(lines[0]).toMatch(said)
      expect(stderr).not.toContain(SECRET)
      expect(stderr).not.toContain('4f9a8b')
    },
  )

  // A base64 key alone: its "==" padding read as the "=" and a value of "=", so the key went out
  // as a header name, and tracing stayed on without a word (the backend's 401 the first sign).
  it('a base64 key without its name (a value of only "="): tracing is off, the key never shown', async () => {
    const key = Buffer.from('pk-lf-1234567890:sk-lf-abcdef12345').toString('base64')
    expect(key).toMatch(/^[\w+]+==$/)
    const { stdout, stderr } = await run(
      `const a = core.getTracer()
       a.startSpan('x').end()
       console.log(JSON.stringify({ enabled: a.enabled, flush: await a.flush() }))`,
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: origin,
        OTEL_EXPORTER_OTLP_HEADERS: `x-run=bare-base64,${key}`,
      },
    )
    expect(JSON.parse(stdout)).toEqual({ enabled: false, flush: { ok: true, pending: 0 } })
    expect(stderr.trim()).toBe(
      '[tokentrail] tracing is off: OTEL_EXPORTER_OTLP_HEADERS: entry 2 of 2 has no valid header name before its "=" (a value without its name?)',
    )
    expect(received.get('bare-base64')).toBeUndefined()
  })

  it('createTracer() throws the same message, and says how to write a pasted header line', async () => {
    const { stdout } = await run(
      `try { core.createTracer() } catch (error) { console.log(error.message) }`,
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: origin,
        OTEL_EXPORTER_OTLP_TRACES_HEADERS: `Authorization: Bearer ${SECRET}`,
      },
    )
    expect(stdout.trim()).toBe(
      'OTEL_EXPORTER_OTLP_TRACES_HEADERS must be a list of key=value pairs separated by commas; entry 1 of 1 has no "=" (a header line: write Authorization=value, a space as %20)',
    )
  })
})

describe('OTEL_EXPORTER_OTLP_HEADERS as OpenTelemetry writes it', () => {
  it('decodes %XX, trims blanks around keys and values, keeps a ";" in the value', async () => {
    const { stderr } = await run(
      `const tracer = core.getTracer()
       tracer.startSpan('x').end()
       await tracer.flush()`,
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: origin,
        OTEL_EXPORTER_OTLP_HEADERS: ` x-run = decode , Authorization=Bearer%20${SECRET} ,x-meta=a;b=c,, x%2Dteam=ai%2Clab`,
      },
    )
    expect(stderr).toBe('')
    const [headers] = received.get('decode')!
    expect(headers).toMatchObject({
      authorization: `Bearer ${SECRET}`,
      'x-meta': 'a;b=c',
      'x-team': 'ai,lab',
    })
  })

  // Before, `x-api-key=` (written `x-api-key=${KEY}` with KEY unset) went out as an empty header
  // without a word, and the backend's 401 was the first sign.
  it('a key set to nothing is not sent, and said once through warnings naming the variable and key', async () => {
    const { stdout, stderr } = await run(
      `const lines = []
       const warnings = (line) => lines.push(line)
       const a = core.createTracer({ warnings }), b = core.createTracer({ warnings })
       a.startSpan('x').end()
       await a.flush()
       await b.flush()
       console.log(JSON.stringify(lines))`,
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: origin,
        OTEL_EXPORTER_OTLP_HEADERS: 'x-run=empty,x-api-key=,x-team=ai',
        OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-trace-key= ',
        TOKENTRAIL_METRICS: 'false',
      },
    )
    expect(stderr).toBe('')
    expect(JSON.parse(stdout)).toEqual([
      'OTEL_EXPORTER_OTLP_HEADERS sets `x-api-key`, OTEL_EXPORTER_OTLP_TRACES_HEADERS sets `x-trace-key` to an empty value, so those headers are not sent (an empty value counts as unset, as in OpenTelemetry). Is the variable that should fill them set?',
    ])
    const [headers] = received.get('empty')!
    expect(headers!['x-team']).toBe('ai')
    expect(headers).not.toHaveProperty('x-api-key')
    expect(headers).not.toHaveProperty('x-trace-key')
  })

  it('a name that may be a key is not shown in the empty-value notice', async () => {
    const { stdout } = await run(
      `const lines = []
       core.createTracer({ warnings: (line) => lines.push(line) })
       await new Promise((resolve) => setTimeout(resolve, 100))
       console.log(JSON.stringify(lines))`,
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: origin,
        OTEL_EXPORTER_OTLP_HEADERS: `x-run=hidden,${SECRET}=`,
        TOKENTRAIL_METRICS: 'false',
      },
    )
    expect(JSON.parse(stdout)).toEqual([
      'OTEL_EXPORTER_OTLP_HEADERS sets a header (its name not shown: it may hold a key) to an empty value, so that header is not sent (an empty value counts as unset, as in OpenTelemetry). Is the variable that should fill it set?',
    ])
  })

  // Before, names with digits or underscores were hidden as if they were keys; the CLI's `doctor`
  // shows names of words, and the notice now shows the same ones.
  it('names of words with digits or underscores are shown in the empty-value notice, a key-like one is not', async () => {
    const { stdout } = await run(
      `const lines = []
       core.createTracer({ warnings: (line) => lines.push(line) })
       await new Promise((resolve) => setTimeout(resolve, 100))
       console.log(JSON.stringify(lines))`,
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: origin,
        OTEL_EXPORTER_OTLP_HEADERS: `x-run=words,x-api-key-2=,DD_API_KEY=`,
        OTEL_EXPORTER_OTLP_TRACES_HEADERS: `${SECRET}=`,
        TOKENTRAIL_METRICS: 'false',
      },
    )
    expect(JSON.parse(stdout)).toEqual([
      'OTEL_EXPORTER_OTLP_HEADERS sets `x-api-key-2`, OTEL_EXPORTER_OTLP_HEADERS sets `DD_API_KEY`, OTEL_EXPORTER_OTLP_TRACES_HEADERS sets a header (its name not shown: it may hold a key) to an empty value, so those headers are not sent (an empty value counts as unset, as in OpenTelemetry). Is the variable that should fill them set?',
    ])
    expect(stdout).not.toContain(SECRET)
  })

  it('an empty key in one variable leaves the other variable’s value in place, unsaid', async () => {
    const { stdout } = await run(
      `const lines = []
       const tracer = core.createTracer({ warnings: (line) => lines.push(line) })
       tracer.startSpan('x').end()
       await tracer.flush()
       console.log(JSON.stringify(lines))`,
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: origin,
        OTEL_EXPORTER_OTLP_HEADERS: 'x-run=fallback,x-api-key=general',
        OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-api-key=',
        TOKENTRAIL_METRICS: 'false',
      },
    )
    expect(JSON.parse(stdout)).toEqual([])
    expect(received.get('fallback')![0]!['x-api-key']).toBe('general')
  })
})

describe('header names compare regardless of case, as HTTP reads them', () => {
  // Before, on Bun (and every runtime that exports through fetch) the option's `authorization`
  // and the env's `Authorization` went out as one header holding both values, `Bearer env, Bearer
  // option`, and a `Content-Type` from env was joined to ours; Node's http happened to keep the last.
  it.each(['node', 'bun'] as const)(
    'on %s the option wins over env, and the body keeps its content type',
    async (runtime) => {
      const tag = `case-${runtime}`
      const { stderr } = await run(
        `const tracer = core.createTracer({ exporters: [
         core.otlpExporter({ headers: { 'x-run': '${tag}', authorization: 'Bearer option' } }),
         core.httpExporter({ url: '${origin}/v1/traces', apiKey: 'key', headers: { 'X-Run': '${tag}-http', Authorization: 'Bearer header', 'Content-Type': 'text/plain' } }),
       ] })
       tracer.startSpan('x').end()
       const result = await tracer.flush()
       if (!result.ok) throw new Error(result.reason)`,
        {
          OTEL_EXPORTER_OTLP_ENDPOINT: origin,
          OTEL_EXPORTER_OTLP_HEADERS:
            'Authorization=Bearer%20env,Content-Type=text/plain,X-Team=general',
          OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-team=traces',
          TOKENTRAIL_METRICS: 'false',
        },
        runtime,
      )
      expect(stderr).toBe('')
      expect(received.get(tag)![0]).toMatchObject({
        authorization: 'Bearer option',
        'content-type': 'application/json',
        'x-team': 'traces',
      })
      // httpExporter: `apiKey` is the Authorization it documents, and the body is JSON.
      expect(received.get(`${tag}-http`)![0]).toMatchObject({
        authorization: 'Bearer key',
        'content-type': 'application/json',
      })
    },
  )
})
