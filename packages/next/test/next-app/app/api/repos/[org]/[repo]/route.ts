import { withTracing } from '../../../../../../../dist/index.js'

export const dynamic = 'force-dynamic'

export const GET = withTracing(
  async (_request: Request, { params }: { params: Promise<{ org: string; repo: string }> }) =>
    Response.json(await params),
)
