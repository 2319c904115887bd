import { waitUntil as vercelFunctionsWaitUntil } from '@vercel/functions'
import { afterEach, describe, expect, it } from 'vitest'
import { keepAlive } from '../src/keep-alive.js'
import { fakeVercelContext } from './helpers.js'

let vercel: ReturnType<typeof fakeVercelContext> | undefined
afterEach(() => {
  vercel?.uninstall()
  vercel = undefined
})

// The adapter no longer ships `@vercel/functions` (CommonJS, +19 KB min+gzip with `ws`); it asks
// the request context itself. Here the real package, a devDependency only, and the adapter must
// hand a promise to the same place.
describe('keepAlive without @vercel/functions', () => {
  it('hands the promise to the Vercel request context, where @vercel/functions would', async () => {
    vercel = fakeVercelContext()
    const ours = Promise.resolve('ours')
    const theirs = Promise.resolve('theirs')
    expect(keepAlive(ours)).toBe('waitUntil')
    vercelFunctionsWaitUntil(theirs)
    expect(vercel.promises).toEqual([ours, theirs])
  })

  it('outside a Vercel invocation (no request context) does not claim waitUntil', () => {
    const noOp = Promise.resolve()
    // @vercel/functions silently drops it there; the adapter falls back and says so.
    vercelFunctionsWaitUntil(noOp)
    expect(keepAlive(noOp)).toBe('background')
  })

  it('falls through when the context throws (a frozen or foreign context)', () => {
    const g = globalThis as Record<symbol, unknown>
    const key = Symbol.for('@vercel/request-context')
    const previous = g[key]
    g[key] = {
      get: () => ({
        waitUntil: () => {
          throw new Error('no invocation')
        },
      }),
    }
    try {
      expect(keepAlive(Promise.resolve())).toBe('background')
    } finally {
      g[key] = previous
    }
  })
})
