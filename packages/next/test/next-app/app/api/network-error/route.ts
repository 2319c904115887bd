import { withTracing } from '../../../../../dist/index.js'

export const dynamic = 'force-dynamic'

// A handler that answers with `Response.error()` (status 0, a network error): no server can send it.
export const GET = withTracing(async () => Response.error())
