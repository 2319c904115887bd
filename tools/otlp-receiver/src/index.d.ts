/** A span as received over OTLP/HTTP JSON, attributes decoded to plain values. */
export interface ReceivedSpan {
  traceId: string
  spanId: string
  parentSpanId?: string
  name: string
  /** OTLP SpanKind number (1 internal, 2 server, 3 client, 4 producer, 5 consumer). */
  kind: number
  status: { code?: number; message?: string }
  attributes: Record<string, unknown>
  /** `service.name` of the span's resource. */
  service: string | undefined
}

export interface OtlpReceiver {
  /** `http://127.0.0.1:PORT`: use as OTEL_EXPORTER_OTLP_ENDPOINT. */
  readonly origin: string
  /** Same as `origin`. */
  readonly url: string
  /** Every span received, in arrival order. */
  readonly spans: ReceivedSpan[]
  /** Every `/v1/metrics` body received, as parsed JSON. */
  readonly metrics: unknown[]
  /** `/v1/traces` requests received. */
  readonly requests: number
  trace(traceId: string): ReceivedSpan[]
  /** Resolves once `predicate` holds for the spans so far; rejects after `timeoutMs` listing what arrived. */
  waitFor(predicate: (spans: ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<void>
  close(): Promise<void>
}

/** A local OTLP/HTTP JSON receiver on 127.0.0.1 (ephemeral port) that keeps every span it is sent. */
export function startOtlpReceiver(): Promise<OtlpReceiver>

/** Checks one trace is whole (one root; every other span's parent is in it) and returns the root. */
export function assertWholeTrace(spans: ReceivedSpan[]): ReceivedSpan
