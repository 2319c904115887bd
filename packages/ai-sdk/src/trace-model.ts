import { wrapLanguageModel } from 'ai'
import type { LanguageModelLike } from './ai-types.js'
import { type TracingMiddlewareOptions, tracingMiddleware } from './tracing-middleware.js'

/**
 * Wraps a model so that every call is traced: `wrapLanguageModel` of the installed `ai` with
 * `tracingMiddleware(options)`, in one call. The model keeps its type (a V2 model on ai@5, V3 on
 * ai@6, V4 on ai@7).
 *
 * @example
 * const model = traceModel(openai('gpt-4o'), { metadata: { tags: ['support-bot'] } })
 */
export function traceModel<MODEL extends LanguageModelLike>(
  model: MODEL,
  options: TracingMiddlewareOptions = {},
): MODEL {
  return wrapLanguageModel({
    model: model as any,
    middleware: tracingMiddleware(options),
  }) as unknown as MODEL
}
