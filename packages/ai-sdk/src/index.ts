export type { LanguageModelLike, ModelLike, TokentrailTelemetry } from './ai-types.js'
export { CALL_ATTR } from './call.js'
export {
  type EmbeddingPrice,
  type EmbeddingTracingMiddleware,
  type EmbeddingTracingMiddlewareOptions,
  embeddingTracingMiddleware,
} from './embedding-middleware.js'
export { ERROR_ATTR } from './errors.js'
export {
  getTraceMetadata,
  type TraceMetadata,
  withTraceMetadata,
} from './metadata.js'
export {
  type Cost,
  type CostUsage,
  computeCost,
  DEFAULT_PRICES,
  findPrice,
  type LongPromptPrice,
  type ModelPrice,
  PRICES_AS_OF,
  type PriceTable,
} from './prices.js'
export {
  type TokentrailTelemetryOptions,
  type TokentrailTelemetryOptions as ToolTelemetryOptions,
  tokentrailTelemetry,
  toolTelemetry,
} from './telemetry.js'
export { traceModel } from './trace-model.js'
export {
  type TokentrailProviderOptions,
  type TracingMiddleware,
  type TracingMiddlewareOptions,
  tracingMiddleware,
} from './tracing-middleware.js'
