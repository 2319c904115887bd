// Benchmarks of the tracing middleware against the unwrapped model. Prints rows; asserts nothing.
// Run: pnpm --filter @tokentrail/ai-sdk bench   (builds first; needs Node ≥ 22.6 for type stripping)
import type {
  LanguageModelV4,
  LanguageModelV4CallOptions,
  LanguageModelV4GenerateResult,
  LanguageModelV4StreamPart,
} from '@ai-sdk/provider'
import { createTracer, type SpanExporter } from '@tokentrail/core'
import { streamText, wrapLanguageModel } from 'ai'
import { tracingMiddleware } from '../dist/index.js'

const discard: SpanExporter = { name: 'discard', export: async () => ({ code: 'success' }) }
const tracer = createTracer({
  serviceName: 'bench',
  exporters: [discard],
  maxQueueSize: 100_000,
  flushIntervalMs: 50,
})

const usage = {
  inputTokens: { total: 40, noCache: 40, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 12, text: 12, reasoning: undefined },
}
const generateResult: LanguageModelV4GenerateResult = {
  content: [{ type: 'text', text: 'The capital of France is Paris, a city on the Seine.' }],
  finishReason: { unified: 'stop', raw: 'stop' },
  usage,
  warnings: [],
  response: { id: 'resp-1', modelId: 'gpt-4o-2024-08-06' },
}

function partsOf(count: number): LanguageModelV4StreamPart[] {
  const parts: LanguageModelV4StreamPart[] = [
    { type: 'stream-start', warnings: [] },
    { type: 'response-metadata', id: 'resp-1', modelId: 'gpt-4o-2024-08-06' },
    { type: 'text-start', id: 't' },
  ]
  for (let i = 0; i < count; i++) parts.push({ type: 'text-delta', id: 't', delta: 'token ' })
  parts.push(
    { type: 'text-end', id: 't' },
    { type: 'finish', finishReason: { unified: 'stop', raw: 'stop' }, usage },
  )
  return parts
}

// A provider that answers at once from memory, so only the middleware's own cost is measured.
function provider(parts: LanguageModelV4StreamPart[]): LanguageModelV4 {
  return {
    specificationVersion: 'v4',
    provider: 'openai.chat',
    modelId: 'gpt-4o',
    supportedUrls: {},
    doGenerate: async () => generateResult,
    doStream: async () => {
      let i = 0
      return {
        stream: new ReadableStream<LanguageModelV4StreamPart>({
          pull(controller) {
            // Enqueue in batches, as a network parser does with each socket read.
            for (let n = 0; n < 64 && i < parts.length; n++) controller.enqueue(parts[i++])
            if (i >= parts.length) controller.close()
          },
        }),
      }
    },
  }
}

const params: LanguageModelV4CallOptions = {
  prompt: [
    { role: 'system', content: 'You are a concise assistant.' },
    { role: 'user', content: [{ type: 'text', text: 'What is the capital of France?' }] },
  ],
  temperature: 0.2,
  maxOutputTokens: 256,
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}
const fmt = (n: number, digits = 2) => n.toFixed(digits)
const rows: Record<string, string | number>[] = []

async function perCallOverhead() {
  const plain = provider(partsOf(1))
  const traced = wrapLanguageModel({ model: plain, middleware: tracingMiddleware({ tracer }) })
  const time = async (model: LanguageModelV4, n: number) => {
    const start = performance.now()
    for (let i = 0; i < n; i++) await model.doGenerate(params)
    return ((performance.now() - start) * 1000) / n
  }
  await time(plain, 5000)
  await time(traced, 5000)
  const plainUs: number[] = []
  const tracedUs: number[] = []
  for (let round = 0; round < 7; round++) {
    plainUs.push(await time(plain, 20_000))
    tracedUs.push(await time(traced, 20_000))
    await tracer.flush()
  }
  const p = median(plainUs)
  const t = median(tracedUs)
  rows.push({
    benchmark: 'doGenerate per call',
    untraced: `${fmt(p)} µs`,
    traced: `${fmt(t)} µs`,
    added: `${fmt(t - p)} µs`,
    ratio: `${fmt(p / t, 3)} (untraced/traced time)`,
    target: '—',
  })
}

async function drain(stream: ReadableStream<unknown>) {
  const reader = stream.getReader()
  while (!(await reader.read()).done) {}
}

async function streamThroughput(chunks: number) {
  const parts = partsOf(chunks)
  const plain = provider(parts)
  const traced = wrapLanguageModel({ model: plain, middleware: tracingMiddleware({ tracer }) })
  const rawTime = async (model: LanguageModelV4) => {
    const start = performance.now()
    await drain((await model.doStream(params)).stream)
    return performance.now() - start
  }
  const sdkTime = async (model: LanguageModelV4) => {
    const start = performance.now()
    await streamText({ model, prompt: 'x' }).consumeStream()
    return performance.now() - start
  }
  for (const [label, run, rounds] of [
    ['model.doStream, read directly', rawTime, 9],
    ['streamText().consumeStream()', sdkTime, 5],
  ] as const) {
    await run(plain)
    await run(traced)
    const p: number[] = []
    const t: number[] = []
    for (let round = 0; round < rounds; round++) {
      p.push(await run(plain))
      t.push(await run(traced))
      await tracer.flush()
    }
    const pm = median(p)
    const tm = median(t)
    rows.push({
      benchmark: `${chunks / 1000}k-chunk stream, ${label}`,
      untraced: `${fmt(((chunks / pm) * 1000) / 1e6, 3)} M chunks/s`,
      traced: `${fmt(((chunks / tm) * 1000) / 1e6, 3)} M chunks/s`,
      added: `${fmt(((tm - pm) * 1e6) / chunks / 1000, 3)} µs/chunk`,
      ratio: `${fmt(pm / tm, 3)} (traced/untraced throughput)`,
      target: '≥ 0.95',
    })
  }
}

async function firstChunkLatency() {
  const parts = partsOf(8)
  const plain = provider(parts)
  const traced = wrapLanguageModel({ model: plain, middleware: tracingMiddleware({ tracer }) })
  const once = async (model: LanguageModelV4) => {
    const start = performance.now()
    const { stream } = await model.doStream(params)
    const reader = stream.getReader()
    await reader.read()
    const elapsed = performance.now() - start
    await reader.cancel()
    return elapsed * 1000
  }
  for (let i = 0; i < 500; i++) {
    await once(plain)
    await once(traced)
  }
  const p: number[] = []
  const t: number[] = []
  for (let i = 0; i < 5000; i++) {
    p.push(await once(plain))
    t.push(await once(traced))
  }
  await tracer.flush()
  rows.push({
    benchmark: 'time to first chunk (doStream → first read)',
    untraced: `${fmt(median(p))} µs`,
    traced: `${fmt(median(t))} µs`,
    added: `${fmt(median(t) - median(p))} µs (median)`,
    ratio: '—',
    target: '< 50 µs added',
  })
}

await perCallOverhead()
await streamThroughput(100_000)
await firstChunkLatency()
await tracer.shutdown()
console.log(
  `@tokentrail/ai-sdk middleware benchmark — node ${process.version}, ${new Date().toISOString()}`,
)
console.table(rows)
const stats = tracer.stats()
console.log(
  `spans: started ${stats.started}, ended ${stats.ended}, exported ${stats.exported}, dropped ${JSON.stringify(stats.dropped)}`,
)
