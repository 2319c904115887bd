// A CommonJS app gets Hono's CommonJS build while this package imports its ES build: two copies
// of Hono in one process (as also when an app and a dependency resolve different Hono versions).
// `matchedRoutes` from 'hono/route' reads the request through a Symbol() of its own copy, so on the
// other copy's request it threw, and every request span was named `GET` with no `http.route`.
// Served over a real socket by @hono/node-server.
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { afterEach, expect, it } from 'vitest'
import { tracing } from '../src/index.js'
import { setup } from './helpers.js'

const require = createRequire(import.meta.url)
let close: (() => void) | undefined
afterEach(() => close?.())

it("names the span by the route when the app's Hono is the CommonJS build", async () => {
  const { Hono } = require('hono') as typeof import('hono')
  // The CommonJS build is a different class from the one this package's types come from.
  expect(Hono).not.toBe((await import('hono')).Hono)
  const { tracer, exporter } = setup()
  const app = new Hono()
  app.use(tracing({ tracer }))
  app.get('/users/:id', (c) => c.text(`user ${c.req.param('id')}`))
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' })
  await new Promise<void>((resolve) => server.once('listening', () => resolve()))
  close = () => server.close()
  const port = (server.address() as AddressInfo).port
  const response = await fetch(`http://127.0.0.1:${port}/users/42`)
  expect(await response.text()).toBe('user 42')
  await new Promise((resolve) => setTimeout(resolve, 50))
  await tracer.flush()
  const [span] = exporter.spans
  expect(span?.name).toBe('GET /users/:id')
  expect(span?.attributes['http.route']).toBe('/users/:id')
})
