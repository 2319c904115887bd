import { withTracing } from '../../../../../../dist/index.js'

// Each listed id is prerendered by `next build`; others are answered on demand.
export const dynamic = 'force-static'

export function generateStaticParams() {
  return [{ id: 'a' }, { id: 'b' }]
}

export const GET = withTracing(
  async (_request: Request, { params }: { params: Promise<{ id: string }> }) =>
    Response.json({ id: (await params).id }),
)
