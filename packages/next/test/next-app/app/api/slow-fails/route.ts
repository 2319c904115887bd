import { withTracing } from '../../../../../dist/index.js'

export const dynamic = 'force-dynamic'

// The client gives up waiting on slow work, which then fails on its own (a database that timed
// out): a server failure all the same, not the client's cancel.
export const GET = withTracing(async (request: Request) => {
  await new Promise((resolve) => request.signal.addEventListener('abort', resolve))
  throw Object.assign(new Error('query timed out'), { name: 'QueryTimeoutError' })
})
