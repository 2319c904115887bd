// Claude on Google Vertex AI: @ai-sdk/google-vertex/anthropic serves it through @ai-sdk/anthropic's
// own model class, named `vertex.anthropic.messages` and posting to `…:rawPredict` /
// `…:streamRawPredict`, with Anthropic's own usage. Made here as google-vertex makes it, with each
// major's @ai-sdk/anthropic, over HTTP against a local server in Anthropic's wire format.
import { ATTR } from '@tokentrail/core'
import { describe, expect, it } from 'vitest'
import { CALL_ATTR, tracingMiddleware } from '../src/index.js'
import { setup } from './helpers.js'
import { callSpan, event, MAJORS, serveWire, useWireServers, type WireServer } from './wire.js'

let server: WireServer | undefined
useWireServers()

const models = [
  {
    ...MAJORS[0],
    load: async () =>
      (await import('@ai-sdk/anthropic-v2/internal')).AnthropicMessagesLanguageModel as any,
  },
  {
    ...MAJORS[1],
    load: async () =>
      (await import('@ai-sdk/anthropic-v3/internal')).AnthropicMessagesLanguageModel as any,
  },
  {
    ...MAJORS[2],
    load: async () =>
      (await import('@ai-sdk/anthropic/internal')).AnthropicMessagesLanguageModel as any,
  },
]

// Anthropic's usage: input without the cache; the writes split between the 5-minute and the 1-hour cache.
const usage = {
  input_tokens: 100,
  cache_creation_input_tokens: 300,
  cache_read_input_tokens: 50,
  cache_creation: { ephemeral_5m_input_tokens: 200, ephemeral_1h_input_tokens: 100 },
  output_tokens: 20,
}
const message = {
  id: 'msg_vrtx_01',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-5-20250929',
  content: [{ type: 'text', text: 'Hello there' }],
  stop_reason: 'end_turn',
  stop_sequence: null,
  usage,
}
const R = (type: string, rest: Record<string, unknown>) => event(type, { type, ...rest })
const stream = [
  R('message_start', {
    message: { ...message, content: [], stop_reason: null, usage: { ...usage, output_tokens: 1 } },
  }),
  R('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
  R('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Hello there' } }),
  R('content_block_stop', { index: 0 }),
  R('message_delta', {
    delta: { stop_reason: 'end_turn', stop_sequence: null },
    usage: { output_tokens: 20 },
  }),
  R('message_stop', {}),
]
// Claude Sonnet 4.5 per million: $3 input, $0.30 cache read, $3.75 5-minute write, $6 1-hour write, $15 output.
const expected = (100 * 3 + 50 * 0.3 + 200 * 3.75 + 100 * 6 + 20 * 15) / 1e6

describe.each(models)('$major: Claude on Vertex AI', ({ ai, load }) => {
  for (const mode of ['generateText', 'streamText'] as const)
    it(`${mode}: gcp.vertex_ai, input with the cache Anthropic reports apart, 1-hour writes at their rate`, async () => {
      server = await serveWire((path) =>
        path.endsWith(':streamRawPredict') ? { sse: stream } : { json: message },
      )
      const Model = await load()
      const base = `${server.url}/v1/projects/demo/locations/us-east5/publishers/anthropic/models`
      const claude = new Model('claude-sonnet-4-5@20250929', {
        provider: 'vertex.anthropic.messages',
        baseURL: base,
        headers: { authorization: 'Bearer ya29.test' },
        buildRequestUrl: (baseURL: string, streaming: boolean) =>
          `${baseURL}/claude-sonnet-4-5@20250929:${streaming ? 'streamRawPredict' : 'rawPredict'}`,
        transformRequestBody: (args: Record<string, unknown>) => {
          const { model: _model, ...rest } = args
          return { ...rest, anthropic_version: 'vertex-2023-10-16' }
        },
        supportedUrls: () => ({}),
        generateId: () => 'id-1',
      })
      const { tracer, exporter } = setup()
      const model = ai.wrapLanguageModel({
        model: claude,
        middleware: tracingMiddleware({ tracer }),
      })
      const text =
        mode === 'generateText'
          ? (await ai.generateText({ model, prompt: 'Hi' })).text
          : await ai.streamText({ model, prompt: 'Hi' }).text
      expect(text).toBe('Hello there')
      expect(server.requests[0]!.path).toMatch(/claude-sonnet-4-5@20250929:(stream)?[rR]awPredict$/)
      await tracer.flush()
      const llm = exporter.spans.find((s) => s.kind === 'llm')!
      expect(llm.attributes).toMatchObject({
        [ATTR.providerName]: 'gcp.vertex_ai',
        [ATTR.usageInputTokens]: 450,
        [ATTR.usageCacheReadInputTokens]: 50,
        [ATTR.usageCacheCreationInputTokens]: 300,
        [ATTR.usageOutputTokens]: 20,
      })
      expect(llm.attributes[ATTR.costUsd] as number).toBeCloseTo(expected, 12)
      expect(callSpan(exporter.spans).attributes[CALL_ATTR.costUsd] as number).toBeCloseTo(
        expected,
        12,
      )
    })
})
