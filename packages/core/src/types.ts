/** What a span stands for; decides the OTLP span kind and how viewers draw it. */
export type SpanKind = 'llm' | 'tool' | 'http' | 'queue' | 'internal'

/** How a span ended. `cancelled` is an abort: the client went away or a stream was cancelled. */
export type SpanStatus = 'ok' | 'error' | 'cancelled'

/** A value an attribute can hold once sanitised. */
export type AttributeValue = string | number | boolean | string[] | number[] | boolean[]

/** Attributes as stored on a span. */
export type Attributes = Record<string, AttributeValue>

/** Anything a caller may pass as an attribute value; it is sanitised at the boundary. */
export type AttributeInput = unknown

/** A timestamped event on a span. */
export interface SpanEvent {
  readonly name: string
  /** Epoch milliseconds, sub-millisecond precision. */
  readonly time: number
  readonly attributes?: Attributes
  /** Attributes the event's sender left out at its limit (OTLP `droppedAttributesCount`); absent when none. */
  readonly droppedAttributesCount?: number
}

/** The error a span recorded, as plain data. */
export interface SpanError {
  readonly type: string
  readonly message: string
  readonly stack?: string
}

/** The service that produced a span; one object shared by every span of a tracer. */
export interface Resource {
  readonly serviceName: string
  readonly attributes: Attributes
}

/** A finished span: immutable plain data shared by exporters, the collector and the viewer. */
export interface SpanData {
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId?: string
  readonly traceState?: string
  readonly name: string
  readonly kind: SpanKind
  /** Epoch milliseconds, sub-millisecond precision. */
  readonly startTime: number
  /** Epoch milliseconds, sub-millisecond precision. */
  readonly endTime: number
  readonly status: SpanStatus
  readonly attributes: Attributes
  /**
   * New attribute keys refused because the span held `limits.maxAttributes` already (OTLP
   * `droppedAttributesCount`); absent when none were.
   */
  readonly droppedAttributesCount?: number
  readonly events: readonly SpanEvent[]
  /** Events refused because the span held `limits.maxAttributes` events already (OTLP `droppedEventsCount`); absent when none were. */
  readonly droppedEventsCount?: number
  readonly error?: SpanError
  readonly resource: Resource
}

/** The part of a span that crosses process boundaries. */
export interface SpanContext {
  readonly traceId: string
  readonly spanId: string
  /** Bit 0 is the W3C `sampled` flag. */
  readonly traceFlags: number
  readonly traceState?: string
  /** True when the context came from another process (an extracted `traceparent`). */
  readonly isRemote?: boolean
}

/** What an exporter tells the processor about one batch. */
export type ExportResult =
  | { readonly code: 'success'; readonly rejected?: number; readonly message?: string }
  | { readonly code: 'retryable'; readonly retryAfterMs?: number; readonly error?: unknown }
  | { readonly code: 'failed'; readonly error?: unknown }

/** Sends batches of finished spans somewhere. Exporters never mutate spans and never throw. */
export interface SpanExporter {
  /** A short name for stats and debug messages, such as `otlp`. */
  readonly name: string
  /** Where spans go, for warnings and `tokentrail doctor`. */
  readonly url?: string
  /** Names of the headers sent (never their values), for `tokentrail doctor`. */
  readonly headerNames?: readonly string[]
  export(spans: readonly SpanData[], signal: AbortSignal): Promise<ExportResult>
  shutdown?(): Promise<void>
}
