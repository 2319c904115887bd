import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createSpanMapper } from '../src/exporters/backend-profiles.js'
import { detectProfile } from '../src/exporters/otlp-profile.js'
import {
  ATTR,
  createTracer,
  extractTraceContext,
  type OtlpProfile,
  type OtlpProtocol,
  otlpExporter,
  type SpanData,
  TokentrailError,
} from '../src/index.js'
import {
  type OtlpAnyValue,
  type OtlpKeyValue,
  type ProtobufReader,
  REQUEST,
  readAttribute,
  readEnvelope,
  SPAN,
} from '../src/otlp-protobuf.js'

// Each backend's expected keys are written from its public source or documentation:
// - Langfuse: langfuse/langfuse packages/shared/src/server/otel/attributes.ts (LangfuseOtelSpanAttributes)
//   and OtelIngestionProcessor.ts (extractTags, extractCompletionStartTime, extractCostDetails,
//   extractUsageDetails, extractMetadata, extractUserId/SessionId, extractInputAndOutput, level).
// - Phoenix: OpenInference semantic conventions,
//   https://arize-ai.github.io/openinference/spec/attributes/semantic-conventions.html
//   (tag.tags, metadata, llm.token_count.completion_details.reasoning,
//   llm.token_count.prompt_details.cache_read, llm.cost.*, llm.tools.N.tool.json_schema,
//   input.value / output.value + mime types, openinference.span.kind); Phoenix's OTLP endpoint
//   takes only application/x-protobuf.
// - Datadog LLM Observability: https://docs.datadoghq.com/llm_observability/instrumentation/otel_instrumentation
//   (GenAI semantic conventions 1.37+, OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=http/protobuf,
//   header dd-otlp-source=llmobs).

const LANGFUSE_LLM_KEYS = [
  'langfuse.trace.tags', // extractTags
  'langfuse.observation.completion_start_time', // extractCompletionStartTime
  'langfuse.observation.cost_details', // extractCostDetails
  'langfuse.observation.usage_details', // extractUsageDetails
  'langfuse.trace.metadata.plan', // extractMetadata('trace'): langfuse.trace.metadata.* prefix
]
const LANGFUSE_ALREADY_READ = [
  'gen_ai.request.model', // extractModelName
  'gen_ai.usage.input_tokens', // extractUsageDetails (generic gen_ai.usage.*)
  'gen_ai.input.messages', // extractInputAndOutput (OpenTelemetry messages)
  'user.id', // extractUserId
  'session.id', // extractSessionId
]
const LANGFUSE_CANCELLED_KEYS = [
  'langfuse.observation.level',
  'langfuse.observation.status_message',
]
const PHOENIX_LLM_KEYS = [
  'tag.tags',
  'llm.token_count.completion_details.reasoning',
  'llm.token_count.prompt_details.cache_read',
  'llm.cost.total',
  'llm.cost.prompt',
  'llm.cost.completion',
  'metadata',
]
const PHOENIX_ROOT_KEYS = [
  'openinference.span.kind',
  'input.value',
  'input.mime_type',
  'output.value',
  'output.mime_type',
]
const DATADOG_GENAI_KEYS = [
  'gen_ai.operation.name',
  'gen_ai.provider.name',
  'gen_ai.request.model',
  'gen_ai.usage.input_tokens',
  'gen_ai.usage.output_tokens',
  'gen_ai.input.messages',
  'gen_ai.output.messages',
]

const INPUT = JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'weather?' }] }])
const OUTPUT = JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: 'sunny' }] }])
const TOOLS = JSON.stringify([
  { type: 'function', name: 'weather', parameters: { type: 'object', properties: {} } },
])

function plain(value: OtlpAnyValue | undefined): unknown {
  if (!value) return undefined
  if (value.stringValue !== undefined) return value.stringValue
  if (value.boolValue !== undefined) return value.boolValue
  if (value.intValue !== undefined) return Number(value.intValue)
  if (value.doubleValue !== undefined) return value.doubleValue
  return (value.arrayValue?.values ?? []).map(plain)
}

interface WireSpan {
  name: string
  parentSpanId?: string
  attributes: Record<string, unknown>
}

function fromProtobuf(body: Uint8Array): WireSpan[] {
  const span = (r: ProtobufReader): WireSpan => {
    const list: OtlpKeyValue[] = []
    let name = ''
    while (r.pos < r.end) {
      const [no, wire] = r.tag()
      if (no === SPAN.name.no) name = r.string()
      else if (no === SPAN.attributes.no) readAttribute(r, list, SPAN.attributes, wire)
      else r.skip(wire)
    }
    return { name, attributes: Object.fromEntries(list.map((kv) => [kv.key, plain(kv.value)])) }
  }
  return readEnvelope(
    body,
    'ExportTraceServiceRequest',
    REQUEST.resourceSpans,
    { resource: 'resourceSpans', scope: 'scopeSpans', item: 'spans' },
    span,
  ).flatMap((e) => e.scopes.flatMap((s) => s.items))
}

function fromJson(body: Buffer): WireSpan[] {
  return JSON.parse(body.toString()).resourceSpans.flatMap((rs: any) =>
    rs.scopeSpans.flatMap((ss: any) =>
      ss.spans.map((s: any) => ({
        name: s.name,
        parentSpanId: s.parentSpanId,
        attributes: Object.fromEntries(
          s.attributes.map((kv: any) => [kv.key, plain(kv.value as OtlpAnyValue)]),
        ),
      })),
    ),
  )
}

const servers: Server[] = []
afterEach(async () => {
  vi.unstubAllEnvs()
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

async function receiver() {
  const received: { headers: IncomingMessage['headers']; body: Buffer }[] = []
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (c) => chunks.push(c))
    request.on('end', () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks) })
      response.end()
    })
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`, received }
}

/** A tracer sending OTLP JSON with `profile`'s keys to a receiver of its own. */
async function profiled(profile: OtlpProfile) {
  const server = await receiver()
  const tracer = createTracer({
    serviceName: 'chat-api',
    exporters: [otlpExporter({ url: server.url, profile, protocol: 'http/json' })],
  })
  return { server, tracer }
}

/** A chat request as the adapters and the AI SDK middleware record it, sent through otlpExporter. */
async function send(
  profile: OtlpProfile,
  options: { toolDefinitions?: boolean; protocol?: OtlpProtocol } = {},
) {
  const server = await receiver()
  const tracer = createTracer({
    serviceName: 'chat-api',
    exporters: [otlpExporter({ url: server.url, profile, ...options })],
  })
  const start = 1_700_000_000_000
  await tracer.withSpan('POST /api/chat', { kind: 'http', startTime: start }, async () => {
    tracer
      .startSpan('chat gpt-4o', {
        kind: 'llm',
        startTime: start + 10,
        attributes: {
          [ATTR.operationName]: 'chat',
          [ATTR.providerName]: 'openai',
          [ATTR.requestModel]: 'gpt-4o',
          [ATTR.usageInputTokens]: 100,
          [ATTR.usageOutputTokens]: 40,
          [ATTR.usageReasoningOutputTokens]: 12,
          [ATTR.usageCacheReadInputTokens]: 30,
          [ATTR.costUsd]: 0.003,
          [ATTR.costInputUsd]: 0.001,
          [ATTR.costOutputUsd]: 0.002,
          [ATTR.ttftMs]: 250,
          [ATTR.responseTimeToFirstChunk]: 0.25,
          [ATTR.tags]: ['chat', 'beta'],
          [ATTR.userId]: 'user-1',
          [ATTR.sessionId]: 'chat-9',
          [ATTR.inputMessages]: INPUT,
          [ATTR.outputMessages]: OUTPUT,
          [ATTR.toolDefinitions]: TOOLS,
          plan: 'pro', // user metadata (withTraceMetadata({ attributes }))
        },
      })
      .end({ endTime: start + 900 })
    tracer
      .startSpan('chat gpt-4o', {
        kind: 'llm',
        startTime: start + 901,
        attributes: { [ATTR.operationName]: 'chat', [ATTR.cancelledBy]: 'abort_signal' },
      })
      .end({ status: 'cancelled', endTime: start + 950 })
  })
  await tracer.flush()
  expect(server.received).toHaveLength(1)
  const { headers, body } = server.received[0]!
  const spans =
    headers['content-type'] === 'application/x-protobuf'
      ? fromProtobuf(new Uint8Array(body))
      : fromJson(body)
  const [llm, cancelled, root] = spans
  expect(root!.name).toBe('POST /api/chat')
  return {
    headers,
    bytes: body.length,
    llm: llm!.attributes,
    cancelled: cancelled!.attributes,
    root: root!.attributes,
  }
}

describe('backend profiles: the keys each backend reads', () => {
  it('langfuse: tags, completion start, client cost, disjoint usage, trace metadata, warning level, trace input/output on the root', async () => {
    const { llm, cancelled, root } = await send('langfuse')
    for (const key of [...LANGFUSE_LLM_KEYS, ...LANGFUSE_ALREADY_READ])
      expect(llm, key).toHaveProperty([key])
    expect(llm['langfuse.trace.tags']).toEqual(['chat', 'beta'])
    expect(llm['langfuse.observation.completion_start_time']).toBe('2023-11-14T22:13:20.260Z')
    expect(JSON.parse(llm['langfuse.observation.cost_details'] as string)).toEqual({
      input: 0.001,
      output: 0.002,
      total: 0.003,
    })
    expect(JSON.parse(llm['langfuse.observation.usage_details'] as string)).toEqual({
      input: 70,
      input_cached_tokens: 30,
      output: 28,
      output_reasoning_tokens: 12,
      total: 140,
    })
    expect(llm['langfuse.trace.metadata.plan']).toBe('pro')
    // input.value / output.value would replace Langfuse's chat view on an LLM span.
    expect(llm).not.toHaveProperty(['input.value'])
    expect(llm).not.toHaveProperty(['output.value'])
    for (const key of LANGFUSE_CANCELLED_KEYS) expect(cancelled, key).toHaveProperty([key])
    expect(cancelled['langfuse.observation.level']).toBe('WARNING')
    expect(cancelled['langfuse.observation.status_message']).toBe('cancelled (abort_signal)')
    expect(root['input.value']).toBe(INPUT)
    expect(root['output.value']).toBe(OUTPUT)
    expect(root).not.toHaveProperty(['input.mime_type']) // an OpenInference key Langfuse does not need
  })

  // Langfuse takes a trace's name, input and output from a span without a parent only: a request
  // span under an incoming traceparent left the Langfuse trace without them.
  it("langfuse: a request span under a remote parent names the trace and gives its input/output by Langfuse's own keys", async () => {
    const { server, tracer } = await profiled('langfuse')
    const parent = extractTraceContext({
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    })
    await tracer.withSpan('POST /api/chat', { kind: 'http', parent }, async () => {
      tracer
        .startSpan('chat gpt-4o', {
          kind: 'llm',
          attributes: {
            [ATTR.operationName]: 'chat',
            [ATTR.inputMessages]: INPUT,
            [ATTR.outputMessages]: OUTPUT,
            // The provider gave no output count: none is sent for it (never 0).
            [ATTR.usageInputTokens]: 100,
            [ATTR.usageCacheReadInputTokens]: 30,
          },
        })
        .end()
    })
    await tracer.flush()
    const [llm, root] = fromJson(server.received[0]!.body)
    expect(root!.parentSpanId).toBe('00f067aa0ba902b7')
    expect(root!.attributes['langfuse.trace.name']).toBe('POST /api/chat')
    expect(root!.attributes['langfuse.trace.input']).toBe(INPUT)
    expect(root!.attributes['langfuse.trace.output']).toBe(OUTPUT)
    expect(JSON.parse(llm!.attributes['langfuse.observation.usage_details'] as string)).toEqual({
      input: 70,
      input_cached_tokens: 30,
    })
    await tracer.shutdown()
  })

  it('phoenix: protobuf by default; tags, metadata (with TTFT), reasoning and cache tokens, cost, trace input/output on the root', async () => {
    const { headers, llm, root } = await send('phoenix')
    expect(headers['content-type']).toBe('application/x-protobuf')
    for (const key of PHOENIX_LLM_KEYS) expect(llm, key).toHaveProperty([key])
    expect(llm['tag.tags']).toEqual(['chat', 'beta'])
    expect(llm['llm.token_count.completion_details.reasoning']).toBe(12)
    expect(llm['llm.token_count.prompt_details.cache_read']).toBe(30)
    expect(llm['llm.cost.total']).toBe(0.003)
    expect(JSON.parse(llm.metadata as string)).toEqual({ plan: 'pro', ttft_ms: 250 })
    expect(llm).not.toHaveProperty(['input.value'])
    expect(Object.keys(llm).some((k) => k.startsWith('llm.tools.'))).toBe(false) // opt-in
    for (const key of PHOENIX_ROOT_KEYS) expect(root, key).toHaveProperty([key])
    expect(root['openinference.span.kind']).toBe('CHAIN')
    expect(root['input.value']).toBe(INPUT)
    expect(root['output.value']).toBe(OUTPUT)
  })

  it('phoenix: tool definitions only when asked for', async () => {
    const { llm } = await send('phoenix', { toolDefinitions: true })
    expect(JSON.parse(llm['llm.tools.0.tool.json_schema'] as string)).toEqual(JSON.parse(TOOLS)[0])
  })

  it('datadog: protobuf, dd-otlp-source=llmobs, and the GenAI keys it reads; nothing added', async () => {
    const { headers, llm } = await send('datadog')
    expect(headers['content-type']).toBe('application/x-protobuf')
    expect(headers['dd-otlp-source']).toBe('llmobs')
    for (const key of DATADOG_GENAI_KEYS) expect(llm, key).toHaveProperty([key])
    expect(
      Object.keys(llm).filter((k) => k.startsWith('langfuse.') || k.startsWith('llm.')),
    ).toEqual([])
  })

  it('otel: the spans as recorded, no backend keys', async () => {
    const { llm, root } = await send('otel', { protocol: 'http/protobuf' })
    const added = Object.keys(llm).filter(
      (k) =>
        k.startsWith('langfuse.') || k.startsWith('llm.') || k === 'tag.tags' || k === 'metadata',
    )
    expect(added).toEqual([])
    expect(root).not.toHaveProperty(['input.value'])
  })

  it('the AI SDK call span as trace root: tags and trace input/output on it, none on its LLM span', async () => {
    for (const profile of ['langfuse', 'phoenix'] as const) {
      const { server, tracer } = await profiled(profile)
      await tracer.withSpan(
        'generateText gpt-4o',
        { attributes: { [ATTR.operationName]: 'invoke_agent', [ATTR.tags]: ['chat'] } },
        async () => {
          tracer
            .startSpan('chat gpt-4o', {
              kind: 'llm',
              attributes: {
                [ATTR.operationName]: 'chat',
                [ATTR.inputMessages]: INPUT,
                [ATTR.outputMessages]: OUTPUT,
              },
            })
            .end()
        },
      )
      await tracer.flush()
      const [llm, call] = server.received.flatMap((r) => fromJson(r.body))
      expect(call!.name).toBe('generateText gpt-4o')
      expect(call!.attributes[profile === 'langfuse' ? 'langfuse.trace.tags' : 'tag.tags']).toEqual(
        ['chat'],
      )
      expect(call!.attributes['input.value']).toBe(INPUT)
      expect(call!.attributes['output.value']).toBe(OUTPUT)
      expect(llm!.attributes).not.toHaveProperty(['input.value'])
      // Phoenix makes an AGENT of `invoke_agent`; CHAIN is for a request span only (it won there,
      // and in Langfuse behind a fan-out, which ranks OpenInference's kind first).
      expect(call!.attributes).not.toHaveProperty(['openinference.span.kind'])
    }
  })

  it('holds trace content for a bounded number of traces (a root that never comes is forgotten)', () => {
    const mapper = createSpanMapper('phoenix')!
    const span = (trace: number, root: boolean): SpanData => ({
      traceId: trace.toString(16).padStart(32, '0'),
      spanId: root ? 'a'.repeat(16) : 'b'.repeat(16),
      parentSpanId: root ? undefined : 'a'.repeat(16),
      name: root ? 'POST /api/chat' : 'chat gpt-4o',
      kind: root ? 'http' : 'llm',
      startTime: 1,
      endTime: 2,
      status: 'ok',
      attributes: root ? {} : { [ATTR.inputMessages]: INPUT },
      events: [],
      resource: { serviceName: 's', attributes: {} },
    })
    for (let trace = 1; trace <= 600; trace++) mapper(span(trace, false))
    expect(mapper(span(1, true))).not.toHaveProperty(['input.value']) // the oldest, forgotten
    expect(mapper(span(600, true))).toHaveProperty(['input.value'], INPUT)
    expect(mapper(span(600, true))).not.toHaveProperty(['input.value']) // taken once
  })

  it('picks the profile from the endpoint, TOKENTRAIL_OTLP_PROFILE, or the option', () => {
    expect(detectProfile('https://cloud.langfuse.com/api/public/otel/v1/traces', {})).toBe(
      'langfuse',
    )
    expect(detectProfile('http://localhost:3000/api/public/otel/v1/traces', {})).toBe('langfuse')
    expect(detectProfile('https://app.phoenix.arize.com/v1/traces', {})).toBe('phoenix')
    expect(detectProfile('http://localhost:6006/v1/traces', {})).toBe('phoenix')
    expect(detectProfile('https://otlp.datadoghq.eu/v1/traces', {})).toBe('datadog')
    expect(detectProfile('http://collector:4318/v1/traces', { 'dd-otlp-source': 'llmobs' })).toBe(
      'datadog',
    )
    expect(detectProfile('https://api.honeycomb.io/v1/traces', {})).toBe('otel')
    expect(detectProfile('http://localhost:4318/v1/traces', {})).toBe('otel')
    vi.stubEnv('TOKENTRAIL_OTLP_PROFILE', 'phoenix')
    const fromEnv = otlpExporter({ url: 'http://localhost:4318/v1/traces' }) as unknown as {
      profile: string
      protocol: string
    }
    expect(fromEnv).toMatchObject({ profile: 'phoenix', protocol: 'http/protobuf' })
    expect(() => otlpExporter({ profile: 'arize' as OtlpProfile })).toThrow(TokentrailError)
    expect(() => otlpExporter({ profile: 'arize' as OtlpProfile })).toThrow(
      'otlpExporter({ profile }) must be one of "otel", "langfuse", "phoenix", "datadog", got "arize"',
    )
  })
})
