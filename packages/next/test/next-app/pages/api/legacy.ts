import type { NextApiRequest, NextApiResponse } from 'next'
import { withTracing } from '../../../../dist/index.js'

// A Pages Router API route: Node's req and res, not a Web Request.
export default withTracing((_request: NextApiRequest, response: NextApiResponse) => {
  response.status(200).json({ legacy: true })
})
