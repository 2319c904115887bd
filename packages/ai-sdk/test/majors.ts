// Each AI SDK major with its own major of `@ai-sdk/openai`, for the tests that go over HTTP to
// tools/mock-openai; `source` says where the call span comes from on that major.
import { createOpenAI as createOpenAI4 } from '@ai-sdk/openai'
import { createOpenAI as createOpenAI2 } from '@ai-sdk/openai-v2'
import { createOpenAI as createOpenAI3 } from '@ai-sdk/openai-v3'
import { type MockOpenAIOptions, startMockOpenAI } from '@tokentrail/mock-openai'
import * as ai7 from 'ai'
import * as ai5 from 'ai-v5'
import * as ai6 from 'ai-v6'
import { z } from 'zod'
import { tracingMiddleware } from '../src/index.js'
import { setup } from './helpers.js'

export const majors = [
  { major: 'ai@5', ai: ai5 as any, createOpenAI: createOpenAI2 as any, source: 'inferred' },
  { major: 'ai@6', ai: ai6 as any, createOpenAI: createOpenAI3 as any, source: 'inferred' },
  { major: 'ai@7', ai: ai7 as any, createOpenAI: createOpenAI4 as any, source: 'ai-sdk-telemetry' },
] as const

/**
 * A mock OpenAI server and `major`'s own `@ai-sdk/openai` chat model on it, traced by
 * `tracingMiddleware` with a memory tracer: the setup of the tests that go over HTTP on each major.
 */
export async function tracedOverHttp(
  { ai, createOpenAI }: (typeof majors)[number],
  options?: MockOpenAIOptions,
) {
  const server = await startMockOpenAI(options)
  const openai = createOpenAI({ baseURL: server.url, apiKey: 'sk-test-not-a-real-key-0000' })
  const { tracer, exporter } = setup()
  const model = ai.wrapLanguageModel({
    model: openai.chat('gpt-4o'),
    middleware: tracingMiddleware({ tracer }),
  })
  return { server, tracer, exporter, model }
}

/**
 * `{ weather }`, a tool of `major`'s own `tool()` taking `{ city }` (what tools/mock-openai calls
 * with `[tool:weather]`), whose `execute` is `execute`.
 */
export function weatherTools(
  { ai }: (typeof majors)[number],
  execute: (input: { city: string }) => Promise<unknown>,
) {
  return { weather: ai.tool({ inputSchema: z.object({ city: z.string() }), execute }) }
}
