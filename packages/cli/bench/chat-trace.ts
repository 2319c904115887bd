// The traffic the collector's benches store: chat traces as the ai-sdk adapter and an HTTP
// adapter record them (sizes, attribute names and the share of failures of a chat app's traces).
import { randomBytes } from 'node:crypto'
import type { Resource, SpanData } from '@tokentrail/core'

const MODELS = ['gpt-4o-mini', 'gpt-4o', 'claude-sonnet-4']
// As a Tokentrail tracer sends them: the SDK's own resource attributes beside the app's.
const sdk = {
  'telemetry.sdk.name': 'tokentrail',
  'telemetry.sdk.language': 'nodejs',
  'telemetry.sdk.version': '0.1.0',
}
export const resources: Resource[] = [
  {
    serviceName: 'chat-api',
    attributes: {
      'deployment.environment': 'bench',
      'service.instance.id': '3f1c2a9e-6b1d-4c55-9a7e-2d4f8b0c1e11',
      ...sdk,
    },
  },
  {
    serviceName: 'worker',
    attributes: {
      'deployment.environment': 'bench',
      'service.instance.id': '8d0e4b7a-1f2c-4e3d-b5a6-7c8d9e0f1a22',
      ...sdk,
    },
  },
]
const PROMPT = JSON.stringify([
  { role: 'system', parts: [{ type: 'text', content: 'You are a helpful assistant. '.repeat(8) }] },
  {
    role: 'user',
    parts: [{ type: 'text', content: 'What is the weather in Paris today? '.repeat(6) }],
  },
])

const OUTPUT = JSON.stringify([
  {
    role: 'assistant',
    parts: [{ type: 'text', content: 'It is 21°C and sunny in Paris. '.repeat(4) }],
    finish_reason: 'stop',
  },
])

export const hex = (bytes: number) => randomBytes(bytes).toString('hex')

/**
 * One chat trace of 5 spans: request → LLM → tool → LLM, plus a DB call; the HTTP root is last.
 * Traces `n` apart differ in model, service, user, session, tags and failure, as real traffic does.
 */
export function chatTrace(start: number, n: number): SpanData[] {
  const traceId = hex(16)
  const root = hex(8)
  const failed = n % 20 === 0
  const model = MODELS[n % MODELS.length]!
  const resource = resources[n % resources.length]!
  const llm = (offset: number, input: number, status: 'ok' | 'error'): SpanData => ({
    traceId,
    spanId: hex(8),
    parentSpanId: root,
    name: `chat ${model}`,
    kind: 'llm',
    startTime: start + offset,
    endTime: start + offset + 400 + (n % 300),
    status,
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': model,
      'gen_ai.usage.input_tokens': input,
      'gen_ai.usage.output_tokens': 40 + (n % 50),
      'tokentrail.cost.usd': 0.00012,
      'tokentrail.ttft_ms': 120 + (n % 80),
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.input.messages': PROMPT,
      // As the SDK writes it since 2026-12: the output once, as GenAI output messages.
      'gen_ai.output.messages': OUTPUT,
      'user.id': `user-${n % 1000}`,
      'session.id': `session-${n % 20_000}`,
      'tokentrail.tags': n % 10 === 0 ? ['bench', 'canary'] : ['bench'],
    },
    events: [],
    ...(status === 'error'
      ? {
          error: {
            type: 'APICallError',
            message: '429 rate limit',
            stack: 'APICallError: 429\n    at x',
          },
        }
      : {}),
    resource,
  })
  return [
    llm(5, 180, 'ok'),
    {
      traceId,
      spanId: hex(8),
      parentSpanId: root,
      name: 'execute_tool weather',
      kind: 'tool',
      startTime: start + 500,
      endTime: start + 520,
      status: 'ok',
      attributes: {
        'gen_ai.tool.name': 'weather',
        'gen_ai.tool.call.arguments': '{"city":"Paris"}',
      },
      events: [],
      resource,
    },
    {
      traceId,
      spanId: hex(8),
      parentSpanId: root,
      name: 'db.query',
      kind: 'internal',
      startTime: start + 1,
      endTime: start + 4,
      status: 'ok',
      attributes: { 'db.system': 'postgresql' },
      events: [],
      resource,
    },
    llm(530, 260, failed ? 'error' : 'ok'),
    {
      traceId,
      spanId: root,
      name: 'POST /api/chat',
      kind: 'http',
      startTime: start,
      endTime: start + 1300,
      status: failed ? 'error' : 'ok',
      attributes: {
        'http.request.method': 'POST',
        'http.response.status_code': failed ? 500 : 200,
      },
      events: [],
      resource,
    },
  ]
}
