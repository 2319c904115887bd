// An Anthropic stream that ends before its `message_delta` (the connection closed, or cut, or the
// caller aborted): Anthropic's `message_start` already gave the input and cache counts, final from
// the start, and billed. @ai-sdk/anthropic@4 (ai@7) passes that usage on in a `custom` part; the
// LLM span records those counts (no output count: only the end says it). @ai-sdk/anthropic@2 and
// @3 (ai@5, ai@6) pass it on nowhere but in a `finish` part that never comes: no usage there.
// Through the real provider of each major over HTTP, in Anthropic's SSE wire format.
import { ATTR } from '@tokentrail/core'
import { describe, expect, it } from 'vitest'
import { CALL_ATTR, tracingMiddleware } from '../src/index.js'
import { setup } from './helpers.js'
import {
  callSpan,
  event,
  llmSpans,
  MAJORS,
  serveWire,
  useWireServers,
  type WireAnswer,
} from './wire.js'

useWireServers()

// https://docs.anthropic.com/en/docs/build-with-claude/streaming: 472 uncached input tokens, 200
// read from the cache, 100 written to it (60 of them to the 1-hour cache).
const start = event('message_start', {
  type: 'message_start',
  message: {
    id: 'msg_014p7gG3wDgGV9EUtLvnow3U',
    type: 'message',
    role: 'assistant',
    model: 'claude-sonnet-4-5-20250929',
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: {
      input_tokens: 472,
      cache_creation_input_tokens: 100,
      cache_read_input_tokens: 200,
      cache_creation: { ephemeral_5m_input_tokens: 40, ephemeral_1h_input_tokens: 60 },
      output_tokens: 2,
    },
  },
})
const text = [
  event('content_block_start', {
    type: 'content_block_start',
    index: 0,
    content_block: { type: 'text', text: '' },
  }),
  event('content_block_delta', {
    type: 'content_block_delta',
    index: 0,
    delta: { type: 'text_delta', text: 'Hello' },
  }),
]

const ends: Record<string, WireAnswer> = {
  'the connection closes': { sse: [start, ...text] },
  'the connection is cut': { sse: [start, ...text], cut: true },
  'the caller aborts': { sse: [start, ...text, 10_000] },
}

describe.each(MAJORS)(
  '$major: an Anthropic stream without message_delta',
  ({ major, ai, anthropic }) => {
    for (const [end, answer] of Object.entries(ends)) {
      // ai@5's streamText itself never settles on a cut connection (untraced too).
      if (major === 'ai@5' && end === 'the connection is cut') continue
      it(`${end}: the input and cache counts message_start gave${major === 'ai@7' ? '' : ' (none on this major)'}`, async () => {
        const server = await serveWire(() => answer)
        const { tracer, exporter } = setup()
        const model = ai.wrapLanguageModel({
          model: anthropic(server.url)('claude-sonnet-4-5'),
          middleware: tracingMiddleware({ tracer }),
        })
        const abort = new AbortController()
        const result = ai.streamText({
          model,
          prompt: 'Hi',
          abortSignal: abort.signal,
          onError: () => {},
        })
        const seen: string[] = []
        try {
          for await (const part of result.fullStream) {
            seen.push(part.type)
            if (part.type === 'text-delta' && end === 'the caller aborts') abort.abort()
          }
        } catch {}
        expect(seen).toContain('text-delta')
        await tracer.flush()
        const [llm] = llmSpans(exporter.spans)
        expect(llm!.attributes).not.toHaveProperty(ATTR.usageOutputTokens)
        expect(llm!.attributes).not.toHaveProperty(ATTR.costUsd)
        if (major !== 'ai@7') {
          expect(llm!.attributes).not.toHaveProperty(ATTR.usageInputTokens)
          return
        }
        expect(llm!.attributes).toMatchObject({
          [ATTR.usageInputTokens]: 772,
          [ATTR.usageCacheReadInputTokens]: 200,
          [ATTR.usageCacheCreationInputTokens]: 100,
        })
        expect(callSpan(exporter.spans).attributes[CALL_ATTR.inputTokens]).toBe(772)
      })
    }
  },
)
