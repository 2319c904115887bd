// ai@7's steering (`experimental_createSteering`), traced through real generateText/streamText over
// HTTP: a steer with `interrupt: true` (7.0.177) cancels a model call that has not answered yet and
// makes it again in the same step with the message.
import { createOpenAI } from '@ai-sdk/openai'
import { ATTR, type SpanData } from '@tokentrail/core'
import { startMockOpenAI } from '@tokentrail/mock-openai'
import * as ai from 'ai'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { CALL_ATTR, tracingMiddleware } from '../src/index.js'
import { setup } from './helpers.js'
import { callSpan, llmSpans } from './wire.js'

/** A traced OpenAI chat model on `server`, with the tracer and exporter its spans go to. */
function tracedModel(server: { url: string }) {
  const { tracer, exporter } = setup()
  const model = ai.wrapLanguageModel({
    model: createOpenAI({ baseURL: server.url, apiKey: 'sk-test-not-a-real-key' }).chat('gpt-4o'),
    middleware: tracingMiddleware({ tracer }),
  })
  return { tracer, exporter, model }
}

/** The answer's text, by `generateText` or `streamText`. */
async function answer(mode: 'generateText' | 'streamText', options: any): Promise<string> {
  return mode === 'generateText'
    ? (await ai.generateText(options)).text
    : await ai.streamText(options).text
}

describe('ai@7 steering interrupt (7.0.177)', () => {
  for (const mode of ['generateText', 'streamText'] as const) {
    it(`${mode}: the cancelled model call is a cancelled LLM span; the call and its second attempt are ok`, async () => {
      const steering = ai.experimental_createSteering()
      let requests = 0
      const server = await startMockOpenAI({
        firstChunkDelayMs: 300,
        onRequest: () => {
          if (++requests === 1) void steering.steer('Say it in French.', { interrupt: true })
        },
      })
      const { tracer, exporter, model } = tracedModel(server)
      try {
        const options = { model, prompt: 'hello', maxRetries: 0, experimental_steering: steering }
        const text = await answer(mode, options)
        expect(text).toBe('You said: Say it in French.')
        expect(requests).toBe(2)
        await tracer.flush()
        const spans = exporter.spans
        // One call, one trace: the redone model call is not taken for a call of its own.
        expect(spans).toHaveLength(3)
        expect(new Set(spans.map((s: SpanData) => s.traceId)).size).toBe(1)
        const call = callSpan(spans)
        expect(call.status).toBe('ok')
        expect(call.attributes[CALL_ATTR.steps]).toBe(1)
        const steps = llmSpans(spans)
        expect(steps.map((s) => s.status)).toEqual(['cancelled', 'ok'])
        for (const step of steps) {
          expect(step.parentSpanId).toBe(call.spanId)
          expect(step.attributes['tokentrail.step']).toBe(0)
        }
        // The step made again: its second attempt, with the steering message in its prompt.
        expect(steps[1]!.attributes[CALL_ATTR.attempt]).toBe(2)
        expect(String(steps[1]!.attributes[ATTR.inputMessages])).toContain('Say it in French.')
        expect(steps[0]!.attributes[ATTR.usageInputTokens]).toBeUndefined()
        expect(call.attributes[CALL_ATTR.inputTokens]).toBe(
          steps[1]!.attributes[ATTR.usageInputTokens],
        )
        expect(call.attributes[CALL_ATTR.outputTokens]).toBe(6)
        expect(call.attributes[CALL_ATTR.costUsd]).toBe(steps[1]!.attributes['tokentrail.cost.usd'])
        expect(call.attributes[CALL_ATTR.finishReason]).toBe('stop')
        if (mode === 'streamText') {
          // The app waited from the first attempt: the call's time to first chunk counts the
          // interrupted one too (it was the redo's own before).
          const redo = steps[1]!
          expect(call.attributes[CALL_ATTR.ttftMs]).toBeCloseTo(
            redo.startTime + (redo.attributes[ATTR.ttftMs] as number) - steps[0]!.startTime,
            6,
          )
          expect(call.attributes[CALL_ATTR.ttftMs]).toBeGreaterThan(
            redo.attributes[ATTR.ttftMs] as number,
          )
        }
      } finally {
        await server.close()
      }
    })
  }

  it('streamText, interrupted in the step after a tool: that step made again under the same call', async () => {
    const steering = ai.experimental_createSteering()
    let requests = 0
    const server = await startMockOpenAI({
      firstChunkDelayMs: 200,
      onRequest: () => {
        if (++requests === 2) void steering.steer('In Celsius, please.', { interrupt: true })
      },
    })
    const { tracer, exporter, model } = tracedModel(server)
    const weather = ai.tool({
      inputSchema: z.object({ city: z.string() }),
      execute: async ({ city }) => ({ city, celsius: 21 }),
    })
    try {
      const result = ai.streamText({
        model,
        tools: { weather },
        prompt: 'Weather in Oslo? [tool:weather]',
        stopWhen: ai.isStepCount(3),
        experimental_steering: steering,
      })
      expect(await result.text).toBe('You said: In Celsius, please.')
      expect(requests).toBe(3)
      await tracer.flush()
      const spans = exporter.spans
      expect(new Set(spans.map((s: SpanData) => s.traceId)).size).toBe(1)
      const call = callSpan(spans)
      expect(call.status).toBe('ok')
      expect(call.attributes[CALL_ATTR.steps]).toBe(2)
      const steps = llmSpans(spans)
      expect(steps.map((s) => [s.attributes['tokentrail.step'], s.status])).toEqual([
        [0, 'ok'],
        [1, 'cancelled'],
        [1, 'ok'],
      ])
      expect(steps[2]!.attributes[CALL_ATTR.attempt]).toBe(2)
      for (const step of steps) expect(step.parentSpanId).toBe(call.spanId)
      const [tool, ...more] = spans.filter((s: SpanData) => s.kind === 'tool')
      expect(more).toHaveLength(0)
      expect(tool!.parentSpanId).toBe(steps[0]!.spanId)
      expect(call.attributes[CALL_ATTR.outputTokens]).toBe(
        (steps[0]!.attributes[ATTR.usageOutputTokens] as number) +
          (steps[2]!.attributes[ATTR.usageOutputTokens] as number),
      )
    } finally {
      await server.close()
    }
  })

  for (const mode of ['generateText', 'streamText'] as const)
    it(`${mode}: two interrupts and a retried 429 in one step are its attempts 2, 3 and 4 under one call`, async () => {
      const steering = ai.experimental_createSteering()
      let requests = 0
      const server = await startMockOpenAI({
        firstChunkDelayMs: 200,
        // The third request is refused (429, retry-after-ms: 10); the SDK retries it (maxRetries).
        status: () => (requests === 3 ? 429 : 200),
        onRequest: () => {
          if (++requests <= 2) void steering.steer(`Interrupt ${requests}.`, { interrupt: true })
        },
      })
      const { tracer, exporter, model } = tracedModel(server)
      try {
        const options = { model, prompt: 'hello', maxRetries: 1, experimental_steering: steering }
        const text = await answer(mode, options)
        expect(text).toBe('You said: Interrupt 2.')
        expect(requests).toBe(4)
        await tracer.flush()
        const spans = exporter.spans
        expect(new Set(spans.map((s: SpanData) => s.traceId)).size).toBe(1)
        const call = callSpan(spans)
        expect(call.status).toBe('ok')
        expect(call.attributes[CALL_ATTR.steps]).toBe(1)
        const steps = llmSpans(spans)
        expect(steps.map((s) => [s.attributes['tokentrail.step'], s.status])).toEqual([
          [0, 'cancelled'],
          [0, 'cancelled'],
          [0, 'error'],
          [0, 'ok'],
        ])
        expect(steps.slice(1).map((s) => s.attributes[CALL_ATTR.attempt])).toEqual([2, 3, 4])
        for (const step of steps) expect(step.parentSpanId).toBe(call.spanId)
        // Only the answer's tokens and cost: the cancelled and refused attempts have none.
        expect(call.attributes[CALL_ATTR.outputTokens]).toBe(
          steps[3]!.attributes[ATTR.usageOutputTokens],
        )
        expect(call.attributes[CALL_ATTR.costUsd]).toBe(steps[3]!.attributes['tokentrail.cost.usd'])
      } finally {
        await server.close()
      }
    })
})
