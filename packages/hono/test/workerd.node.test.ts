// tracing() and core's otlpExporter in the real workerd (the `workerd` npm package, the runtime
// of Cloudflare Workers and wrangler dev), exporting over workerd's fetch to a real receiver.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type OtlpReceiver, startOtlpReceiver } from '@tokentrail/otlp-receiver'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bundleWorker, findWorkerd, startWorkerd, type Workerd, workDir } from './workerd/serve.js'

const found = findWorkerd()
let work: Awaited<ReturnType<typeof workDir>>
let receiver: OtlpReceiver
const running: Workerd[] = []
const servers: Server[] = []

interface Serve {
  compatibilityDate?: string
  compatibilityFlags?: string[]
  otlp?: string
  tracer?: 'isolate' | 'request' | 'env'
  env?: Record<string, string>
  flushTimeoutMs?: number
  exportTimeoutMs?: number
}

async function serve(options: Serve = {}): Promise<Workerd> {
  const workerd = await startWorkerd((found as { binary: string }).binary, work.dir, {
    // From 2026-08-04 nodejs_compat is on by default (workerd says so when it is listed too).
    compatibilityDate: options.compatibilityDate ?? '2026-11-01',
    compatibilityFlags: options.compatibilityFlags,
    bindings: {
      OTLP: options.otlp ?? receiver.origin,
      TRACER: options.tracer ?? 'isolate',
      FLUSH_TIMEOUT_MS: String(options.flushTimeoutMs ?? 5000),
      EXPORT_TIMEOUT_MS: String(options.exportTimeoutMs ?? 10_000),
      ...options.env,
    },
  })
  running.push(workerd)
  return workerd
}

type GateMode = 'fail' | 'hang' | 'pass' | 'slow'

/**
 * An OTLP endpoint in front of the receiver that fails (503), hangs, passes on, or passes on
 * after 100 ms (`slow`), as told.
 */
async function gate(): Promise<{ origin: string; mode: GateMode; seen: string[] }> {
  const state = { origin: '', mode: 'fail' as GateMode, seen: [] as string[] }
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk) => chunks.push(chunk))
    request.on('end', async () => {
      state.seen.push(state.mode)
      if (state.mode === 'fail') return void response.writeHead(503).end()
      if (state.mode === 'hang') return // never answers: the export's time bound ends it
      if (state.mode === 'slow') await sleep(100)
      const passed = await fetch(`${receiver.origin}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: Buffer.concat(chunks),
      })
      response.writeHead(passed.status).end(await passed.text())
    })
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  state.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return state
}

const count = (text: string, part: string) => text.split(part).length - 1
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
// What workerd says when a Worker leaves timers, promises or I/O behind across requests.
const COMPLAINTS = /different request|will never|hung|Cannot perform I\/O|uncaught|exceeded/i
const tokentrailLines = (output: string) =>
  output.split('\n').filter((line) => line.startsWith('[tokentrail]'))

describe.skipIf('missing' in found)(
  `tracing() in workerd${'missing' in found ? ` (skipped: ${found.missing})` : ''}`,
  () => {
    beforeAll(async () => {
      work = await workDir()
      receiver = await startOtlpReceiver()
      await bundleWorker(work.dir)
    }, 30_000)
    afterAll(async () => {
      for (const workerd of running) await workerd.close()
      for (const server of servers) server.close()
      await receiver?.close()
      await work?.remove()
    })

    it('keeps the request span open while the body streams, ends it at the end, flushes it through waitUntil', async () => {
      const workerd = await serve({ tracer: 'request' })
      const response = await fetch(`${workerd.url}/api/stream`)
      const traceId = response.headers.get('x-trace-id')!
      expect(traceId).toMatch(/^[0-9a-f]{32}$/)
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
      let text = ''
      const first = await reader.read()
      text += first.value
      // Mid-body: the span is open, so nothing of the trace has been flushed.
      await sleep(150)
      expect(receiver.trace(traceId)).toEqual([])
      for (let part = await reader.read(); !part.done; part = await reader.read())
        text += part.value
      const lines = text
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line))
      expect(lines).toHaveLength(3)
      await receiver.waitFor((spans) => spans.filter((s) => s.traceId === traceId).length === 2)
      const root = receiver.trace(traceId).find((s) => s.kind === 2)!
      const llm = receiver.trace(traceId).find((s) => s.kind === 3)!
      expect(root).toMatchObject({ name: 'GET /api/stream', service: 'workerd-test' })
      expect(root.attributes['http.response.body.size']).toBe(new TextEncoder().encode(text).length)
      expect(llm.parentSpanId).toBe(root.spanId)
      // Every chunk was made while the span was open, with it active (AsyncLocalStorage).
      for (const line of lines)
        expect(line).toEqual({ i: line.i, ended: false, active: root.spanId })
      expect(workerd.output()).not.toMatch(COMPLAINTS)
      expect(tokentrailLines(workerd.output())).toEqual([])
    })

    // workerd sends a stream it did not make chunked: the Content-Length a proxied answer had was lost.
    it('keeps the Content-Length of a body of known length', async () => {
      const workerd = await serve({ tracer: 'request' })
      const response = await fetch(`${workerd.url}/api/sized`)
      expect(response.headers.get('content-length')).toBe('5')
      expect(response.headers.get('transfer-encoding')).toBeNull()
      expect(await response.text()).toBe('hello')
      const traceId = response.headers.get('x-trace-id')!
      await receiver.waitFor((spans) => spans.some((s) => s.traceId === traceId))
      expect(receiver.trace(traceId)[0]!.attributes['http.response.body.size']).toBe(5)
      expect(workerd.output()).not.toMatch(COMPLAINTS)
    })

    it('ends the span cancelled when the client goes away mid-body (request signal, on by default from 2026-11-17)', async () => {
      const workerd = await serve({ compatibilityDate: '2026-11-17' })
      const controller = new AbortController()
      const response = await fetch(`${workerd.url}/api/stream?chunks=100`, {
        signal: controller.signal,
      })
      const traceId = response.headers.get('x-trace-id')!
      const reader = response.body!.getReader()
      expect((await reader.read()).done).toBe(false)
      controller.abort()
      await receiver.waitFor((spans) => spans.some((s) => s.traceId === traceId && s.kind === 2))
      const root = receiver.trace(traceId).find((s) => s.kind === 2)!
      expect(root.attributes['tokentrail.span.status']).toBe('cancelled')
      expect(workerd.output()).not.toMatch(COMPLAINTS)
    })

    it('ends the span cancelled when the client goes away, without enable_request_signal too (workerd cancels the body)', async () => {
      const workerd = await serve({
        compatibilityDate: '2026-07-01',
        compatibilityFlags: ['nodejs_compat'],
      })
      const controller = new AbortController()
      const response = await fetch(`${workerd.url}/api/push`, { signal: controller.signal })
      const traceId = response.headers.get('x-trace-id')!
      const reader = response.body!.getReader()
      expect((await reader.read()).done).toBe(false)
      controller.abort()
      await receiver.waitFor((spans) => spans.some((s) => s.traceId === traceId))
      const [root] = receiver.trace(traceId)
      expect(root).toMatchObject({ name: 'GET /api/push' })
      expect(root!.attributes['tokentrail.span.status']).toBe('cancelled')
      expect(workerd.output()).not.toMatch(COMPLAINTS)
    })

    it('a tracer kept for the isolate delivers, with a later request, the spans a failed export left waiting for a retry', async () => {
      const endpoint = await gate()
      const workerd = await serve({ otlp: endpoint.origin, flushTimeoutMs: 500 })
      const first = await (await fetch(`${workerd.url}/api/nest`)).json()
      // The request ended with its spans waiting for a retry whose timer workerd ended with it.
      await sleep(500)
      endpoint.mode = 'pass'
      await sleep(3000) // past the backoff (about 1 s) and the send loop's grace (2 s)
      const second = await (await fetch(`${workerd.url}/api/nest`)).json()
      await receiver.waitFor(
        (spans) => [first.root, second.root].every((id) => spans.some((s) => s.spanId === id)),
        5000,
      )
      // The receiver has the spans a moment before the worker has its answer.
      await expect
        .poll(async () => (await fetch(`${workerd.url}/stats`)).json())
        .toMatchObject({ exported: 4, failed: 0, queued: 0, inflight: 0 })
      expect(endpoint.seen[0]).toBe('fail')
      expect(endpoint.seen.slice(1)).not.toContain('fail')
      const said = tokentrailLines(workerd.output())
      expect(said[0]).toContain('503 Service Unavailable')
      expect(said.at(-1)).toContain('spans reach')
      expect(workerd.output()).not.toMatch(COMPLAINTS)
    })

    it('a tracer kept for the isolate goes on after an export that hung past the flush bound', async () => {
      const endpoint = await gate()
      endpoint.mode = 'hang'
      const workerd = await serve({
        otlp: endpoint.origin,
        flushTimeoutMs: 300,
        exportTimeoutMs: 600,
      })
      const first = await (await fetch(`${workerd.url}/api/nest`)).json()
      await sleep(500)
      endpoint.mode = 'pass'
      await sleep(2500) // past the export's bound (0.6 s) and the grace (2 s)
      const second = await (await fetch(`${workerd.url}/api/nest`)).json()
      await receiver.waitFor(
        (spans) => [first.root, second.root].every((id) => spans.some((s) => s.spanId === id)),
        5000,
      )
      await expect
        .poll(async () => (await fetch(`${workerd.url}/stats`)).json())
        .toMatchObject({ exported: 4, queued: 0, inflight: 0, flushTimeouts: 1 })
      // The hung flush was said once, inside the request's waitUntil.
      expect(count(workerd.output(), 'flush timed out after 300 ms')).toBe(1)
      expect(workerd.output()).not.toMatch(COMPLAINTS)
    })

    // Each request's flush sends its spans from its own request: an export started from a request
    // whose flush was done never settled (workerd ends that request's fetches and timers), and
    // every later flush waited behind it (12-25 % of spans arrived, 4 requests at a time).
    it('a tracer kept for the isolate delivers every span when requests overlap', async () => {
      const endpoint = await gate()
      endpoint.mode = 'slow' // so that exports overlap other requests' flushes
      const workerd = await serve({ otlp: endpoint.origin })
      const roots: string[] = []
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          for (let i = 0; i < 6; i++)
            roots.push((await (await fetch(`${workerd.url}/api/nest`)).json()).root)
        }),
      )
      await receiver.waitFor(
        (spans) => roots.every((id) => spans.some((s) => s.spanId === id)),
        10_000,
      )
      await expect
        .poll(async () => (await fetch(`${workerd.url}/stats`)).json())
        .toMatchObject({ exported: 48, failed: 0, queued: 0, inflight: 0, flushTimeouts: 0 })
      expect(workerd.output()).not.toMatch(COMPLAINTS)
      expect(tokentrailLines(workerd.output())).toEqual([])
    })

    it('a tracer kept for the isolate fails, within retry.maxRetries, a batch a receiver that stays down refuses', async () => {
      const endpoint = await gate() // 503 every time
      const workerd = await serve({
        otlp: endpoint.origin,
        flushTimeoutMs: 300,
        env: { MAX_RETRIES: '1' },
      })
      // The first try fails; the request ends with its retry's timer.
      expect((await fetch(`${workerd.url}/api/nest`)).status).toBe(200)
      await sleep(4000) // past the backoff (about 1 s) and the send loop's grace (2 s)
      // The next request's flush sends that batch its last retry (each request started the
      // retries over, so the batch was never failed), then its own batch's first try.
      expect((await fetch(`${workerd.url}/api/nest`)).status).toBe(200)
      await expect
        .poll(async () => (await fetch(`${workerd.url}/stats`)).json())
        .toMatchObject({ exported: 0, failed: 2 })
      expect(endpoint.seen).toEqual(['fail', 'fail', 'fail'])
      expect(workerd.output()).not.toMatch(COMPLAINTS)
    })

    it('work handed to c.executionCtx.waitUntil that outlives the body, with a tracer per request: recorded whole and sent before the request ends', async () => {
      const workerd = await serve({ tracer: 'request' })
      const response = await fetch(`${workerd.url}/api/background`)
      expect(await response.text()).toBe('part 1\npart 2\n')
      await receiver.waitFor((spans) => spans.some((s) => s.name === 'late'))
      const root = receiver.spans.find((s) => s.name === 'GET /api/background')!
      const summary = receiver.spans.find((s) => s.name === 'summary')!
      const late = receiver.spans.find((s) => s.name === 'late')!
      expect(summary).toMatchObject({ traceId: root.traceId, parentSpanId: root.spanId })
      expect(late).toMatchObject({ traceId: root.traceId, parentSpanId: summary.spanId })
      expect(summary.status.code).toBe(0) // unset: not failed
      expect(summary.attributes['tokentrail.span.status']).toBeUndefined()
      expect(summary.attributes['tokentrail.closed_by_parent']).toBeUndefined()
      expect(workerd.output()).not.toMatch(COMPLAINTS)
    })

    it('with the receiver down, a tracer per request says the loss once, inside the flush', async () => {
      const endpoint = await gate() // 503 every time
      const workerd = await serve({ otlp: endpoint.origin, tracer: 'request', flushTimeoutMs: 500 })
      expect((await fetch(`${workerd.url}/api/nest`)).status).toBe(200)
      await sleep(1500) // the flush bound, with room
      const said = tokentrailLines(workerd.output())
      expect(said).toHaveLength(2)
      expect(said[0]).toContain('retrying up to 5 more times')
      // The retry dies with the request: that is said, not left as a retry that never comes.
      // The retry is 0.8-1.2 s away, after the flush's bound: the flush does not wait that out.
      expect(said[1]).toMatch(
        /flush stopped waiting \(the next attempt is in [01]\.\d s, after its 500 ms bound\): 2 spans/,
      )
      expect(said[1]).toContain('Their retries end with this request')
      expect(said[1]).toContain('one made per request loses them')
      expect(workerd.output()).not.toMatch(COMPLAINTS)
    })

    it('with no tracer passed, uses the one configured from OTEL_* bindings (process.env)', async () => {
      const workerd = await serve({
        tracer: 'env',
        env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.origin, OTEL_SERVICE_NAME: 'workerd-env' },
      })
      const nest = await (await fetch(`${workerd.url}/api/nest`)).json()
      expect(nest).toMatchObject({ asyncContext: true, childParent: nest.root })
      await receiver.waitFor((spans) => spans.some((s) => s.spanId === nest.root))
      const root = receiver.spans.find((s) => s.spanId === nest.root)!
      expect(root).toMatchObject({ name: 'GET /api/nest', service: 'workerd-env' })
      expect(tokentrailLines(workerd.output())).toEqual([])
    })

    it('without nodejs_compat, OTEL_* bindings are not seen: the no-exporter notice says why, once', async () => {
      const workerd = await serve({
        tracer: 'env',
        compatibilityDate: '2026-07-01',
        env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.origin, OTEL_SERVICE_NAME: 'workerd-env' },
      })
      for (let i = 0; i < 2; i++) {
        const nest = await (await fetch(`${workerd.url}/api/nest`)).json()
        expect(nest.root).toBe('0000000000000000') // the no-op tracer's span
      }
      const said = tokentrailLines(workerd.output())
      expect(said).toHaveLength(1)
      expect(said[0]).toContain('spans would go nowhere')
      expect(said[0]).toContain('vars reach process.env only with nodejs_compat')
    })

    it('without AsyncLocalStorage (compatibility date before 2026-08-04, no flag) says once what to set', async () => {
      const workerd = await serve({ compatibilityDate: '2026-07-01' })
      for (let i = 0; i < 2; i++) {
        const nest = await (await fetch(`${workerd.url}/api/nest`)).json()
        expect(nest).toMatchObject({ asyncContext: false, childParent: null })
      }
      const said = tokentrailLines(workerd.output())
      expect(said).toHaveLength(1)
      expect(said[0]).toContain('no AsyncLocalStorage')
      expect(said[0]).toContain('compatibility_date to 2026-08-04 or later')
      expect(said[0]).toContain('"nodejs_compat"')
    })

    it.each([
      ['2026-07-01', ['nodejs_compat']],
      ['2026-08-04', []],
    ])(
      'with compatibility date %s and flags %j the model span nests, nothing said',
      async (date, flags) => {
        const workerd = await serve({ compatibilityDate: date, compatibilityFlags: flags })
        const nest = await (await fetch(`${workerd.url}/api/nest`)).json()
        expect(nest).toMatchObject({ asyncContext: true, childParent: nest.root })
        expect(tokentrailLines(workerd.output())).toEqual([])
      },
    )

    it('nodejs_als alone gives no context to tracing(), and is said', async () => {
      const workerd = await serve({
        compatibilityDate: '2026-07-01',
        compatibilityFlags: ['nodejs_als'],
      })
      const nest = await (await fetch(`${workerd.url}/api/nest`)).json()
      expect(nest).toMatchObject({ asyncContext: false, childParent: null })
      expect(tokentrailLines(workerd.output())).toHaveLength(1)
    })
  },
)
