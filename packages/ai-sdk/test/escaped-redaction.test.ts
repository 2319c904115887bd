// A long prompt (≥ 1 KB) reaches the OTLP JSON encoder with an escaped form the adapter made
// (escaped-form.test.ts). Whatever redaction does to the value must win over that form: through a
// real generateText and a real HTTP server, no secret, email or hidden message may leave in the body.
import { createTracer, otlpExporter, type TracerOptions } from '@tokentrail/core'
import { generateText, wrapLanguageModel } from 'ai'
import { MockLanguageModelV4 } from 'ai/test'
import { describe, expect, it } from 'vitest'
import { tracingMiddleware } from '../src/index.js'
import { bodySinkForSuite, usage } from './helpers.js'

const FILLER = 'The quarterly report covers revenue, churn and the hiring plan for next year. '
const KEY = 'sk-proj-abcdefghijklmnopqrstuvwxyz0123456789'
const EMAIL = 'jane.doe@example.com'
// Long enough that the adapter hands an escaped form over, with quotes so the form differs from the text.
const PROMPT = `${FILLER.repeat(30)}My key is ${KEY} and my mail is ${EMAIL}, "thanks". ${FILLER.repeat(10)}`

const sink = bodySinkForSuite()

// One real generateText with a long prompt: the bodies the server got, and the prompt as sent.
async function sentPrompt(
  options: Partial<TracerOptions>,
  prompt = PROMPT,
): Promise<{ body: string; input: string }> {
  sink.bodies.length = 0
  const tracer = createTracer({
    serviceName: 'escaped-redaction',
    exporters: [otlpExporter({ url: sink.url })],
    metrics: false,
    ...options,
  })
  const model = wrapLanguageModel({
    model: new MockLanguageModelV4({
      provider: 'openai.chat',
      modelId: 'gpt-4o',
      doGenerate: {
        content: [{ type: 'text', text: 'noted' }],
        finishReason: { unified: 'stop', raw: 'stop' },
        usage: usage(500, 1),
        warnings: [],
      },
    }),
    middleware: tracingMiddleware({ tracer }),
  })
  const result = await generateText({ model, prompt })
  expect(result.text).toBe('noted')
  expect((await tracer.flush()).ok).toBe(true)
  await tracer.shutdown()
  const body = sink.bodies.join('\n')
  const spans = sink.bodies.flatMap(
    (b) =>
      JSON.parse(b).resourceSpans[0].scopeSpans[0].spans as {
        attributes: { key: string; value: { stringValue?: string } }[]
      }[],
  )
  const inputs = spans
    .flatMap((span) => span.attributes)
    .filter((kv) => kv.key === 'gen_ai.input.messages')
    .map((kv) => kv.value.stringValue ?? '')
  expect(inputs.length).toBeGreaterThan(0)
  return { body, input: inputs[0]! }
}

describe('redaction wins over the escaped form of a long prompt', () => {
  it('sends the prompt as it is when nothing in it is redacted', async () => {
    const clean = PROMPT.replace(KEY, 'in the vault')
    const { input } = await sentPrompt({ redaction: {} }, clean)
    expect(JSON.parse(input)[0].parts[0].content).toBe(clean.replace(EMAIL, '[EMAIL]'))
    expect(JSON.parse((await sentPrompt({}, clean)).input)).toEqual([
      { role: 'user', parts: [{ type: 'text', content: clean }] },
    ])
  })

  it('replaces a credential by default (no redaction options)', async () => {
    const { body, input } = await sentPrompt({})
    expect(body).not.toContain('sk-proj-')
    const content: string = JSON.parse(input)[0].parts[0].content
    expect(content).toContain('[REDACTED]')
    expect(content).toContain(FILLER)
    expect(content).toContain(EMAIL)
  })

  it('applies the detectors turned on', async () => {
    const { body, input } = await sentPrompt({ redaction: {} })
    expect(body).not.toContain('sk-proj-')
    expect(body).not.toContain(EMAIL)
    expect(JSON.parse(input)[0].parts[0].content).toContain('[EMAIL]')
  })

  it('applies a path rule that removes the message content', async () => {
    const { body, input } = await sentPrompt({
      redaction: { paths: ['gen_ai.input.messages[*].parts[*].content'] },
    })
    expect(body).not.toContain(FILLER)
    expect(body).not.toContain(EMAIL)
    expect(JSON.parse(input)[0].parts[0].content).not.toContain('quarterly')
  })

  it("sends what the redact hook left, even when it writes into the span's own attributes", async () => {
    const { body, input } = await sentPrompt({
      redact: (span) => {
        if ('gen_ai.input.messages' in span.attributes)
          (span.attributes as Record<string, unknown>)['gen_ai.input.messages'] = '[hidden]'
        return span
      },
    })
    expect(body).not.toContain('quarterly')
    expect(input).toBe('[hidden]')
  })
})
