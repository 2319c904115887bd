import { withTracing } from '../../../../../dist/index.js'

export const dynamic = 'force-dynamic'

// Reads the whole body: a client that stops sending it mid-upload makes request.json() reject with
// Node's `aborted`, which is the client's leaving, not a failure of the handler.
export const POST = withTracing(async (request: Request) => {
  const body = await request.json()
  return Response.json({ keys: Object.keys(body).length })
})
