import {
  type Attributes,
  isSecretKey,
  isValidSpanId,
  isValidTraceId,
  REDACTED,
  redactSecretsInText,
  type SpanData,
  type SpanEvent,
  TokentrailError,
} from '@tokentrail/core'
import { MAX_TIME_MS } from './otlp-decode.js'

const KINDS: ReadonlySet<string> = new Set(['llm', 'tool', 'http', 'queue', 'internal'])
const STATUSES: ReadonlySet<string> = new Set(['ok', 'error', 'cancelled'])

function fail(path: string, message: string): never {
  throw new TokentrailError(`${path}: ${message}`)
}

function isObject(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function time(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_TIME_MS)
    fail(
      path,
      `expected epoch milliseconds up to ${MAX_TIME_MS} (the latest time OTLP carries), got ${JSON.stringify(value)}`,
    )
  return value
}

function attributes(value: unknown, path: string): Attributes {
  if (value === undefined) return {}
  if (!isObject(value)) fail(path, 'expected an object of attribute values')
  const out: Attributes = {}
  for (const key in value) {
    const item = value[key]
    if (isSecretKey(key)) {
      out[key] = REDACTED
      continue
    }
    if (typeof item === 'string') out[key] = redactSecretsInText(item)
    else if (typeof item === 'number' || typeof item === 'boolean') out[key] = item
    else if (
      Array.isArray(item) &&
      (item.length === 0 ||
        ((typeof item[0] === 'string' ||
          typeof item[0] === 'number' ||
          typeof item[0] === 'boolean') &&
          item.every((entry) => typeof entry === typeof item[0])))
    )
      out[key] = typeof item[0] === 'string' ? item.map(redactSecretsInText) : item
    else
      fail(
        `${path}.${key}`,
        'expected a string, number, boolean or an array of one of those (what core sanitises to)',
      )
  }
  return out
}

// A dropped count (`droppedAttributesCount`, `droppedEventsCount`), kept only when above 0.
function count(value: unknown, path: string): { [key: string]: number } | undefined {
  if (value === undefined || value === 0) return undefined
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    fail(path, `expected a count (a non-negative integer), got ${JSON.stringify(value)}`)
  return { [path.slice(path.lastIndexOf('.') + 1)]: value }
}

function span(value: unknown, path: string): SpanData {
  if (!isObject(value)) fail(path, 'expected a span object')
  if (typeof value.traceId !== 'string' || !isValidTraceId(value.traceId))
    fail(`${path}.traceId`, 'expected 32 lowercase hex characters, not all zero')
  if (typeof value.spanId !== 'string' || !isValidSpanId(value.spanId))
    fail(`${path}.spanId`, 'expected 16 lowercase hex characters, not all zero')
  if (
    value.parentSpanId !== undefined &&
    (typeof value.parentSpanId !== 'string' || !isValidSpanId(value.parentSpanId))
  )
    fail(`${path}.parentSpanId`, 'expected 16 lowercase hex characters or no field')
  if (typeof value.name !== 'string') fail(`${path}.name`, 'expected a string')
  if (!KINDS.has(value.kind)) fail(`${path}.kind`, `expected one of ${[...KINDS].join(', ')}`)
  if (!STATUSES.has(value.status))
    fail(`${path}.status`, `expected one of ${[...STATUSES].join(', ')}`)
  const startTime = time(value.startTime, `${path}.startTime`)
  const endTime = time(value.endTime, `${path}.endTime`)
  if (endTime < startTime) fail(`${path}.endTime`, 'is before startTime')
  const events: SpanEvent[] = []
  if (value.events !== undefined && !Array.isArray(value.events))
    fail(`${path}.events`, 'expected an array')
  for (const [i, event] of (value.events ?? []).entries()) {
    if (!isObject(event) || typeof event.name !== 'string')
      fail(`${path}.events[${i}]`, 'expected { name, time, attributes? }')
    const eventAttributes = attributes(event.attributes, `${path}.events[${i}].attributes`)
    events.push({
      name: event.name,
      time: time(event.time, `${path}.events[${i}].time`),
      ...(event.attributes ? { attributes: eventAttributes } : {}),
      ...count(event.droppedAttributesCount, `${path}.events[${i}].droppedAttributesCount`),
    })
  }
  let error: SpanData['error']
  if (value.error !== undefined) {
    const e = value.error
    if (!isObject(e) || typeof e.message !== 'string' || typeof e.type !== 'string')
      fail(`${path}.error`, 'expected { type, message, stack? } strings')
    error = {
      type: e.type,
      message: redactSecretsInText(e.message),
      ...(typeof e.stack === 'string' ? { stack: redactSecretsInText(e.stack) } : {}),
    }
  }
  // Links, as the collector stores them from OTLP: a `--export --raw` file brings them back.
  const links: Record<string, unknown>[] = []
  if (value.links !== undefined && !Array.isArray(value.links))
    fail(`${path}.links`, 'expected an array')
  for (const [i, link] of (value.links ?? []).entries()) {
    // Without ids: a link to an invalid context, as the collector keeps it from OTLP.
    const noIds = isObject(link) && link.traceId === undefined && link.spanId === undefined
    if (
      !isObject(link) ||
      (!noIds &&
        (typeof link.traceId !== 'string' ||
          !isValidTraceId(link.traceId) ||
          typeof link.spanId !== 'string' ||
          !isValidSpanId(link.spanId)))
    )
      fail(
        `${path}.links[${i}]`,
        'expected { traceId, spanId, attributes? } with lowercase hex ids',
      )
    links.push({
      ...(noIds ? {} : { traceId: link.traceId, spanId: link.spanId }),
      ...(typeof link.traceState === 'string' ? { traceState: link.traceState } : {}),
      ...(link.attributes
        ? { attributes: attributes(link.attributes, `${path}.links[${i}].attributes`) }
        : {}),
      ...count(link.droppedAttributesCount, `${path}.links[${i}].droppedAttributesCount`),
    })
  }
  const resource = value.resource
  if (!isObject(resource) || typeof resource.serviceName !== 'string')
    fail(`${path}.resource`, 'expected { serviceName, attributes }')
  return {
    traceId: value.traceId,
    spanId: value.spanId,
    ...(value.parentSpanId ? { parentSpanId: value.parentSpanId } : {}),
    ...(typeof value.traceState === 'string' ? { traceState: value.traceState } : {}),
    name: value.name,
    kind: value.kind,
    startTime,
    endTime,
    status: value.status,
    attributes: attributes(value.attributes, `${path}.attributes`),
    ...count(value.droppedAttributesCount, `${path}.droppedAttributesCount`),
    events,
    ...count(value.droppedEventsCount, `${path}.droppedEventsCount`),
    ...(links.length ? { links } : {}),
    ...count(value.droppedLinksCount, `${path}.droppedLinksCount`),
    ...(error ? { error } : {}),
    resource: {
      serviceName: resource.serviceName || 'unknown_service',
      attributes: attributes(resource.attributes, `${path}.resource.attributes`),
    },
    // The instrumentation scope the collector stored (a `--export --raw` file brings it back).
    ...(isObject(value.scope) && typeof value.scope.name === 'string' && value.scope.name
      ? {
          scope: {
            name: redactSecretsInText(value.scope.name.slice(0, 200)),
            ...(typeof value.scope.version === 'string' && value.scope.version
              ? { version: redactSecretsInText(value.scope.version.slice(0, 100)) }
              : {}),
          },
        }
      : {}),
  }
}

/**
 * Validates the body core's `httpExporter` sends (`{ spans: SpanData[] }`, also what
 * `tokentrail trace --export` writes). Throws a `TokentrailError` naming the first bad field.
 */
export function spansFromJson(body: unknown): SpanData[] {
  if (!isObject(body) || !Array.isArray(body.spans))
    fail('body', 'expected { "spans": [SpanData, …] }')
  return body.spans.map((item: unknown, i: number) => span(item, `spans[${i}]`))
}
