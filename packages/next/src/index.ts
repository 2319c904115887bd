export { type KeepAliveVia, keepAlive } from './keep-alive.js'
export { type TraceActionOptions, traceAction } from './trace-action.js'
export {
  type RouteHandler,
  type TracedRouteHandler,
  type WithTracingOptions,
  withTracing,
} from './with-tracing.js'
