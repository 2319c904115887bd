import { withTracing } from '@tokentrail/next'
import { chat } from '@/lib/chat'

export const maxDuration = 60

export const POST = withTracing(chat, { traceIdHeader: 'x-trace-id' })
