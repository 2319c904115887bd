import { createTracer, getActiveSpan, type Span, type Tracer } from '@tokentrail/core'
import { type MemoryExporter, memoryExporter } from '@tokentrail/core/testing'
import { type LanguageModelMiddleware, simulateReadableStream, wrapLanguageModel } from 'ai'
import { MockLanguageModelV4 } from 'ai/test'

const VERCEL_CONTEXT = Symbol.for('@vercel/request-context')

/** Installs a fake Vercel request context, as the platform does, capturing `waitUntil` promises. */
export function fakeVercelContext() {
  const promises: Promise<unknown>[] = []
  const g = globalThis as Record<symbol, unknown>
  const previous = g[VERCEL_CONTEXT]
  g[VERCEL_CONTEXT] = { get: () => ({ waitUntil: (p: Promise<unknown>) => promises.push(p) }) }
  return {
    promises,
    /** Waits for every captured promise and tells how each settled. */
    settle: () => Promise.allSettled(promises),
    uninstall: () => {
      g[VERCEL_CONTEXT] = previous
    },
  }
}

export function testTracer(): { tracer: Tracer; exporter: MemoryExporter } {
  const exporter = memoryExporter()
  // A long interval: only an explicit flush exports, so a test sees what the flush delivered.
  const tracer = createTracer({
    serviceName: 'next-test',
    exporters: [exporter],
    flushIntervalMs: 600_000,
  })
  return { tracer, exporter }
}

/**
 * A minimal model-span middleware (what @tokentrail/ai-sdk does, reduced): a child of the active
 * span per model call, with usage, ended when the model stream ends or is cancelled.
 */
export function modelSpans(tracer: Tracer): LanguageModelMiddleware {
  return {
    specificationVersion: 'v4',
    wrapStream: async ({ doStream, model }) => {
      const span: Span = tracer.startSpan(`chat ${model.modelId}`, {
        kind: 'llm',
        attributes: { 'test.parent_was_active': getActiveSpan() !== undefined },
      })
      const result = await doStream()
      const stream = result.stream.pipeThrough(
        new TransformStream({
          transform(part, controller) {
            if (part.type === 'finish') {
              span.setAttribute('gen_ai.usage.input_tokens', part.usage.inputTokens.total)
              span.setAttribute('gen_ai.usage.output_tokens', part.usage.outputTokens.total)
            }
            controller.enqueue(part)
          },
          flush: () => span.end(),
          cancel: () => span.end({ status: 'cancelled' }),
        } as Transformer & { cancel(): void }),
      )
      return { ...result, stream }
    },
  } as LanguageModelMiddleware
}

/** A streaming mock model: `words` as text deltas, one per `delayMs`, then usage. */
export function streamingModel({
  words = ['Hello', ' traced', ' world'],
  delayMs = 5,
  inputTokens = 7,
}: {
  words?: string[]
  delayMs?: number
  inputTokens?: number
} = {}) {
  return new MockLanguageModelV4({
    modelId: 'mock-1',
    doStream: async () => ({
      stream: simulateReadableStream({
        initialDelayInMs: delayMs,
        chunkDelayInMs: delayMs,
        chunks: [
          { type: 'stream-start', warnings: [] },
          { type: 'response-metadata', id: 'resp-1', modelId: 'mock-1' },
          { type: 'text-start', id: 't1' },
          ...words.map((delta) => ({ type: 'text-delta', id: 't1', delta })),
          { type: 'text-end', id: 't1' },
          {
            type: 'finish',
            finishReason: { unified: 'stop', raw: 'stop' },
            usage: {
              inputTokens: {
                total: inputTokens,
                noCache: inputTokens,
                cacheRead: 0,
                cacheWrite: 0,
              },
              outputTokens: { total: words.length, text: words.length, reasoning: 0 },
            },
          },
        ] as any[],
      }),
    }),
  })
}

export function tracedModel(
  tracer: Tracer,
  options?: Parameters<typeof streamingModel>[0],
): ReturnType<typeof wrapLanguageModel> {
  return wrapLanguageModel({ model: streamingModel(options), middleware: modelSpans(tracer) })
}

export function chatRequest(init: { headers?: Record<string, string>; signal?: AbortSignal } = {}) {
  return new Request('https://app.example/api/chat', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'user-agent': 'vitest-agent/1',
      ...init.headers,
    },
    body: JSON.stringify({ prompt: 'Hi' }),
    signal: init.signal,
  })
}
