import { createOpenAI } from '@ai-sdk/openai'
import { traceModel } from '@tokentrail/ai-sdk'
import { streamText } from 'ai'
// Hono and its tracing() from the hono package's own install (this package does not depend on them).
import { tracing } from '../../../../../../../hono/dist/index.js'
import { Hono } from '../../../../../../../hono/node_modules/hono/dist/index.js'
import { withTracing } from '../../../../../../dist/index.js'

export const dynamic = 'force-dynamic'

// A Hono app inside a Next route handler, both adapters on: `withTracing(app.fetch)` around
// `tracing()`, and a model traced by @tokentrail/ai-sdk under both.
const app = new Hono().basePath('/api/hono')
app.use('*', tracing())
app.post('/chats/:id', (c) => {
  const openai = createOpenAI({ baseURL: `${process.env.MOCK_OPENAI_URL}/v1`, apiKey: 'sk-test' })
  return streamText({
    model: traceModel(openai.chat('gpt-4o-mini')),
    prompt: `chat ${c.req.param('id')}`,
  }).toTextStreamResponse()
})

export const POST = withTracing((request: Request) => app.fetch(request))
