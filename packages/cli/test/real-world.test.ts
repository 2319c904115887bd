// What teams hit running `tokentrail dev` beside real exporters: roots written with an all-zero
// parent id, exporters that give up mid-upload, a damaged database file.
import { execFile, spawn } from 'node:child_process'
import { closeSync, existsSync, openSync, writeSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { connect } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { gzipSync } from 'node:zlib'
import { SpanStatusCode } from '@opentelemetry/api'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto'
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import { describe, expect, it } from 'vitest'
import {
  type Collector,
  type CollectorOptions,
  openTraceStore,
  runCli,
  startCollector,
} from '../src/index.js'
import { onCleanup, tempDir } from './helpers.js'
import { hexId, llmTrace, postSpans } from './synthetic.js'

async function collector(options: CollectorOptions = {}): Promise<Collector> {
  const c = await startCollector({ port: 0, db: join(tempDir(), 'traces.db'), ...options })
  onCleanup(() => c.close())
  return c
}

const ZERO_PARENT = '0000000000000000'

describe('roots whose exporter writes the all-zero parent id', () => {
  it('stores them as roots, over OTLP/JSON and OTLP/protobuf, instead of refusing the batch', async () => {
    const c = await collector()
    const nanos = `${Date.now()}000000`
    const traceId = hexId(32)
    const rootId = hexId(16)
    const json = {
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'java-app' } }] },
          scopeSpans: [
            {
              spans: [
                {
                  traceId,
                  spanId: rootId,
                  parentSpanId: ZERO_PARENT,
                  name: 'GET /orders',
                  kind: 2,
                  startTimeUnixNano: nanos,
                  endTimeUnixNano: nanos,
                },
                {
                  traceId,
                  spanId: hexId(16),
                  parentSpanId: rootId,
                  name: 'SELECT orders',
                  kind: 3,
                  startTimeUnixNano: nanos,
                  endTimeUnixNano: nanos,
                },
              ],
            },
          ],
        },
      ],
    }
    const answer = await fetch(`${c.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(json),
    })
    expect(answer.status, await answer.clone().text()).toBe(200)
    const stored = c.store.getTrace(traceId)!
    expect(stored.trace).toMatchObject({ rootName: 'GET /orders', spanCount: 2 })
    expect(stored.spans.find((s) => s.spanId === rootId)!.parentSpanId).toBeUndefined()

    // The same from an OpenTelemetry SDK span whose parent context holds the invalid span id, in
    // protobuf: 8 zero bytes.
    const memory = new InMemorySpanExporter()
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] })
    provider.getTracer('t').startSpan('protobuf root').end()
    const [finished] = memory.getFinishedSpans()
    const withZeroParent: ReadableSpan = Object.assign(Object.create(finished!), {
      parentSpanContext: {
        traceId: finished!.spanContext().traceId,
        spanId: ZERO_PARENT,
        traceFlags: 1,
      },
    })
    const body = ProtobufTraceSerializer.serializeRequest([withZeroParent])!
    // The body really carries the zero parent: 8 zero bytes after the field's tag and length.
    expect(Buffer.from(body).includes(Buffer.from([0x22, 8, 0, 0, 0, 0, 0, 0, 0, 0]))).toBe(true)
    const proto = await fetch(`${c.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: new Uint8Array(body),
    })
    expect(proto.status).toBe(200)
    const fromProto = c.store.getTrace(finished!.spanContext().traceId)!
    expect(fromProto.trace.rootName).toBe('protobuf root')
    expect(fromProto.spans[0]!.parentSpanId).toBeUndefined()
  })

  it('still refuses an all-zero trace or span id', async () => {
    const c = await collector()
    const nanos = `${Date.now()}000000`
    for (const [field, span] of [
      ['traceId', { traceId: '0'.repeat(32), spanId: hexId(16) }],
      ['spanId', { traceId: hexId(32), spanId: ZERO_PARENT }],
    ] as const) {
      const answer = await fetch(`${c.url}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          resourceSpans: [
            {
              scopeSpans: [
                {
                  spans: [{ ...span, name: 'x', startTimeUnixNano: nanos, endTimeUnixNano: nanos }],
                },
              ],
            },
          ],
        }),
      })
      expect(answer.status).toBe(400)
      expect((await answer.json()).message).toMatch(
        new RegExp(`${field}: an all-zero id is invalid`),
      )
    }
  })
})

describe('an exporter that goes away mid-upload', () => {
  it('is counted, not reported as an internal error, and the collector keeps serving', async () => {
    const logs: string[] = []
    const c = await collector({ log: (line) => logs.push(line) })
    for (const type of ['application/json', 'application/x-protobuf']) {
      // Headers and part of a 100 KB body, then the socket closes: an exporter's timeout firing,
      // or the app stopped with Ctrl-C while it flushed.
      await new Promise<void>((resolve, reject) => {
        const socket = connect(c.port, '127.0.0.1', () => {
          socket.write(
            `POST /v1/traces HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: ${type}\r\ncontent-length: 100000\r\n\r\n{"resourceSpans":[`,
            () => setTimeout(() => socket.destroy(), 50),
          )
        })
        socket.on('close', () => resolve())
        socket.on('error', reject)
      })
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(logs).toEqual([])
    expect(c.stats().rejected).toEqual({ 499: 2 })
    expect(await postSpans(c.url, llmTrace(Date.now()))).toBe(200)
    expect(c.store.counts.spans).toBe(2)
  })
})

describe('a damaged database file', () => {
  it('tokentrail dev says the file is damaged and what to do, without a stack trace', async () => {
    const path = join(tempDir(), 'traces.db')
    const store = openTraceStore({ path, backgroundCheckpoints: false })
    store.insert(Array.from({ length: 5000 }, (_, i) => llmTrace(Date.now() - i * 1000)).flat())
    const db = (store as unknown as { db: import('node:sqlite').DatabaseSync }).db
    // A page of trace rows that start-up reaches only when it counts them all.
    const { pageno } = db
      .prepare(
        "SELECT pageno FROM dbstat WHERE name = 'traces' AND pagetype = 'leaf' LIMIT 1 OFFSET 2",
      )
      .get() as { pageno: number }
    const { page_size } = db.prepare('PRAGMA page_size').get() as { page_size: number }
    store.close()
    // Overwritten, as a failing disk or a half-copied file leaves it.
    const fd = openSync(path, 'r+')
    writeSync(fd, Buffer.alloc(page_size, 0xab), 0, page_size, (pageno - 1) * page_size)
    closeSync(fd)
    const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url))
    expect(existsSync(bin), 'run `pnpm --filter @tokentrail/cli build` first').toBe(true)
    const result = await promisify(execFile)(
      process.execPath,
      [bin, 'dev', '--port', '0', '--db', path],
      { env: { ...process.env, NO_COLOR: '1' }, timeout: 20_000 },
    ).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    )
    expect(result.code).toBe(1)
    expect(result.stderr).toBe(
      `error ${path} is damaged (database disk image is malformed); move it away or pass another --db path\n`,
    )
  })
})

/** The built CLI in a child process; `until` stops it once its output matches. */
function tokentrail(
  args: string[],
  env: Record<string, string | undefined> = {},
  until?: RegExp,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url))
  expect(existsSync(bin), 'run `pnpm --filter @tokentrail/cli build` first').toBe(true)
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [bin, ...args],
      {
        env: { ...process.env, NO_COLOR: '1', TOKENTRAIL_TOKEN: undefined, ...env },
        timeout: 20_000,
      },
      (error, stdout, stderr) =>
        resolve({
          code: error ? (typeof error.code === 'number' ? error.code : null) : 0,
          stdout: String(stdout),
          stderr: String(stderr),
        }),
    )
    if (until) {
      let out = ''
      child.stdout!.on('data', (chunk) => {
        out += chunk
        // Once listening; a moment later, as a person would press Ctrl-C.
        if (until.test(out)) setTimeout(() => child.kill('SIGINT'), 100)
      })
    }
  })
}

describe('tokentrail dev usage errors', () => {
  it('a short token or a zero --max-body is bad usage (exit 2) naming the flag', async () => {
    const dir = tempDir()
    const db = join(dir, 'traces.db')
    expect(await tokentrail(['dev', '--port', '0', '--db', db, '--token', 'short'])).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error --token must be at least 8 characters long, got 5\n',
    })
    expect(
      await tokentrail(['dev', '--port', '0', '--db', db], { TOKENTRAIL_TOKEN: 'abc' }),
    ).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error TOKENTRAIL_TOKEN must be at least 8 characters long, got 3\n',
    })
    expect(await tokentrail(['dev', '--port', '0', '--db', db, '--max-body', '0'])).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error --max-body must be a size of 1 byte or more such as 16mb or 512kb, got "0"\n',
    })
  })

  it('an empty or non-decimal --port, --max-traces or --host is bad usage (exit 2), never a default', async () => {
    const dir = tempDir()
    const db = join(dir, 'traces.db')
    for (const [args, said] of [
      [['--port='], '--port must be a whole number from 0 to 65535, got ""'],
      [['--port', ' '], '--port must be a whole number from 0 to 65535, got " "'],
      [['--port', '0x10'], '--port must be a whole number from 0 to 65535, got "0x10"'],
      [['--port', '1e3'], '--port must be a whole number from 0 to 65535, got "1e3"'],
      [
        ['--port', '0', '--max-traces='],
        '--max-traces must be a whole number from 0 to 1000000000, got ""',
      ],
      [
        ['--port', '0', '--host='],
        '--host must be a host name or IP address to listen on, such as 127.0.0.1, 0.0.0.0 or ::, got ""',
      ],
    ] as const)
      expect(await tokentrail(['dev', '--db', db, ...args])).toEqual({
        code: 2,
        stdout: '',
        stderr: `error ${said}\n`,
      })
  })

  it('an empty TOKENTRAIL_TOKEN (as a compose file or .env leaves it) means no token', async () => {
    const db = join(tempDir(), 'traces.db')
    const result = await tokentrail(
      ['dev', '--port', '0', '--db', db],
      { TOKENTRAIL_TOKEN: '' },
      /Ctrl-C/,
    )
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/viewer {3}http:\/\/127\.0\.0\.1:\d+\/\n/)
    expect(result.stdout).not.toContain('auth')
  })
})

describe('what the OpenTelemetry SDK records on a failed span', () => {
  it('keeps the status description beside the exception when they differ', async () => {
    const c = await collector()
    const provider = new BasicTracerProvider({
      spanProcessors: [
        new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${c.url}/v1/traces` })),
      ],
    })
    const tracer = provider.getTracer('checkout')
    const differs = tracer.startSpan('charge card')
    differs.recordException(new TypeError('fetch failed'))
    differs.setStatus({ code: SpanStatusCode.ERROR, message: 'payment declined after 3 attempts' })
    differs.end()
    const same = tracer.startSpan('load cart')
    same.recordException(new RangeError('cart is empty'))
    same.setStatus({ code: SpanStatusCode.ERROR, message: 'cart is empty' })
    same.end()
    await provider.forceFlush()
    await provider.shutdown()
    const stored = (span: typeof differs) => c.store.getTrace(span.spanContext().traceId)!.spans[0]!
    const charged = stored(differs)
    expect(charged.error).toMatchObject({ type: 'TypeError', message: 'fetch failed' })
    expect(charged.attributes['otel.status_description']).toBe('payment declined after 3 attempts')
    const loaded = stored(same)
    expect(loaded.error).toMatchObject({ type: 'RangeError', message: 'cart is empty' })
    expect(loaded.attributes).not.toHaveProperty('otel.status_description')
  })
})

// `tokentrail doctor` with OTEL_EXPORTER_OTLP_ENDPOINT at `server`: it must fail its test export
// (exit 1) with `line`, on the export's row and as its verdict.
async function doctorFails(server: Server, timeoutMs: number, line: string): Promise<void> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  onCleanup(
    () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(resolve)
      }),
  )
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`
  let stdout = ''
  const code = await runCli(['doctor', '--timeout', String(timeoutMs)], {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: () => true },
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: url },
    cwd: tempDir(),
  })
  expect(code).toBe(1)
  expect(stdout).toContain(`  ✗ test export  ${line}\n`)
  expect(stdout.trim().split('\n').at(-1)).toBe(
    `✗ spans would not arrive at ${url}/v1/traces: ${line}`,
  )
}

describe('tokentrail doctor against a receiver that never answers', () => {
  it('says it gave no answer within --timeout, exit 1', async () => {
    await doctorFails(
      createServer(() => {}),
      500,
      'no answer within 500 ms: the receiver accepted the connection but is slow or stalled (--timeout sets the wait)',
    )
  })
})

describe('tokentrail doctor against a web app answering 200 with a page', () => {
  it('fails the test export, naming the page, exit 1', async () => {
    // A URL that reaches the app itself (a catch-all route): every span would be dropped there.
    const app = createServer((request, response) => {
      request.resume()
      request.on('end', () =>
        response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><p>Chat</p>'),
      )
    })
    await doctorFails(
      app,
      2000,
      '200 with an HTML page, not an OTLP answer: that address is a web app, not an OTLP receiver (check the host, port and path)',
    )
  })
})

describe('a database damaged while the collector runs', () => {
  it('answers 500 naming the damage and says once what to do, without a stack trace', async () => {
    const path = join(tempDir(), 'traces.db')
    const first = openTraceStore({ path, backgroundCheckpoints: false })
    const traces = Array.from({ length: 3000 }, (_, i) => llmTrace(Date.now() - i * 1000))
    first.insert(traces.flat())
    const db = (first as unknown as { db: import('node:sqlite').DatabaseSync }).db
    // A page of stored spans: start-up does not read it, a trace page does.
    const { pageno } = db
      .prepare(
        "SELECT pageno FROM dbstat WHERE name = 'spans' AND pagetype = 'leaf' LIMIT 1 OFFSET 5",
      )
      .get() as { pageno: number }
    const { page_size } = db.prepare('PRAGMA page_size').get() as { page_size: number }
    first.close()
    const fd = openSync(path, 'r+')
    writeSync(fd, Buffer.alloc(page_size, 0xab), 0, page_size, (pageno - 1) * page_size)
    closeSync(fd)
    const logs: string[] = []
    const c = await collector({ db: path, log: (line) => logs.push(line) })
    // The first trace whose spans sit on that page, then the same again: said once.
    const answers: [number, string][] = []
    for (const trace of traces) {
      const response = await fetch(`${c.url}/api/traces/${trace[0]!.traceId}`)
      if (response.status === 200) {
        await response.arrayBuffer()
        continue
      }
      answers.push([response.status, (await response.json()).error])
      for (let again = 0; again < 2; again++) {
        const repeat = await fetch(`${c.url}/api/traces/${trace[0]!.traceId}`)
        answers.push([repeat.status, (await repeat.json()).error])
      }
      break
    }
    expect(answers).toEqual(
      Array(3).fill([500, 'storage damaged: database disk image is malformed']),
    )
    expect(logs).toEqual([
      `tokentrail: the trace database at ${path} is damaged (database disk image is malformed); stop tokentrail dev and move the file away, or pass another --db path`,
    ])
  })
})

describe('stopping the collector while exporters send', () => {
  it('stores and answers a body that was arriving when close() began', async () => {
    const logs: string[] = []
    const c = await startCollector({
      port: 0,
      db: join(tempDir(), 'traces.db'),
      log: (line) => logs.push(line),
    })
    const trace = llmTrace(Date.now())
    const body = gzipSync(JSON.stringify({ spans: trace }))
    const socket = connect(c.port, '127.0.0.1')
    await new Promise((resolve) => socket.once('connect', resolve))
    let answer = ''
    const answered = new Promise<void>((resolve) => {
      socket.on('data', (chunk) => {
        answer += chunk
        if (answer.includes('"duplicates"')) resolve()
      })
      socket.once('close', () => resolve())
    })
    socket.write(
      `POST /api/spans HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-encoding: gzip\r\ncontent-length: ${body.length}\r\n\r\n`,
    )
    socket.write(body.subarray(0, 10))
    await new Promise((resolve) => setTimeout(resolve, 50))
    // Ctrl-C while the exporter is half-way through its body.
    const closed = c.close()
    await new Promise((resolve) => setTimeout(resolve, 50))
    socket.write(body.subarray(10))
    await answered
    socket.end()
    await closed
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/)
    expect(answer).toContain('"stored":2')
    expect(logs).toEqual([])
    const store = openTraceStore({ path: c.store.path })
    onCleanup(() => store.close())
    expect(store.getTrace(trace[0]!.traceId)!.spans).toHaveLength(2)
  })

  it('answers a body that arrives during close() and is refused (400) with its 400, not a reset', async () => {
    const c = await startCollector({ port: 0, db: join(tempDir(), 'traces.db'), log: () => {} })
    const body = Buffer.from('{"spans": [ this is not JSON')
    const socket = connect(c.port, '127.0.0.1')
    await new Promise((resolve) => socket.once('connect', resolve))
    let answer = ''
    const answered = new Promise<void>((resolve) => {
      socket.on('data', (chunk) => (answer += chunk))
      socket.once('close', () => resolve())
    })
    socket.write(
      `POST /api/spans HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`,
    )
    socket.write(body.subarray(0, 5))
    await new Promise((resolve) => setTimeout(resolve, 50))
    const closed = c.close()
    await new Promise((resolve) => setTimeout(resolve, 50))
    socket.write(body.subarray(5))
    await closed
    await answered
    expect(answer).toMatch(/^HTTP\/1\.1 400 /)
  })

  it('Ctrl-C under gzip ingest from several exporters: nothing acknowledged is lost, no internal error', async () => {
    const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url))
    expect(existsSync(bin), 'run `pnpm --filter @tokentrail/cli build` first').toBe(true)
    const db = join(tempDir(), 'traces.db')
    const child = spawn(process.execPath, [bin, 'dev', '--port', '0', '--db', db], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    })
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
    onCleanup(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await exited
    })
    let stderr = ''
    child.stderr.on('data', (chunk) => (stderr += chunk))
    const url = await new Promise<string>((resolve) => {
      let out = ''
      child.stdout.on('data', (chunk) => {
        out += chunk
        const match = /viewer\s+(http:\/\/[^/\s]+)\//.exec(out)
        if (match) resolve(match[1]!)
      })
    })
    // Six exporters posting gzip batches of 64 traces back to back, as OTLP exporters with
    // compression: gzip do.
    const acknowledged: string[] = []
    let sending = true
    const exporter = async () => {
      while (sending) {
        const spans = Array.from({ length: 64 }, () => llmTrace(Date.now())).flat()
        try {
          const response = await fetch(`${url}/api/spans`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
            body: gzipSync(JSON.stringify({ spans })),
          })
          await response.arrayBuffer()
          if (response.status === 200) for (const s of spans) acknowledged.push(s.traceId)
        } catch {
          // Refused or cut once the collector stops: an exporter sends the batch again later.
          if (!sending) return
        }
      }
    }
    const exporters = Array.from({ length: 6 }, exporter)
    await new Promise((resolve) => setTimeout(resolve, 1500))
    child.kill('SIGINT')
    expect(await exited).toBe(0)
    sending = false
    await Promise.all(exporters)
    expect(stderr).toBe('')
    expect(acknowledged.length).toBeGreaterThan(0)
    const store = openTraceStore({ path: db })
    onCleanup(() => store.close())
    const missing = [...new Set(acknowledged)].filter((id) => !store.getTrace(id))
    expect(missing).toEqual([])
  }, 60_000)
})

describe('span times that cannot be right', () => {
  it('says once per service when an exporter sends milliseconds as nanoseconds, or its clock is ahead', async () => {
    const logs: string[] = []
    const c = await collector({ log: (line) => logs.push(line) })
    const otlp = (service: string, startNanos: bigint) => ({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
          scopeSpans: [
            {
              spans: [
                {
                  traceId: hexId(32),
                  spanId: hexId(16),
                  name: 'GET /',
                  startTimeUnixNano: String(startNanos),
                  endTimeUnixNano: String(startNanos + 5n),
                },
              ],
            },
          ],
        },
      ],
    })
    const send = async (body: unknown) => {
      const response = await fetch(`${c.url}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
      expect(response.status).toBe(200)
    }
    const now = BigInt(Date.now())
    // A hand-written exporter putting Date.now() (milliseconds) in startTimeUnixNano: 1970.
    await send(otlp('billing', now))
    await send(otlp('billing', now))
    // A machine whose clock runs two days ahead.
    await send(otlp('worker', (now + 2n * 86_400_000n) * 1_000_000n))
    await send(otlp('worker', (now + 2n * 86_400_000n) * 1_000_000n))
    // Right.
    await send(otlp('api', now * 1_000_000n))
    expect(logs).toHaveLength(2)
    expect(logs[0]).toMatch(
      /^tokentrail: spans from service "billing" start at 1970-01-\d\dT[\d:.]+Z: its exporter likely sends milliseconds or microseconds where OTLP wants nanoseconds \(startTimeUnixNano\); they are stored, but lists and time filters place them in 1970$/,
    )
    expect(logs[1]).toMatch(
      /^tokentrail: spans from service "worker" start at \d{4}-[\d-]+T[\d:.]+Z, more than a day ahead: check the sending machine's clock;/,
    )
    expect(c.store.counts.spans).toBe(5)
  })

  it('a start past what OTLP carries (nanoseconds sent as milliseconds) is refused with 400 naming it, not a 500', async () => {
    const logs: string[] = []
    const c = await collector({ log: (line) => logs.push(line) })
    // A hand-written sender putting nanoseconds where /api/spans wants epoch milliseconds, and an
    // OTLP exporter whose nanoseconds are a thousand times too many: both past Date's range.
    const [span] = llmTrace(Date.now())
    const nanos = Date.now() * 1e6
    const json = await fetch(`${c.url}/api/spans`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        spans: [{ ...span!, parentSpanId: undefined, startTime: nanos, endTime: nanos + 5e6 }],
      }),
    })
    expect(json.status).toBe(400)
    expect(((await json.json()) as { error: string }).error).toMatch(
      /startTime: expected epoch milliseconds up to 18446744073709\.55 \(the latest time OTLP carries\)/,
    )
    const otlp = await fetch(`${c.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        resourceSpans: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: 'far' } }] },
            scopeSpans: [
              {
                spans: [
                  {
                    traceId: hexId(32),
                    spanId: hexId(16),
                    name: 'GET /',
                    startTimeUnixNano: `${BigInt(nanos) * 1000n}`,
                    endTimeUnixNano: `${BigInt(nanos) * 1000n + 5n}`,
                  },
                ],
              },
            ],
          },
        ],
      }),
    })
    expect(otlp.status).toBe(400)
    expect(((await otlp.json()) as { message: string }).message).toMatch(
      /startTimeUnixNano: expected nanoseconds as a decimal string of at most 20 digits/,
    )
    expect(c.store.counts.spans).toBe(0)
    expect(logs.join('\n')).not.toMatch(/internal error|RangeError/)
  })
})
