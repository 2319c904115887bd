import { withTracing } from '../../../../../dist/index.js'

export const dynamic = 'force-dynamic'

// An answer whose stream breaks after its first part, as an upstream model stream can.
export const GET = withTracing(async () => {
  let sent = 0
  return new Response(
    new ReadableStream({
      async pull(controller) {
        await new Promise((resolve) => setTimeout(resolve, 10))
        if (sent++ === 0) controller.enqueue(new TextEncoder().encode('part 0\n'))
        else controller.error(Object.assign(new Error('upstream broke'), { name: 'UpstreamError' }))
      },
    }),
    { headers: { 'content-type': 'text/plain' } },
  )
})
