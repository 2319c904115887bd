import { withTracing } from '@tokentrail/next'
import { chat } from '@/lib/chat'

// The same chat on the edge runtime: the span stays active through AsyncLocalStorage there too.
export const runtime = 'edge'

export const POST = withTracing(chat, { traceIdHeader: 'x-trace-id' })
