import { withTracing } from '../../../../../dist/index.js'

export const dynamic = 'force-dynamic'

// One traced handler answering through another: POST hands its request to GET.
export const GET = withTracing(async () => Response.json({ reused: true }), { route: '/api/reuse' })
export const POST = withTracing((request: Request) => GET(request))
