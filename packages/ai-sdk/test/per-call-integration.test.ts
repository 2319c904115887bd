// A call's own `tokentrailTelemetry({ recordInputs, recordOutputs })`, given per call as the AI SDK
// takes integrations (ai@6 `experimental_telemetry`, ai@7 `telemetry`), beside the integration
// `tracingMiddleware()` registers for itself: its switches hold for that call's tool spans, and for
// no other call. Each major with its own `@ai-sdk/openai` over HTTP against tools/mock-openai.
import { ATTR, type SpanData } from '@tokentrail/core'
import type { MockOpenAI } from '@tokentrail/mock-openai'
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { tokentrailTelemetry } from '../src/index.js'
import { majors, tracedOverHttp } from './majors.js'

let server: MockOpenAI | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
  delete (globalThis as any).AI_SDK_TELEMETRY_INTEGRATIONS
})

const toolSpans = (spans: readonly SpanData[]) => spans.filter((s) => s.kind === 'tool')

describe.each(majors.filter((m) => m.major !== 'ai@5'))(
  '$major: a per-call tokentrailTelemetry beside the middleware',
  (m) => {
    const { major, ai } = m
    async function start() {
      const traced = await tracedOverHttp(m, { toolArguments: { city: 'SECRET-CITY' } })
      server = traced.server
      return traced
    }
    const tools = () => ({
      weather: ai.tool({
        inputSchema: z.object({ city: z.string() }),
        execute: async ({ city }: { city: string }) => `SECRET-RESULT in ${city}`,
      }),
    })
    const perCall = (integration: unknown) =>
      major === 'ai@6'
        ? { experimental_telemetry: { integrations: [integration] } }
        : { telemetry: { integrations: [integration] } }

    it.each([
      ['recordOutputs', 'generateText'],
      ['recordInputs', 'generateText'],
      ['recordOutputs', 'streamText'],
      ['recordInputs', 'streamText'],
    ] as const)('%s: false holds for the tool span of a %s call', async (key, operation) => {
      const { tracer, exporter, model } = await start()
      const options = {
        model,
        tools: tools(),
        stopWhen: ai.stepCountIs(2),
        prompt: 'Weather? [tool:weather]',
        ...perCall(tokentrailTelemetry({ tracer, [key]: false })),
      }
      const text =
        operation === 'generateText'
          ? (await ai.generateText(options)).text
          : await ai.streamText(options).text
      // The user's outcome is the model's answer after the tool ran.
      expect(text).toContain('The tool returned')
      await tracer.flush()
      const [span, ...more] = toolSpans(exporter.spans)
      expect(more).toEqual([])
      expect(span!.name).toBe('execute_tool weather')
      if (key === 'recordOutputs') {
        expect(span!.attributes[ATTR.toolCallArguments]).toContain('SECRET-CITY')
        expect(span!.attributes).not.toHaveProperty(ATTR.toolCallResult)
      } else {
        expect(span!.attributes).not.toHaveProperty(ATTR.toolCallArguments)
        expect(span!.attributes[ATTR.toolCallResult]).toContain('SECRET-RESULT')
      }
    })

    it("two calls at once: one call's own switch is not another's", async () => {
      const { tracer, exporter, model } = await start()
      const call = (own: object) =>
        ai.generateText({
          model,
          tools: tools(),
          stopWhen: ai.stepCountIs(2),
          prompt: 'Weather? [tool:weather]',
          ...own,
        })
      await Promise.all([
        call(perCall(tokentrailTelemetry({ tracer, recordOutputs: false }))),
        call({}),
        call(perCall(tokentrailTelemetry({ tracer, recordOutputs: false }))),
        call({}),
      ])
      await tracer.flush()
      const spans = toolSpans(exporter.spans)
      expect(spans).toHaveLength(4)
      expect(spans.filter((s) => ATTR.toolCallResult in s.attributes)).toHaveLength(2)
      for (const span of spans)
        expect(span.attributes[ATTR.toolCallArguments]).toContain('SECRET-CITY')
    })
  },
)
