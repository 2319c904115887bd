// `@tokentrail/core/otlp`: the encoders the OTLP exporters use, for tools that build OTLP bodies
// themselves (a collector's tests, a proxy), and the explanation of a failed export. Kept off the
// main entry so that an app's start-up chunk does not hold them: the exporters load them on first
// export.
export { describeExportFailure } from './exporters/describe-failure.js'
export {
  encodeOtlpTraces,
  KIND_ATTRIBUTE,
  msToNanos,
  STATUS_ATTRIBUTE,
} from './exporters/otlp-json.js'
export { encodeOtlpMetrics } from './exporters/otlp-metrics-encode.js'
export {
  encodeOtlpMetricsProtobuf,
  encodeOtlpTracesProtobuf,
} from './exporters/otlp-protobuf.js'
export { maskedUrl } from './masked-url.js'
