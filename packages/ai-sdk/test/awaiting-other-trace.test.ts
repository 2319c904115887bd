// ai@7: a call whose model invocation is still in an async middleware outside tracingMiddleware()
// (a guardrail that rewrites the prompt, as the README places it) awaits that model. Another
// request's call of the same model that the SDK does not announce (its own `telemetry`:
// `isEnabled: false`, or its own `integrations`) was taken for the awaiting call's invocation: its
// LLM span, prompt and output went into the first request's trace, and the first call's own
// invocation, no longer awaited, was traced as a call of its own, its per-call switches lost. A
// call is now found by its model only within the invocation's trace. Real `@ai-sdk/openai` over
// HTTP against tools/mock-openai.
import { createOpenAI } from '@ai-sdk/openai'
import { type MockOpenAI, startMockOpenAI } from '@tokentrail/mock-openai'
import * as ai from 'ai'
import { afterEach, expect, it } from 'vitest'
import { tracingMiddleware } from '../src/index.js'
import { setup } from './helpers.js'

let server: MockOpenAI | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function twoRequests(other: Record<string, unknown>, firstTelemetry?: object) {
  server = await startMockOpenAI({ firstChunkDelayMs: 20 })
  const { tracer, exporter } = setup()
  const openai = createOpenAI({ baseURL: server.url, apiKey: 'sk-test-not-a-real-key-0000' })
  const traced = ai.wrapLanguageModel({
    model: openai.chat('gpt-4o'),
    middleware: tracingMiddleware({ tracer }),
  })
  // A guardrail outside ours: a moderation check that takes a while, then a new prompt array.
  const guarded = ai.wrapLanguageModel({
    model: traced,
    middleware: {
      specificationVersion: 'v4',
      transformParams: async ({ params }: any) => {
        await sleep(40)
        return { ...params, prompt: params.prompt.map((message: any) => ({ ...message })) }
      },
    } as any,
  })
  const a = tracer.withSpan('request A', () =>
    ai.generateText({
      model: guarded,
      prompt: 'question of user A',
      ...(firstTelemetry ? { telemetry: firstTelemetry } : {}),
    }),
  )
  await sleep(10)
  const b = tracer.withSpan('request B', () =>
    ai.generateText({ model: traced, prompt: 'question of user B', ...other }),
  )
  const [resultA, resultB] = await Promise.all([a, b])
  expect(resultA.text).toBe('You said: question of user A')
  expect(resultB.text).toBe('You said: question of user B')
  await tracer.flush()
  const spans = exporter.spans
  const traceOf = (name: string) => spans.find((s) => s.name === name)!.traceId
  const inTrace = (name: string) => spans.filter((s) => s.traceId === traceOf(name))
  return { a: inTrace('request A'), b: inTrace('request B') }
}

const text = (spans: { attributes: Record<string, unknown> }[]) =>
  JSON.stringify(spans.map((s) => s.attributes))

for (const [how, other] of [
  ['isEnabled: false', { telemetry: { isEnabled: false } }],
  ['its own integrations', { telemetry: { integrations: [{}] } }],
] as const)
  it(`another request's call of the same model with telemetry ${how} stays in its own trace`, async () => {
    const { a, b } = await twoRequests(other)
    expect(text(a)).not.toContain('user B')
    expect(text(b)).toContain('question of user B')
    expect(a.map((s) => s.name).sort()).toEqual(['chat gpt-4o', 'generateText gpt-4o', 'request A'])
    expect(b.map((s) => s.name).sort()).toEqual(['chat gpt-4o', 'generateText gpt-4o', 'request B'])
    const call = a.find((s) => s.name === 'generateText gpt-4o')!
    expect(a.find((s) => s.name === 'chat gpt-4o')!.parentSpanId).toBe(call.spanId)
  })

it("the awaiting call's own switches keep its prompt and output out, whatever ran beside it", async () => {
  const { a } = await twoRequests(
    { telemetry: { isEnabled: false } },
    { recordInputs: false, recordOutputs: false },
  )
  expect(text(a)).not.toContain('question of user A')
  expect(text(a)).not.toContain('You said')
})
