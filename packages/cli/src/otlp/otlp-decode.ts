import {
  type Attributes,
  type AttributeValue,
  isSecretKey,
  REDACTED,
  type Resource,
  redactSecretsInText,
  type SpanData,
  type SpanError,
  type SpanEvent,
  type SpanKind,
  type SpanStatus,
  TokentrailError,
} from '@tokentrail/core'
import { KIND_ATTRIBUTE, STATUS_ATTRIBUTE } from '@tokentrail/core/otlp'
import {
  MAX_VALUE_NESTING,
  type OtlpAnyValue,
  type OtlpKeyValue,
} from '@tokentrail/core/otlp-protobuf'
import { completeOtherSdkCall } from './other-sdks.js'

// One definition of the OTLP value shapes and the nesting limit, shared with core's protobuf reader.
export type { OtlpAnyValue, OtlpKeyValue } from '@tokentrail/core/otlp-protobuf'

export interface OtlpSpan {
  traceId?: string
  spanId?: string
  parentSpanId?: string
  traceState?: string
  name?: string
  kind?: number | string
  startTimeUnixNano?: string | number | bigint
  endTimeUnixNano?: string | number | bigint
  attributes?: OtlpKeyValue[]
  droppedAttributesCount?: number
  events?: {
    timeUnixNano?: string | number | bigint
    name?: string
    attributes?: OtlpKeyValue[]
    droppedAttributesCount?: number
  }[]
  droppedEventsCount?: number
  links?: {
    traceId?: string
    spanId?: string
    traceState?: string
    attributes?: OtlpKeyValue[]
    droppedAttributesCount?: number
  }[]
  droppedLinksCount?: number
  status?: { code?: number | string; message?: string }
}

/**
 * A span's link to another span (OTLP `Span.Link`: a batch job's inputs, a message's producer, a
 * retried request), kept with the span as received, its attributes redacted like the span's.
 */
export interface SpanLink {
  /** Left out for a link to an invalid (all-zero or empty) context, which OTLP allows. */
  traceId?: string
  spanId?: string
  traceState?: string
  attributes?: Attributes
  droppedAttributesCount?: number
}

/** The instrumentation scope (library) that made a span: OTLP `InstrumentationScope`. */
export interface SpanScope {
  name: string
  version?: string
}

/**
 * A span as the collector stores it: core's `SpanData`, the OTLP links it came with and its
 * instrumentation scope.
 */
export type StoredSpan = SpanData & {
  links?: SpanLink[]
  droppedLinksCount?: number
  scope?: SpanScope
}

/** An OTLP `ExportTraceServiceRequest` in its JSON shape (ids as hex strings). */
export interface OtlpTracesRequest {
  resourceSpans?: {
    resource?: { attributes?: OtlpKeyValue[] }
    scopeSpans?: { scope?: { name?: string; version?: string }; spans?: OtlpSpan[] }[]
  }[]
}

const KINDS: ReadonlySet<string> = new Set(['llm', 'tool', 'http', 'queue', 'internal'])
const LLM_OPERATIONS: ReadonlySet<string> = new Set([
  'chat',
  'text_completion',
  'generate_content',
  'embeddings',
  // ai@7's `@ai-sdk/otel` `OpenTelemetry` names its rerank calls so (as ai.rerank.doRerank below).
  'rerank',
  // And its `experimental_extract` calls (`extract <model>`, the operation and the provider call
  // under it, which has the tokens; the operation is stored as internal, as for rerank).
  'extract',
  // And its `experimental_decide` calls (`decide <model>`, the same shape as extract).
  'decide',
])
const OTLP_KIND_NAMES: Record<string, number> = {
  SPAN_KIND_UNSPECIFIED: 0,
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
}
const HEX32 = /^[0-9a-f]{32}$/
const HEX16 = /^[0-9a-f]{16}$/
const ZERO32 = '0'.repeat(32)
const ZERO16 = '0'.repeat(16)
const NANOS = /^\d{1,20}$/
/**
 * The latest time OTLP can carry: a fixed64 of nanoseconds, 2^64 − 1, in epoch milliseconds (the
 * year 2554). A later one (a 26-digit string, 1e308) is no time: lists, retention and percentiles
 * read it as one, and showed `NaN` or a p99 of 1e20 ms.
 */
export const MAX_TIME_MS = 18_446_744_073_709.55

/** Throws a `TokentrailError` that names the bad field. */
export function fail(path: string, message: string): never {
  throw new TokentrailError(`${path}: ${message}`)
}

/**
 * Where a value sits in the body, for error messages. A span's and an attribute's paths are built
 * only when something there is wrong: a 512-span batch would otherwise build ~10,000 strings that
 * are never read.
 */
export type Path = string | (() => string)

/** `path` followed by `suffix`, as text. */
function at(path: Path, suffix = ''): string {
  return `${typeof path === 'string' ? path : path()}${suffix}`
}

export function isObject(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function list<T>(value: unknown, path: Path, suffix = ''): T[] {
  if (value === undefined || value === null) return []
  if (!Array.isArray(value)) fail(at(path, suffix), `expected an array, got ${typeof value}`)
  return value as T[]
}

/** Checks an id: lowercase hex of the right length and not all zeros. */
function readId(
  value: unknown,
  path: Path,
  field: string,
  length: 16 | 32,
  required: boolean,
): string | undefined {
  if (value === undefined || value === null || value === '') {
    if (required) fail(at(path, field), `is required (${length} hex characters)`)
    return undefined
  }
  if (typeof value !== 'string') fail(at(path, field), `expected a hex string, got ${typeof value}`)
  const id = value.toLowerCase()
  if (!(length === 32 ? HEX32 : HEX16).test(id))
    fail(
      at(path, field),
      `expected ${length} hex characters, got "${value.slice(0, 40)}" (OTLP/JSON ids are hex, not base64)`,
    )
  if (id === (length === 32 ? ZERO32 : ZERO16)) {
    // The invalid id is how several SDKs' exporters (older Java and .NET, OpenCensus bridges) write
    // "no parent" for a root span: a root, as the OpenTelemetry Collector reads it. Refusing it
    // answered 400 to every batch holding a root, which exporters do not retry.
    if (!required) return undefined
    fail(at(path, field), 'an all-zero id is invalid')
  }
  return id
}

/** Nanoseconds since the epoch (decimal string, number or bigint) to epoch milliseconds. */
export function nanosToMs(value: unknown, path: Path, field = ''): number {
  const ms = readNanos(value, path, field)
  if (ms > MAX_TIME_MS)
    fail(
      at(path, field),
      `is past the latest time OTLP carries (2^64 − 1 nanoseconds, the year 2554)`,
    )
  return ms
}

function readNanos(value: unknown, path: Path, field: string): number {
  if (typeof value === 'bigint') {
    if (value < 0n) fail(at(path, field), 'must not be negative')
    return Number(value / 1_000_000n) + Number(value % 1_000_000n) / 1e6
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0)
      fail(at(path, field), `expected nanoseconds, got ${value}`)
    return value / 1e6
  }
  if (typeof value !== 'string' || !NANOS.test(value))
    fail(
      at(path, field),
      `expected nanoseconds as a decimal string of at most 20 digits, got ${JSON.stringify(value)?.slice(0, 40) ?? 'nothing'}`,
    )
  if (value.length <= 6) return Number(value) / 1e6
  return Number(value.slice(0, -6)) + Number(value.slice(-6)) / 1e6
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
}

/** Deepest nesting of array and key-value list values; deeper input is refused, not recursed into. */
export { MAX_VALUE_NESTING }

/** Plain JSON for nested values (arrays of mixed types, key-value lists). */
function toPlain(value: OtlpAnyValue | undefined, path: string, depth = 0): unknown {
  if (!isObject(value)) return null
  // Recursing without a bound let a deeply nested body overflow the stack (a 500, not a 400).
  if (depth > MAX_VALUE_NESTING) fail(path, `values nested deeper than ${MAX_VALUE_NESTING} levels`)
  if (value.stringValue !== undefined) return String(value.stringValue)
  if (value.boolValue !== undefined) return readBool(value.boolValue, `${path}.boolValue`)
  if (value.intValue !== undefined) return readInt(value.intValue, path)
  if (value.doubleValue !== undefined) return readDouble(value.doubleValue, `${path}.doubleValue`)
  if (value.bytesValue !== undefined) return readBytes(value.bytesValue, `${path}.bytesValue`)
  if (value.arrayValue !== undefined)
    return list<OtlpAnyValue>(value.arrayValue?.values, `${path}.arrayValue.values`).map((v, i) =>
      toPlain(v, `${path}.arrayValue.values[${i}]`, depth + 1),
    )
  if (value.kvlistValue !== undefined) {
    const out: Record<string, unknown> = {}
    const entries = list<OtlpKeyValue>(value.kvlistValue?.values, `${path}.kvlistValue.values`)
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!
      if (!isObject(entry) || typeof entry.key !== 'string')
        fail(`${path}.kvlistValue.values[${i}].key`, 'expected a string')
      out[entry.key] = isSecretKey(entry.key)
        ? REDACTED
        : toPlain(entry.value, `${path}.kvlistValue.values[${i}].value`, depth + 1)
    }
    return out
  }
  return null
}

// A value of the wrong JSON type was stored wrong (`boolValue: "false"` as true, a `doubleValue`
// object as "[object Object]") or failed as a 500 (`bytesValue: 5`): refused, naming it.
function readBool(value: unknown, path: string): boolean {
  if (typeof value === 'boolean') return value
  return fail(path, `expected true or false, got ${JSON.stringify(value)}`)
}

// A number, or what proto3's JSON mapping writes for a double: a numeric string, "NaN",
// "Infinity", "-Infinity".
function readDouble(value: unknown, path: string): number {
  if (typeof value === 'number') return value
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value)
    if (!Number.isNaN(n) || value === 'NaN') return n
  }
  return fail(path, `expected a number, got ${JSON.stringify(value)}`)
}

// Base64 text in JSON; bytes from protobuf.
function readBytes(value: unknown, path: string): string {
  if (typeof value === 'string') return value
  if (value instanceof Uint8Array) return base64(value)
  return fail(path, `expected base64 text, got ${JSON.stringify(value)}`)
}

function readInt(value: unknown, path: string): number | string {
  if (typeof value === 'bigint')
    return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString()
  if (typeof value === 'number' && Number.isInteger(value)) return value
  if (typeof value === 'string' && /^-?\d+$/.test(value)) {
    const n = Number(value)
    return Number.isSafeInteger(n) ? n : value
  }
  return fail(path, `expected an integer, got ${JSON.stringify(value)}`)
}

/** Reads the value of the `i`th entry of the key-value list at `owner`. */
function readValue(value: unknown, owner: Path, i: number): AttributeValue | undefined {
  if (!isObject(value)) return undefined
  if (typeof value.stringValue === 'string') return redactSecretsInText(value.stringValue)
  if (value.boolValue !== undefined)
    return readBool(value.boolValue, at(owner, `[${i}].value.boolValue`))
  if (value.intValue !== undefined) {
    const int = value.intValue
    return typeof int === 'number' && Number.isSafeInteger(int)
      ? int
      : readInt(int, at(owner, `[${i}].value.intValue`))
  }
  if (value.doubleValue !== undefined) {
    const n = readDouble(value.doubleValue, at(owner, `[${i}].value.doubleValue`))
    return Number.isFinite(n) ? n : String(n)
  }
  if (value.arrayValue !== undefined) {
    const path = at(owner, `[${i}].value`)
    const items = list<unknown>(value.arrayValue?.values, `${path}.arrayValue.values`).map((v, i) =>
      toPlain(v as OtlpAnyValue, `${path}.arrayValue.values[${i}]`),
    )
    const first = typeof items[0]
    if (
      (first === 'string' || first === 'number' || first === 'boolean') &&
      items.every((item) => typeof item === first)
    )
      return first === 'string'
        ? (items as string[]).map(redactSecretsInText)
        : (items as number[] | boolean[])
    if (items.length === 0) return [] as string[]
    return redactSecretsInText(JSON.stringify(items))
  }
  if (value.kvlistValue !== undefined)
    return redactSecretsInText(
      JSON.stringify(toPlain(value as OtlpAnyValue, at(owner, `[${i}].value`))),
    )
  if (value.bytesValue !== undefined)
    return readBytes(value.bytesValue, at(owner, `[${i}].value.bytesValue`))
  return undefined
}

/**
 * Tokentrail's own kind and status attributes, kept out of a span's attributes; or a resource's
 * `service.name` (`service`), kept out of its attributes.
 */
interface Ours {
  kind?: AttributeValue
  status?: AttributeValue
  service?: AttributeValue
}

/**
 * Reads an OTLP `KeyValue[]`; secrets are redacted. With `ours`, Tokentrail's kind and status
 * attributes go there instead (taken out while reading: deleting them afterwards made every span's
 * attributes a slow dictionary object); with `resource`, `service.name` goes to `ours.service`.
 */
export function readAttributes(
  input: unknown,
  path: Path,
  ours?: Ours,
  resource = false,
): Attributes {
  const attributes: Attributes = {}
  const entries = list<OtlpKeyValue>(input, path)
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]
    if (!isObject(entry) || typeof entry.key !== 'string' || entry.key === '')
      fail(at(path, `[${i}].key`), 'expected a non-empty string')
    const value = readValue(entry.value, path, i)
    if (value === undefined) continue
    const key = entry.key
    if (resource) {
      if (key === 'service.name') ours!.service = value
      else attributes[key] = isSecretKey(key) ? REDACTED : value
    } else if (ours !== undefined && key === KIND_ATTRIBUTE) ours.kind = value
    else if (ours !== undefined && key === STATUS_ATTRIBUTE) ours.status = value
    else attributes[key] = isSecretKey(key) ? REDACTED : value
  }
  return attributes
}

function readKind(otlpKind: unknown, ours: unknown, attributes: Attributes, path: Path): SpanKind {
  if (typeof ours === 'string' && KINDS.has(ours)) return ours as SpanKind
  const operation = attributes['gen_ai.operation.name']
  if (operation === 'execute_tool') return 'tool'
  if (typeof operation === 'string' && LLM_OPERATIONS.has(operation)) return 'llm'
  if (operation === undefined) {
    // The AI SDK's own telemetry (ai@5, ai@6, ai@7's LegacyOpenTelemetry) names no GenAI
    // operation: its provider calls are `ai.<function>.doGenerate`/`.doStream`/`.doEmbed`/
    // `.doRerank`, its tools `ai.toolCall`.
    const id = attributes['ai.operationId']
    if (typeof id === 'string') {
      if (id === 'ai.toolCall') return 'tool'
      if (
        id.endsWith('.doStream') ||
        id.endsWith('.doGenerate') ||
        id.endsWith('.doEmbed') ||
        id.endsWith('.doRerank')
      )
        return 'llm'
    }
  }
  let kind = otlpKind ?? 0
  if (typeof kind === 'string') kind = OTLP_KIND_NAMES[kind] ?? Number(kind)
  if (typeof kind !== 'number' || !Number.isInteger(kind) || kind < 0 || kind > 5)
    fail(at(path, '.kind'), `expected a SpanKind number 0-5, got ${JSON.stringify(otlpKind)}`)
  if (kind === 2) return 'http'
  if (kind === 4 || kind === 5) return 'queue'
  if (kind === 3 && (attributes['http.request.method'] ?? attributes['http.method']) !== undefined)
    return 'http'
  return 'internal'
}

function readStatus(
  status: unknown,
  ours: unknown,
  path: Path,
): { status: SpanStatus; message?: string } {
  if (status !== undefined && status !== null && !isObject(status))
    fail(at(path, '.status'), 'expected an object')
  let code = status?.code ?? 0
  if (code === 'STATUS_CODE_UNSET') code = 0
  else if (code === 'STATUS_CODE_OK') code = 1
  else if (code === 'STATUS_CODE_ERROR') code = 2
  if (code !== 0 && code !== 1 && code !== 2)
    fail(
      at(path, '.status.code'),
      `expected 0 (unset), 1 (ok) or 2 (error), got ${JSON.stringify(code)}`,
    )
  const message =
    typeof status?.message === 'string' && status.message !== ''
      ? redactSecretsInText(status.message)
      : undefined
  if (code === 2) return { status: 'error', message }
  if (ours === 'cancelled') return { status: 'cancelled', message }
  return { status: 'ok', message }
}

/**
 * A dropped count the sender gave (`droppedAttributesCount`, `droppedEventsCount`): a uint32, as a
 * number (or a string, as some JSON encoders write it); 0 when absent.
 */
function readCount(value: unknown, path: Path, field: string): number {
  if (value === undefined || value === null || value === 0) return 0
  const n = typeof value === 'string' && /^\d{1,10}$/.test(value) ? Number(value) : value
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 0xffff_ffff)
    fail(at(path, field), `expected a count (a non-negative integer), got ${JSON.stringify(value)}`)
  return n
}

function readEvents(input: unknown, span: Path): { events: SpanEvent[]; error?: SpanError } {
  const events: SpanEvent[] = []
  let error: SpanError | undefined
  const entries = list<any>(input, span, '.events')
  if (entries.length === 0) return { events }
  const path = at(span, '.events')
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]
    if (!isObject(entry)) fail(`${path}[${i}]`, 'expected an object')
    const attributes = readAttributes(entry.attributes, `${path}[${i}].attributes`)
    const name = typeof entry.name === 'string' ? entry.name : ''
    const event: SpanEvent = {
      name,
      time: nanosToMs(entry.timeUnixNano, `${path}[${i}].timeUnixNano`),
      ...(Object.keys(attributes).length > 0 ? { attributes } : {}),
    }
    const dropped = readCount(
      entry.droppedAttributesCount,
      `${path}[${i}]`,
      '.droppedAttributesCount',
    )
    events.push(dropped > 0 ? { ...event, droppedAttributesCount: dropped } : event)
    if (name === 'exception' && !error) {
      const stack = attributes['exception.stacktrace']
      error = {
        type: String(attributes['exception.type'] ?? 'Error'),
        message: String(attributes['exception.message'] ?? ''),
        ...(typeof stack === 'string' ? { stack } : {}),
      }
    }
  }
  return { events, error }
}

function readLinks(input: unknown, span: Path): SpanLink[] {
  const entries = list<any>(input, span, '.links')
  const links: SpanLink[] = []
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]
    const path = () => `${at(span)}.links[${i}]`
    if (!isObject(entry)) fail(path(), 'expected an object')
    // A link to an invalid context (all-zero or empty ids) is valid OTLP when it carries
    // attributes or a trace state: kept without ids, not a reason to refuse the batch.
    const link: SpanLink = {}
    const traceId = readId(entry.traceId, path, '.traceId', 32, false)
    const spanId = readId(entry.spanId, path, '.spanId', 16, false)
    if (traceId && spanId) {
      link.traceId = traceId
      link.spanId = spanId
    }
    if (typeof entry.traceState === 'string' && entry.traceState) link.traceState = entry.traceState
    const attributes = readAttributes(entry.attributes, () => `${path()}.attributes`)
    if (Object.keys(attributes).length > 0) link.attributes = attributes
    const dropped = readCount(entry.droppedAttributesCount, path, '.droppedAttributesCount')
    if (dropped > 0) link.droppedAttributesCount = dropped
    links.push(link)
  }
  return links
}

/** Reads an OTLP `Resource`: `service.name` becomes `serviceName`. */
export function readResource(input: unknown, path: string): Resource {
  if (input !== undefined && input !== null && !isObject(input)) fail(path, 'expected an object')
  // Taken out while reading, not deleted afterwards: a deleted key made the attributes a
  // dictionary object, which `JSON.stringify` wrote ~3× slower, for every span stored with them.
  const ours: Ours = {}
  const attributes = readAttributes(input?.attributes, `${path}.attributes`, ours, true)
  const name = ours.service
  return { serviceName: typeof name === 'string' && name ? name : 'unknown_service', attributes }
}

/** Reads the `i`th span of the list at `spans`. */
function readSpan(
  input: unknown,
  resource: Resource,
  scope: SpanScope | undefined,
  spans: string,
  i: number,
): SpanData {
  const path = () => `${spans}[${i}]`
  if (!isObject(input)) fail(path(), 'expected an object')
  const traceId = readId(input.traceId, path, '.traceId', 32, true)!
  const spanId = readId(input.spanId, path, '.spanId', 16, true)!
  const parentSpanId = readId(input.parentSpanId, path, '.parentSpanId', 16, false)
  if (input.name !== undefined && typeof input.name !== 'string')
    fail(at(path, '.name'), 'expected a string')
  const startTime = nanosToMs(input.startTimeUnixNano, path, '.startTimeUnixNano')
  const endTime = nanosToMs(input.endTimeUnixNano, path, '.endTimeUnixNano')
  if (endTime < startTime) fail(at(path, '.endTimeUnixNano'), 'is before startTimeUnixNano')
  const ours: Ours = {}
  const attributes = readAttributes(input.attributes, () => `${path()}.attributes`, ours)
  const kind = readKind(input.kind, ours.kind, attributes, path)
  // Another SDK's model call: the model, tokens and cost every view reads (see `other-sdks.ts`).
  if (kind === 'llm' && ours.kind === undefined) completeOtherSdkCall(attributes)
  const { status, message } = readStatus(input.status, ours.status, path)
  const { events, error: exception } = readEvents(input.events, path)
  const droppedAttributes = readCount(input.droppedAttributesCount, path, '.droppedAttributesCount')
  const droppedEvents = readCount(input.droppedEventsCount, path, '.droppedEventsCount')
  const links = input.links === undefined ? undefined : readLinks(input.links, path)
  const droppedLinks = readCount(input.droppedLinksCount, path, '.droppedLinksCount')
  let error: SpanError | undefined
  if (status === 'error' || exception)
    error = exception
      ? { ...exception, message: exception.message || message || '' }
      : { type: String(attributes['error.type'] ?? 'Error'), message: message ?? 'error' }
  // The status's own description, when the exception's message took its place in `error` and says
  // something else (`setStatus({ code: ERROR, message: 'payment declined' })` beside
  // `recordException(err)`): kept under the name OpenTelemetry's Zipkin and Jaeger mappings use.
  if (
    exception &&
    message &&
    message !== exception.message &&
    !('otel.status_description' in attributes)
  )
    attributes['otel.status_description'] = message
  // Fields set one by one in the stored order (optional ones only when present): the spreads this
  // replaced made a temporary object for each.
  const span = { traceId, spanId } as { -readonly [K in keyof StoredSpan]: StoredSpan[K] }
  if (parentSpanId) span.parentSpanId = parentSpanId
  if (typeof input.traceState === 'string' && input.traceState) span.traceState = input.traceState
  span.name = input.name || 'unknown'
  span.kind = kind
  span.startTime = startTime
  span.endTime = endTime
  span.status = status
  span.attributes = attributes
  if (droppedAttributes > 0) span.droppedAttributesCount = droppedAttributes
  span.events = events
  if (droppedEvents > 0) span.droppedEventsCount = droppedEvents
  if (links?.length) span.links = links
  if (droppedLinks > 0) span.droppedLinksCount = droppedLinks
  if (error) span.error = error
  span.resource = resource
  if (scope) span.scope = scope
  return span
}

/** The scope of Tokentrail's own exporters (core's `SCOPE_NAME`). */
const TOKENTRAIL_SCOPE = '@tokentrail/core'

/**
 * Reads a `ScopeSpans` entry's `scope` (kept as it was read before: anything else than an object
 * with a name is no scope, not a reason to refuse the batch). One object for all its spans. Not
 * kept for Tokentrail's own spans: every one has the same, and ~50 bytes more in each stored span
 * is what ingest pays most for (the store's writes).
 */
function readScope(input: unknown): SpanScope | undefined {
  if (!isObject(input) || typeof input.name !== 'string' || input.name === '') return undefined
  if (input.name === TOKENTRAIL_SCOPE) return undefined
  const name = redactSecretsInText(input.name.slice(0, 200))
  const version =
    typeof input.version === 'string' ? redactSecretsInText(input.version.slice(0, 100)) : ''
  return version ? { name, version } : { name }
}

/**
 * Turns an OTLP `ExportTraceServiceRequest` (the JSON shape, or what `decodeOtlpProtobuf` returns)
 * into spans. Throws a `TokentrailError` naming the first bad field; secrets are redacted.
 */
export function otlpToSpans(request: unknown): SpanData[] {
  if (!isObject(request)) fail('body', 'expected an ExportTraceServiceRequest object')
  const spans: SpanData[] = []
  const resourceSpans = list<any>(request.resourceSpans, 'resourceSpans')
  for (let r = 0; r < resourceSpans.length; r++) {
    const entry = resourceSpans[r]
    const path = `resourceSpans[${r}]`
    if (!isObject(entry)) fail(path, 'expected an object')
    const resource = readResource(entry.resource, `${path}.resource`)
    const scopeSpans = list<any>(entry.scopeSpans, `${path}.scopeSpans`)
    for (let s = 0; s < scopeSpans.length; s++) {
      const scope = scopeSpans[s]
      if (!isObject(scope)) fail(`${path}.scopeSpans[${s}]`, 'expected an object')
      const at = `${path}.scopeSpans[${s}].spans`
      const items = list<unknown>(scope.spans, at)
      if (items.length === 0) continue
      const library = readScope(scope.scope)
      for (let i = 0; i < items.length; i++)
        spans.push(readSpan(items[i], resource, library, at, i))
    }
  }
  return spans
}
