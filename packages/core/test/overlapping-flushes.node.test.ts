// One tracer, many requests at once, each flushing its own spans before it ends (a Worker's tracer
// kept for the isolate, a serverless adapter). The send loop runs in the request that started it,
// and on Workers that request's fetches and timers end once its flush is done: a loop that went on
// sending other requests' spans from there never settled, and every later flush waited behind it.
// Here each request is an AsyncLocalStorage context marked over when its flush resolves; the
// exporter notes, for each export, whether the request it runs in was over before it answered.
import { AsyncLocalStorage } from 'node:async_hooks'
import { expect, it } from 'vitest'
import { createTracer, type SpanExporter } from '../src/index.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

it.each([
  ['4 requests at a time', 4],
  ['16 requests at a time', 16],
])(
  'each flush sends from its own request, never from one whose flush is over: %s',
  async (_, concurrency) => {
    const request = new AsyncLocalStorage<{ over: boolean }>()
    const exported: string[] = []
    let fromEndedRequest = 0
    let outsideRequests = 0
    const exporter: SpanExporter = {
      name: 'request-bound',
      async export(spans) {
        const store = request.getStore()
        await sleep(15)
        if (!store) outsideRequests++
        else if (store.over) fromEndedRequest++
        for (const span of spans) exported.push(span.name)
        return { code: 'success' }
      },
    }
    const tracer = createTracer({
      serviceName: 'overlapping-flushes',
      exporters: [exporter],
      flushIntervalMs: 600_000,
      warnings: false,
      metrics: false,
    })
    // The send loop loads at the first export (a dynamic import, which under vitest's module
    // runner resolves outside the importer's AsyncLocalStorage context): loaded first.
    tracer.startSpan('warm-up').end()
    await tracer.flush()
    exported.length = 0
    outsideRequests = 0
    let next = 0
    const outcomes: boolean[] = []
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < 48) {
          const n = next++
          const store = { over: false }
          await request.run(store, async () => {
            await sleep(n % 3)
            tracer.startSpan(`request ${n}`).end()
            outcomes.push((await tracer.flush({ timeoutMs: 5000 })).ok)
            store.over = true
          })
        }
      }),
    )
    expect(outcomes).toEqual(Array(48).fill(true))
    expect(exported.sort()).toEqual(Array.from({ length: 48 }, (_, n) => `request ${n}`).sort())
    expect(fromEndedRequest).toBe(0)
    expect(outsideRequests).toBe(0)
    const stats = tracer.stats()
    expect(stats).toMatchObject({ exported: 49, queued: 0, inflight: 0, flushTimeouts: 0 })
    await tracer.shutdown()
  },
)
