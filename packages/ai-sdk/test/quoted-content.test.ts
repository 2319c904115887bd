// With prompts or outputs switched off, no tool argument may reach the wire. A tool call whose
// input the tool's schema refuses (or that is not JSON) fails with the AI SDK's own message, which
// quotes the arguments (`Invalid input for tool weather: Type validation failed: Value: {…}`):
// that message went out as the tool span's exception message, stack and status on ai@5, ai@6 and
// ai@7. Each major's real `@ai-sdk/openai` over HTTP against tools/mock-openai, exported as OTLP
// JSON to a real HTTP server.
import { createTracer, otlpExporter, type TracerOptions } from '@tokentrail/core'
import { type MockOpenAI, startMockOpenAI } from '@tokentrail/mock-openai'
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { type TracingMiddlewareOptions, tracingMiddleware } from '../src/index.js'
import { bodySinkForSuite } from './helpers.js'
import { majors } from './majors.js'

const CANARY = 'ARGCANARY-7f3a'
const sink = bodySinkForSuite()

let server: MockOpenAI | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
  delete (globalThis as any).AI_SDK_TELEMETRY_INTEGRATIONS
})

const arguments_ = {
  // The schema wants a string: the SDK's TypeValidationError quotes the whole input.
  'refused by the schema': { city: 12345, note: CANARY },
  // Not JSON: the SDK's JSONParseError quotes the text.
  'not JSON': `{"city": "${CANARY}"`,
}

const off = { recordInputs: false, recordOutputs: false }
const switches: [string, TracerOptions, Partial<TracingMiddlewareOptions>][] = [
  ['the tracer', off, {}],
  ['the middleware', {}, off],
]

async function run(
  major: (typeof majors)[number],
  tracerOptions: TracerOptions,
  middlewareOptions: Partial<TracingMiddlewareOptions>,
  toolArguments: unknown,
): Promise<{ body: string; toolErrors: string[]; toolEvents: string[] }> {
  const { ai, createOpenAI } = major
  server = await startMockOpenAI({ toolArguments: () => toolArguments } as any)
  const openai = createOpenAI({ baseURL: server.url, apiKey: 'sk-test-not-a-real-key-0000' })
  const tracer = createTracer({
    serviceName: 'quoted-content',
    exporters: [otlpExporter({ url: sink.url })],
    ...tracerOptions,
  })
  const model = ai.wrapLanguageModel({
    model: openai.chat('gpt-4o'),
    middleware: tracingMiddleware({ tracer, ...middlewareOptions }),
  })
  const before = sink.bodies.length
  await ai.generateText({
    model,
    prompt: 'Weather? [tool:weather]',
    tools: {
      weather: ai.tool({
        inputSchema: z.object({ city: z.string() }),
        execute: async ({ city }: { city: string }) => ({ city }),
      }),
    },
    stopWhen: ai.stepCountIs(2),
  })
  await tracer.shutdown()
  const body = sink.bodies.slice(before).join('\n')
  const toolErrors: string[] = []
  const toolEvents: string[] = []
  for (const request of sink.bodies.slice(before))
    for (const resource of JSON.parse(request).resourceSpans)
      for (const scope of resource.scopeSpans)
        for (const span of scope.spans)
          if (span.name === 'execute_tool weather' && span.status.code === 2) {
            toolErrors.push(span.status.message)
            toolEvents.push(JSON.stringify(span.events))
          }
  return { body, toolErrors, toolEvents }
}

describe.each(majors)('$major, over HTTP', (major) => {
  for (const [what, input] of Object.entries(arguments_)) {
    for (const [where, tracerOptions, middlewareOptions] of switches)
      it(`tool input ${what}, content off in ${where}: the failed tool span does not quote it`, async () => {
        const { body, toolErrors } = await run(major, tracerOptions, middlewareOptions, input)
        expect(toolErrors).toHaveLength(1)
        expect(toolErrors[0]).toContain('Invalid input for tool weather')
        expect(toolErrors[0]).toContain('[not recorded]')
        expect(body.includes(CANARY), 'the arguments reached the wire').toBe(false)
      })

    it(`tool input ${what}, only inputs off: the tool span's error does not quote it`, async () => {
      const { toolErrors, toolEvents } = await run(major, { recordInputs: false }, {}, input)
      expect(toolErrors).toHaveLength(1)
      expect(toolErrors[0]).toContain('[not recorded]')
      expect(toolEvents[0]!.includes(CANARY), 'exception event quotes the arguments').toBe(false)
    })

    it(`tool input ${what}, content on: the message is the SDK's own, whole`, async () => {
      const { toolErrors } = await run(major, {}, {}, input)
      expect(toolErrors).toHaveLength(1)
      expect(toolErrors[0]).toContain(CANARY)
    })
  }
})
