// ai@7's own per-call privacy switches, `telemetry: { recordInputs: false, recordOutputs: false }`:
// the AI SDK blanks the content of the events it hands integrations, and Tokentrail is one, yet
// its spans still held the prompt, the answer, the tool arguments and results of such a call.
// Real `generateText`/`streamText` with `@ai-sdk/openai@4` over HTTP against tools/mock-openai,
// exported as OTLP JSON to a real HTTP server.

import { createOpenAI } from '@ai-sdk/openai'
import { createTracer, otlpExporter } from '@tokentrail/core'
import { type MockOpenAI, startMockOpenAI } from '@tokentrail/mock-openai'
import * as ai from 'ai'
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { tracingMiddleware } from '../src/index.js'
import { bodySinkForSuite } from './helpers.js'
import { majors, weatherTools } from './majors.js'

const sink = bodySinkForSuite()
const ai7 = majors.find(({ major }) => major === 'ai@7')!
const CANARIES = ['PROMPT-9d2f', 'SYSTEM-4c1a', 'ARG-7b3e', 'RESULT-2e8c', 'REPLY-5f6d']

let server: MockOpenAI | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
  delete (globalThis as any).AI_SDK_TELEMETRY_INTEGRATIONS
})

/** A tracer exporting to the sink, and a gpt-4o model of the mock at `url` traced to it. */
function traced(url: string) {
  const tracer = createTracer({
    serviceName: 'call-switches',
    exporters: [otlpExporter({ url: sink.url })],
  })
  const model = ai.wrapLanguageModel({
    model: createOpenAI({ baseURL: url, apiKey: 'sk-test-not-a-real-key-0000' }).chat('gpt-4o'),
    middleware: tracingMiddleware({ tracer }),
  })
  return { tracer, model }
}

async function run(
  streamed: boolean,
  telemetry: { recordInputs?: boolean; recordOutputs?: boolean } | undefined,
): Promise<string> {
  server = await startMockOpenAI({
    reply: 'The answer is REPLY-5f6d.',
    toolArguments: () => ({ city: 'ARG-7b3e' }),
  } as any)
  const { tracer, model } = traced(server.url)
  const options = {
    model,
    system: 'You are SYSTEM-4c1a.',
    prompt: 'Weather for PROMPT-9d2f? [tool:weather]',
    tools: {
      weather: ai.tool({
        inputSchema: z.object({ city: z.string() }),
        execute: async ({ city }: { city: string }) => ({ forecast: `RESULT-2e8c for ${city}` }),
      }),
    },
    stopWhen: ai.stepCountIs(2),
    ...(telemetry ? { telemetry } : {}),
  }
  const before = sink.bodies.length
  if (streamed) await ai.streamText(options).consumeStream()
  else await ai.generateText(options)
  await tracer.shutdown()
  return sink.bodies.slice(before).join('\n')
}

describe('ai@7, over HTTP: two such calls of one model at once', () => {
  // With the prompt blanked, a model invocation is matched to the one call awaiting that model;
  // two at once cannot be told apart, and each is traced as a call of its own (the ai@5/ai@6
  // way), which recorded everything.
  it('generateText ×2: no content in any span', async () => {
    server = await startMockOpenAI({ reply: 'The answer is REPLY-5f6d.' } as any)
    const { tracer, model } = traced(server.url)
    const before = sink.bodies.length
    const call = (n: number) =>
      ai.generateText({
        model,
        system: 'You are SYSTEM-4c1a.',
        prompt: `Question ${n} about PROMPT-9d2f`,
        telemetry: { recordInputs: false, recordOutputs: false },
      })
    await Promise.all([call(1), call(2)])
    await tracer.shutdown()
    const body = sink.bodies.slice(before).join('\n')
    expect(body).toContain('chat gpt-4o')
    for (const canary of ['PROMPT-9d2f', 'SYSTEM-4c1a', 'REPLY-5f6d'])
      expect(body.includes(canary), canary).toBe(false)
  })
})

describe('ai@7, over HTTP: a call with telemetry recordInputs/recordOutputs false', () => {
  for (const streamed of [false, true]) {
    const name = streamed ? 'streamText' : 'generateText'

    it(`${name}: both off, no content in any span`, async () => {
      const body = await run(streamed, { recordInputs: false, recordOutputs: false })
      expect(body).toContain('execute_tool weather')
      for (const canary of CANARIES) expect(body.includes(canary), canary).toBe(false)
    })

    // As with the tracer's switch: the tool's result is then only in the next step's prompt.
    it(`${name}: outputs off keeps the prompt, not the answer or the tool span's result`, async () => {
      const body = await run(streamed, { recordOutputs: false })
      expect(body).toContain('PROMPT-9d2f')
      expect(body).toContain('gen_ai.input.messages')
      expect(body.includes('REPLY-5f6d'), 'the answer').toBe(false)
      expect(body.includes('gen_ai.output.messages'), 'output messages').toBe(false)
      expect(body.includes('gen_ai.tool.call.result'), 'the tool span result').toBe(false)
    })

    it(`${name}: without the switches, everything is recorded`, async () => {
      const body = await run(streamed, undefined)
      for (const canary of CANARIES) expect(body).toContain(canary)
    })
  }
})

// A tool call the AI SDK cannot run (input its schema refuses) has no execution event: its failed
// span was made from the steps the end event carries, which a call's own `recordOutputs: false`
// blanks. It was then missing, and the call's `tool_errors` with it.
describe('ai@7, over HTTP: a refused tool call in a call with its own switches', () => {
  for (const telemetry of [
    undefined,
    { recordOutputs: false },
    { recordInputs: false, recordOutputs: false },
  ])
    it(`telemetry ${JSON.stringify(telemetry)}: the failed tool span and tool_errors`, async () => {
      server = await startMockOpenAI({
        reply: (request: any) =>
          request.messages.some((m: any) => m.role === 'tool') ? 'done' : undefined,
        toolArguments: () => ({ city: 12345, note: 'ARG-7b3e' }),
      } as any)
      const { tracer, model } = traced(server.url)
      const before = sink.bodies.length
      await ai.generateText({
        model,
        prompt: 'Weather? [tool:weather]',
        tools: weatherTools(ai7, async () => 'never'),
        stopWhen: ai.stepCountIs(3),
        ...(telemetry ? { telemetry } : {}),
      })
      await tracer.shutdown()
      const spans = sink.bodies
        .slice(before)
        .flatMap((b) => JSON.parse(b).resourceSpans[0].scopeSpans[0].spans)
      const tool = spans.find((s: any) => s.name === 'execute_tool weather')
      expect(tool, 'the failed tool span').toBeDefined()
      expect(tool.status.code).toBe(2)
      const call = spans.find((s: any) => s.name.startsWith('generateText'))
      const toolErrors = call.attributes.find((a: any) => a.key === 'tokentrail.call.tool_errors')
      expect(toolErrors?.value.intValue).toBe('1')
      // With outputs off, the span's error keeps nothing the SDK's message quotes of the input.
      if (telemetry) {
        expect(JSON.stringify(tool.status)).toContain('[not recorded]')
        expect(JSON.stringify(tool.events).includes('ARG-7b3e'), 'the quoted input').toBe(false)
      }
      // With both off, no span has it.
      if (telemetry?.recordInputs === false)
        expect(sink.bodies.slice(before).join('\n').includes('ARG-7b3e')).toBe(false)
    })
})
