import { withTracing } from '@tokentrail/next'
import { chat } from '@/lib/chat'

export const maxDuration = 60

// Below maxDuration by the flush's 5 s bound: a reply still streaming when Vercel stops the function
// at 60 s is ended and flushed first, instead of being lost with it.
export const POST = withTracing(chat, { traceIdHeader: 'x-trace-id', streamTimeoutMs: 55_000 })
