// With `profile: 'langfuse'`, a trace's root span carries its first LLM input and last output
// (`input.value`, `output.value`): the backend's mapper keeps state across the spans it maps, so it
// must see them in the order they ended (an exporter that queued later spans as their encoded
// bytes, mapped as they queued, while the first ones waited to be mapped at export, gave the root
// the last step's input: branch h41-queued). A real request span around a real generateText with a
// tool (two steps over HTTP to tools/mock-openai), the tracer made and loaded before the request as
// a server's is: the root must carry the first step's input, on each AI SDK major, at a real OTLP
// receiver.
import { createTracer, otlpExporter, runWithSpan } from '@tokentrail/core'
import { startMockOpenAI } from '@tokentrail/mock-openai'
import { startOtlpReceiver } from '@tokentrail/otlp-receiver'
import { expect, it } from 'vitest'
import { tracingMiddleware } from '../src/index.js'
import { majors } from './majors.js'

for (const { major, ai, createOpenAI } of majors)
  it(`${major}: the first trace of a langfuse exporter gets its first LLM input and last output on its root`, async () => {
    const receiver = await startOtlpReceiver()
    const mock = await startMockOpenAI()
    const tracer = createTracer({
      serviceName: 'langfuse-first',
      exporters: [otlpExporter({ url: `${receiver.url}/v1/traces`, profile: 'langfuse' })],
    })
    // A server's tracer, made at start-up: its code has loaded before the first request.
    await tracer.flush()
    try {
      const model = ai.wrapLanguageModel({
        model: createOpenAI({ baseURL: mock.url, apiKey: 'sk-test-0000' }).chat('gpt-4o'),
        middleware: tracingMiddleware({ tracer }),
      })
      const root = tracer.startSpan('POST /chat', { kind: 'http', parent: null })
      await runWithSpan(root, () =>
        ai.generateText({
          model,
          prompt: 'What is the weather in Oslo? [tool:weather]',
          stopWhen: ai.stepCountIs(3),
          tools: {
            weather: ai.tool({
              inputSchema: ai.jsonSchema({
                type: 'object',
                properties: { city: { type: 'string' } },
                required: ['city'],
              }),
              execute: async () => 'sunny',
            }),
          },
        }),
      )
      // Every span but the request's has ended (on ai@5 and ai@6 the call span ends after the result).
      await expect.poll(() => tracer.stats().started - tracer.stats().ended).toBe(1)
      root.end()
      expect(await tracer.flush()).toMatchObject({ ok: true })
      const llm = receiver.spans.filter((s) => s.attributes['gen_ai.input.messages'] !== undefined)
      expect(llm.length).toBeGreaterThanOrEqual(2)
      const first = llm.find(
        (s) => !String(s.attributes['gen_ai.input.messages']).includes('sunny'),
      )
      const last = llm.find((s) => String(s.attributes['gen_ai.input.messages']).includes('sunny'))
      const rootSpan = receiver.spans.find((s) => s.name === 'POST /chat')
      expect(rootSpan?.attributes['input.value']).toBe(first?.attributes['gen_ai.input.messages'])
      expect(rootSpan?.attributes['output.value']).toBe(last?.attributes['gen_ai.output.messages'])
    } finally {
      await tracer.shutdown()
      await mock.close()
      await receiver.close()
    }
  })
