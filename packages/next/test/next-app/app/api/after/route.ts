import { getTracer } from '@tokentrail/core'
import { after } from 'next/server'
import { withTracing } from '../../../../../dist/index.js'

export const dynamic = 'force-dynamic'

// Work beside and after the answer: a timer, a microtask, a promise not awaited, a body pulled
// after the handler returned, and after() once the body has ended. Each starts a span of its own.
export const GET = withTracing(async () => {
  const tracer = getTracer()
  const span = (name: string) => tracer.withSpan(name, () => {})
  setTimeout(() => span('timer'), 1)
  queueMicrotask(() => span('microtask'))
  void new Promise((resolve) => setTimeout(resolve, 2)).then(() => span('not awaited'))
  after(() => span('after'))
  const encoder = new TextEncoder()
  let sent = 0
  return new Response(
    new ReadableStream({
      async pull(controller) {
        await new Promise((resolve) => setTimeout(resolve, 10))
        span(`pull ${sent}`)
        controller.enqueue(encoder.encode(`part ${sent}\n`))
        if (++sent === 2) controller.close()
      },
    }),
    { headers: { 'content-type': 'text/plain' } },
  )
})
