import { TokentrailError } from '@tokentrail/core/internal'
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
  // wrapLanguageModel answered a model id or a missing model with a TypeError about a Proxy or
  // `specificationVersion`, naming neither traceModel nor what it wanted.
  if (typeof (model as { doStream?: unknown } | null | undefined)?.doStream !== 'function')
    throw new TokentrailError(
      typeof model === 'string'
        ? `traceModel(model): model must be a language model object, such as openai('gpt-4o'), got the string ${JSON.stringify(model)}; for a model id, pass the provider's model for it (gateway(${JSON.stringify(model)}) through the AI Gateway)`
        : `traceModel(model): model must be a language model object, such as openai('gpt-4o'), got ${model === null ? 'null' : typeof model}`,
    )
  return wrapLanguageModel({
    model: model as any,
    middleware: tracingMiddleware(options),
  }) as unknown as MODEL
}
