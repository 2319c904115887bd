// What reading a Gemini stream's raw chunks costs (see `geminiStream` in tracing-middleware.ts):
// a provider named as @ai-sdk/google names its models that, like it, sends one raw part per
// chunk when asked, traced (raw parts asked for and dropped) against untraced, and an OpenAI-named
// one traced for comparison. Prints rows; asserts nothing.
// Run: pnpm --filter @tokentrail/ai-sdk build && node --experimental-strip-types --no-warnings bench/gemini-stream.bench.ts
import type { LanguageModelV4, LanguageModelV4StreamPart } from '@ai-sdk/provider'
import { createTracer, type SpanExporter } from '@tokentrail/core'
import { wrapLanguageModel } from 'ai'
import { tracingMiddleware } from '../dist/index.js'

const discard: SpanExporter = { name: 'discard', export: async () => ({ code: 'success' }) }
const tracer = createTracer({ serviceName: 'bench', exporters: [discard], maxQueueSize: 100_000 })
const usage = {
  inputTokens: { total: 40, noCache: 40, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 12, text: 12, reasoning: undefined },
}
const CHUNKS = 20_000

// A class instance, as a provider's model is: the middleware asks for raw chunks only from the
// provider's own model, not from another middleware's plain-object layer.
class Model {}
function provider(name: string): LanguageModelV4 {
  return Object.assign(new Model(), {
    specificationVersion: 'v4',
    provider: name,
    modelId: 'gemini-2.5-flash',
    supportedUrls: {},
    doGenerate: async () => {
      throw new Error('not used')
    },
    doStream: async (options) => {
      const parts: LanguageModelV4StreamPart[] = [{ type: 'stream-start', warnings: [] }]
      for (let i = 0; i < CHUNKS; i++) {
        if (options.includeRawChunks)
          parts.push({
            type: 'raw',
            rawValue: { modelVersion: 'gemini-2.5-flash', responseId: 'r' },
          })
        parts.push({ type: 'text-delta', id: '0', delta: 'token ' })
      }
      parts.push({ type: 'finish', finishReason: { unified: 'stop', raw: 'STOP' }, usage })
      let i = 0
      return {
        stream: new ReadableStream<LanguageModelV4StreamPart>({
          pull(controller) {
            for (let n = 0; n < 64 && i < parts.length; n++) controller.enqueue(parts[i++]!)
            if (i >= parts.length) controller.close()
          },
        }),
      }
    },
  } satisfies LanguageModelV4)
}

const params = {
  prompt: [{ role: 'user' as const, content: [{ type: 'text' as const, text: 'Hi' }] }],
}
async function run(model: LanguageModelV4): Promise<number> {
  const start = performance.now()
  const reader = (await model.doStream(params)).stream.getReader()
  while (!(await reader.read()).done) {}
  return performance.now() - start
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!
const models = {
  'gemini, untraced': provider('google.generative-ai'),
  'gemini, traced': wrapLanguageModel({
    model: provider('google.generative-ai'),
    middleware: tracingMiddleware({ tracer }),
  }),
  'openai-named, untraced': provider('openai.chat'),
  'openai-named, traced': wrapLanguageModel({
    model: provider('openai.chat'),
    middleware: tracingMiddleware({ tracer }),
  }),
}
const times: Record<string, number[]> = {}
for (let round = 0; round < 12; round++)
  for (const [name, model] of Object.entries(models)) {
    const ms = await run(model)
    if (round >= 2) (times[name] ??= []).push(ms)
    await tracer.flush()
  }
console.log(`gemini raw-chunk bench — node ${process.version}, ${CHUNKS} chunks a stream`)
console.table(
  Object.entries(times).map(([name, ms]) => ({
    stream: name,
    'µs/chunk (median)': ((median(ms) * 1000) / CHUNKS).toFixed(3),
  })),
)
await tracer.shutdown()
