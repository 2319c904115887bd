// Tool-call arguments longer than maxTextLength, on ai@5, ai@6 and ai@7 through each major's real
// `@ai-sdk/openai` over HTTP against tools/mock-openai. A streamed call cut them without saying so
// (a generated one set tokentrail.output.truncated): the trace showed cut JSON as the whole input.
import { ATTR } from '@tokentrail/core'
import { type MockOpenAI, startMockOpenAI } from '@tokentrail/mock-openai'
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { tracingMiddleware } from '../src/index.js'
import { modelSpans, setup } from './helpers.js'
import { majors } from './majors.js'

let server: MockOpenAI | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
  delete (globalThis as any).AI_SDK_TELEMETRY_INTEGRATIONS
})

describe.each(majors)('$major, over HTTP', ({ ai, createOpenAI }) => {
  for (const streamed of [true, false])
    it(`${streamed ? 'streamText' : 'generateText'}: arguments past maxTextLength are cut and said as output.truncated`, async () => {
      server = await startMockOpenAI({})
      const openai = createOpenAI({ baseURL: server.url, apiKey: 'sk-test-not-a-real-key-0000' })
      const { tracer, exporter } = setup()
      const model = ai.wrapLanguageModel({
        model: openai.chat('gpt-4o'),
        middleware: tracingMiddleware({ tracer, maxTextLength: 8 }),
      })
      const options = {
        model,
        prompt: 'Weather in Oslo? [tool:weather]',
        tools: {
          weather: ai.tool({
            inputSchema: z.object({ city: z.string() }),
            execute: async ({ city }: { city: string }) => ({ city, celsius: 21 }),
          }),
        },
      }
      if (streamed) await ai.streamText(options).consumeStream()
      else await ai.generateText(options)
      await tracer.flush()
      const [step] = modelSpans(exporter)
      const messages = JSON.parse(step!.attributes[ATTR.outputMessages] as string)
      const call = messages[0].parts.find((p: { type: string }) => p.type === 'tool_call')
      // The arguments ({"city":"Oslo"}) are longer than 8 characters: cut, and said. (A generated
      // call said so already; it stays here as the guard for the two paths agreeing.)
      expect(call.arguments).toBe('{"city":')
      expect(step!.attributes[ATTR.outputTruncated]).toBe(true)
    })
})
