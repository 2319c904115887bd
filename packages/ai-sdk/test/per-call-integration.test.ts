// A call's own `tokentrailTelemetry({ recordInputs, recordOutputs })`, given per call as the AI SDK
// takes integrations (ai@6 `experimental_telemetry`, ai@7 `telemetry`), beside the integration
// `tracingMiddleware()` registers for itself: its switches hold for that call's tool spans, and for
// no other call. Each major with its own `@ai-sdk/openai` over HTTP against tools/mock-openai.
import { ATTR, type SpanData } from '@tokentrail/core'
import { type MockOpenAI, startMockOpenAI } from '@tokentrail/mock-openai'
import { afterEach, describe, expect, it } from 'vitest'
import { CALL_ATTR, tokentrailTelemetry, tracingMiddleware } from '../src/index.js'
import { setup } from './helpers.js'
import { majors, tracedOverHttp, weatherTools } from './majors.js'

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
    const tools = () => weatherTools(m, async ({ city }) => `SECRET-RESULT in ${city}`)
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

describe.each(majors)("$major: two models, each with its own middleware's switches", (m) => {
  const { ai, createOpenAI } = m
  // Before, every model's tool spans followed the switches of the middleware made last (on ai@6
  // and ai@7, whose tool spans come from the one integration the middlewares share): a model
  // traced with recordInputs/recordOutputs: false leaked its tool arguments and results once a
  // default middleware was made after it, and the other way round.
  it.each(['private first', 'public first'] as const)('%s', async (order) => {
    server = await startMockOpenAI({ toolArguments: { city: 'SECRET-CITY' } })
    const openai = createOpenAI({ baseURL: server.url, apiKey: 'sk-test-not-a-real-key-0000' })
    const { tracer, exporter } = setup()
    const make = (options: object) =>
      ai.wrapLanguageModel({
        model: openai.chat('gpt-4o'),
        middleware: tracingMiddleware({ tracer, ...options }),
      })
    const quiet = { recordInputs: false, recordOutputs: false }
    const [secret, open] =
      order === 'private first'
        ? [make(quiet), make({})]
        : (() => {
            const o = make({})
            return [make(quiet), o]
          })()
    for (const [model, functionId] of [
      [secret, 'secret'],
      [open, 'open'],
    ] as const)
      await ai.generateText({
        model,
        tools: weatherTools(m, async ({ city }) => `SECRET-RESULT in ${city}`),
        stopWhen: ai.stepCountIs(2),
        prompt: `Weather? [tool:weather] (${functionId})`,
      })
    await tracer.flush()
    const tools = toolSpans(exporter.spans)
    expect(tools).toHaveLength(2)
    const [first, second] = tools.sort((a, b) => a.startTime - b.startTime)
    expect(first!.attributes).not.toHaveProperty(ATTR.toolCallArguments)
    expect(first!.attributes).not.toHaveProperty(ATTR.toolCallResult)
    expect(second!.attributes[ATTR.toolCallArguments]).toContain('SECRET-CITY')
    expect(second!.attributes[ATTR.toolCallResult]).toContain('SECRET-RESULT')
    expect(JSON.stringify(first)).not.toMatch(/SECRET/)
  })
})

describe.each(majors)('$major: the call span when its last step fails', (m) => {
  // Before, `tokentrail.call.finish_reason` kept an earlier step's (`tool_call`): the README says
  // it is the last step's, and a step that failed has none.
  it.each(['generateText', 'streamText'] as const)(
    '%s: no earlier finish reason stands for it',
    async (operation) => {
      const traced = await tracedOverHttp(m, {
        status: (request: { messages: { role: string }[] }) =>
          request.messages.at(-1)?.role === 'tool' ? 400 : undefined,
      } as never)
      server = traced.server
      const { ai } = m
      const options = {
        model: traced.model,
        tools: weatherTools(m, async ({ city }) => ({ city })),
        stopWhen: ai.stepCountIs(3),
        prompt: 'Weather? [tool:weather]',
        maxRetries: 0,
        onError: () => {},
      }
      const failed =
        operation === 'generateText'
          ? await ai.generateText(options).then(
              () => false,
              () => true,
            )
          : await ai
              .streamText(options)
              .consumeStream()
              .then(() => true)
      expect(failed).toBe(true)
      await traced.tracer.flush()
      const call = traced.exporter.spans.find((s) => CALL_ATTR.steps in s.attributes)!
      expect(call.status).toBe('error')
      expect(call.attributes[CALL_ATTR.steps]).toBe(2)
      expect(call.attributes).not.toHaveProperty(CALL_ATTR.finishReason)
    },
  )
})
