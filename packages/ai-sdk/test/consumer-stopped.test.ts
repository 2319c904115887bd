// A consumer that stops reading a streamText result without cancelling the model stream: a
// `break` out of `textStream`, a client gone from a UI message stream Response outside the
// Next/Hono adapters. ai@5 and ai@6 read the model stream to its end anyway; ai@7 tees the result
// and leaves the model stream waiting, and never ends its call: before, the call and step spans
// never ended and the trace was never sent, without a word. Now they end `cancelled`
// (`tokentrail.cancelled_by: consumer_stopped`) at the last read, once the consumer has asked
// for nothing for the stall window (2 minutes; shortened here). Each major's real
// `@ai-sdk/openai` over HTTP against tools/mock-openai.
import { ATTR } from '@tokentrail/core'
import type { MockOpenAI } from '@tokentrail/mock-openai'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { setStallWindow } from '../src/stall.js'
import { majors, tracedOverHttp } from './majors.js'

const WINDOW_MS = 300
const REPLY = Array.from({ length: 40 }, (_, i) => `w${i}`).join(' ')

let server: MockOpenAI | undefined
beforeEach(() => setStallWindow(WINDOW_MS))
afterEach(async () => {
  setStallWindow(120_000)
  await server?.close()
  server = undefined
  delete (globalThis as any).AI_SDK_TELEMETRY_INTEGRATIONS
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe.each(majors)('$major, over HTTP', (m) => {
  const { major, ai } = m
  async function traced(options: { firstChunkDelayMs?: number } = {}) {
    const made = await tracedOverHttp(m, { chunkDelayMs: 5, reply: REPLY, ...options })
    server = made.server
    return made
  }

  it('a break out of textStream: the call is one trace that ends (cancelled at the last read on ai@7)', async () => {
    const { tracer, exporter, model } = await traced()
    const result = ai.streamText({ model, prompt: 'count' })
    let read = ''
    let n = 0
    for await (const text of result.textStream) {
      read += text
      if (++n === 3) break
    }
    const brokeAt = Date.now()
    await expect.poll(() => tracer.stats().ended, { timeout: 5000 }).toBe(2)
    const seenAt = Date.now()
    await tracer.flush()
    expect(tracer.stats().started).toBe(2)
    const call = exporter.span(/^streamText/)
    const step = exporter.span(/^chat/)
    expect(step.parentSpanId).toBe(call.spanId)
    if (major === 'ai@7') {
      expect([call.status, step.status]).toEqual(['cancelled', 'cancelled'])
      expect(call.attributes[ATTR.cancelledBy]).toBe('consumer_stopped')
      expect(step.attributes[ATTR.cancelledBy]).toBe('consumer_stopped')
      // Timed at the last read of the model stream (the SDK reads a few parts ahead of the
      // consumer), not when the stall was found, a window later.
      expect(step.endTime).toBeGreaterThanOrEqual(brokeAt - 50)
      expect(step.endTime).toBeLessThanOrEqual(seenAt - WINDOW_MS)
      expect(call.endTime).toBe(step.endTime)
      const text = JSON.parse(String(step.attributes[ATTR.outputMessages]))[0].parts[0].content
      expect(text.startsWith(read)).toBe(true)
    } else {
      // ai@5 and ai@6 read the model stream to its end whatever the consumer does.
      expect([call.status, step.status]).toEqual(['ok', 'ok'])
      expect(step.attributes[ATTR.cancelledBy]).toBeUndefined()
    }
  })

  it('a UI message stream Response whose reader goes away: the spans end, nothing is kept', async () => {
    const { tracer, exporter, model } = await traced()
    const response = ai.streamText({ model, prompt: 'count' }).toUIMessageStreamResponse()
    const reader = response.body!.getReader()
    for (let i = 0; i < 4; i++) await reader.read()
    await reader.cancel()
    await expect.poll(() => tracer.stats().ended, { timeout: 5000 }).toBe(2)
    await tracer.flush()
    const call = exporter.span(/^streamText/)
    expect(call.status).toBe(major === 'ai@7' ? 'cancelled' : 'ok')
    const calls = (globalThis as any)[Symbol.for('tokentrail.ai-sdk.calls')]
    expect(calls.byCallId.size).toBe(0)
  })

  it('a provider slower than the window while the consumer waits is no stall', async () => {
    const { tracer, exporter, model } = await traced({ firstChunkDelayMs: WINDOW_MS * 3 })
    const result = ai.streamText({ model, prompt: 'count' })
    expect(await result.text).toBe(REPLY)
    await tracer.flush()
    expect(exporter.spans.map((s) => s.status)).toEqual(['ok', 'ok'])
    expect(exporter.span(/^chat/).attributes[ATTR.cancelledBy]).toBeUndefined()
  })

  it('a consumer that pauses between reads, each pause inside the window, reads to the end', async () => {
    const { tracer, exporter, model } = await traced()
    const result = ai.streamText({ model, prompt: 'count' })
    let read = ''
    let n = 0
    for await (const text of result.textStream) {
      read += text
      if (++n % 10 === 0) await sleep(WINDOW_MS / 3)
    }
    expect(read).toBe(REPLY)
    await tracer.flush()
    expect(exporter.spans.map((s) => s.status)).toEqual(['ok', 'ok'])
  })
})
