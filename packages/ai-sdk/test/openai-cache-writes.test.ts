// OpenAI bills prompt-cache writes from GPT-5.6 on (1.25 × input). @ai-sdk/openai@2 (ai@5) passes
// them only in its provider metadata, and they were dropped there: no
// `gen_ai.usage.cache_creation.input_tokens`, and the writes priced at the plain input rate. Each
// major's real `@ai-sdk/openai` over HTTP against tools/mock-openai, Chat and Responses APIs.
import { ATTR } from '@tokentrail/core'
import { type MockOpenAI, startMockOpenAI } from '@tokentrail/mock-openai'
import { afterEach, describe, expect, it } from 'vitest'
import { tracingMiddleware } from '../src/index.js'
import { setup } from './helpers.js'
import { majors } from './majors.js'

let server: MockOpenAI | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

describe.each(majors)('$major, over HTTP', ({ ai, createOpenAI }) => {
  for (const api of ['chat', 'responses'] as const)
    for (const mode of ['generateText', 'streamText'] as const)
      it(`${api} API, ${mode}: cache writes counted and priced as writes`, async () => {
        server = await startMockOpenAI({ cachedInputTokens: 2, cacheWriteTokens: 3 })
        const { tracer, exporter } = setup()
        const openai = createOpenAI({ baseURL: server.url, apiKey: 'sk-test-not-a-real-key-0000' })
        const model = ai.wrapLanguageModel({
          model: openai[api]('gpt-5.6-terra'),
          middleware: tracingMiddleware({ tracer }),
        })
        const prompt = 'one two three four five six seven eight nine ten'
        if (mode === 'generateText') await ai.generateText({ model, prompt })
        else await ai.streamText({ model, prompt }).consumeStream()
        await tracer.flush()
        const llm = exporter.spans.find((s) => s.kind === 'llm')!
        const a = llm.attributes
        const input = a[ATTR.usageInputTokens] as number
        const output = a[ATTR.usageOutputTokens] as number
        expect(a[ATTR.usageCacheReadInputTokens]).toBe(2)
        expect(a[ATTR.usageCacheCreationInputTokens]).toBe(3)
        // $2 / M input, $0.2 cached, $12 output, $2.5 cache writes.
        const expected = ((input - 5) * 2 + 2 * 0.2 + 3 * 2.5 + output * 12) / 1e6
        expect(a['tokentrail.cost.usd']).toBeCloseTo(expected, 12)
      })
})
