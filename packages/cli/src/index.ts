export {
  type Collector,
  type CollectorOptions,
  type CollectorStats,
  startCollector,
} from './collector/collector.js'
export { type CliIO, runCli } from './commands/cli.js'
export {
  nanosToMs,
  type OtlpAnyValue,
  type OtlpKeyValue,
  type OtlpSpan,
  type OtlpTracesRequest,
  otlpToSpans,
} from './otlp/otlp-decode.js'
export {
  type DecodedMetrics,
  type MetricPoint,
  type OtlpDataPoint,
  type OtlpMetric,
  type OtlpMetricsRequest,
  otlpToMetricPoints,
} from './otlp/otlp-metrics-decode.js'
export { decodeOtlpMetricsProtobuf } from './otlp/otlp-metrics-protobuf.js'
export { decodeOtlpProtobuf } from './otlp/otlp-protobuf.js'
export { spansFromJson } from './otlp/span-json.js'
export {
  type MetricQuery,
  type MetricRecordResult,
  type MetricSeries,
  MetricStore,
} from './store/metric-store.js'
export {
  histogramQuantile,
  type MetricModelStats,
  type MetricsSummary,
  type MetricToolStats,
  summarizeMetrics,
} from './store/metrics-summary.js'
export type { SchemaMigration } from './store/schema-migration.js'
export {
  type InsertResult,
  type ModelStats,
  openTraceStore,
  type Percentiles,
  type ResolvedId,
  type SpanSummary,
  type TraceDetail,
  type TracePage,
  type TracePageInfo,
  type TracePageRequest,
  type TraceQuery,
  type TraceStats,
  TraceStore,
  type TraceStoreOptions,
  type TraceSummary,
  type WaterfallRow,
} from './store/store.js'
