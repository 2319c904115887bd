import { withTracing } from '../../../../../dist/index.js'

// Prerendered by `next build`, then served from the build output.
export const dynamic = 'force-static'

export const GET = withTracing(async () => Response.json({ builtAt: Date.now() }))
