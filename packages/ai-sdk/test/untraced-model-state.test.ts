// ai@7, a traced and an untraced model in one process (a helper model left untraced): every call
// of the untraced one was announced to the adapter (its AiCall and the step's prompt kept in the
// process-wide state), and only a call with a span is ever let go. A stream of it nobody read to
// its end (a client gone) stayed until 10,000 newer calls pushed it out, holding its prompt; under
// a long-lived parent span each also left an end watch on the parent, past that bound too.
// Real streamText with `@ai-sdk/openai@4` over HTTP against tools/mock-openai.
import type { MockOpenAI } from '@tokentrail/mock-openai'
import { startMockOpenAI } from '@tokentrail/mock-openai'
import { afterEach, describe, expect, it } from 'vitest'
import { callState } from '../src/call.js'
import { tracingMiddleware } from '../src/index.js'
import { setup } from './helpers.js'
import { majors } from './majors.js'

let server: MockOpenAI | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
  delete (globalThis as any).AI_SDK_TELEMETRY_INTEGRATIONS
})

const { ai, createOpenAI } = majors.find(({ major }) => major === 'ai@7')!

/** ai@7's OpenAI provider against the mock (answering `reply`), its gpt-4o traced and called once. */
async function tracedGpt4o(reply: string) {
  server = await startMockOpenAI({ reply })
  const openai = createOpenAI({ baseURL: server.url, apiKey: 'sk-test-not-a-real-key-0000' })
  const { tracer, exporter } = setup()
  const traced = ai.wrapLanguageModel({
    model: openai.chat('gpt-4o'),
    middleware: tracingMiddleware({ tracer }),
  })
  await ai.generateText({ model: traced, prompt: 'warm up the traced model' })
  return { openai, tracer, exporter, traced }
}

describe('ai@7, over HTTP: calls of an untraced model beside a traced one', () => {
  it('keep nothing in the adapter state, streams left unread and under a long-lived parent included', async () => {
    const { openai, tracer, exporter, traced } = await tracedGpt4o(
      'one two three four five six seven eight',
    )
    const untraced = openai.chat('gpt-4o-mini')
    const held = () => callState().byCallId.size
    const before = held()
    const parent = tracer.startSpan('worker loop')
    await tracer.withSpan('session', { parent }, async () => {
      for (let i = 0; i < 40; i++) {
        const result = ai.streamText({
          model: untraced,
          prompt: `history ${i} ${'x'.repeat(2000)}`,
        })
        // The client left after the first chunk: the SDK never ends this call.
        for await (const _ of result.textStream) break
      }
    })
    expect(held() - before).toBe(0)
    parent.end()
    // The traced model's calls are traced as before.
    const result = ai.streamText({ model: traced, prompt: 'and the traced one' })
    await result.consumeStream()
    await tracer.flush()
    expect(exporter.spans.filter((s) => s.name === 'streamText gpt-4o')).toHaveLength(1)
    expect(exporter.spans.some((s) => s.name.includes('gpt-4o-mini'))).toBe(false)
  })
})

describe('ai@7, over HTTP: an untraced model with the provider and id of a traced one', () => {
  it('records nothing when its provider call fails, streamed or not (an `unknown` error trace before)', async () => {
    const { openai, tracer, exporter, traced } = await tracedGpt4o('one two three')
    await tracer.flush()
    const before = exporter.spans.length
    // A library's bare model: the same provider and id as the app's traced one.
    const bare = openai.chat('gpt-4o')
    await expect(
      ai.generateText({ model: bare, prompt: 'bare [fail]', maxRetries: 0 }),
    ).rejects.toThrow()
    const streamed = ai.streamText({
      model: bare,
      prompt: 'bare [fail]',
      maxRetries: 0,
      onError: () => {},
    })
    await expect(streamed.text).rejects.toThrow()
    await new Promise((resolve) => setTimeout(resolve, 50))
    await tracer.flush()
    expect(exporter.spans.slice(before).map((s) => s.name)).toEqual([])
    // The traced model's own failure is still traced, as an error.
    await expect(
      ai.generateText({ model: traced, prompt: 'traced [fail]', maxRetries: 0 }),
    ).rejects.toThrow()
    await tracer.flush()
    const failed = exporter.spans.slice(before)
    expect(failed.map((s) => [s.name, s.status])).toEqual([
      ['chat gpt-4o', 'error'],
      ['generateText gpt-4o', 'error'],
    ])
  })
})
