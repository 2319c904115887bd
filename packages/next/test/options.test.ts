import { TokentrailError } from '@tokentrail/core'
import { describe, expect, it } from 'vitest'
import { traceAction, withTracing } from '../src/index.js'

function message(fn: () => unknown): string {
  try {
    fn()
  } catch (error) {
    expect(TokentrailError.isInstance(error)).toBe(true)
    return (error as Error).message
  }
  throw new Error('expected a throw')
}

const handler = async () => new Response('ok')

describe('withTracing and traceAction reject unknown option keys at creation', () => {
  it('withTracing(h, { traceIDHeader }) names traceIdHeader', () => {
    expect(message(() => withTracing(handler, { traceIDHeader: 'x-trace-id' } as never))).toBe(
      'withTracing: unknown option `traceIDHeader` — did you mean `traceIdHeader`? Valid options: tracer, route, traceIdHeader, flushTimeoutMs, streamTimeoutMs, attributes.',
    )
  })

  it('withTracing(h, { flushTimeout }) names flushTimeoutMs', () => {
    expect(message(() => withTracing(handler, { flushTimeout: 1000 } as never))).toMatch(
      /did you mean `flushTimeoutMs`\?/,
    )
  })

  it('traceAction(name, fn, { flushTimeout }) names flushTimeoutMs', () => {
    expect(message(() => traceAction('a', async () => 1, { flushTimeout: 5 } as never))).toBe(
      'traceAction: unknown option `flushTimeout` — did you mean `flushTimeoutMs`? Valid options: tracer, flushTimeoutMs.',
    )
  })

  // A Map or an array has no option keys: it passed the key check and the defaults applied
  // without a word.
  it('a Map or an array is refused, naming what it got', () => {
    expect(message(() => withTracing(handler, new Map([['route', '/api/chat']]) as never))).toBe(
      'withTracing takes an options object, got a Map (pass Object.fromEntries(map))',
    )
    expect(message(() => traceAction('a', async () => 1, [] as never))).toBe(
      'traceAction takes an options object, got an array',
    )
  })

  it('valid options still pass', () => {
    expect(() => withTracing(handler, { traceIdHeader: 'x-trace-id' })).not.toThrow()
    expect(() => traceAction('a', async () => 1, { flushTimeoutMs: 10 })).not.toThrow()
  })
})

describe('traceAction checks its options when the action is defined, as withTracing does', () => {
  it('a tracer that is not one is named then, not met as a failure of every call', async () => {
    expect(message(() => traceAction('a', async () => 1, { tracer: 'x' } as never))).toBe(
      'traceAction: tracer must be a tracer from createTracer()',
    )
    // Half a tracer made every call of the action throw `tracer.withSpan is not a function`.
    expect(
      message(() =>
        traceAction('a', async () => 1, { tracer: { enabled: true, startSpan() {} } } as never),
      ),
    ).toBe('traceAction: tracer must be a tracer from createTracer()')
  })

  it('flushTimeoutMs past the longest timer is named, as withTracing names it', () => {
    expect(message(() => traceAction('a', async () => 1, { flushTimeoutMs: 2 ** 31 }))).toBe(
      'traceAction: flushTimeoutMs must be at most 2147483647 ms (about 24.8 days, the longest timer), got 2147483648',
    )
    expect(() => withTracing(handler, { flushTimeoutMs: 2 ** 31 })).toThrow(/at most 2147483647/)
  })

  it('traceIdHeader: false is none, as @tokentrail/hono takes it', async () => {
    const traced = withTracing(async () => new Response('ok'), { traceIdHeader: false })
    const response = await traced(new Request('http://localhost/api/x'))
    expect(await response.text()).toBe('ok')
    expect([...response.headers.keys()]).not.toContain('false')
    expect(message(() => withTracing(handler, { traceIdHeader: true as never }))).toBe(
      'withTracing: traceIdHeader must be a valid header name such as "x-trace-id", or false; got true',
    )
  })

  // `content-type` became the trace id, and `set-cookie` replaced the app's cookies, nothing said.
  it('traceIdHeader refuses a header the response uses, and never replaces one the handler set', async () => {
    for (const name of ['content-type', 'Set-Cookie', 'cache-control', 'location'])
      expect(message(() => withTracing(handler, { traceIdHeader: name }))).toBe(
        `withTracing: traceIdHeader "${name}" is a header the response itself uses, which the trace id would replace; give a header of its own, such as "x-trace-id"`,
      )
    for (const name of ['authorization', 'traceparent'])
      expect(message(() => withTracing(handler, { traceIdHeader: name }))).toBe(
        `withTracing: traceIdHeader "${name}" is a request header, which a response does not carry; give a header of its own, such as "x-trace-id"`,
      )
    const traced = withTracing(
      async () => new Response('ok', { headers: { 'x-request-id': 'app-123' } }),
      { traceIdHeader: 'x-request-id' },
    )
    const response = await traced(new Request('http://localhost/api/x'))
    expect(response.headers.get('x-request-id')).toBe('app-123')
    expect(await response.text()).toBe('ok')
  })

  it('NaN and Infinity are named as such (JSON printed null)', () => {
    expect(message(() => withTracing(handler, { flushTimeoutMs: Number.NaN }))).toBe(
      'withTracing: flushTimeoutMs must be a whole number of milliseconds ≥ 1, got NaN',
    )
    expect(message(() => traceAction('a', async () => 1, { flushTimeoutMs: Number.NaN }))).toBe(
      'traceAction: flushTimeoutMs must be a whole number of milliseconds ≥ 1, got NaN',
    )
  })
})
