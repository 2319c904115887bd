// What an LLM span says of its output when the output is not recorded (`recordOutputs: false`):
// the lengths alone, for a generated answer as for a streamed one (a generated answer said 0).
// And `maxTextLength` cuts a generated answer as it cuts a streamed one: the text and the reasoning
// each, and each tool call's arguments (a long text used to empty the tool calls after it).
import { ATTR } from '@tokentrail/core'
import { type MockOpenAI, startMockOpenAI } from '@tokentrail/mock-openai'
import { generateText, streamText, wrapLanguageModel } from 'ai'
import { MockLanguageModelV4 } from 'ai/test'
import { afterEach, describe, expect, it } from 'vitest'
import { tracingMiddleware } from '../src/index.js'
import { outputParts, setup, usage } from './helpers.js'
import { majors } from './majors.js'

let server: MockOpenAI | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
  delete (globalThis as any).AI_SDK_TELEMETRY_INTEGRATIONS
})

const REPLY = `${'The answer is long enough to count. '.repeat(3)}Café.`

describe.each(majors)('$major with outputs off, over HTTP', ({ ai, createOpenAI }) => {
  for (const mode of ['generateText', 'streamText'] as const)
    it(`${mode}: the output's length is recorded, not its text`, async () => {
      server = await startMockOpenAI({ reply: REPLY })
      const openai = createOpenAI({ baseURL: server.url, apiKey: 'sk-test-not-a-real-key-0000' })
      const { tracer, exporter } = setup()
      const model = ai.wrapLanguageModel({
        model: openai.chat('gpt-4o'),
        middleware: tracingMiddleware({ tracer, recordOutputs: false }),
      })
      let text = ''
      if (mode === 'generateText') text = (await ai.generateText({ model, prompt: 'hi' })).text
      else
        for await (const delta of ai.streamText({ model, prompt: 'hi' }).textStream) text += delta
      expect(text).toBe(REPLY)
      await tracer.flush()
      const llm = exporter.spans.find((s) => s.kind === 'llm')!
      expect(llm.attributes['tokentrail.output.text_length']).toBe(REPLY.length)
      expect(llm.attributes[ATTR.outputMessages]).toBeUndefined()
      expect(JSON.stringify(exporter.spans)).not.toContain('long enough to count')
    })
})

function mockModel(content: any[]) {
  return new MockLanguageModelV4({
    provider: 'openai.chat',
    modelId: 'gpt-4o',
    doGenerate: {
      content,
      finishReason: { unified: 'stop', raw: 'stop' },
      usage: usage(5, 9),
      warnings: [],
    },
    doStream: async () => ({
      stream: new ReadableStream<any>({
        start(controller) {
          controller.enqueue({ type: 'stream-start', warnings: [] })
          for (const part of content) {
            if (part.type === 'tool-call') controller.enqueue(part)
            else {
              const id = `${part.type}-1`
              controller.enqueue({ type: `${part.type}-start`, id })
              controller.enqueue({ type: `${part.type}-delta`, id, delta: part.text })
              controller.enqueue({ type: `${part.type}-end`, id })
            }
          }
          controller.enqueue({
            type: 'finish',
            finishReason: { unified: 'stop', raw: 'stop' },
            usage: usage(5, 9),
          })
          controller.close()
        },
      }),
    }),
  })
}

async function run(mode: 'generateText' | 'streamText', content: any[], options: object) {
  const { tracer, exporter } = setup()
  const model = wrapLanguageModel({
    model: mockModel(content),
    middleware: tracingMiddleware({ tracer, ...options }),
  })
  if (mode === 'generateText') await generateText({ model, prompt: 'hi' })
  else await streamText({ model, prompt: 'hi' }).consumeStream()
  await tracer.flush()
  return exporter.spans.find((s) => s.kind === 'llm')!
}

describe('ai@7, an answer with reasoning, text and a tool call', () => {
  const reasoning = 'Thinking it over step by step. '.repeat(4)
  const text = 'x'.repeat(60)
  const call = {
    type: 'tool-call',
    toolCallId: 'call-1',
    toolName: 'lookup',
    input: '{"q":"paris"}',
  }

  for (const mode of ['generateText', 'streamText'] as const) {
    it(`${mode} with outputs off: the text's and the reasoning's lengths`, async () => {
      const span = await run(
        mode,
        [
          { type: 'reasoning', text: reasoning },
          { type: 'text', text },
        ],
        { recordOutputs: false },
      )
      expect(span.attributes['tokentrail.output.text_length']).toBe(text.length)
      expect(span.attributes['tokentrail.reasoning.text_length']).toBe(reasoning.length)
      expect(span.attributes[ATTR.outputMessages]).toBeUndefined()
    })

    it(`${mode} with maxTextLength: the text and the reasoning cut each, the tool call's arguments kept whole`, async () => {
      const span = await run(
        mode,
        [{ type: 'reasoning', text: reasoning }, { type: 'text', text }, call],
        { maxTextLength: 50 },
      )
      const parts = outputParts(span)
      expect(parts.find((p) => p.type === 'reasoning')?.content).toBe(reasoning.slice(0, 50))
      expect(parts.find((p) => p.type === 'text')?.content).toBe(text.slice(0, 50))
      expect(parts.find((p) => p.type === 'tool_call')).toMatchObject({
        name: 'lookup',
        arguments: '{"q":"paris"}',
      })
      expect(span.attributes['tokentrail.output.truncated']).toBe(true)
      expect(span.attributes['tokentrail.output.text_length']).toBe(text.length)
      expect(span.attributes['tokentrail.reasoning.text_length']).toBe(reasoning.length)
    })
  }
})

// A cut at `maxTextLength` inside an emoji kept its first half: a lone surrogate, which a backend
// that re-encodes the text as UTF-8 refuses. The cut now falls before the emoji, for the prompt,
// a generated answer and a streamed one.
describe.each(majors)(
  '$major, maxTextLength inside an emoji, over HTTP',
  ({ ai, createOpenAI }) => {
    const LIMIT = 40
    const reply = `${'a'.repeat(LIMIT - 1)}😀 and more text after the cut`
    const lone = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/
    for (const mode of ['generateText', 'streamText'] as const)
      it(`${mode}: the recorded prompt and output end before the emoji`, async () => {
        server = await startMockOpenAI({ reply })
        const openai = createOpenAI({ baseURL: server.url, apiKey: 'sk-test-not-a-real-key-0000' })
        const { tracer, exporter } = setup()
        const model = ai.wrapLanguageModel({
          model: openai.chat('gpt-4o'),
          middleware: tracingMiddleware({ tracer, maxTextLength: LIMIT }),
        })
        const prompt = `${'q'.repeat(LIMIT - 1)}👍🏽 rest of the question`
        if (mode === 'generateText') await ai.generateText({ model, prompt })
        else for await (const _ of ai.streamText({ model, prompt }).textStream);
        await tracer.flush()
        const llm = exporter.spans.find((s) => s.kind === 'llm')!
        const input = String(llm.attributes[ATTR.inputMessages])
        const output = String(llm.attributes[ATTR.outputMessages])
        const [text] = outputParts(llm)
          .filter((p: any) => p.type === 'text')
          .map((p: any) => p.content as string)
        expect(text).toBe('a'.repeat(LIMIT - 1))
        expect(JSON.parse(input)[0].parts[0].content).toBe('q'.repeat(LIMIT - 1))
        for (const json of [input, output]) expect(json).not.toMatch(lone)
        expect(llm.attributes['tokentrail.output.truncated']).toBe(true)
      })
  },
)

// A stream whose whole answer came in one burst (a buffering proxy) read as ~100,000 tokens a
// second: the rate is left out when every chunk came within 10 ms.
describe.each(majors)('$major, output tokens per second, over HTTP', ({ ai, createOpenAI }) => {
  for (const [how, chunkDelayMs, recorded] of [
    ['in one burst', 0, false],
    ['paced', 15, true],
  ] as const)
    it(`a stream ${how}: the rate is ${recorded ? 'recorded' : 'left out'}`, async () => {
      server = await startMockOpenAI({ reply: 'one two three four five six', chunkDelayMs })
      const openai = createOpenAI({ baseURL: server.url, apiKey: 'sk-test-not-a-real-key-0000' })
      const { tracer, exporter } = setup()
      const model = ai.wrapLanguageModel({
        model: openai.chat('gpt-4o'),
        middleware: tracingMiddleware({ tracer }),
      })
      await ai.streamText({ model, prompt: 'count' }).consumeStream()
      await tracer.flush()
      const llm = exporter.spans.find((s) => s.kind === 'llm')!
      const rate = llm.attributes['tokentrail.output_tokens_per_second']
      if (!recorded) expect(rate).toBeUndefined()
      else {
        // 6 chunks, 5 gaps of 15 ms: about 6 / 0.075 s = 80, less as the box is slower.
        expect(rate).toBeGreaterThan(10)
        expect(rate).toBeLessThan(200)
      }
    })
})
