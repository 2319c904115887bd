// Some OpenAI-compatible servers number tool calls per response (`call_0` in every answer). Two
// requests at once whose models asked for the same tool call id: on ai@5 and ai@6 the open calls
// were found by that id alone, in process-wide maps, so one request's tool span and next step went
// into the other's trace and its call ended `cancelled`. A call is now told apart from another
// that asked for the same id by the trace it runs in. Each major's real `@ai-sdk/openai` over HTTP
// against tools/mock-openai.
import type { MockOpenAI } from '@tokentrail/mock-openai'
import { afterEach, describe, expect, it } from 'vitest'
import { majors, tracedOverHttp, weatherTools } from './majors.js'

let server: MockOpenAI | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const REQUESTS = 6

describe.each(majors)('$major, over HTTP', (m) => {
  const { ai } = m
  for (const streamed of [false, true])
    it(`${REQUESTS} ${streamed ? 'streamText' : 'generateText'} calls at once whose tool calls share one id: each trace holds only its own`, async () => {
      const made = await tracedOverHttp(m, { chunkDelayMs: 2, toolCallId: 'call_0' })
      server = made.server
      const { tracer, exporter, model } = made
      const tools = weatherTools(m, async ({ city }) => {
        await sleep(15)
        return { city, forecast: `sunny in ${city}` }
      })
      const texts = await Promise.all(
        Array.from({ length: REQUESTS }, (_, i) =>
          tracer.withSpan(`request ${i}`, async () => {
            await sleep(i * 3)
            const options = {
              model,
              prompt: `[tool:weather] weather in city${i}`,
              tools,
              stopWhen: ai.stepCountIs(3),
            }
            if (!streamed) return (await ai.generateText(options)).text
            const result = ai.streamText(options)
            let text = ''
            for await (const delta of result.textStream) text += delta
            return text
          }),
        ),
      )
      for (const [i, text] of texts.entries()) expect(text).toContain(`city${i}`)
      await expect.poll(() => tracer.stats().ended, { timeout: 5000 }).toBe(tracer.stats().started)
      await tracer.flush()
      const spans = exporter.spans
      for (let i = 0; i < REQUESTS; i++) {
        const root = spans.find((s) => s.name === `request ${i}`)!
        const trace = spans.filter((s) => s.traceId === root.traceId)
        const text = JSON.stringify(trace.map((s) => s.attributes))
        for (let j = 0; j < REQUESTS; j++)
          if (j !== i)
            expect(text, `request ${i} holds request ${j}'s data`).not.toContain(`city${j}"`)
        const names = trace.map((s) => s.name)
        expect(
          names.filter((n) => n.startsWith('chat')),
          `request ${i}`,
        ).toHaveLength(2)
        expect(
          names.filter((n) => n === 'execute_tool weather'),
          `request ${i}`,
        ).toHaveLength(1)
        for (const span of trace) expect(span.status, `${span.name} of request ${i}`).toBe('ok')
      }
    })
  // No request span around them (a script, a worker): each call is a trace of its own, told apart
  // from the others that asked for the same id by the prompt it continues.
  it(`${REQUESTS} calls at once with no span around them, half streamed, whose tool calls share one id: each call holds only its own steps`, async () => {
    const made = await tracedOverHttp(m, { chunkDelayMs: 2, toolCallId: 'call_0' })
    server = made.server
    const { tracer, exporter, model } = made
    const tools = weatherTools(m, async ({ city }) => {
      await sleep(Math.random() * 20)
      return { city, forecast: `sunny in ${city}` }
    })
    await Promise.all(
      Array.from({ length: REQUESTS }, async (_, i) => {
        await sleep(i * 2)
        const options = {
          model,
          prompt: `[tool:weather] weather in city${i}`,
          tools,
          stopWhen: ai.stepCountIs(3),
        }
        if (i % 2 === 0) await ai.generateText(options)
        else for await (const _ of ai.streamText(options).textStream);
      }),
    )
    await expect.poll(() => tracer.stats().ended, { timeout: 5000 }).toBe(tracer.stats().started)
    await tracer.flush()
    const spans = exporter.spans
    const calls = spans.filter((s) => /^(generateText|streamText) /.test(s.name))
    expect(calls).toHaveLength(REQUESTS)
    for (const call of calls) {
      const steps = spans.filter((s) => s.parentSpanId === call.spanId)
      expect(steps.map((s) => s.name)).toEqual(['chat gpt-4o', 'chat gpt-4o'])
      const own = JSON.stringify(steps[0]!.attributes).match(/city\d/)![0]
      const text = JSON.stringify(
        spans.filter((s) => s.traceId === call.traceId).map((s) => s.attributes),
      )
      for (let j = 0; j < REQUESTS; j++)
        if (`city${j}` !== own) expect(text, `${own}'s trace`).not.toContain(`city${j}"`)
      expect(
        spans.filter((s) => s.traceId === call.traceId && s.name === 'execute_tool weather'),
      ).toHaveLength(1)
      expect(call.status).toBe('ok')
    }
  })

  // A later step that gives the same tool call id again runs the tool again: a span for each run.
  it('a tool call id given again by the next step of the same call: a tool span for each run', async () => {
    let runs = 0
    const made = await tracedOverHttp(m, {
      toolCallId: 'call_0',
      // Two steps ask for the tool, the third answers.
      toolArguments: (request) => ({
        city: `step${request.messages.filter((m) => m.role === 'tool').length}`,
      }),
      toolCall: (request) =>
        request.messages.filter((m) => m.role === 'tool').length < 2 ? 'weather' : undefined,
    })
    server = made.server
    const { tracer, exporter, model } = made
    const tools = weatherTools(m, async ({ city }) => {
      runs++
      return { city }
    })
    await ai.generateText({
      model,
      prompt: '[tool:weather] weather please',
      tools,
      stopWhen: ai.stepCountIs(4),
    })
    await tracer.flush()
    expect(runs).toBe(2)
    const toolSpans = exporter.spans.filter((s) => s.name === 'execute_tool weather')
    expect(toolSpans.map((s) => s.attributes['gen_ai.tool.call.arguments'])).toEqual([
      '{"city":"step0"}',
      '{"city":"step1"}',
    ])
  })
})
