import { createOpenAI } from '@ai-sdk/openai'
import { traceModel } from '@tokentrail/ai-sdk'
import { convertToModelMessages, stepCountIs, streamText, tool, type UIMessage } from 'ai'
import { z } from 'zod'

/**
 * The chat model: real OpenAI when OPENAI_API_KEY is set, else the local mock the dev/start
 * scripts run (MOCK_OPENAI_URL). Wrapped so every call is a span under the request span, with its steps and tools beneath it.
 */
function chatModel() {
  const apiKey = process.env.OPENAI_API_KEY
  const openai = apiKey
    ? createOpenAI({ apiKey })
    : createOpenAI({
        baseURL: process.env.MOCK_OPENAI_URL ?? 'http://127.0.0.1:4010/v1',
        apiKey: 'mock',
      })
  return traceModel(openai.chat(process.env.OPENAI_MODEL ?? 'gpt-4o-mini'))
}

const tools = {
  getWeather: tool({
    description: 'The current weather in a city.',
    inputSchema: z.object({ city: z.string().describe('City name, such as Paris') }),
    execute: async ({ city }) => ({ city, temperatureC: 21, conditions: 'sunny' }),
  }),
}

/** The route handler both routes share: stream a reply, calling the weather tool when asked. */
export async function chat(request: Request): Promise<Response> {
  const { messages }: { messages: UIMessage[] } = await request.json()
  const result = streamText({
    model: chatModel(),
    system: 'You are a concise assistant. Use getWeather for questions about the weather.',
    messages: await convertToModelMessages(messages),
    tools,
    stopWhen: stepCountIs(3),
    abortSignal: request.signal,
  })
  return result.toUIMessageStreamResponse()
}
