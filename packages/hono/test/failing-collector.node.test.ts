// A long-lived Node server given a `waitUntil`, its collector down: each request's flush must not
// wait out its bound on a send loop backing off after failed exports, the first request's flush
// included, whose own export is the one that fails. Under load that held thousands of flushes,
// and what they keep alive, at once. And nothing goes unsaid.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { createTracer, type FlushResult, otlpExporter } from '@tokentrail/core'
import { Hono } from 'hono'
import { afterEach, expect, it } from 'vitest'
import { tracing } from '../src/index.js'

const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const close of closers.splice(0)) await close()
})

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections?.()
    server.close(() => resolve())
  })
}

// A real OTLP/HTTP receiver that is down: every POST is answered 503 (retryable).
async function downCollector(): Promise<{ url: string; posts: () => number }> {
  let posts = 0
  const server = createServer((request, response) => {
    request.resume()
    request.on('end', () => {
      posts++
      response.writeHead(503, { 'content-type': 'text/plain' }).end('down for maintenance')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  closers.push(() => close(server))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, posts: () => posts }
}

it("does not hold a request's flush on exports already failing, and counts what never arrived", async () => {
  const collector = await downCollector()
  const warnings: string[] = []
  const tracer = createTracer({
    serviceName: 'hono-outage',
    exporters: [otlpExporter({ url: `${collector.url}/v1/traces` })],
    flushIntervalMs: 600_000,
    // A retry a minute away: a flush that waits for it outlasts this test.
    retry: { initialBackoffMs: 60_000, maxBackoffMs: 60_000, maxRetries: 1 },
    warnings: (message) => warnings.push(message),
  })
  const flushes: Promise<unknown>[] = []
  const app = new Hono()
  app.use(tracing({ tracer, flushTimeoutMs: 60_000, waitUntil: (p) => flushes.push(p) }))
  app.get('/hello', (c) => c.text('hi'))
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' })
  await new Promise<void>((resolve) => server.once('listening', () => resolve()))
  closers.push(() => close(server as Server))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  // The first request's flush finds the collector down: the send loop backs off for a minute.
  expect(await (await fetch(`${base}/hello`)).text()).toBe('hi')
  await expect.poll(() => tracer.stats().retried, { timeout: 5000 }).toBe(1)
  // Its own flush stops waiting as that export fails (it waited out its 60 s bound before).
  const first = await Promise.race([
    flushes[0],
    new Promise((resolve) => setTimeout(() => resolve('still waiting'), 3000)),
  ])
  expect(first).not.toBe('still waiting')
  expect((first as FlushResult).ok).toBe(false)
  expect((first as FlushResult).reason).toMatch(
    /not waited for: exports are failing and being retried/,
  )

  // Later requests' flushes resolve without waiting for that retry (none has gone out).
  for (let i = 0; i < 3; i++) expect(await (await fetch(`${base}/hello`)).text()).toBe('hi')
  const later = (await Promise.all(flushes.slice(1))) as FlushResult[]
  expect(collector.posts()).toBe(1)
  expect(later).toHaveLength(3)
  for (const result of later) {
    expect(result.ok).toBe(false)
    expect(result.reason).toMatch(/not waited for: exports are failing and being retried/)
    expect(result.reason).toMatch(/503/)
  }
  // Said once, when the export first failed: not once per flush.
  expect(warnings.filter((w) => /503 Service Unavailable/.test(w))).toHaveLength(1)

  // Nothing lost without a count: the shutdown gives up the spans still waiting.
  await tracer.shutdown({ timeoutMs: 100 })
  const stats = tracer.stats()
  expect(stats.exported + stats.failed + stats.dropped.shutdown).toBe(4)
  expect(warnings.at(-1)).toMatch(/3 spans .* not delivered; they are dropped/)
}, 20_000)
