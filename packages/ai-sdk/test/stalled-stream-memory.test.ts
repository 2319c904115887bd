// What a model stream its consumer stopped reading keeps alive on a long-running server. ai@7 leaves
// the model stream waiting when its consumer stops reading without cancelling (a `break` out of
// `textStream`, a handler that drops the result); the middleware watches such streams (stall.ts)
// until their spans end. Before, the watch held the middleware's whole stream scope: the provider's
// reader, its fetch Response body and socket, about 75 KB per stream measured through a Hono
// server, for up to two and a half minutes after the consumer left — and up to 30 s after the
// request closed the spans. Now only the call's own record is watched, and let go when its span
// ends. Each major's real `@ai-sdk/openai` over HTTP against tools/mock-openai; what the provider
// got from fetch is tracked with WeakRefs, and must be collected once the app drops its result.
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { type MockOpenAI, startMockOpenAI } from '@tokentrail/mock-openai'
import { afterEach, describe, expect, it } from 'vitest'
import { tracingMiddleware } from '../src/index.js'
import { watchedReadings } from '../src/stall.js'
import { setup } from './helpers.js'
import { majors } from './majors.js'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

const REPLY = Array.from({ length: 40 }, (_, i) => `w${i}`).join(' ')
const STREAMS = 20

let server: MockOpenAI | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
  delete (globalThis as any).AI_SDK_TELEMETRY_INTEGRATIONS
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

// Objects still reachable after full collections (a WeakRef is cleared only after the job that
// read it, hence the waits between them). First the replies finish arriving: a body whose reply is
// still coming in is held by its socket.
async function retained(objects: WeakRef<object>[]): Promise<number> {
  expect(server?.calls.length).toBe(STREAMS)
  await sleep(500)
  for (let i = 0; i < 6; i++) {
    await sleep(20)
    gc()
  }
  return objects.filter((object) => object.deref() !== undefined).length
}

describe.each(majors)('$major, over HTTP', ({ major, ai, createOpenAI }) => {
  async function traced() {
    server = await startMockOpenAI({ chunkDelayMs: 2, reply: REPLY })
    const bodies: WeakRef<object>[] = []
    const openai = createOpenAI({
      baseURL: server.url,
      apiKey: 'sk-test-not-a-real-key-0000',
      fetch: async (url: string, init: RequestInit) => {
        const response = await fetch(url, init)
        if (response.body) bodies.push(new WeakRef(response.body))
        return response
      },
    })
    const { tracer, exporter } = setup()
    const middleware = tracingMiddleware({ tracer })
    // The provider's model object, one per stream: what the middleware's record of a call holds.
    const models: WeakRef<object>[] = []
    const newModel = () => {
      const inner = openai.chat('gpt-4o')
      models.push(new WeakRef(inner))
      return ai.wrapLanguageModel({ model: inner, middleware })
    }
    return { tracer, exporter, newModel, bodies, models }
  }

  // Reads a few parts, then stops without cancelling: what a `break` out of the loop does to
  // ai@7's model stream (the SDK tees the result; its own branch then waits for good).
  async function readThenStop(model: unknown): Promise<void> {
    const result = ai.streamText({ model, prompt: 'count' })
    let n = 0
    for await (const _ of result.textStream) if (++n === 3) break
  }

  it('the request span closes the spans of a stream its handler stopped reading: nothing of the provider response is kept', async () => {
    const { tracer, newModel, bodies, models } = await traced()
    for (let i = 0; i < STREAMS; i++) {
      const request = tracer.startSpan('POST /api/chat', { kind: 'http' })
      await tracer.runInSpan(request, () => readThenStop(newModel()))
      // What tracing() does as the response body ends.
      request.end({ endOpenChildren: true })
    }
    expect(tracer.stats().started).toBe(3 * STREAMS)
    expect(tracer.stats().ended).toBe(3 * STREAMS)
    expect(bodies.length).toBe(STREAMS)
    expect(await retained(bodies)).toBe(0)
    // Nor the record of each call, once its span has ended: not kept until the next stall check.
    expect(await retained(models)).toBe(0)
  })

  it('a stream its consumer left with no request around it: its spans wait for the stall window, the provider response does not', async () => {
    const { tracer, newModel, bodies } = await traced()
    const model = newModel()
    for (let i = 0; i < STREAMS; i++) await readThenStop(model)
    // ai@7: the spans end only once the consumer has asked for nothing for the stall window
    // (two minutes, see consumer-stopped.test.ts); ai@5 and ai@6 read the stream to its end.
    const open = () => tracer.stats().started - tracer.stats().ended
    await expect.poll(open).toBe(major === 'ai@7' ? 2 * STREAMS : 0)
    expect(bodies.length).toBe(STREAMS)
    expect(await retained(bodies)).toBe(0)
  })
  it('streams aborted while being read: once their call spans end, no stall watch is left on them', async () => {
    const { tracer, newModel } = await traced()
    // The test before leaves its streams watched, as it says.
    const before = watchedReadings()
    for (let i = 0; i < STREAMS; i++) {
      const controller = new AbortController()
      const result = ai.streamText({
        model: newModel(),
        prompt: 'count',
        abortSignal: controller.signal,
        maxRetries: 0,
      })
      let n = 0
      try {
        for await (const _ of result.textStream) if (++n === 3) controller.abort()
      } catch {}
    }
    await expect.poll(() => tracer.stats().ended).toBe(2 * STREAMS)
    expect(tracer.stats().started).toBe(2 * STREAMS)
    // ai@7 waits on a cancelled model call for a redo (a steering interrupt) until its call ends.
    // That wait, and the call's record with it, was let go only at the next stall check, 30 s on.
    expect(watchedReadings() - before).toBe(0)
  })
})
