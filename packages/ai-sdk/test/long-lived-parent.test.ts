// AI SDK calls under a span that lives long: a chat session, a worker's loop, a job that makes
// hundreds of model calls in one span. Each call watches its parent's end (to close a stream the
// parent outlived); before, that watch stayed on the parent after the call ended, holding the call
// and its span until the parent ended: about 2 KB per call measured (20.4 → 25.0 → 29.0 MB over
// 2 × 2000 calls), without end for a parent that never ends. Now the watch goes with the call.
// Each major's real `@ai-sdk/openai` over HTTP against tools/mock-openai; the spans leave through
// an exporter that keeps only WeakRefs to what it is handed, so what stays reachable after full
// collections is what the tracer and middleware still hold.
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { createTracer, type SpanData } from '@tokentrail/core'
import { type MockOpenAI, startMockOpenAI } from '@tokentrail/mock-openai'
import { afterEach, describe, expect, it } from 'vitest'
import { tracingMiddleware } from '../src/index.js'
import { majors } from './majors.js'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

const CALLS = 30

let server: MockOpenAI | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
  delete (globalThis as any).AI_SDK_TELEMETRY_INTEGRATIONS
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function retained(objects: WeakRef<object>[]): Promise<number> {
  for (let i = 0; i < 6; i++) {
    await sleep(20)
    gc()
  }
  return objects.filter((object) => object.deref() !== undefined).length
}

describe.each(majors)('$major, over HTTP', ({ ai, createOpenAI }) => {
  it('calls made under a span that stays open are let go as they end, and the span still closes what is open when it ends', async () => {
    server = await startMockOpenAI({ reply: 'one two three' })
    const openai = createOpenAI({ baseURL: server.url, apiKey: 'sk-test-not-a-real-key-0000' })
    // What each exported call span's attribute object is (the span's own, shared with its data).
    const calls: WeakRef<object>[] = []
    const names: string[] = []
    const parents: (string | undefined)[] = []
    const tracer = createTracer({
      serviceName: 'long-lived',
      exporters: [
        {
          name: 'weak',
          async export(spans: readonly SpanData[]) {
            for (const span of spans) {
              names.push(span.name)
              parents.push(span.parentSpanId)
              if (span.attributes['gen_ai.operation.name'] === 'invoke_agent')
                calls.push(new WeakRef(span.attributes))
            }
            return { code: 'success' }
          },
        },
      ],
    })
    const model = ai.wrapLanguageModel({
      model: openai.chat('gpt-4o'),
      middleware: tracingMiddleware({ tracer }),
    })
    const session = tracer.startSpan('session')
    for (let i = 0; i < CALLS; i++)
      await tracer.runInSpan(session, () =>
        i % 2
          ? ai.generateText({ model, prompt: 'count' })
          : ai.streamText({ model, prompt: 'count' }).text,
      )
    await tracer.flush()
    expect(tracer.stats().ended).toBe(2 * CALLS)
    expect(calls.length).toBe(CALLS)
    // The session is still open: none of its ended calls is held for it.
    expect(await retained(calls)).toBe(0)

    // What the watch is for still works: a stream the session outlived closes with it.
    const stream = tracer.runInSpan(session, () => ai.streamText({ model, prompt: 'count' }))
    const reader = stream.textStream.getReader()
    await reader.read()
    session.end({ endOpenChildren: true })
    await tracer.flush()
    const stats = tracer.stats()
    expect(stats.started).toBe(stats.ended)
    expect(names.filter((name) => name === 'session')).toHaveLength(1)
    expect(parents.filter((parent) => parent === session.spanId)).toHaveLength(CALLS + 1)
    await reader.cancel()
  })
})
