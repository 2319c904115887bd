// W3C Trace Context and Baggage allow a list header (tracestate, baggage) to arrive as several
// header lines, to be combined into one list; two traceparent lines make the context invalid.
// Carriers that keep one value per line (Node's `headersDistinct`, an AWS Lambda event's
// `multiValueHeaders`) are read through a real node:http request that sends such lines.
import { createServer, request as httpRequest, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import {
  createTracer,
  extractBaggage,
  extractTraceContext,
  injectBaggage,
  injectTraceContext,
  setTracer,
} from '../src/index.js'
import { memoryExporter } from '../src/testing.js'

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
const OTHER = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'

/** Sends one request with `headers` (an array value is sent as several lines) and returns what the server saw. */
async function received(headers: Record<string, string | string[]>): Promise<IncomingMessage> {
  let seen: IncomingMessage | undefined
  const server = createServer((request, response) => {
    seen = request
    response.end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve, reject) => {
    const request = httpRequest({ port, host: '127.0.0.1', headers }, (response) => {
      response.resume().on('end', resolve)
    })
    request.on('error', reject).end()
  })
  await new Promise((resolve) => server.close(resolve))
  return seen!
}

describe('list headers sent as several lines', () => {
  it('combines tracestate lines, as the joined header reads', async () => {
    const request = await received({
      traceparent: TRACEPARENT,
      tracestate: ['congo=t61rcWkgMzE', 'rojo=00f067aa0ba902b7'],
    })
    expect(request.headersDistinct.tracestate).toHaveLength(2)
    const joined = extractTraceContext(request.headers as Record<string, unknown>)
    const distinct = extractTraceContext(request.headersDistinct)
    expect(joined?.traceState).toBe('congo=t61rcWkgMzE,rojo=00f067aa0ba902b7')
    expect(distinct?.traceState).toBe('congo=t61rcWkgMzE,rojo=00f067aa0ba902b7')
    // An API Gateway event as Lambda hands it over.
    const event = { multiValueHeaders: { ...request.headersDistinct } }
    expect(extractTraceContext(event.multiValueHeaders)?.traceState).toBe(
      'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7',
    )
  })

  it('a duplicated key across lines drops tracestate whole, as within one line', async () => {
    const request = await received({
      traceparent: TRACEPARENT,
      tracestate: ['congo=1', 'congo=2'],
    })
    expect(extractTraceContext(request.headersDistinct)).toMatchObject({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    })
    expect(extractTraceContext(request.headersDistinct)?.traceState).toBeUndefined()
  })

  it('two traceparent lines are no context: a new trace starts', async () => {
    const request = await received({ traceparent: [TRACEPARENT, OTHER], tracestate: 'congo=1' })
    expect(request.headersDistinct.traceparent).toHaveLength(2)
    expect(extractTraceContext(request.headers as Record<string, unknown>)).toBeUndefined()
    expect(extractTraceContext(request.headersDistinct)).toBeUndefined()
  })

  it('combines baggage lines', async () => {
    const request = await received({ baggage: ['user.id=u1', 'session.id=s%201;meta=x'] })
    const expected = { 'user.id': 'u1', 'session.id': 's 1' }
    expect(extractBaggage(request.headers as Record<string, unknown>)).toEqual(expected)
    expect(extractBaggage(request.headersDistinct)).toEqual(expected)
  })
})

// Before, injectBaggage wrote every member however long the header grew (a 10 KB value made a
// header every W3C receiver may drop, and extractBaggage, past 8,192 bytes, dropped it whole, the
// small members with it), and a number or boolean value (`{ tenant: 42 }`) was left out without a word.
describe('injectBaggage within what a receiver keeps', () => {
  it('sends numbers and booleans as text, and leaves out the member past 8,192 bytes, not the header', async () => {
    const headers: Record<string, string> = {}
    injectBaggage(headers, {
      tenant: 42,
      beta: true,
      huge: 'x'.repeat(10_000),
      user: 'ada lovelace',
      nested: { a: 1 } as never,
      ratio: Number.NaN as never,
    })
    const request = await received(headers)
    expect(extractBaggage(request.headers as Record<string, unknown>)).toEqual({
      tenant: '42',
      beta: 'true',
      user: 'ada lovelace',
    })
  })

  it('stops at 180 members and 8,192 bytes, as OpenTelemetry and W3C bound it', async () => {
    const many: Record<string, string> = {}
    for (let i = 0; i < 400; i++) many[`k${i}`] = 'v'.repeat(i < 200 ? 1 : 60)
    const headers: Record<string, string> = {}
    injectBaggage(headers, many)
    expect(headers.baggage!.split(',')).toHaveLength(180)
    const long: Record<string, string> = {}
    for (let i = 0; i < 150; i++) long[`k${i}`] = 'v'.repeat(100)
    injectBaggage(headers, long)
    expect(headers.baggage!.length).toBeLessThanOrEqual(8192)
    const request = await received(headers)
    const got = extractBaggage(request.headers as Record<string, unknown>)
    expect(Object.keys(got).length).toBe(headers.baggage!.split(',').length)
    expect(Object.keys(got).length).toBeGreaterThan(70)
  })

  // Before, a header past 8,192 bytes was dropped whole, the small members before the big one with it.
  it('extractBaggage keeps the members that fit in 8,192 bytes of a longer header', async () => {
    const request = await received({
      baggage: `tenant=acme,user=ada,blob=${'x'.repeat(9000)},after=1`,
    })
    expect(extractBaggage(request.headers as Record<string, unknown>)).toEqual({
      tenant: 'acme',
      user: 'ada',
    })
  })
})

// Before, injectBaggage replaced a baggage header already in the carrier (forwarded from upstream,
// or set by an earlier call), and what it left out (past 180 members or 8,192 bytes, keys that are
// no header token, values it cannot write) went without a word.
describe('injectBaggage into a carrier that has baggage already', () => {
  it('keeps the members from upstream after the entries given; an entry replaces its key', async () => {
    const incoming = await received({ baggage: 'tenant=acme,user=ada;role=admin', other: 'x' })
    const forward = { ...incoming.headers } as Record<string, string>
    injectBaggage(forward, { user: 'bob', session: 's 1' })
    injectBaggage(forward, { region: 'eu' })
    const downstream = await received(forward)
    expect(downstream.headers.baggage).toBe('region=eu,user=bob,session=s%201,tenant=acme')
    expect(extractBaggage(downstream.headers as Record<string, unknown>)).toEqual({
      region: 'eu',
      user: 'bob',
      session: 's 1',
      tenant: 'acme',
    })
    const headers = new Headers({ baggage: 'tenant=acme' })
    injectBaggage(headers, { user: 'bob' })
    expect(headers.get('baggage')).toBe('user=bob,tenant=acme')
  })

  it('says once what it left out, through the tracer', async () => {
    const warnings: string[] = []
    const tracer = createTracer({
      exporters: [memoryExporter()],
      warnings: (m) => warnings.push(m),
    })
    setTracer(tracer)
    try {
      const many: Record<string, string> = {}
      for (let i = 0; i < 200; i++) many[`k${i}`] = 'v'
      for (let round = 0; round < 2; round++) {
        const headers: Record<string, string> = { baggage: 'upstream=1' }
        tracer.withSpan('request', () =>
          injectBaggage(headers, { ...many, 'bad key': 'x', nested: { a: 1 } as never }),
        )
        expect(headers.baggage!.split(',')).toHaveLength(180)
      }
      await expect.poll(() => warnings.length).toBe(2)
      await new Promise((resolve) => setTimeout(resolve, 20))
      expect(warnings).toHaveLength(2)
      expect(warnings[0]).toMatch(/^injectBaggage: left out "bad key", "nested": a key must be/)
      expect(warnings[1]).toMatch(
        /^injectBaggage: left out 21 baggage members past what receivers keep \(180 members, 8,192 bytes\)/,
      )
    } finally {
      setTracer(undefined)
      await tracer.shutdown()
    }
  })
})

// A plain-object carrier whose header is named in another case (`Baggage`, `Traceparent`, as a
// hand-written headers object has them): written under a second, lower-case key, both went out
// through fetch as two lines: the old baggage members again (past the limits the merge keeps) and
// two traceparent lines, which W3C reads as no context. And a key upstream sent twice kept its
// first value, where receivers read the last.
describe('injecting into a plain object with the header in another case', () => {
  async function fetched(headers: Record<string, string>): Promise<IncomingMessage> {
    let seen: IncomingMessage | undefined
    const server = createServer((request, response) => {
      seen = request
      response.end()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    await (await fetch(`http://127.0.0.1:${port}/`, { headers })).text()
    await new Promise((resolve) => server.close(resolve))
    return seen!
  }

  it('writes the key the carrier has, so one header line goes out', async () => {
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      Baggage: 'tenant=acme,user=ada,user=eve',
      Traceparent: OTHER,
    }
    injectBaggage(headers, { session: 's1' })
    injectTraceContext(headers, extractTraceContext({ traceparent: TRACEPARENT }))
    const request = await fetched(headers)
    expect(request.headers.baggage).toBe('session=s1,tenant=acme,user=eve')
    expect(extractBaggage(request.headers as Record<string, unknown>)).toEqual({
      session: 's1',
      tenant: 'acme',
      user: 'eve',
    })
    expect(extractTraceContext(request.headers as Record<string, unknown>)?.spanId).toBe(
      '00f067aa0ba902b7',
    )
  })
})
