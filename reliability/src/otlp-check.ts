// A strict reading of OTLP/HTTP JSON (opentelemetry-proto's JSON mapping): returns the problems
// found, empty when the body is a valid ExportTraceServiceRequest.

const HEX32 = /^[0-9a-f]{32}$/
const HEX16 = /^[0-9a-f]{16}$/
const UINT64 = /^(0|[1-9][0-9]{0,19})$/
const INT64 = /^-?(0|[1-9][0-9]{0,18})$/

function anyValue(value: unknown, path: string, problems: string[], depth = 0): void {
  if (depth > 64) return void problems.push(`${path}: nested deeper than 64`)
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return void problems.push(`${path}: AnyValue must be an object`)
  const keys = Object.keys(value)
  if (keys.length !== 1)
    return void problems.push(`${path}: AnyValue must hold one field, has ${keys.join(',')}`)
  const v = value as Record<string, unknown>
  if ('stringValue' in v) {
    if (typeof v.stringValue !== 'string') problems.push(`${path}.stringValue: not a string`)
  } else if ('boolValue' in v) {
    if (typeof v.boolValue !== 'boolean') problems.push(`${path}.boolValue: not a boolean`)
  } else if ('intValue' in v) {
    if (typeof v.intValue !== 'string' || !INT64.test(v.intValue))
      problems.push(`${path}.intValue: not a decimal int64 string: ${String(v.intValue)}`)
    else if (BigInt(v.intValue) > 2n ** 63n - 1n || BigInt(v.intValue) < -(2n ** 63n))
      problems.push(`${path}.intValue: out of int64 range`)
  } else if ('doubleValue' in v) {
    if (typeof v.doubleValue !== 'number' || !Number.isFinite(v.doubleValue))
      problems.push(`${path}.doubleValue: not a finite number`)
  } else if ('arrayValue' in v) {
    const values = (v.arrayValue as { values?: unknown })?.values
    if (!Array.isArray(values)) {
      problems.push(`${path}.arrayValue.values: not an array`)
      return
    }
    for (const [i, item] of values.entries())
      anyValue(item, `${path}.arrayValue.values[${i}]`, problems, depth + 1)
  } else if ('kvlistValue' in v) {
    keyValues(
      (v.kvlistValue as { values?: unknown })?.values,
      `${path}.kvlistValue.values`,
      problems,
      depth + 1,
    )
  } else problems.push(`${path}: unknown AnyValue field ${keys[0]}`)
}

function keyValues(list: unknown, path: string, problems: string[], depth = 0): void {
  if (!Array.isArray(list)) {
    problems.push(`${path}: not an array`)
    return
  }
  for (const [i, kv] of list.entries()) {
    if (typeof kv?.key !== 'string' || kv.key === '')
      problems.push(`${path}[${i}].key: not a non-empty string`)
    anyValue(kv?.value, `${path}[${i}].value`, problems, depth)
  }
}

function wellFormed(text: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text)
}

function spanProblems(span: any, p: string, problems: string[]): void {
  if (!HEX32.test(span.traceId) || /^0+$/.test(span.traceId))
    problems.push(`${p}.traceId: ${span.traceId}`)
  if (!HEX16.test(span.spanId) || /^0+$/.test(span.spanId))
    problems.push(`${p}.spanId: ${span.spanId}`)
  if (span.parentSpanId !== undefined && !HEX16.test(span.parentSpanId))
    problems.push(`${p}.parentSpanId: ${span.parentSpanId}`)
  if (typeof span.name !== 'string') problems.push(`${p}.name: not a string`)
  if (!Number.isInteger(span.kind) || span.kind < 0 || span.kind > 5)
    problems.push(`${p}.kind: ${span.kind}`)
  for (const key of ['startTimeUnixNano', 'endTimeUnixNano'])
    if (typeof span[key] !== 'string' || !UINT64.test(span[key]) || BigInt(span[key]) >= 2n ** 64n)
      problems.push(`${p}.${key}: ${span[key]}`)
  if (BigInt(span.endTimeUnixNano ?? 0) < BigInt(span.startTimeUnixNano ?? 0))
    problems.push(`${p}: ends before it starts`)
  keyValues(span.attributes, `${p}.attributes`, problems)
  if (!Array.isArray(span.events)) problems.push(`${p}.events: not an array`)
  else
    for (const [e, event] of (span.events as any[]).entries()) {
      if (typeof event.name !== 'string') problems.push(`${p}.events[${e}].name: not a string`)
      if (typeof event.timeUnixNano !== 'string' || !UINT64.test(event.timeUnixNano))
        problems.push(`${p}.events[${e}].timeUnixNano: ${event.timeUnixNano}`)
      keyValues(event.attributes ?? [], `${p}.events[${e}].attributes`, problems)
    }
  const code = span.status?.code
  if (![0, 1, 2].includes(code)) problems.push(`${p}.status.code: ${code}`)
  if (span.status?.message !== undefined && typeof span.status.message !== 'string')
    problems.push(`${p}.status.message: not a string`)
}

/** Problems with an OTLP/HTTP JSON traces body; `[]` when it is valid. */
export function otlpProblems(body: string): string[] {
  const problems: string[] = []
  if (!wellFormed(body)) problems.push('body holds a lone surrogate (not valid UTF-8 once sent)')
  let parsed: any
  try {
    parsed = JSON.parse(body)
  } catch (error) {
    return [`not JSON: ${(error as Error).message}`]
  }
  if (!Array.isArray(parsed?.resourceSpans)) return ['resourceSpans: not an array']
  for (const [r, rs] of (parsed.resourceSpans as any[]).entries()) {
    keyValues(rs?.resource?.attributes ?? [], `resourceSpans[${r}].resource.attributes`, problems)
    if (!Array.isArray(rs?.scopeSpans)) {
      problems.push(`resourceSpans[${r}].scopeSpans: not an array`)
      continue
    }
    for (const [s, ss] of (rs.scopeSpans as any[]).entries()) {
      if (!Array.isArray(ss?.spans)) {
        problems.push(`scopeSpans[${s}].spans: not an array`)
        continue
      }
      for (const [i, span] of (ss.spans as any[]).entries())
        spanProblems(span, `resourceSpans[${r}].scopeSpans[${s}].spans[${i}]`, problems)
    }
  }
  return problems
}
