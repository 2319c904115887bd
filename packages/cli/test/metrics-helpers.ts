import { ATTR, type Tracer } from '@tokentrail/core'

/** One LLM call with known usage, timing and outcome. */
export interface KnownCall {
  model: string
  input: number
  output: number
  /** Duration in milliseconds. */
  ms: number
  ttftMs?: number
  cost?: number
  fail?: boolean
}

export const CALLS: KnownCall[] = [
  { model: 'gpt-4o', input: 12, output: 300, ms: 400, ttftMs: 90, cost: 0.0031 },
  { model: 'gpt-4o', input: 5000, output: 20, ms: 2500, ttftMs: 700, cost: 0.0127 },
  { model: 'gpt-4o', input: 12, output: 3, ms: 50, ttftMs: 15, cost: 0.0002 },
  { model: 'gpt-4o', input: 40, output: 0, ms: 120, fail: true },
  { model: 'mini', input: 100, output: 10, ms: 30, ttftMs: 12, cost: 0.00001 },
]

/**
 * Records `calls` through the tracer's real span API with pinned start and end times, plus one
 * tool call per LLM call, so the metrics derived from them are known exactly.
 */
export function recordCalls(tracer: Tracer, calls: readonly KnownCall[], at = 1_700_000_000_000) {
  for (const call of calls) {
    const span = tracer.startSpan(`chat ${call.model}`, {
      kind: 'llm',
      startTime: at,
      attributes: {
        [ATTR.operationName]: 'chat',
        [ATTR.providerName]: 'openai',
        [ATTR.requestModel]: call.model,
        [ATTR.usageInputTokens]: call.input,
        [ATTR.usageOutputTokens]: call.output,
        ...(call.ttftMs !== undefined ? { [ATTR.ttftMs]: call.ttftMs } : {}),
        ...(call.cost !== undefined ? { [ATTR.costUsd]: call.cost } : {}),
      },
    })
    if (call.fail)
      span.recordError(Object.assign(new Error('429 rate limit'), { name: 'RateLimit' }))
    span.end({ endTime: at + call.ms, ...(call.fail ? { status: 'error' } : {}) })
    const tool = tracer.startSpan('execute_tool weather', {
      kind: 'tool',
      startTime: at,
      attributes: { [ATTR.operationName]: 'execute_tool', [ATTR.toolName]: 'weather' },
    })
    tool.end({ endTime: at + 5 })
  }
}

/** Bucket index of `value` for upper-inclusive `bounds`, as OpenTelemetry counts them. */
export function bucketOf(value: number, bounds: readonly number[]): number {
  let i = 0
  while (i < bounds.length && value > bounds[i]!) i++
  return i
}
