// A Node script that ends without `await tracer.flush()` still sends its spans: the tracer flushes
// when the event loop runs dry (beforeExit). Spans that can no longer leave (`process.exit()`) are
// told, with how many. Real child processes, a real HTTP receiver; each case on Node and on the
// real Bun (the `bun` npm package), which emits the same process events.
import { spawn } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'

const CORE = fileURLToPath(new URL('../dist/index.js', import.meta.url))
// The binary the `bun` package's install script put beside it (a devDependency: CI has it).
const BUN = join(
  dirname(createRequire(import.meta.url).resolve('bun/package.json')),
  'bin',
  'bun.exe',
)
const RUNTIMES = [
  ['Node', [process.execPath, '--input-type=module', '-e']],
  ['Bun', [BUN, '-e']],
] as const

let server: Server
let port: number
let answer = true
const spans: string[] = []
// The metrics bodies received (a script's GenAI and delivery metrics at exit).
const metrics: any[] = []

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = ''
    request.setEncoding('utf8')
    request.on('data', (chunk) => (body += chunk))
    request.on('end', () => {
      if (!answer) return // never answers: the export times out
      if (request.url === '/v1/metrics') {
        metrics.push(JSON.parse(body))
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}')
        return
      }
      for (const resource of JSON.parse(body).resourceSpans)
        for (const scope of resource.scopeSpans)
          for (const span of scope.spans) spans.push(span.name)
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  port = (server.address() as AddressInfo).port
})
afterAll(() => {
  server.closeAllConnections()
  return new Promise<void>((resolve) => server.close(() => resolve()))
})
beforeEach(() => {
  spans.length = 0
  metrics.length = 0
  answer = true
})

// Runs `body` after a tracer `t` is made, as `runtime` evaluates code given on its command line;
// resolves with the exit code, stdout, stderr and time.
function script(runtime: readonly string[], body: string, options = '') {
  const code = `import { createTracer, otlpExporter, otlpMetricsExporter } from ${JSON.stringify(CORE)}
const t = createTracer({ serviceName: 'script', exporters: [otlpExporter({ url: 'http://127.0.0.1:${port}/v1/traces' })]${options} })
${body}`
  const started = performance.now()
  const child = spawn(runtime[0]!, [...runtime.slice(1), code], {
    env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: '', TOKENTRAIL_DEBUG: '' },
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk) => (stdout += chunk))
  child.stderr.on('data', (chunk) => (stderr += chunk))
  return new Promise<{ code: number | null; stdout: string; stderr: string; ms: number }>(
    (resolve) =>
      child.on('close', (code) =>
        resolve({ code, stdout, stderr, ms: performance.now() - started }),
      ),
  )
}

describe.each(RUNTIMES)('spans still queued when a %s process exits', (_name, runtime) => {
  const runScript = (body: string, options?: string) => script(runtime, body, options)

  it('are sent when a script ends without flushing, and the script exits as it would have', async () => {
    const run = await runScript(`for (let i = 0; i < 3; i++) t.startSpan('step ' + i).end()
process.exitCode = 3
console.log('done')`)
    expect(run.stdout).toBe('done\n')
    expect(run.code).toBe(3)
    expect(run.stderr).toBe('')
    expect(spans.sort()).toEqual(['step 0', 'step 1', 'step 2'])
  })

  // The metrics went out beside the spans at exit: their delivery counts said none exported, and
  // `tokentrail stats` showed every script's spans as never delivered.
  it('are counted as exported by the delivery metrics sent at exit', async () => {
    const run = await runScript(
      `for (let i = 0; i < 3; i++) t.startSpan('chat ' + i, { kind: 'llm', attributes: { 'gen_ai.operation.name': 'chat' } }).end()`,
      `, metrics: { exporters: [otlpMetricsExporter({ url: 'http://127.0.0.1:${port}/v1/metrics' })] }`,
    )
    expect(run.code).toBe(0)
    expect(spans).toHaveLength(3)
    const points = metrics.flatMap((body) =>
      body.resourceMetrics.flatMap((r: any) =>
        r.scopeMetrics.flatMap((s: any) =>
          s.metrics
            .filter((m: any) => m.name === 'otel.sdk.exporter.span.exported')
            .flatMap((m: any) => m.sum.dataPoints),
        ),
      ),
    )
    const exported = points
      .filter((p: any) => !p.attributes?.some((a: any) => a.key === 'error.type'))
      .reduce((n: number, p: any) => n + Number(p.asInt ?? p.asDouble ?? 0), 0)
    expect(exported).toBe(3)
  })

  it('are sent when they end after an await, and after a first flush', async () => {
    const run = await runScript(`t.startSpan('first').end()
await t.flush()
await new Promise((resolve) => setTimeout(resolve, 20))
t.startSpan('second').end()`)
    expect(run.code).toBe(0)
    expect(spans).toEqual(['first', 'second'])
  })

  it('are flushed by every tracer of the process', async () => {
    const run =
      await runScript(`const u = createTracer({ serviceName: 'other', exporters: [otlpExporter({ url: 'http://127.0.0.1:${port}/v1/traces' })] })
t.startSpan('from t').end()
u.startSpan('from u').end()`)
    expect(run.code).toBe(0)
    expect(spans.sort()).toEqual(['from t', 'from u'])
  })

  it('are told, with how many, when process.exit() leaves no time to send them', async () => {
    const run = await runScript(`t.startSpan('a').end()
t.startSpan('b').end()
await new Promise((resolve) => setTimeout(resolve, 50))
process.exit(0)`)
    expect(run.code).toBe(0)
    expect(spans).toEqual([])
    expect(run.stderr).toContain(
      '[tokentrail] the process is exiting with 2 spans not delivered (script: 2); they are lost. Await tracer.flush() or tracer.shutdown() before the process exits.',
    )
    expect(run.stderr.match(/the process is exiting/g)).toHaveLength(1)
  })

  it('are told when process.exit() comes in the tick the tracer was made, before its exit code loaded', async () => {
    const run = await runScript(`t.startSpan('a').end()
t.startSpan('b').end()
t.startSpan('open')
process.exit(0)`)
    expect(run.code).toBe(0)
    expect(spans).toEqual([])
    expect(run.stderr).toBe(
      '[tokentrail] the process is exiting with spans lost: 2 not delivered, 1 never ended. End every span, then await tracer.flush() or tracer.shutdown() before it exits.\n',
    )
  })

  it('count the spans that wait for redaction to load when process.exit() comes in the same tick', async () => {
    const run = await runScript(
      `t.startSpan('a').end()
t.startSpan('b').end()
process.exit(0)`,
      ', redaction: {}',
    )
    expect(run.code).toBe(0)
    expect(run.stderr).toBe(
      '[tokentrail] the process is exiting with spans lost: 2 not delivered, 0 never ended. End every span, then await tracer.flush() or tracer.shutdown() before it exits.\n',
    )
  })

  it('count a tracer made in the tick of process.exit() in the one line, once its exit code has loaded', async () => {
    const run = await runScript(`t.startSpan('a').end()
await new Promise((resolve) => setTimeout(resolve, 50))
const u = createTracer({ serviceName: 'late', exporters: [otlpExporter({ url: 'http://127.0.0.1:${port}/v1/traces' })] })
u.startSpan('b').end()
process.exit(0)`)
    expect(run.code).toBe(0)
    expect(run.stderr).toContain(
      '[tokentrail] the process is exiting with 2 spans not delivered (script: 1, late: 1); they are lost.',
    )
  })

  it('count the spans started and never ended, which are never sent', async () => {
    const run = await runScript(`t.startSpan('never ended')
t.startSpan('done').end()`)
    expect(run.code).toBe(0)
    expect(spans).toEqual(['done'])
    expect(run.stderr).toBe(
      '[tokentrail] the process is exiting with 1 span never ended (script: 1); it is lost. End every span, and let streams finish (read or cancel each streamText result), before the process exits; tracer.stats() counts them as started − ended.\n',
    )
    const both = await runScript(`t.startSpan('still open')
t.startSpan('a').end()
await new Promise((resolve) => setTimeout(resolve, 50))
process.exit(0)`)
    expect(both.stderr).toContain(
      '[tokentrail] the process is exiting with 1 span not delivered (script: 1) and 1 span never ended (script: 1); they are lost. Await tracer.flush() or tracer.shutdown() before the process exits, after ending every span and letting streams finish (read or cancel each streamText result).',
    )
    expect(both.stderr.match(/the process is exiting/g)).toHaveLength(1)
  })

  it('say nothing with warnings off, and nothing when everything was sent', async () => {
    const quiet = await runScript(
      `t.startSpan('a').end()
await new Promise((resolve) => setTimeout(resolve, 50))
process.exit(0)`,
      ', warnings: false',
    )
    expect(quiet.stderr).toBe('')
    const flushed = await runScript(`t.startSpan('a').end()
await t.shutdown()
process.exit(0)`)
    expect(flushed.stderr).toBe('')
    expect(spans).toEqual(['a'])
  })

  it('count the spans on the wire when process.exit() comes before the answer', async () => {
    answer = false
    const run = await runScript(
      `t.startSpan('a').end()
t.startSpan('b').end()
t.startSpan('c').end()
setTimeout(() => process.exit(0), 200)`,
      ', flushIntervalMs: 20',
    )
    expect(run.code).toBe(0)
    expect(run.stderr).toContain('the process is exiting with 3 spans not delivered (script: 3)')
  })

  it('say one line for every tracer of the process, and nothing for in-memory exporters', async () => {
    const run = await runScript(
      `import { memoryExporter } from ${JSON.stringify(CORE.replace(/index\.js$/, 'testing.js'))}
const u = createTracer({ serviceName: 'other', exporters: [otlpExporter({ url: 'http://127.0.0.1:${port}/v1/traces' })] })
for (let i = 0; i < 5; i++) createTracer({ serviceName: 'mem', exporters: [memoryExporter()] }).startSpan('m').end()
t.startSpan('a').end()
u.startSpan('b').end()
u.startSpan('c').end()
await new Promise((resolve) => setTimeout(resolve, 50))
process.exit(0)`,
    )
    expect(run.stderr.match(/the process is exiting/g)).toHaveLength(1)
    expect(run.stderr).toContain('with 3 spans not delivered (script: 1, other: 2)')
  })

  it('stop flushing after two rounds when a beforeExit handler of the app ends a span every time', async () => {
    const run = await runScript(`let round = 0
process.on('beforeExit', () => {
  round++
  if (round > 20) process.exit(9)
  t.startSpan('beforeExit ' + round).end()
})
t.startSpan('work').end()`)
    expect(run.code).toBe(0)
    // The spans that ended before each of the two flushes arrived; the last one is said lost.
    expect(spans).toContain('work')
    expect(spans.length).toBeGreaterThanOrEqual(2)
    expect(run.stderr).toContain('the process is exiting with 1 span not delivered (script: 1)')
  })

  it('do not hold the process for a receiver that is down: it exits at once and says what was lost', async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const closedPort = (closed.address() as AddressInfo).port
    await new Promise((resolve) => closed.close(resolve))
    const run = await runScript(
      `const down = createTracer({ serviceName: 'down', exporters: [otlpExporter({ url: 'http://127.0.0.1:${closedPort}/v1/traces' })] })
down.startSpan('a').end()
console.log('done')`,
    )
    expect(run.stdout).toBe('done\n')
    expect(run.code).toBe(0)
    expect(run.ms).toBeLessThan(3000)
    expect(run.stderr).toContain('connection refused')
    expect(run.stderr).toContain('the process is exiting with 1 span not delivered (down: 1)')
  })

  it('do not keep the process alive past the export timeout when the receiver never answers', async () => {
    answer = false
    const run = await runScript(
      `t.startSpan('a').end()
console.log('done')`,
      ', exportTimeoutMs: 300, retry: { maxRetries: 0 }',
    )
    expect(run.stdout).toBe('done\n')
    expect(run.code).toBe(0)
    // The flush waited for the timeout and said why the span did not arrive.
    expect(run.stderr).toContain('not delivered')
    expect(run.ms).toBeLessThan(5000)
  })
})
