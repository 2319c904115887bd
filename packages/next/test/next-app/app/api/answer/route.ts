import { withTracing } from '../../../../../dist/index.js'

export const dynamic = 'force-dynamic'

// A streamed answer, as a chat route gives; Next answers HEAD with this GET too.
export const GET = withTracing(async () => {
  const encoder = new TextEncoder()
  let sent = 0
  return new Response(
    new ReadableStream({
      async pull(controller) {
        await new Promise((resolve) => setTimeout(resolve, 10))
        controller.enqueue(encoder.encode(`part ${sent}\n`))
        if (++sent === 3) controller.close()
      },
    }),
    { headers: { 'content-type': 'text/plain' } },
  )
})
