// The OTLP protobuf schema, once: field numbers and wire types from opentelemetry-proto v1
// (collector/{trace,metrics}/v1/*_service.proto, trace/v1/trace.proto, metrics/v1/metrics.proto,
// common/v1/common.proto, resource/v1/resource.proto). Core's encoder writes with these and the
// CLI's decoders read with them; no other copy exists.

/** Protobuf wire types. */
export const VARINT = 0
export const I64 = 1
export const LEN = 2
export const I32 = 5

/** Human names of wire types, for error messages. */
export const WIRE_NAMES: readonly string[] = [
  'varint',
  'fixed64',
  'length-delimited',
  'start-group',
  'end-group',
  'fixed32',
]

/** One field of a message: its number, wire type, proto name and the tag an encoder writes. */
export interface Field {
  readonly no: number
  readonly wire: number
  readonly name: string
  /** `(no << 3) | wire`, written before the value. */
  readonly tag: number
}

function field(no: number, wire: number, name: string): Field {
  return { no, wire, name, tag: no * 8 + wire }
}

/** `Export{Trace,Metrics}ServiceRequest` and the `Resource{Spans,Metrics}` / `Scope*` envelope. */
export const REQUEST = { resourceSpans: field(1, LEN, 'resource_spans') } as const
export const METRICS_REQUEST = { resourceMetrics: field(1, LEN, 'resource_metrics') } as const
export const RESOURCE_ITEMS = {
  resource: field(1, LEN, 'resource'),
  scopeItems: field(2, LEN, 'scope_items'),
  schemaUrl: field(3, LEN, 'schema_url'),
} as const
export const SCOPE_ITEMS = {
  scope: field(1, LEN, 'scope'),
  items: field(2, LEN, 'items'),
  schemaUrl: field(3, LEN, 'schema_url'),
} as const
export const RESOURCE = {
  attributes: field(1, LEN, 'attributes'),
  droppedAttributesCount: field(2, VARINT, 'dropped_attributes_count'),
} as const
export const SCOPE = {
  name: field(1, LEN, 'name'),
  version: field(2, LEN, 'version'),
  attributes: field(3, LEN, 'attributes'),
} as const

/** `KeyValue`, `AnyValue`, `ArrayValue`, `KeyValueList`. */
export const KEY_VALUE = { key: field(1, LEN, 'key'), value: field(2, LEN, 'value') } as const
export const ANY_VALUE = {
  stringValue: field(1, LEN, 'string_value'),
  boolValue: field(2, VARINT, 'bool_value'),
  intValue: field(3, VARINT, 'int_value'),
  doubleValue: field(4, I64, 'double_value'),
  arrayValue: field(5, LEN, 'array_value'),
  kvlistValue: field(6, LEN, 'kvlist_value'),
  bytesValue: field(7, LEN, 'bytes_value'),
} as const
export const VALUES = { values: field(1, LEN, 'values') } as const

/** `Span`, `Span.Event`, `Status`. */
export const SPAN = {
  traceId: field(1, LEN, 'trace_id'),
  spanId: field(2, LEN, 'span_id'),
  traceState: field(3, LEN, 'trace_state'),
  parentSpanId: field(4, LEN, 'parent_span_id'),
  name: field(5, LEN, 'name'),
  kind: field(6, VARINT, 'kind'),
  startTimeUnixNano: field(7, I64, 'start_time_unix_nano'),
  endTimeUnixNano: field(8, I64, 'end_time_unix_nano'),
  attributes: field(9, LEN, 'attributes'),
  droppedAttributesCount: field(10, VARINT, 'dropped_attributes_count'),
  events: field(11, LEN, 'events'),
  droppedEventsCount: field(12, VARINT, 'dropped_events_count'),
  links: field(13, LEN, 'links'),
  droppedLinksCount: field(14, VARINT, 'dropped_links_count'),
  status: field(15, LEN, 'status'),
  flags: field(16, I32, 'flags'),
} as const
export const EVENT = {
  timeUnixNano: field(1, I64, 'time_unix_nano'),
  name: field(2, LEN, 'name'),
  attributes: field(3, LEN, 'attributes'),
} as const
export const STATUS = { message: field(2, LEN, 'message'), code: field(3, VARINT, 'code') } as const

/** `Metric`, its `Gauge` / `Sum` / `Histogram`, and their data points. */
export const METRIC = {
  name: field(1, LEN, 'name'),
  description: field(2, LEN, 'description'),
  unit: field(3, LEN, 'unit'),
  gauge: field(5, LEN, 'gauge'),
  sum: field(7, LEN, 'sum'),
  histogram: field(9, LEN, 'histogram'),
  exponentialHistogram: field(10, LEN, 'exponential_histogram'),
  summary: field(11, LEN, 'summary'),
} as const
export const METRIC_DATA = {
  dataPoints: field(1, LEN, 'data_points'),
  aggregationTemporality: field(2, VARINT, 'aggregation_temporality'),
  isMonotonic: field(3, VARINT, 'is_monotonic'),
} as const
export const NUMBER_POINT = {
  startTimeUnixNano: field(2, I64, 'start_time_unix_nano'),
  timeUnixNano: field(3, I64, 'time_unix_nano'),
  asDouble: field(4, I64, 'as_double'),
  asInt: field(6, I64, 'as_int'),
  attributes: field(7, LEN, 'attributes'),
  flags: field(8, VARINT, 'flags'),
} as const
export const HISTOGRAM_POINT = {
  startTimeUnixNano: field(2, I64, 'start_time_unix_nano'),
  timeUnixNano: field(3, I64, 'time_unix_nano'),
  count: field(4, I64, 'count'),
  sum: field(5, I64, 'sum'),
  bucketCounts: field(6, LEN, 'bucket_counts'),
  explicitBounds: field(7, LEN, 'explicit_bounds'),
  attributes: field(9, LEN, 'attributes'),
  flags: field(10, VARINT, 'flags'),
  min: field(11, I64, 'min'),
  max: field(12, I64, 'max'),
} as const

/** `Export*ServiceResponse.partial_success` and its `rejected_*` / `error_message`. */
export const RESPONSE = { partialSuccess: field(1, LEN, 'partial_success') } as const
export const PARTIAL_SUCCESS = {
  rejected: field(1, VARINT, 'rejected'),
  errorMessage: field(2, LEN, 'error_message'),
} as const
/** `google.rpc.Status`, the body of an OTLP/HTTP protobuf error answer. */
export const RPC_STATUS = {
  code: field(1, VARINT, 'code'),
  message: field(2, LEN, 'message'),
} as const
