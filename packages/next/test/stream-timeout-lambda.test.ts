// `streamTimeoutMs` bounds a body only where the platform waits on the flush and may freeze the
// function: the Vercel request context's waitUntil, or Next's after() on a host known to freeze
// (OpenNext on AWS Lambda). On a long-lived server (`next start`, a custom server) an event
// stream open past it is recorded whole, not cut short as cancelled. The host is read once per
// process: this is the AWS Lambda case of stream-timeout-hosts.test.ts.
import { afterEach, describe, expect, it, vi } from 'vitest'

// Read once per process, when first asked: set before the adapter is loaded.
process.env.AWS_LAMBDA_FUNCTION_NAME = 'chat'

const afterTasks: Promise<unknown>[] = []
vi.mock('next/server.js', () => ({
  after: (task: () => unknown) => {
    afterTasks.push(Promise.resolve().then(task))
  },
}))

const { withTracing } = await import('../src/index.js')
const { chatRequest, fakeVercelContext, testTracer } = await import('./helpers.js')

// A body that sends a chunk, then another and ends `ms` later.
function slowBody(ms: number): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder()
  return new ReadableStream({
    async start(controller) {
      controller.enqueue(encoder.encode('data: 1\n\n'))
      await new Promise((r) => setTimeout(r, ms))
      controller.enqueue(encoder.encode('data: 2\n\n'))
      controller.close()
    },
  })
}

afterEach(() => {
  vi.unstubAllEnvs()
  afterTasks.length = 0
})

async function streamPast(timeoutMs: number, bodyMs: number) {
  const { tracer, exporter } = testTracer()
  const GET = withTracing(async () => new Response(slowBody(bodyMs)), {
    tracer,
    streamTimeoutMs: timeoutMs,
  })
  const response = await GET(chatRequest())
  // The reader gets the whole body whatever the span does.
  expect(await response.text()).toBe('data: 1\n\ndata: 2\n\n')
  await Promise.all(afterTasks)
  await tracer.flush()
  return exporter.span('POST /api/chat')
}

describe('withTracing: streamTimeoutMs on AWS Lambda', () => {
  it('after() on a host that freezes (AWS Lambda): the span ends cancelled at the bound', async () => {
    const root = await streamPast(20, 80)
    expect(root.attributes['tokentrail.flush.via']).toBe('after')
    expect(root.status).toBe('cancelled')
    expect(root.attributes['tokentrail.stream_timeout']).toBe(true)
  })
})
