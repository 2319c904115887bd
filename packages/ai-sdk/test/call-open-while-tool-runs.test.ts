// A call whose tool is still running is not done. On ai@6 (calls inferred from the model's
// prompts, tool spans from the SDK's tool events) a `tracer.flush()` made meanwhile (a worker
// that flushes after each job) or the 30 s a call waits for its next step closed it: one call
// became two traces, the second step renumbered 0, the tool span ended without its result.
// Each major with its own `@ai-sdk/openai` over HTTP against tools/mock-openai.
import { ATTR } from '@tokentrail/core'
import type { MockOpenAI } from '@tokentrail/mock-openai'
import { afterEach, describe, expect, it } from 'vitest'
import { CALL_ATTR } from '../src/index.js'
import { majors, tracedOverHttp, weatherTools } from './majors.js'

let server: MockOpenAI | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
  delete (globalThis as any).AI_SDK_TELEMETRY_INTEGRATIONS
})

describe.each(majors.filter((m) => m.major !== 'ai@5'))('$major', (m) => {
  it.each(['generateText', 'streamText'] as const)(
    '%s: a flush while its tool runs leaves the call one trace',
    async (operation) => {
      const traced = await tracedOverHttp(m)
      server = traced.server
      const { ai } = m
      const options = {
        model: traced.model,
        tools: weatherTools(m, async ({ city }) => {
          await new Promise((resolve) => setTimeout(resolve, 300))
          return { city, celsius: 21 }
        }),
        stopWhen: ai.stepCountIs(3),
        prompt: 'Weather in Oslo? [tool:weather]',
      }
      const flushed = new Promise((resolve) =>
        setTimeout(() => resolve(traced.tracer.flush()), 150),
      )
      const steps =
        operation === 'generateText'
          ? (await ai.generateText(options)).steps.length
          : await (async () => {
              const result = ai.streamText(options)
              await result.consumeStream()
              return (await result.steps).length
            })()
      await flushed
      await traced.tracer.flush()
      expect(steps).toBe(2)
      const spans = traced.exporter.spans
      const calls = spans.filter((s) => CALL_ATTR.steps in s.attributes)
      expect(calls).toHaveLength(1)
      expect(calls[0]!.attributes[CALL_ATTR.steps]).toBe(2)
      expect(new Set(spans.map((s) => s.traceId)).size).toBe(1)
      const tool = spans.find((s) => s.kind === 'tool')!
      expect(tool.attributes[ATTR.toolCallResult]).toContain('21')
      expect(tool.endTime - tool.startTime).toBeGreaterThanOrEqual(290)
    },
  )
})
