import { withTracing } from '../../../../../dist/index.js'

export const dynamic = 'force-dynamic'

// One response object answers every request, as a module-level constant does.
const accepted = new Response(null, { status: 202 })

export const POST = withTracing(async () => accepted, { traceIdHeader: 'x-trace-id' })
