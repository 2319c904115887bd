// `gen_ai.output.messages` needs a `finish_reason` on every message (the GenAI output messages
// JSON schema requires it). A response cut before the provider gave one had none: an abort
// mid-stream, a stream that failed after some text. Now it says `interrupted` (the AI SDK's own
// word for output that ended without a completion signal) or `error`; `gen_ai.response.finish_reasons`
// still carries only what the provider said. Each major's real `@ai-sdk/openai` over HTTP against
// tools/mock-openai.
import { ATTR } from '@tokentrail/core'
import type { MockOpenAI } from '@tokentrail/mock-openai'
import { afterEach, describe, expect, it } from 'vitest'
import { majors, tracedOverHttp } from './majors.js'

let server: MockOpenAI | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

const REPLY = Array.from({ length: 30 }, (_, i) => `w${i}`).join(' ')

function outputMessage(span: { attributes: Record<string, unknown> }) {
  const messages = JSON.parse(String(span.attributes[ATTR.outputMessages]))
  expect(messages).toHaveLength(1)
  return messages[0]
}

describe.each(majors)('$major, over HTTP', (m) => {
  const { ai } = m

  it('a stream aborted while read: its output message ends "interrupted", with the text read', async () => {
    const made = await tracedOverHttp(m, { chunkDelayMs: 5, reply: REPLY })
    server = made.server
    const { tracer, exporter, model } = made
    const controller = new AbortController()
    const result = ai.streamText({ model, prompt: 'count', abortSignal: controller.signal })
    let n = 0
    try {
      for await (const _ of result.textStream) if (++n === 4) controller.abort()
    } catch {}
    await expect.poll(() => tracer.stats().ended, { timeout: 5000 }).toBe(2)
    await tracer.flush()
    const step = exporter.span(/^chat/)
    expect(step.status).toBe('cancelled')
    expect(step.attributes[ATTR.responseFinishReasons]).toBeUndefined()
    const message = outputMessage(step)
    expect(message.role).toBe('assistant')
    expect(message.parts[0].content).toMatch(/^w0 w1/)
    expect(message.finish_reason).toBe('interrupted')
  })

  // The AI SDK's stream ends with finish reason `error` here (from its error part); where it does
  // not, `error` is what the message says too.
  it('a stream that fails after some text: its output message ends "error"', async () => {
    const made = await tracedOverHttp(m, { reply: REPLY, failStream: true })
    server = made.server
    const { tracer, exporter, model } = made
    const result = ai.streamText({ model, prompt: 'count', maxRetries: 0, onError: () => {} })
    try {
      for await (const _ of result.fullStream);
    } catch {}
    await expect.poll(() => tracer.stats().ended, { timeout: 5000 }).toBe(2)
    await tracer.flush()
    const step = exporter.span(/^chat/)
    expect(step.status).toBe('error')
    const message = outputMessage(step)
    expect(message.parts[0].content).toMatch(/^w0/)
    expect(message.finish_reason).toBe('error')
  })

  it("a stream read to its end keeps the provider's reason", async () => {
    const made = await tracedOverHttp(m, { reply: REPLY })
    server = made.server
    const { tracer, exporter, model } = made
    await ai.streamText({ model, prompt: 'count' }).consumeStream()
    await tracer.flush()
    const step = exporter.span(/^chat/)
    expect(step.attributes[ATTR.responseFinishReasons]).toEqual(['stop'])
    expect(outputMessage(step).finish_reason).toBe('stop')
  })
})
