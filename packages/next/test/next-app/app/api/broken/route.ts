import { withTracing } from '../../../../../dist/index.js'

export const dynamic = 'force-dynamic'

// An answer whose stream breaks after its first part, as an upstream model stream can.
// `?reason=none` breaks it with no reason at all (`controller.error()`), as some streams do.
export const GET = withTracing(async (request: Request) => {
  const bare = new URL(request.url).searchParams.get('reason') === 'none'
  let sent = 0
  return new Response(
    new ReadableStream({
      async pull(controller) {
        await new Promise((resolve) => setTimeout(resolve, 10))
        if (sent++ === 0) controller.enqueue(new TextEncoder().encode('part 0\n'))
        else if (bare) controller.error()
        else controller.error(Object.assign(new Error('upstream broke'), { name: 'UpstreamError' }))
      },
    }),
    { headers: { 'content-type': 'text/plain' } },
  )
})
