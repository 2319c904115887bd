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

/** Builds a message's fields from `key: [number, wire type]`; the proto name is the key in snake_case. */
function message<K extends string>(
  fields: Record<K, [number, number]>,
): Readonly<Record<K, Field>> {
  const out = {} as Record<K, Field>
  for (const key in fields) {
    const [no, wire] = fields[key]
    out[key] = {
      no,
      wire,
      name: key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`),
      tag: no * 8 + wire,
    }
  }
  return out
}

/** `Export{Trace,Metrics}ServiceRequest` and the `Resource{Spans,Metrics}` / `Scope*` envelope. */
export const REQUEST = message({ resourceSpans: [1, LEN] })
export const METRICS_REQUEST = message({ resourceMetrics: [1, LEN] })
export const RESOURCE_ITEMS = message({
  resource: [1, LEN],
  scopeItems: [2, LEN],
  schemaUrl: [3, LEN],
})
export const SCOPE_ITEMS = message({
  scope: [1, LEN],
  items: [2, LEN],
  schemaUrl: [3, LEN],
})
export const RESOURCE = message({
  attributes: [1, LEN],
  droppedAttributesCount: [2, VARINT],
})
export const SCOPE = message({
  name: [1, LEN],
  version: [2, LEN],
  attributes: [3, LEN],
})

/** `KeyValue`, `AnyValue`, `ArrayValue`, `KeyValueList`. */
export const KEY_VALUE = message({ key: [1, LEN], value: [2, LEN] })
export const ANY_VALUE = message({
  stringValue: [1, LEN],
  boolValue: [2, VARINT],
  intValue: [3, VARINT],
  doubleValue: [4, I64],
  arrayValue: [5, LEN],
  kvlistValue: [6, LEN],
  bytesValue: [7, LEN],
})
export const VALUES = message({ values: [1, LEN] })

/** `Span`, `Span.Event`, `Status`. */
export const SPAN = message({
  traceId: [1, LEN],
  spanId: [2, LEN],
  traceState: [3, LEN],
  parentSpanId: [4, LEN],
  name: [5, LEN],
  kind: [6, VARINT],
  startTimeUnixNano: [7, I64],
  endTimeUnixNano: [8, I64],
  attributes: [9, LEN],
  droppedAttributesCount: [10, VARINT],
  events: [11, LEN],
  droppedEventsCount: [12, VARINT],
  links: [13, LEN],
  droppedLinksCount: [14, VARINT],
  status: [15, LEN],
  flags: [16, I32],
})
export const EVENT = message({
  timeUnixNano: [1, I64],
  name: [2, LEN],
  attributes: [3, LEN],
  droppedAttributesCount: [4, VARINT],
})
export const STATUS = message({ message: [2, LEN], code: [3, VARINT] })

/** `Metric`, its `Gauge` / `Sum` / `Histogram`, and their data points. */
export const METRIC = message({
  name: [1, LEN],
  description: [2, LEN],
  unit: [3, LEN],
  gauge: [5, LEN],
  sum: [7, LEN],
  histogram: [9, LEN],
  exponentialHistogram: [10, LEN],
  summary: [11, LEN],
})
export const METRIC_DATA = message({
  dataPoints: [1, LEN],
  aggregationTemporality: [2, VARINT],
  isMonotonic: [3, VARINT],
})
export const NUMBER_POINT = message({
  startTimeUnixNano: [2, I64],
  timeUnixNano: [3, I64],
  asDouble: [4, I64],
  asInt: [6, I64],
  attributes: [7, LEN],
  flags: [8, VARINT],
})
export const HISTOGRAM_POINT = message({
  startTimeUnixNano: [2, I64],
  timeUnixNano: [3, I64],
  count: [4, I64],
  sum: [5, I64],
  bucketCounts: [6, LEN],
  explicitBounds: [7, LEN],
  attributes: [9, LEN],
  flags: [10, VARINT],
  min: [11, I64],
  max: [12, I64],
})

/** `Export*ServiceResponse.partial_success` and its `rejected_*` / `error_message`. */
export const RESPONSE = message({ partialSuccess: [1, LEN] })
export const PARTIAL_SUCCESS = message({
  rejected: [1, VARINT],
  errorMessage: [2, LEN],
})
/** `google.rpc.Status`, the body of an OTLP/HTTP protobuf error answer. */
export const RPC_STATUS = message({
  code: [1, VARINT],
  message: [2, LEN],
})
