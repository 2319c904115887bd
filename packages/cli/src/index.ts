export { type CliIO, runCli } from './cli.js'
export {
  type Collector,
  type CollectorOptions,
  type CollectorStats,
  startCollector,
} from './collector.js'
export {
  nanosToMs,
  type OtlpAnyValue,
  type OtlpKeyValue,
  type OtlpSpan,
  type OtlpTracesRequest,
  otlpToSpans,
} from './otlp-decode.js'
export { decodeOtlpProtobuf } from './otlp-protobuf.js'
export { spansFromJson } from './span-json.js'
export {
  type InsertResult,
  type ModelStats,
  openTraceStore,
  type Percentiles,
  type ResolvedId,
  type SpanSummary,
  type SpanTreeRef,
  type TraceDetail,
  type TracePage,
  type TraceQuery,
  type TraceStats,
  TraceStore,
  type TraceStoreOptions,
  type TraceSummary,
} from './store.js'
