import { getTracer } from '@tokentrail/core'
import { withTracing } from '../../../../../dist/index.js'

export const dynamic = 'force-dynamic'

// A handler that never returns (a promise that never settles), with a span of its own still open:
// once its client has left, streamTimeoutMs bounds how long its request span waits for it.
export const GET = withTracing(
  async () => {
    getTracer().startSpan('stuck lookup')
    return new Promise<Response>(() => {})
  },
  { streamTimeoutMs: 300 },
)
