// `streamTimeoutMs` on a host known to freeze (AWS Lambda, as under OpenNext): after() hands the
// flush to a function that may freeze, so a body that never ends is bounded. The host is read once
// per process, so this case has its own file (the others are in stream-timeout-hosts.test.ts).
import { describe, expect, it, vi } from 'vitest'

// Read once per process, when first asked: set before the adapter is loaded.
process.env.AWS_LAMBDA_FUNCTION_NAME = 'chat'
vi.mock('next/server.js', async () => (await import('./stream-timeout.js')).nextServer)
const { streamPast } = await import('./stream-timeout.js')

describe('withTracing: streamTimeoutMs on AWS Lambda', () => {
  it('after() on a host that freezes (AWS Lambda): the span ends cancelled at the bound', async () => {
    const root = await streamPast(20, 80)
    expect(root.attributes['tokentrail.flush.via']).toBe('after')
    expect(root.status).toBe('cancelled')
    expect(root.attributes['tokentrail.stream_timeout']).toBe(true)
  })
})
