export { type CliIO, runCli } from './cli.js'
export {
  type Collector,
  type CollectorOptions,
  type CollectorStats,
  startCollector,
} from './collector.js'
export {
  type MetricQuery,
  type MetricRecordResult,
  type MetricSeries,
  MetricStore,
} from './metric-store.js'
export {
  histogramQuantile,
  type MetricModelStats,
  type MetricsSummary,
  type MetricToolStats,
  summarizeMetrics,
} from './metrics-summary.js'
export {
  nanosToMs,
  type OtlpAnyValue,
  type OtlpKeyValue,
  type OtlpSpan,
  type OtlpTracesRequest,
  otlpToSpans,
} from './otlp-decode.js'
export {
  type DecodedMetrics,
  type MetricPoint,
  type OtlpDataPoint,
  type OtlpMetric,
  type OtlpMetricsRequest,
  otlpToMetricPoints,
} from './otlp-metrics-decode.js'
export { decodeOtlpMetricsProtobuf } from './otlp-metrics-protobuf.js'
export { decodeOtlpProtobuf } from './otlp-protobuf.js'
export { spansFromJson } from './span-json.js'
export {
  type InsertResult,
  type ModelStats,
  openTraceStore,
  type Percentiles,
  type ResolvedId,
  type SpanSummary,
  type TraceDetail,
  type TracePage,
  type TraceQuery,
  type TraceStats,
  TraceStore,
  type TraceStoreOptions,
  type TraceSummary,
  type WaterfallRow,
} from './store.js'
