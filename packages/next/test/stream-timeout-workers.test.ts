// Next on Cloudflare Workers (OpenNext hands `after()` to the isolate's `waitUntil`): the isolate
// ends with it, so after() there is treated as on a host that freezes — a body that never ends is
// bounded, a request's flush carries the metrics and waits for its spans while exports fail. The
// runtime is told by navigator.userAgent, as workerd sets it; its own file, set before the adapter
// is loaded.
import { describe, expect, it, vi } from 'vitest'

Object.defineProperty(globalThis, 'navigator', {
  value: { userAgent: 'Cloudflare-Workers' },
  configurable: true,
})
vi.mock('next/server.js', async () => (await import('./stream-timeout.js')).nextServer)
const { streamPast } = await import('./stream-timeout.js')
const { mayFreeze, sendsMetrics } = await import('../src/keep-alive.js')

describe('withTracing on Cloudflare Workers (after() through the isolate waitUntil)', () => {
  it('after() there: the span of a body past streamTimeoutMs ends cancelled at the bound', async () => {
    const root = await streamPast(20, 80)
    expect(root.attributes['tokentrail.flush.via']).toBe('after')
    expect(root.status).toBe('cancelled')
    expect(root.attributes['tokentrail.stream_timeout']).toBe(true)
  })

  it('after() there may freeze: the flush sends metrics and is not the long-lived kind', () => {
    expect(mayFreeze('after')).toBe(true)
    expect(sendsMetrics('after')).toBe(true)
    expect(mayFreeze('background')).toBe(false)
  })
})
