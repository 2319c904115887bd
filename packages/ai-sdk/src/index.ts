export {
  getTraceMetadata,
  type TraceMetadata,
  withTraceMetadata,
} from './metadata.js'
export {
  type Cost,
  computeCost,
  DEFAULT_PRICES,
  findPrice,
  type ModelPrice,
  PRICES_AS_OF,
  type PriceTable,
} from './prices.js'
export { type ToolTelemetryOptions, toolTelemetry } from './tool-telemetry.js'
export { traceModel } from './trace-model.js'
export {
  type TokentrailProviderOptions,
  type TracingMiddlewareOptions,
  tracingMiddleware,
} from './tracing-middleware.js'
