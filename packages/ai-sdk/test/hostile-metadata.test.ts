// Found by the reliability suite's property tests: metadata attributes with a `__proto__` key or a
// throwing getter left the LLM span started and never ended (lost without a count).
import { generateText } from 'ai'
import { MockLanguageModelV4 } from 'ai/test'
import { expect, it } from 'vitest'
import { traceModel, withTraceMetadata } from '../src/index.js'
import { modelSpans, setup, usage } from './helpers.js'

it('records the LLM span whatever the metadata attributes hold', async () => {
  const { tracer, exporter } = setup({ metrics: false })
  const model = traceModel(
    new MockLanguageModelV4({
      doGenerate: async () => ({
        content: [{ type: 'text', text: 'ok' }],
        finishReason: { unified: 'stop', raw: 'stop' },
        usage: usage(3, 1),
        warnings: [],
      }),
    }),
    { tracer },
  )
  const hostile = {
    get boom(): string {
      throw new Error('getter')
    },
  }
  const attributes: Record<string, unknown> = { plan: 'pro' }
  Object.defineProperty(attributes, '__proto__', { value: hostile, enumerable: true })
  Object.defineProperty(attributes, 'thrower', {
    enumerable: true,
    get() {
      throw new Error('getter')
    },
  })
  const result = await withTraceMetadata({ attributes }, () =>
    generateText({ model, prompt: 'hi' }),
  )
  expect(result.text).toBe('ok')
  await tracer.flush()
  // The call span and its LLM span.
  expect(tracer.stats()).toMatchObject({ started: 2, ended: 2, exported: 2 })
  expect(modelSpans(exporter)[0]!.attributes.plan).toBe('pro')
})
