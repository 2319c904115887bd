import { withTracing } from '../../../../../dist/index.js'

export const dynamic = 'force-dynamic'

// Work that stops when the client goes away, as a model call given `abortSignal: request.signal`
// does: it rejects with the signal's reason.
export const GET = withTracing(async (request: Request) => {
  await new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, 10_000)
    request.signal.addEventListener('abort', () => {
      clearTimeout(timer)
      reject(request.signal.reason)
    })
  })
  return new Response('late')
})
