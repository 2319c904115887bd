// `streamTimeoutMs` bounds a body only where the platform waits on the flush and may freeze the
// function: the Vercel request context's waitUntil, or Next's after() on a host known to freeze
// (OpenNext on AWS Lambda: stream-timeout-lambda.test.ts). On a long-lived server (`next start`, a
// custom server) an event stream open past it is recorded whole, not cut short as cancelled.
import { describe, expect, it, vi } from 'vitest'

vi.mock('next/server.js', async () => (await import('./stream-timeout.js')).nextServer)
const { streamPast } = await import('./stream-timeout.js')
const { fakeVercelContext } = await import('./helpers.js')

describe('withTracing: streamTimeoutMs by host', () => {
  it('a long-lived server (after(), no freezing host): a stream past it is recorded whole, ok', async () => {
    const root = await streamPast(20, 80)
    expect(root.attributes['tokentrail.flush.via']).toBe('after')
    expect(root.status).toBe('ok')
    expect(root.attributes['tokentrail.stream_timeout']).toBeUndefined()
    expect(root.endTime - root.startTime).toBeGreaterThanOrEqual(70)
  })

  it("the Vercel request context's waitUntil: the span ends cancelled at the bound", async () => {
    const vercel = fakeVercelContext()
    try {
      const root = await streamPast(20, 80)
      await vercel.settle()
      expect(root.attributes['tokentrail.flush.via']).toBe('waitUntil')
      expect(root.status).toBe('cancelled')
      expect(root.attributes['tokentrail.stream_timeout']).toBe(true)
    } finally {
      vercel.uninstall()
    }
  })
})
