// One tracer, many requests at once, each flushing its own spans before it ends (a Worker's tracer
// kept for the isolate, a serverless adapter). The send loop runs in the request that started it,
// and on Workers that request's fetches and timers end once its flush is done: a loop that went on
// sending other requests' spans from there never settled, and every later flush waited behind it.
// Here each request is an AsyncLocalStorage context marked over when its flush resolves; the
// exporter notes, for each export, whether the request it runs in was over before it answered.
import { AsyncLocalStorage } from 'node:async_hooks'
import { expect, it } from 'vitest'
import { createTracer, type SpanData, type SpanExporter } from '../src/index.js'
import { BatchProcessor } from '../src/processor.js'

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

// A loop a flush started stops when that flush is done; a queue that filled meanwhile (to
// maxQueueSize) must still go at once, not wait for the interval while new spans are dropped.
it('a queue that filled while a flush waited goes at once after it, nothing dropped', async () => {
  const exported: string[] = []
  const tracer = createTracer({
    serviceName: 'full-after-flush',
    exporters: [
      {
        name: 'slow',
        async export(spans) {
          await sleep(50)
          for (const span of spans) exported.push(span.name)
          return { code: 'success' }
        },
      },
    ],
    maxQueueSize: 100,
    maxBatchSize: 100,
    flushIntervalMs: 2000,
    warnings: false,
    metrics: false,
  })
  tracer.startSpan('warm-up').end()
  await tracer.flush()
  let n = 0
  for (let i = 0; i < 10; i++) tracer.startSpan(`span ${n++}`).end()
  const flushed = tracer.flush({ timeoutMs: 5000 })
  await sleep(5) // its batch is out
  for (let i = 0; i < 100; i++) tracer.startSpan(`span ${n++}`).end()
  expect((await flushed).ok).toBe(true)
  // One span every 10 ms for 600 ms, no flush: each finds room.
  for (let i = 0; i < 60; i++) {
    tracer.startSpan(`span ${n++}`).end()
    await sleep(10)
  }
  await tracer.flush({ timeoutMs: 5000 })
  expect(tracer.stats().dropped.queueFull).toBe(0)
  expect(exported.length).toBe(171)
  await tracer.shutdown()
})

// Workers, modelled: once a request's flush is done, its timers never fire and its exports never
// settle. `answer(n)` says how the n-th export answers (after `ms`), if its request is still on.
async function workersModel(
  run: (
    request: AsyncLocalStorage<{ over: boolean }>,
    exporter: SpanExporter,
    exported: string[],
  ) => Promise<void>,
  answer: (n: number) => { ms: number; retryable?: boolean } = () => ({ ms: 20 }),
) {
  const request = new AsyncLocalStorage<{ over: boolean }>()
  const realSetTimeout = globalThis.setTimeout
  globalThis.setTimeout = ((fn: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const store = request.getStore()
    return realSetTimeout(() => {
      if (!store?.over) fn(...args)
    }, ms)
  }) as typeof setTimeout
  const exported: string[] = []
  let calls = 0
  const exporter: SpanExporter = {
    name: 'request-bound',
    export(spans) {
      const store = request.getStore()
      const { ms, retryable } = answer(calls++)
      return new Promise((resolve) => {
        realSetTimeout(() => {
          if (store?.over) return // cancelled with its request: never settles
          if (retryable) return resolve({ code: 'retryable', error: new Error('503') })
          for (const span of spans) exported.push(span.name)
          resolve({ code: 'success' })
        }, ms)
      })
    },
  }
  try {
    await run(request, exporter, exported)
  } finally {
    globalThis.setTimeout = realSetTimeout
  }
}

// Runs `work` as a request of its own, which ends when `work` settles.
async function inRequest<T>(
  request: AsyncLocalStorage<{ over: boolean }>,
  work: () => Promise<T>,
): Promise<T> {
  const store = { over: false }
  try {
    return await request.run(store, work)
  } finally {
    store.over = true
  }
}

// Flush A starts the loop and its flush ends with the loop's export or backoff under way, whose
// request ends with it; flush C, in line behind that loop, notices it stalled and sends its
// spans from its own request, within its own flush, at the stall point (the export's bound or
// the backoff, and a 2 s grace), not at C's own bound.
it.each([
  {
    // C joins in the same tick as A, before the loop's first export began.
    case: 'a flush that joined a loop whose request ended restarts it once it is late',
    options: { exportTimeoutMs: 300 },
    firstTimeoutMs: 10,
    joinAfterMs: 0,
    joinTimeoutMs: 6000,
    answer: () => ({ ms: 20 }),
  },
  {
    // A's export answers 503 after 800 ms and the loop backs off for 300 ms, not the 3 s export
    // bound C saw when it joined; A's flush ends during the backoff, whose timer ends with it.
    case: 'a flush in line looks at the loop again when its backoff brings the stall point sooner',
    options: {
      exportTimeoutMs: 3000,
      retry: { maxRetries: 3, initialBackoffMs: 300, maxBackoffMs: 300, multiplier: 1 },
    },
    firstTimeoutMs: 1000,
    joinAfterMs: 100,
    joinTimeoutMs: 4500,
    answer: (n: number) => (n === 1 ? { ms: 800, retryable: true } : { ms: 20 }),
  },
])('$case', async ({ options, firstTimeoutMs, joinAfterMs, joinTimeoutMs, answer }) => {
  await workersModel(async (request, exporter, exported) => {
    const tracer = createTracer({
      serviceName: 'stalled-loop',
      exporters: [exporter],
      flushIntervalMs: 600_000,
      warnings: false,
      metrics: false,
      ...options,
    })
    await inRequest(request, async () => {
      tracer.startSpan('warm-up').end()
      await tracer.flush()
    })
    const started = performance.now()
    const first = inRequest(request, async () => {
      tracer.startSpan('a').end()
      return tracer.flush({ timeoutMs: firstTimeoutMs })
    })
    if (joinAfterMs > 0) await sleep(joinAfterMs)
    const joined = inRequest(request, async () => {
      tracer.startSpan('c').end()
      const outcome = await tracer.flush({ timeoutMs: joinTimeoutMs })
      return { ...outcome, ms: performance.now() - started }
    })
    expect((await first).ok).toBe(false)
    const outcome = await joined
    expect(outcome.ok).toBe(true)
    expect(outcome.ms).toBeLessThan(4000)
    expect(exported).toEqual(['warm-up', 'a', 'c'])
  }, answer)
})

// A flush whose own check finds the loop stalled gives it up (restart), and that settles the part
// of a split batch already delivered: its own spans. It resolves then, ok, not at some later wake.
// The send loop's timers never fire here (as in a Worker whose request ended): no export bound,
// no backoff, so the stall is found by the flush's own late check.
it('a flush whose spans settle as it restarts a stalled loop resolves ok at once', async () => {
  const realSetTimeout = globalThis.setTimeout
  globalThis.setTimeout = ((fn: () => void, ms?: number) =>
    new Error().stack?.includes('processor-send')
      ? (0 as unknown as ReturnType<typeof setTimeout>)
      : realSetTimeout(fn, ms)) as typeof setTimeout
  try {
    const processor = new BatchProcessor(
      {
        name: 'split',
        export(spans) {
          const names = spans.map((span) => span.name).join()
          if (names === 's0')
            return new Promise((resolve) => realSetTimeout(() => resolve({ code: 'success' }), 50))
          if (spans.length > 1)
            return Promise.resolve({
              code: 'failed',
              error: Object.assign(new Error('body too large'), { status: 413 }),
            })
          if (names === 's1') return Promise.resolve({ code: 'success' })
          return new Promise(() => {}) // s2: never answers, and no timer ends it
        },
      },
      {
        maxQueueSize: 100,
        maxBatchSize: 10,
        flushIntervalMs: 60_000,
        exportTimeoutMs: 100,
        retry: {
          maxRetries: 1,
          initialBackoffMs: 10,
          maxBackoffMs: 10,
          multiplier: 1,
          maxRetryAfterMs: 10,
        },
        onError() {},
      },
    )
    const span = (name: string) => ({ name }) as SpanData
    processor.onEnd(span('s0'))
    const first = processor.flushOutcome(10_000)
    processor.onEnd(span('s1'))
    const started = performance.now()
    const second = processor.flushOutcome(3000).then((outcome) => ({
      ...outcome,
      ms: performance.now() - started,
    }))
    processor.onEnd(span('s2')) // joins s1's batch: [s1, s2] is split after a 413
    expect(await first).toEqual({ ok: true })
    const outcome = await second
    expect(outcome.ok).toBe(true)
    // At its late check (the export's 100 ms bound and the 2 s grace), within its 3 s bound.
    expect(outcome.ms).toBeLessThan(3000)
    expect(processor.stats.flushTimeouts).toBe(0)
  } finally {
    globalThis.setTimeout = realSetTimeout
  }
})
