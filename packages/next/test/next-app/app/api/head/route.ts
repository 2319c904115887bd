import { withTracing } from '../../../../../dist/index.js'

export const dynamic = 'force-dynamic'

// An explicit HEAD handler answering with a body, which Next never sends.
export const HEAD = withTracing(async () => new Response('not sent'))
