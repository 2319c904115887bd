// An app may hold two copies of @tokentrail/ai-sdk (a library's traced model bundles its own):
// they share one process-wide state, made by whichever copy is used first, with that copy's flush
// hook. A copy from before a stream's bookkeeping was put off (LlmCall.settle, e22888c) closes the
// calls that wait for a step without settling first. Here that older copy made the state: its
// state and flush hook, as it made them (e22888c^'s call.ts), are set up before this copy's module
// is loaded; then this copy traces a tool loop whose second step's model call meets a flush
// (a serverless handler's `waitUntil(tracer.flush())`). On ai@5, ai@6 and ai@7 over HTTP against
// tools/mock-openai. Checked against e22888c^'s real build as that copy: the same failure.
import { ATTR, type SpanData } from '@tokentrail/core'
import { addFlushHook } from '@tokentrail/core/internal'
import { type MockOpenAI, startMockOpenAI } from '@tokentrail/mock-openai'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { setup } from './helpers.js'
import { majors } from './majors.js'

// The older copy's state and flush hook (no `unsettled`, no settle).
beforeAll(() => {
  const key = Symbol.for('tokentrail.ai-sdk.calls')
  const g = globalThis as Record<symbol, any>
  if (g[key]) throw new Error('the state was made before this test set up the older copy')
  const state: any = {
    byCallId: new Map(),
    byToolCallId: new Map(),
    byPrompt: new WeakMap(),
    pending: new Set(),
    ended: new Set(),
    askedBy: new Map(),
  }
  Object.defineProperty(g, key, { value: state, enumerable: false, configurable: true })
  addFlushHook(() => {
    for (const call of [...state.pending]) if (!call.parent) call.closePending()
    for (const [callId, call] of [...state.byCallId])
      if (!call.parent && call.finishedSteps()) {
        if (state.byCallId.get(callId) === call) state.byCallId.delete(callId)
        call.closePending()
      }
  })
})

let server: MockOpenAI | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

const callSpans = (spans: readonly SpanData[]) =>
  spans.filter((s) => s.attributes[ATTR.operationName] === 'invoke_agent')

describe.each(majors)('$major, over HTTP', ({ ai, createOpenAI }) => {
  it("a flush while a tool loop's next step calls its model, the state an older copy's: one call span over both steps", async () => {
    const { CALL_ATTR, tracingMiddleware } = await import('../src/index.js')
    server = await startMockOpenAI()
    const openai = createOpenAI({ baseURL: server.url, apiKey: 'sk-test-not-a-real-key' })
    const { tracer, exporter } = setup()
    let invocations = 0
    const flushing = {
      specificationVersion: 'v4' as const,
      wrapStream: async ({ doStream }: { doStream: () => PromiseLike<unknown> }) => {
        if (++invocations === 2) void tracer.flush()
        return doStream()
      },
    }
    const model = ai.wrapLanguageModel({
      model: ai.wrapLanguageModel({ model: openai.chat('gpt-4o'), middleware: flushing as any }),
      middleware: tracingMiddleware({ tracer }),
    })
    const text = await ai.streamText({
      model,
      tools: {
        weather: ai.tool({
          inputSchema: z.object({ city: z.string() }),
          execute: async ({ city }: { city: string }) => `Sunny in ${city}`,
        }),
      },
      stopWhen: ai.stepCountIs(3),
      prompt: 'Weather in Paris? [tool:weather]',
    }).text
    expect(text).toContain('Sunny')
    await tracer.flush()
    const calls = callSpans(exporter.spans)
    expect(calls).toHaveLength(1)
    expect(calls[0]!.status).toBe('ok')
    expect(calls[0]!.attributes[CALL_ATTR.steps]).toBe(2)
    const llm = exporter.spans.filter((s) => s.kind === 'llm')
    expect(llm).toHaveLength(2)
    for (const span of llm) expect(calls[0]!.endTime).toBeGreaterThanOrEqual(span.endTime)
  })
})
