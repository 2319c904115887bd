// `@tokentrail/core`: the tracer, exporters, propagation and context. What only some apps use is
// on a subpath of its own: `/otlp` (the OTLP encoders, export failures explained), `/metrics` (the
// GenAI metrics recorder and buckets), `/tree` (the span tree for waterfalls). Not re-exported here,
// because a bundler that assigns whole files to chunks (esbuild) keeps every module this entry
// reaches in the start-up chunk, even when only code loaded later by `import()` uses it.
export { type AttributeLimits, safeJson, sanitizeValue } from './attributes.js'
export { MAX_TIMER_MS, now } from './clock.js'
export type { MetricsOptions, TracerOptions } from './config.js'
export { INPUT_CONTENT_KEYS, OUTPUT_CONTENT_KEYS } from './content-keys.js'
export {
  type AsyncStorage,
  type ContextSpan,
  createAsyncStorage,
  hasAsyncContext,
  runWithSpan,
} from './context.js'
export { readEnv } from './env.js'
export { TokentrailError } from './errors.js'
export type { EscapedForm } from './escaped-values.js'
export { type ConsoleExporterOptions, consoleExporter } from './exporters/console.js'
export { ExportError } from './exporters/export-error-entry.js'
export { type HttpExporterOptions, httpExporter } from './exporters/http.js'
export { type OtlpExporterOptions, otlpExporter } from './exporters/otlp.js'
export {
  consoleMetricsExporter,
  type OtlpMetricsExporterOptions,
  otlpMetricsExporter,
} from './exporters/otlp-metrics.js'
export type { OtlpProfile } from './exporters/otlp-profile.js'
export type { OtlpCompression, OtlpProtocol } from './exporters/otlp-wire.js'
export { addFlushHook, type FlushHook } from './flush-hooks.js'
export {
  type BodyEnd,
  causedByAbort,
  freezingPlatform,
  httpRequestAttributes,
  requestFlushOptions,
  requestParent,
  responseOwnHeader,
  setCallbackAttributes,
  tracerNotice,
  vercelWaitUntil,
  watchBody,
} from './http.js'
export { isValidSpanId, isValidTraceId, newSpanId, newTraceId } from './ids.js'
export { flushLateWork, type LateWorkOptions } from './late-work.js'
export type {
  HistogramPoint,
  MetricData,
  MetricExporter,
  MetricsSnapshot,
  SumPoint,
} from './metrics.js'
export { tracerSkipped } from './noop-tracer.js'
export { checkOptionKeys, closestKey, collectionName, shownValue } from './options.js'
export type { RetryOptions } from './processor.js'
export {
  type Carrier,
  extractBaggage,
  extractTraceContext,
  formatTraceparent,
  injectBaggage,
  injectTraceContext,
  parseTraceparent,
  parseTracestate,
} from './propagation.js'
export { loadTextScrub, scrubLater, textScrub } from './recording-tracer.js'
export type { DetectorName } from './redaction/detector-names.js'
export type { RedactionOptions } from './redaction/options.js'
export type { SamplingReason } from './sampling/decide.js'
export type { SamplingOptions, TraceSummary } from './sampling/options.js'
export type { SamplingStats } from './sampling/trace-sampler.js'
export { SAMPLING_ATTR } from './sampling/trace-state.js'
export { isSecretKey, REDACTED } from './secret-key.js'
export {
  redactCutText,
  redactSecretsInJson,
  redactSecretsInText,
} from './secret-text-entry.js'
export { ATTR } from './semconv.js'
export {
  type EndingInfo,
  type EndOptions,
  endOpenChildren,
  NOOP_SPAN,
  NonRecordingSpan,
  offEnding,
  type Span,
  setTrustedAttributes,
  type TextScrub,
  toSpanError,
} from './span.js'
export {
  createTracer,
  describeTracer,
  type FlushResult,
  getActiveSpan,
  getTracer,
  type StartSpanOptions,
  setTracer,
  type Tracer,
  type TracerDescription,
  type TracerStats,
} from './tracer.js'
export type { SpanTreeNode } from './tree.js'
export type {
  Attributes,
  AttributeValue,
  ExportResult,
  Resource,
  SpanContext,
  SpanData,
  SpanError,
  SpanEvent,
  SpanExporter,
  SpanKind,
  SpanStatus,
} from './types.js'
