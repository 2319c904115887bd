import type { LanguageModelV4Middleware, LanguageModelV4StreamPart } from '@ai-sdk/provider'
import { createTracer, type Tracer, type TracerOptions } from '@tokentrail/core'
import { type MemoryExporter, memoryExporter } from '@tokentrail/core/testing'
import { simulateReadableStream, wrapLanguageModel } from 'ai'
import { MockLanguageModelV4 } from 'ai/test'

export const usage = {
  inputTokens: { total: 3, noCache: 3, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 4, text: 4, reasoning: undefined },
}

/** A tracer whose spans only leave on an explicit flush, so tests see what `tracing()` flushed. */
export function setup(options: TracerOptions = {}): { tracer: Tracer; exporter: MemoryExporter } {
  const exporter = memoryExporter()
  const tracer = createTracer({
    serviceName: 'hono-test',
    exporters: [exporter],
    flushIntervalMs: 600_000,
    ...options,
  })
  return { tracer, exporter }
}

/**
 * A minimal model-span middleware: one `llm` span per model call, a child of whatever span is
 * active when the AI SDK calls the model, ended when the model stream ends.
 */
export function modelSpans(tracer: Tracer): LanguageModelV4Middleware {
  return {
    specificationVersion: 'v4',
    async wrapGenerate({ doGenerate, model }) {
      return tracer.withSpan(`chat ${model.modelId}`, { kind: 'llm' }, () => doGenerate())
    },
    async wrapStream({ doStream, model }) {
      const span = tracer.startSpan(`chat ${model.modelId}`, { kind: 'llm' })
      const result = await doStream()
      return {
        ...result,
        stream: result.stream.pipeThrough(
          new TransformStream<LanguageModelV4StreamPart, LanguageModelV4StreamPart>({
            transform(part, controller) {
              if (part.type === 'text-delta') span.addEvent('delta')
              controller.enqueue(part)
            },
            flush() {
              span.end()
            },
          }),
        ),
      }
    },
  }
}

/** A streaming model that writes `words` one chunk at a time, `delayMs` apart. */
export function streamingModel(tracer: Tracer, words: string[], delayMs = 0) {
  const chunks: LanguageModelV4StreamPart[] = [
    { type: 'stream-start', warnings: [] },
    { type: 'text-start', id: 't' },
    ...words.map((delta) => ({ type: 'text-delta' as const, id: 't', delta })),
    { type: 'text-end', id: 't' },
    { type: 'finish', usage, finishReason: { unified: 'stop', raw: 'stop' } },
  ]
  const model = new MockLanguageModelV4({
    modelId: 'mock-stream',
    doStream: async () => ({
      stream: simulateReadableStream({
        chunks,
        initialDelayInMs: delayMs,
        chunkDelayInMs: delayMs,
      }),
    }),
  })
  return wrapLanguageModel({ model, middleware: modelSpans(tracer) })
}

/** A model that answers `text` in one piece. */
export function generatingModel(tracer: Tracer, text: string) {
  const model = new MockLanguageModelV4({
    modelId: 'mock-generate',
    doGenerate: async () => ({
      content: [{ type: 'text', text }],
      finishReason: { unified: 'stop', raw: 'stop' },
      usage,
      warnings: [],
    }),
  })
  return wrapLanguageModel({ model, middleware: modelSpans(tracer) })
}

/** A promise with its resolve function, for waiting on one thing from outside. */
export function deferred<T = void>() {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => (resolve = r))
  return { promise, resolve }
}

/** A Workers-style execution context that keeps what it is handed. */
export function executionContext() {
  const promises: Promise<unknown>[] = []
  return {
    promises,
    waitUntil(promise: Promise<unknown>) {
      promises.push(promise)
    },
    passThroughOnException() {},
    props: {},
  }
}
