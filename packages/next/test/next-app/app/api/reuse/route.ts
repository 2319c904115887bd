import { getTracer } from '@tokentrail/core'
import { withTracing } from '../../../../../dist/index.js'

export const dynamic = 'force-dynamic'

// One traced handler answering through another: POST hands its request to GET.
export const GET = withTracing(async () => Response.json({ reused: true }), { route: '/api/reuse' })
export const POST = withTracing((request: Request) => GET(request))
// PUT does the same through a span of the app's own between the two.
export const PUT = withTracing((request: Request) =>
  getTracer().withSpan('proxy', () => GET(request)),
)
