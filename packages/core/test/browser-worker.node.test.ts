// @tokentrail/core in a browser's Web Worker, on the real Firefox (Debian's firefox-esr; the test
// skips without it, naming what to install): `otlpExporter` sends cross-origin to a receiver that
// answers CORS as the OpenTelemetry Collector does by default (only Content-Type and the
// safelisted headers allowed). Firefox sends a User-Agent given to fetch (Chromium drops it), so
// the exporter's own `User-Agent: tokentrail/…` made every preflight ask for `user-agent`, the
// receiver refused it, and no span ever arrived from a worker.
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const FIREFOX = ['/usr/bin/firefox-esr', '/usr/bin/firefox'].find((path) => existsSync(path))

// The worker: a tracer exporting one span to the URL it is sent, answering with the flush result.
const WORKER = `
import { createTracer, otlpExporter } from ${JSON.stringify(fileURLToPath(new URL('../src/index.ts', import.meta.url)))}
self.onmessage = async (event) => {
  const tracer = createTracer({ serviceName: 'in-worker', exporters: [otlpExporter({ url: event.data })] })
  tracer.startSpan('from a worker').end()
  const flush = await tracer.flush({ timeoutMs: 4000 })
  self.postMessage(JSON.stringify({ flush, stats: tracer.stats() }))
}
`

interface Seen {
  method: string
  url: string
  requestHeaders?: string
  authorization?: string
  body: string
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  )
}

function text(request: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = ''
    request.setEncoding('utf8')
    request.on('data', (chunk: string) => (body += chunk))
    request.on('end', () => resolve(body))
  })
}

describe.skipIf(!FIREFOX)('core in a Web Worker on Firefox (firefox-esr)', () => {
  const seen: Seen[] = []
  let receiver: Server
  let site: Server
  let receiverHost: string
  let siteHost: string
  let bundle: string
  let report: (body: string) => void

  beforeAll(async () => {
    const out = await build({
      stdin: { contents: WORKER, resolveDir: fileURLToPath(new URL('.', import.meta.url)) },
      bundle: true,
      format: 'esm',
      platform: 'browser',
      external: ['node:*'],
      write: false,
      logLevel: 'error',
    })
    bundle = out.outputFiles[0]!.text
    // The collector's CORS: the origin allowed, headers beyond the safelisted ones only if listed.
    receiver = createServer(async (request, response) => {
      const body = await text(request)
      seen.push({
        method: request.method!,
        url: request.url!,
        requestHeaders: request.headers['access-control-request-headers'],
        authorization: request.headers.authorization,
        body,
      })
      const cors = {
        'access-control-allow-origin': '*',
        'access-control-allow-methods': 'POST',
        // Under /auth/, a receiver that takes basic auth from the browser.
        'access-control-allow-headers': request.url?.startsWith('/auth/')
          ? 'Content-Type, Accept, Authorization'
          : 'Content-Type, Accept',
      }
      if (request.method === 'OPTIONS') return void response.writeHead(204, cors).end()
      response.writeHead(200, { ...cors, 'content-type': 'application/json' }).end('{}')
    })
    receiverHost = await listen(receiver)
    site = createServer(async (request, response) => {
      if (request.url === '/worker.js')
        return void response.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle)
      if (request.url === '/report') {
        report(await text(request))
        return void response.end()
      }
      // Another origin than the receiver's (localhost, not 127.0.0.1): the export is cross-origin.
      // At /auth, a URL with credentials, as OTEL_EXPORTER_OTLP_ENDPOINT may carry them.
      const url =
        request.url === '/auth'
          ? `http://trace-user:pa55word@localhost:${receiverHost.split(':')[1]}/auth/v1/traces`
          : `http://localhost:${receiverHost.split(':')[1]}/v1/traces`
      response.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><script>
const send = (body) => fetch('/report', { method: 'POST', body })
const worker = new Worker('/worker.js', { type: 'module' })
worker.onmessage = (event) => send(event.data)
worker.onerror = (event) => send(JSON.stringify({ error: event.message }))
worker.postMessage(${JSON.stringify(url)})
</script>`)
    })
    siteHost = await listen(site)
  })
  afterAll(async () => {
    await new Promise((resolve) => receiver?.close(resolve))
    await new Promise((resolve) => site?.close(resolve))
  })

  /** Loads `path` of the site in headless Firefox; resolves what its worker reported. */
  async function inFirefox<T>(path: string, check: (result: any) => T): Promise<T> {
    const profile = mkdtempSync(join(tmpdir(), 'tokentrail-firefox-'))
    const reported = new Promise<string>((resolve) => (report = resolve))
    const firefox = spawn(
      FIREFOX!,
      ['--headless', '--no-remote', '--profile', profile, `http://${siteHost}${path}`],
      { stdio: 'ignore' },
    )
    const exited = new Promise((resolve) => firefox.once('exit', resolve))
    try {
      return check(JSON.parse(await reported))
    } finally {
      firefox.kill()
      await exited
      rmSync(profile, { recursive: true, force: true })
    }
  }

  it('delivers across origins to a receiver that allows only Content-Type', async () => {
    await inFirefox('/', (result) => {
      expect(result.error).toBeUndefined()
      expect(result.flush).toEqual({ ok: true, pending: 0 })
      expect(result.stats).toMatchObject({ exported: 1, retried: 0, failed: 0 })
      const posts = seen.filter((s) => s.method === 'POST' && s.url === '/v1/traces')
      expect(posts).toHaveLength(1)
      expect(posts[0]!.body).toContain('"from a worker"')
      // The preflight asked only for what a collector allows by default.
      for (const preflight of seen.filter((s) => s.method === 'OPTIONS'))
        expect(preflight.requestHeaders?.toLowerCase()).not.toContain('user-agent')
    })
  }, 90_000)

  // A browser refuses a fetch URL with credentials (its error quoted the URL, password and all,
  // in the warning and the flush reason, and every retry failed the same way): they go as basic
  // auth, as Node sends them.
  it('sends the credentials of an exporter URL as basic auth, as on Node', async () => {
    await inFirefox('/auth', (result) => {
      expect(result.error).toBeUndefined()
      expect(result.flush).toEqual({ ok: true, pending: 0 })
      expect(result.stats).toMatchObject({ exported: 1, retried: 0, failed: 0 })
      const post = seen.find((s) => s.method === 'POST' && s.url === '/auth/v1/traces')
      expect(post?.authorization).toBe(`Basic ${btoa('trace-user:pa55word')}`)
    })
  }, 90_000)
})
