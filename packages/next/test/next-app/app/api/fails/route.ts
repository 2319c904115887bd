import { withTracing } from '../../../../../dist/index.js'

export const dynamic = 'force-dynamic'

// A handler that throws: Next answers 500.
export const POST = withTracing(async () => {
  throw new RangeError('out of range')
})
