// A streamText aborted by its `abortSignal` before anybody reads its result, and never read: ai@7
// neither ends the call (its result stream is not pulled, so no abort event comes) nor makes the
// model call again. Before, the LLM span ended `cancelled` and its call span never ended: the
// trace never sent, the call kept. Now the call ends `cancelled` at its model call's end once the
// stall window (shortened here) has passed with neither. Each major's real `@ai-sdk/openai` over
// HTTP against tools/mock-openai.
import { ATTR } from '@tokentrail/core'
import { type MockOpenAI, startMockOpenAI } from '@tokentrail/mock-openai'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CALL_ATTR, tracingMiddleware } from '../src/index.js'
import { setStallWindow } from '../src/stall.js'
import { setup } from './helpers.js'
import { majors } from './majors.js'
import { callSpan, llmSpans } from './wire.js'

const WINDOW_MS = 300

let server: MockOpenAI | undefined
beforeEach(() => setStallWindow(WINDOW_MS))
afterEach(async () => {
  setStallWindow(120_000)
  await server?.close()
  server = undefined
})

describe.each(majors)('$major, over HTTP', ({ ai, createOpenAI }) => {
  for (const when of ['before its first chunk', 'mid-stream'] as const)
    it(`a streamText aborted ${when} and never read: the call span ends cancelled with its LLM span, one trace`, async () => {
      const controller = new AbortController()
      server = await startMockOpenAI({
        firstChunkDelayMs: when === 'mid-stream' ? 0 : 300,
        chunkDelayMs: when === 'mid-stream' ? 100 : 0,
        onRequest: () => setTimeout(() => controller.abort(), 150),
      })
      const { tracer, exporter } = setup()
      const model = ai.wrapLanguageModel({
        model: createOpenAI({ baseURL: server.url, apiKey: 'sk-test-not-a-real-key' }).chat(
          'gpt-4o',
        ),
        middleware: tracingMiddleware({ tracer }),
      })
      ai.streamText({ model, prompt: 'hello', maxRetries: 0, abortSignal: controller.signal })
      await expect.poll(() => controller.signal.aborted, { timeout: 5000 }).toBe(true)
      await expect.poll(() => tracer.stats().ended, { timeout: 5000 }).toBe(2)
      await tracer.flush()
      const spans = exporter.spans
      expect(spans).toHaveLength(2)
      expect(new Set(spans.map((s) => s.traceId)).size).toBe(1)
      const call = callSpan(spans)
      const [llm] = llmSpans(spans)
      expect(llm!.parentSpanId).toBe(call.spanId)
      expect([call.status, llm!.status]).toEqual(['cancelled', 'cancelled'])
      expect(call.attributes[ATTR.cancelledBy]).toBe('abort_signal')
      expect(call.attributes[CALL_ATTR.steps]).toBe(1)
      // Timed at the abort, not when the stall was found.
      expect(call.endTime).toBeLessThan(llm!.endTime + WINDOW_MS)
      const calls = (globalThis as any)[Symbol.for('tokentrail.ai-sdk.calls')]
      expect(calls?.byCallId?.size ?? 0).toBe(0)
    })
})
