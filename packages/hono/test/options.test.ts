import { TokentrailError } from '@tokentrail/core'
import { describe, expect, it } from 'vitest'
import { tracing } from '../src/index.js'

function message(fn: () => unknown): string {
  try {
    fn()
  } catch (error) {
    expect(TokentrailError.isInstance(error)).toBe(true)
    return (error as Error).message
  }
  throw new Error('expected a throw')
}

describe('tracing() rejects unknown option keys at creation', () => {
  it('skipPaths → skip', () => {
    expect(message(() => tracing({ skipPaths: ['/health'] } as never))).toBe(
      'tracing: unknown option `skipPaths` — did you mean `skip`? Valid options: tracer, skip, spanName, requestAttributes, traceIdHeader, flush, flushTimeoutMs, streamTimeoutMs, waitUntil.',
    )
  })

  it('traceIDHeader → traceIdHeader', () => {
    expect(message(() => tracing({ traceIDHeader: 'x-trace-id' } as never))).toMatch(
      /^tracing: unknown option `traceIDHeader` — did you mean `traceIdHeader`\?/,
    )
  })

  it('valid options still pass', () => {
    expect(() => tracing({ skip: ['/health'], traceIdHeader: 'x-trace-id' })).not.toThrow()
  })

  // A Map or an array has no option keys: it passed the key check and the defaults applied
  // without a word (a Map's `skip` traced the health checks it listed).
  it('a Map or an array is refused, naming what it got', () => {
    expect(message(() => tracing(new Map([['skip', ['/health']]]) as never))).toBe(
      'tracing takes an options object, got a Map (pass Object.fromEntries(map))',
    )
    expect(message(() => tracing([] as never))).toBe(
      'tracing takes an options object, got an array',
    )
  })
})
