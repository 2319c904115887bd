// Shared by stream-timeout-hosts.test.ts and stream-timeout-lambda.test.ts (the host is read once per
// process, so each host has its own file). Each file mocks `next/server.js` with `nextServer`, so
// `after()` runs its task as Next's does after a response, and `afterTasks` holds them.
import { expect } from 'vitest'
import { withTracing } from '../src/index.js'
import { chatRequest, testTracer } from './helpers.js'

export const afterTasks: Promise<unknown>[] = []

export const nextServer = {
  after: (task: () => unknown) => {
    afterTasks.push(Promise.resolve().then(task))
  },
}

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

/** A route whose body ends `bodyMs` after its first chunk, with `streamTimeoutMs: timeoutMs`: its root span. */
export async function streamPast(timeoutMs: number, bodyMs: number) {
  const { tracer, exporter } = testTracer()
  const GET = withTracing(async () => new Response(slowBody(bodyMs)), {
    tracer,
    streamTimeoutMs: timeoutMs,
  })
  const response = await GET(chatRequest())
  // The reader gets the whole body whatever the span does.
  expect(await response.text()).toBe('data: 1\n\ndata: 2\n\n')
  await Promise.all(afterTasks)
  afterTasks.length = 0
  await tracer.flush()
  return exporter.span('POST /api/chat')
}
