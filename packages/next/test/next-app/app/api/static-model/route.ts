import { createOpenAI } from '@ai-sdk/openai'
import { traceModel } from '@tokentrail/ai-sdk'
import { generateText } from 'ai'
import { withTracing } from '../../../../../dist/index.js'

// Prerendered by `next build`, with a model call made while building: no request span (no one made
// the request), but the call is traced as its own trace, and sent before the build worker ends.
export const dynamic = 'force-static'

export const GET = withTracing(async () => {
  const openai = createOpenAI({ baseURL: `${process.env.MOCK_OPENAI_URL}/v1`, apiKey: 'sk-test' })
  const { text } = await generateText({
    model: traceModel(openai.chat('gpt-4o-mini')),
    prompt: 'built at build time',
  })
  return Response.json({ text })
})
