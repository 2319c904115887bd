// A streamObject whose stream fails or is aborted once it has begun. ai@7 neither makes that
// stream again nor tells its call's end (no error, abort or end event): the LLM span went out with
// a parent that never came (a failure) or came two minutes later (an abort, by the stall window),
// lost to a script or function that flushed and exited. The call now ends with its step, as on
// ai@5 and ai@6. Each major's real `@ai-sdk/openai` over HTTP against tools/mock-openai.
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
})

const schema = z.object({ name: z.string(), city: z.string(), note: z.string() })
const REPLY = JSON.stringify({ name: 'Ann', city: 'Oslo', note: 'one two three four five six' })

describe.each(majors)('$major, over HTTP', ({ ai, createOpenAI }) => {
  // `cutAfter`: the connection fails after that many body chunks (a reset mid-stream).
  async function traced(options: Parameters<typeof startMockOpenAI>[0], cutAfter?: number) {
    server = await startMockOpenAI({ reply: REPLY, ...options })
    const { tracer, exporter } = setup()
    const cutting = async (url: string, init: RequestInit) => {
      const response = await fetch(url, init)
      if (cutAfter === undefined || !response.body) return response
      const reader = response.body.getReader()
      let chunks = 0
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const { done, value } = await reader.read()
          if (done) controller.close()
          else if (++chunks > cutAfter) {
            void reader.cancel()
            controller.error(new TypeError('terminated', { cause: new Error('other side closed') }))
          } else controller.enqueue(value)
        },
      })
      return new Response(body, { status: response.status, headers: response.headers })
    }
    const openai = createOpenAI({
      baseURL: server.url,
      apiKey: 'sk-test-not-a-real-key-0000',
      fetch: cutting,
    })
    const model = ai.wrapLanguageModel({
      model: openai.chat('gpt-4o'),
      middleware: tracingMiddleware({ tracer }),
    })
    return { tracer, exporter, model }
  }

  /** Once every span ended: the call's and its LLM span's status, the LLM span under the call. */
  async function statuses(
    tracer: Awaited<ReturnType<typeof traced>>['tracer'],
    exporter: Awaited<ReturnType<typeof traced>>['exporter'],
  ): Promise<string[]> {
    await expect.poll(() => tracer.stats().ended, { timeout: 2000 }).toBe(tracer.stats().started)
    await tracer.flush()
    const call = exporter.span(/^streamObject/)
    const llm = exporter.span(/^chat/)
    expect(llm.parentSpanId).toBe(call.spanId)
    return [call.status, llm.status]
  }

  async function readAll(result: any): Promise<unknown> {
    try {
      for await (const _ of result.partialObjectStream);
      return await result.object
    } catch (error) {
      return error
    }
  }

  it('a stream that fails midway: the call span ends failed with its LLM span, one trace', async () => {
    const { tracer, exporter, model } = await traced({ failStream: true, chunkDelayMs: 2 })
    const outcome = await readAll(
      ai.streamObject({ model, schema, prompt: 'who [json]', maxRetries: 0, onError: () => {} }),
    )
    // The provider's error part, as the SDK rejects with it (not an object).
    expect(JSON.stringify(outcome)).toContain('The mock stream failed')
    expect(await statuses(tracer, exporter)).toEqual(['error', 'error'])
  })

  it('a stream whose connection is cut midway: the call span ends failed with its LLM span, one trace', async () => {
    const { tracer, exporter, model } = await traced({ chunkDelayMs: 5 }, 3)
    const outcome = await readAll(
      ai.streamObject({ model, schema, prompt: 'who [json]', maxRetries: 0, onError: () => {} }),
    )
    expect(outcome).toBeInstanceOf(Error)
    expect(await statuses(tracer, exporter)).toEqual(['error', 'error'])
  })

  it('a stream aborted midway while read: the call span ends cancelled at once, one trace', async () => {
    const { tracer, exporter, model } = await traced({ chunkDelayMs: 20 })
    const controller = new AbortController()
    const result = ai.streamObject({
      model,
      schema,
      prompt: 'who [json]',
      abortSignal: controller.signal,
      onError: () => {},
    })
    let parts = 0
    try {
      for await (const _ of result.partialObjectStream) if (++parts === 2) controller.abort()
    } catch {}
    await result.object.catch(() => {})
    expect(await statuses(tracer, exporter)).toEqual(['cancelled', 'cancelled'])
  })
})
