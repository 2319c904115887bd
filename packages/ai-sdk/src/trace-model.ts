import type { LanguageModelV2, LanguageModelV3, LanguageModelV4 } from '@ai-sdk/provider'
import { wrapLanguageModel } from 'ai'
import { type TracingMiddlewareOptions, tracingMiddleware } from './tracing-middleware.js'

/**
 * Wraps a model so that every call records an LLM span: `wrapLanguageModel` with
 * `tracingMiddleware(options)` in one call.
 *
 * @example
 * const model = traceModel(openai('gpt-4o'), { metadata: { tags: ['support-bot'] } })
 */
export function traceModel(
  model: LanguageModelV2 | LanguageModelV3 | LanguageModelV4,
  options: TracingMiddlewareOptions = {},
): LanguageModelV4 {
  return wrapLanguageModel({ model, middleware: tracingMiddleware(options) })
}
