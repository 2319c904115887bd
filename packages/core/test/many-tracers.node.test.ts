// A tracer made per request (or per call) instead of once for the app: each one queues and sends
// its spans on its own, one POST per tracer instead of shared batches, under a service.instance.id
// of its own. Nothing said so before. Now, once 64 tracers that send spans are open at once (not
// shut down), one line says what to change, once per process. Tracers made for the in-memory
// exporter (tests), shut down after use, or one tracer for many spans say nothing. Real child
// processes (a fresh process each, as a server starts), a real HTTP receiver.
import { spawn } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'

const CORE = fileURLToPath(new URL('../dist/index.js', import.meta.url))
const TESTING = fileURLToPath(new URL('../dist/testing.js', import.meta.url))

let server: Server
let port: number
let spans = 0
let posts = 0

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = ''
    request.setEncoding('utf8')
    request.on('data', (chunk) => (body += chunk))
    request.on('end', () => {
      posts++
      for (const resource of JSON.parse(body).resourceSpans)
        for (const scope of resource.scopeSpans) spans += scope.spans.length
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  port = (server.address() as AddressInfo).port
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))
beforeEach(() => {
  spans = 0
  posts = 0
})

// Runs `body` in a fresh Node process after `tracers` and `url` are set; resolves with the lines
// it said through `warnings` (prefixed WARN) and what else it printed.
function run(body: string): Promise<{ warnings: string[]; out: string }> {
  const script = `
    import { createTracer, otlpExporter } from ${JSON.stringify(CORE)}
    import { memoryExporter } from ${JSON.stringify(TESTING)}
    const url = 'http://127.0.0.1:${port}/v1/traces'
    const warnings = (message) => console.log('WARN ' + message)
    const request = async (tracer) => { tracer.withSpan('POST /api/chat', () => {}); await tracer.flush() }
    ${body}
  `
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    child.stdout.on('data', (chunk) => (out += chunk))
    child.stderr.on('data', (chunk) => (err += chunk))
    child.on('error', reject)
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`exit ${code}: ${err}`))
      const lines = out.split('\n')
      resolve({
        warnings: lines.filter((line) => line.startsWith('WARN ')).map((line) => line.slice(5)),
        out,
      })
    })
  })
}

describe('tracers made per request', () => {
  it('a tracer per request: said once, as the 64 open ones are passed, and every span still arrives', async () => {
    const { warnings } = await run(`
      for (let i = 0; i < 100; i++)
        await request(createTracer({ serviceName: 'chat', exporters: [otlpExporter({ url })], warnings }))
    `)
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/^64 tracers that send spans are open in this process at once/)
    expect(warnings[0]).toContain('createTracer() seems to run per request or per call')
    expect(warnings[0]).toContain('await tracer.shutdown()')
    expect(spans).toBe(100)
    // What the line is about: a POST per tracer.
    expect(posts).toBe(100)
  })

  it('said once 64 are open, not only at the 65th; 63 say nothing', async () => {
    const make = (n: number) =>
      run(`
        const tracers = []
        for (let i = 0; i < ${n}; i++)
          tracers.push(createTracer({ serviceName: 'chat', exporters: [otlpExporter({ url })], warnings }))
        await new Promise((resolve) => setTimeout(resolve, 50))
      `)
    const at64 = await make(64)
    expect(at64.warnings).toHaveLength(1)
    expect(at64.warnings[0]).toMatch(/^64 tracers that send spans are open in this process at once/)
    expect((await make(63)).warnings).toEqual([])
  })

  it('a tracer shut down after its task, one tracer for every request, or in-memory tracers: nothing is said', async () => {
    const { warnings } = await run(`
      for (let i = 0; i < 100; i++) {
        const tracer = createTracer({ serviceName: 'job', exporters: [otlpExporter({ url })], warnings })
        await request(tracer)
        await tracer.shutdown()
      }
      const tracer = createTracer({ serviceName: 'chat', exporters: [otlpExporter({ url })], warnings })
      for (let i = 0; i < 100; i++) await request(tracer)
      const kept = []
      for (let i = 0; i < 100; i++) {
        const tracer = createTracer({ serviceName: 'test', exporters: [memoryExporter()], warnings })
        kept.push(tracer)
        await request(tracer)
      }
    `)
    expect(warnings).toEqual([])
    expect(spans).toBe(200)
  })
})
