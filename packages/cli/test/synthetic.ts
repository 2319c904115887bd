import type { SpanData } from '@tokentrail/core'

let counter = 0

/** A random-looking but unique hex id of `length` characters. */
export function hexId(length: 32 | 16): string {
  counter++
  const head = (counter.toString(16) + Math.random().toString(16).slice(2)).padEnd(length, '7')
  return head.slice(0, length)
}

/** A plain span for load and hostile-shape tests, sent as Tokentrail JSON to `/api/spans`. */
export function span(fields: Partial<SpanData> & { traceId: string; spanId: string }): SpanData {
  const startTime = fields.startTime ?? Date.now()
  return {
    name: 'span',
    kind: 'internal',
    status: 'ok',
    startTime,
    endTime: startTime + 5,
    attributes: {},
    events: [],
    resource: { serviceName: 'load', attributes: {} },
    ...fields,
  } as SpanData
}

/** An LLM trace of two spans (root and model call), starting at `startTime`. */
export function llmTrace(startTime: number, model = 'gpt-4o-mini'): SpanData[] {
  const traceId = hexId(32)
  const root = hexId(16)
  return [
    span({
      traceId,
      spanId: root,
      name: 'POST /api/chat',
      kind: 'http',
      startTime,
      endTime: startTime + 120,
    }),
    span({
      traceId,
      spanId: hexId(16),
      parentSpanId: root,
      name: `chat ${model}`,
      kind: 'llm',
      startTime: startTime + 5,
      endTime: startTime + 100,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': model,
        'gen_ai.usage.input_tokens': 20,
        'gen_ai.usage.output_tokens': 30,
        'tokentrail.cost.usd': 0.0001,
        'tokentrail.ttft_ms': 12,
      },
    }),
  ]
}

/** POSTs spans to a collector's `/api/spans`; resolves to the HTTP status. */
export async function postSpans(url: string, spans: SpanData[]): Promise<number> {
  const response = await fetch(`${url}/api/spans`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ spans }),
  })
  await response.arrayBuffer()
  return response.status
}
