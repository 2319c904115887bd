// A tool that calls a model itself (a sub-agent): its call is a child of the tool's span, in the
// caller's trace. ai@7 runs tools inside their span (`executeTool`); ai@6 has no such hook, so
// Tokentrail runs a tool's `execute` inside its span; ai@5 tells no tool as it runs (its tool spans
// are inferred afterwards), so there the sub-agent's call is a call of its own. Each major through
// its own `@ai-sdk/openai` over HTTP against tools/mock-openai.
import { ATTR, type SpanData } from '@tokentrail/core'
import { type MockOpenAI, startMockOpenAI } from '@tokentrail/mock-openai'
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { tracingMiddleware } from '../src/index.js'
import { setup } from './helpers.js'
import { majors } from './majors.js'

let server: MockOpenAI | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
  delete (globalThis as any).AI_SDK_TELEMETRY_INTEGRATIONS
})

const callSpans = (spans: readonly SpanData[]) =>
  spans.filter((s) => s.attributes[ATTR.operationName] === 'invoke_agent')

describe.each(majors.filter(({ major }) => major !== 'ai@5'))(
  '$major: a sub-agent inside a tool',
  ({ ai, createOpenAI }) => {
    async function start() {
      server = await startMockOpenAI()
      const openai = createOpenAI({ baseURL: server.url, apiKey: 'sk-test-not-a-real-key' })
      const { tracer, exporter } = setup()
      const model = ai.wrapLanguageModel({
        model: openai.chat('gpt-4o'),
        middleware: tracingMiddleware({ tracer }),
      })
      return { tracer, exporter, model }
    }

    // The tool's span, and the call made inside it.
    function nested(spans: readonly SpanData[]) {
      const calls = callSpans(spans)
      expect(calls).toHaveLength(2)
      const [outer, inner] = calls.sort((a, b) => a.startTime - b.startTime)
      const tool = spans.find((s) => s.kind === 'tool')!
      return { outer: outer!, inner: inner!, tool }
    }

    for (const mode of ['generateText', 'streamText'] as const)
      it(`${mode}, a script: the sub-agent's call is a child of the tool's span, one trace`, async () => {
        const { tracer, exporter, model } = await start()
        const tools = {
          research: ai.tool({
            inputSchema: z.object({ topic: z.string() }),
            async execute({ topic }: { topic: string }) {
              const { text } = await ai.generateText({ model, prompt: `Summarise ${topic}` })
              return text
            },
          }),
        }
        const args = {
          model,
          tools,
          stopWhen: ai.stepCountIs(3),
          prompt: 'Research Lisbon [tool:research]',
        }
        const text =
          mode === 'generateText'
            ? (await ai.generateText(args)).text
            : await ai.streamText(args).text
        // The user's outcome: the sub-agent's answer, through the tool, in the reply.
        expect(text).toBe('The tool returned You said: Summarise Lisbon.')
        await tracer.flush()
        const { outer, inner, tool } = nested(exporter.spans)
        expect(outer.parentSpanId).toBeUndefined()
        expect(new Set(exporter.spans.map((s) => s.traceId))).toEqual(new Set([outer.traceId]))
        expect(inner.parentSpanId).toBe(tool.spanId)
        const innerLlm = exporter.spans.filter(
          (s) => s.kind === 'llm' && s.parentSpanId === inner.spanId,
        )
        expect(innerLlm).toHaveLength(1)
        expect(tool.attributes[ATTR.toolCallResult]).toBe('"You said: Summarise Lisbon"')
      })

    it('a tool that streams a sub-agent (async generator, preliminary results): nested, and the user gets the same results', async () => {
      const { tracer, exporter, model } = await start()
      const Agent = ai.ToolLoopAgent
      const subagent = new Agent({ model })
      const preliminary: unknown[] = []
      const tools = {
        research: ai.tool({
          inputSchema: z.object({ topic: z.string() }),
          async *execute({ topic }: { topic: string }, { abortSignal }: any) {
            const result = await subagent.stream({ prompt: `Do ${topic}`, abortSignal })
            for await (const message of ai.readUIMessageStream({
              stream: result.toUIMessageStream(),
            }))
              yield message
          },
          toModelOutput: ({ output }: any) => ({
            type: 'text',
            value: output.parts.findLast((part: any) => part.type === 'text')?.text ?? '',
          }),
        }),
      }
      const result = ai.streamText({
        model,
        tools,
        stopWhen: ai.stepCountIs(3),
        prompt: 'Research Lisbon [tool:research]',
      })
      for await (const part of result.fullStream)
        if (part.type === 'tool-result' && part.preliminary) preliminary.push(part.output)
      expect(await result.text).toBe('The tool returned You said: Do Lisbon.')
      expect(preliminary.length).toBeGreaterThan(0)
      await tracer.flush()
      const { outer, inner, tool } = nested(exporter.spans)
      expect(inner.parentSpanId).toBe(tool.spanId)
      expect(inner.traceId).toBe(outer.traceId)
    })
  },
)

// ai@6 has no hook around a tool: the README says the first step that offers a tool replaces its
// `execute`, on the tool object passed, by one that runs it inside the span; a different function
// (length 2), an own property on a class instance; a frozen tool or a getter-only `execute` is left
// as it is, and a model call it makes does not nest. The user's result is the same in every case.
describe('ai@6: the tool object whose execute runs inside the span', () => {
  const { ai, createOpenAI } = majors.find(({ major }) => major === 'ai@6')!

  async function run(tool: any) {
    await server?.close()
    server = await startMockOpenAI()
    const openai = createOpenAI({ baseURL: server.url, apiKey: 'sk-test-not-a-real-key' })
    const { tracer, exporter } = setup()
    const model = ai.wrapLanguageModel({
      model: openai.chat('gpt-4o'),
      middleware: tracingMiddleware({ tracer }),
    })
    subModel = model
    const { text } = await ai.generateText({
      model,
      tools: { research: tool },
      stopWhen: ai.stepCountIs(3),
      prompt: 'Research Lisbon [tool:research]',
    })
    expect(text).toBe('The tool returned You said: Summarise Lisbon.')
    await tracer.flush()
    const calls = callSpans(exporter.spans).sort((a, b) => a.startTime - b.startTime)
    expect(calls).toHaveLength(2)
    const toolSpan = exporter.spans.find((s) => s.kind === 'tool')!
    expect(toolSpan.attributes[ATTR.toolCallResult]).toBe('"You said: Summarise Lisbon"')
    return { nested: calls[1]!.parentSpanId === toolSpan.spanId }
  }
  let subModel: unknown
  async function research({ topic }: { topic: string }) {
    const { text } = await ai.generateText({ model: subModel, prompt: `Summarise ${topic}` })
    return text
  }
  const inputSchema = z.object({ topic: z.string() })

  it('a plain tool: execute replaced by a function of length 2, kept after the call; the sub-agent nests', async () => {
    const tool = ai.tool({ inputSchema, execute: research })
    expect(await run(tool)).toEqual({ nested: true })
    expect(tool.execute).not.toBe(research)
    expect(tool.execute.length).toBe(2)
  })

  it('a class instance: execute becomes an own property, called with the same this; the sub-agent nests', async () => {
    class Research {
      inputSchema = inputSchema
      seen: unknown
      async execute(input: { topic: string }) {
        this.seen = this
        return research(input)
      }
    }
    const tool = new Research()
    expect(Object.hasOwn(tool, 'execute')).toBe(false)
    expect(await run(tool)).toEqual({ nested: true })
    expect(Object.hasOwn(tool, 'execute')).toBe(true)
    expect(tool.seen).toBe(tool)
  })

  // Once any tracingMiddleware() existed, every ai@6 call's tools were replaced, an untraced
  // model's too, where the README says a model left untraced records nothing.
  it("an untraced model's tool is left as it is, with a traced model in the same process", async () => {
    await server?.close()
    server = await startMockOpenAI()
    const openai = createOpenAI({ baseURL: server.url, apiKey: 'sk-test-not-a-real-key' })
    tracingMiddleware({ tracer: setup().tracer })
    const echo = async ({ topic }: { topic: string }) => `about ${topic}`
    const tool = ai.tool({ inputSchema, execute: echo })
    const { text } = await ai.generateText({
      model: openai.chat('gpt-4o-mini'),
      tools: { research: tool },
      stopWhen: ai.stepCountIs(3),
      prompt: 'Research Lisbon [tool:research]',
    })
    expect(text).toContain('about Lisbon')
    expect(tool.execute).toBe(echo)
  })

  it('a frozen tool and a getter-only execute are left as they are: same result, the sub-agent does not nest', async () => {
    const frozen = Object.freeze(ai.tool({ inputSchema, execute: research }))
    expect(await run(frozen)).toEqual({ nested: false })
    expect(frozen.execute).toBe(research)
    const getter = { inputSchema }
    Object.defineProperty(getter, 'execute', { get: () => research, enumerable: true })
    expect(await run(getter)).toEqual({ nested: false })
    expect((getter as any).execute).toBe(research)
  })
})
