import type { Tracer } from '@tokentrail/core'
import { type TracingOptions, tracing } from '@tokentrail/hono'
import {
  convertToModelMessages,
  type LanguageModel,
  stepCountIs,
  streamText,
  tool,
  type UIMessage,
} from 'ai'
import { Hono } from 'hono'
import { z } from 'zod'

/** What the chat app needs: a (traced) model, the tracer, and `tracing()` options. */
export interface ChatAppOptions {
  model: LanguageModel
  tracer: Tracer
  tracing?: Omit<TracingOptions, 'tracer'>
}

const weather = tool({
  description: 'Current weather in a city',
  inputSchema: z.object({ city: z.string().describe('City name') }),
  execute: async ({ city }) => ({ city, temperatureC: 21, sky: 'clear' }),
})

interface ChatBody {
  messages?: UIMessage[]
  /** A shortcut for curl: one user message. */
  prompt?: string
}

/** The chat API: `POST /api/chat` streams an answer (UI message stream) that may call `weather`. */
export function createApp({ model, tracer, tracing: tracingOptions }: ChatAppOptions) {
  const app = new Hono()
  app.get('/health', (c) => c.text('ok'))
  app.use('/api/*', tracing({ tracer, traceIdHeader: 'x-trace-id', ...tracingOptions }))

  app.post('/api/chat', async (c) => {
    const body = await c.req.json<ChatBody>()
    const messages: UIMessage[] =
      body.messages ??
      (typeof body.prompt === 'string'
        ? [{ id: 'u1', role: 'user', parts: [{ type: 'text', text: body.prompt }] }]
        : [])
    if (messages.length === 0) return c.json({ error: 'send { messages } or { prompt }' }, 400)
    const userId = c.req.header('x-user-id')
    if (userId) c.var.span.setAttribute('user.id', userId)

    const result = streamText({
      model,
      system: 'You are a concise assistant. Use the weather tool for weather questions.',
      messages: await convertToModelMessages(messages),
      tools: { weather },
      stopWhen: stepCountIs(3),
    })
    return result.toUIMessageStreamResponse()
  })

  app.onError((error, c) => c.json({ error: error.message }, 500))
  return app
}
