import { withTracing } from '../../../../../dist/index.js'

export const dynamic = 'force-dynamic'

// A handler with a branch that returns nothing: Next answers 500.
export const POST = withTracing(async (request: Request) => {
  if (request.headers.get('x-ok')) return Response.json({ ok: true })
})
