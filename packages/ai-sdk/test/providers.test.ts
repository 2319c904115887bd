// Tokens and cost per the GenAI conventions (input includes cached and cache-write tokens, output
// includes reasoning) whatever the provider reports, through the real @ai-sdk/anthropic and
// @ai-sdk/google clients against local servers that speak their wire formats with usage the
// server chose. Anthropic reports input *without* the cache; Google reports output *without* thoughts.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createAnthropic } from '@ai-sdk/anthropic'
import { createAnthropic as createAnthropicV2 } from '@ai-sdk/anthropic-v2'
import { createAnthropic as createAnthropicV3 } from '@ai-sdk/anthropic-v3'
import { createGoogleGenerativeAI } from '@ai-sdk/google'
import { createGoogleGenerativeAI as createGoogleV2 } from '@ai-sdk/google-v2'
import { createGoogleGenerativeAI as createGoogleV3 } from '@ai-sdk/google-v3'
import { ATTR } from '@tokentrail/core'
import * as ai7 from 'ai'
import * as ai5 from 'ai-v5'
import * as ai6 from 'ai-v6'
import { afterEach, describe, expect, it } from 'vitest'
import { CALL_ATTR, tracingMiddleware } from '../src/index.js'
import { setup } from './helpers.js'

let server: Server | undefined
afterEach(async () => {
  await new Promise((r) => server?.close(r) ?? r(undefined))
  server = undefined
  delete (globalThis as any).AI_SDK_TELEMETRY_INTEGRATIONS
})

type Handler = (path: string, body: any) => { json?: unknown; sse?: string[] }

async function serve(handler: Handler): Promise<{ url: string; requests: string[] }> {
  const requests: string[] = []
  server = createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    requests.push(req.url ?? '')
    const answer = handler(req.url ?? '', JSON.parse(Buffer.concat(chunks).toString() || '{}'))
    if (answer.sse) {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      for (const event of answer.sse) res.write(event)
      res.end()
    } else {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify(answer.json))
    }
  })
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r))
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}`, requests }
}

// The usage each fake server chooses.
const ANTHROPIC = {
  input_tokens: 100,
  cache_creation_input_tokens: 20,
  cache_read_input_tokens: 50,
  output_tokens: 7,
}
const GOOGLE = {
  promptTokenCount: 170,
  cachedContentTokenCount: 50,
  candidatesTokenCount: 7,
  thoughtsTokenCount: 30,
  totalTokenCount: 207,
}

const sse = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`

const anthropicHandler: Handler = (_path, body) => {
  const message = {
    id: 'msg_01',
    type: 'message',
    role: 'assistant',
    model: 'claude-sonnet-4-5-20250929',
    content: [{ type: 'text', text: 'Hello there' }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: ANTHROPIC,
  }
  if (!body.stream) return { json: message }
  return {
    sse: [
      sse('message_start', {
        type: 'message_start',
        message: {
          ...message,
          content: [],
          stop_reason: null,
          usage: { ...ANTHROPIC, output_tokens: 1 },
        },
      }),
      sse('content_block_start', {
        type: 'content_block_start',
        index: 0,
        content_block: { type: 'text', text: '' },
      }),
      sse('content_block_delta', {
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'text_delta', text: 'Hello ' },
      }),
      sse('content_block_delta', {
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'text_delta', text: 'there' },
      }),
      sse('content_block_stop', { type: 'content_block_stop', index: 0 }),
      sse('message_delta', {
        type: 'message_delta',
        delta: { stop_reason: 'end_turn', stop_sequence: null },
        usage: { output_tokens: ANTHROPIC.output_tokens },
      }),
      sse('message_stop', { type: 'message_stop' }),
    ],
  }
}

const googleHandler: Handler = (path) => {
  const reply = (text: string, usage?: unknown) => ({
    candidates: [
      {
        content: { role: 'model', parts: [{ text }] },
        ...(usage ? { finishReason: 'STOP' } : {}),
        index: 0,
      },
    ],
    ...(usage ? { usageMetadata: usage } : {}),
    modelVersion: 'gemini-2.5-flash',
    responseId: 'resp-g1',
  })
  if (!path.includes('streamGenerateContent')) return { json: reply('Hello there', GOOGLE) }
  return {
    sse: [
      `data: ${JSON.stringify(reply('Hello '))}\r\n\r\n`,
      `data: ${JSON.stringify(reply('there', GOOGLE))}\r\n\r\n`,
    ],
  }
}

// Prices from the built-in table (USD per million tokens), applied by hand to the right buckets.
const claudeCost = (3 * (170 - 50 - 20) + 0.3 * 50 + 3.75 * 20 + 15 * 7) / 1e6
const geminiCost = (0.3 * (170 - 50) + 0.03 * 50 + 2.5 * 37) / 1e6

const anthropicExpected = {
  input: 170,
  output: 7,
  cacheRead: 50,
  cacheWrite: 20,
  reasoning: undefined,
  cost: claudeCost,
}
const anthropicKey = 'sk-ant-test-0000000000000000'

const googleExpected = {
  input: 170,
  output: 37,
  cacheRead: 50,
  cacheWrite: undefined,
  reasoning: 30,
  cost: geminiCost,
}

const cases = [
  {
    name: 'Anthropic, ai@6 + @ai-sdk/anthropic@3',
    ai: ai6 as any,
    handler: anthropicHandler,
    model: (url: string) =>
      createAnthropicV3({ baseURL: `${url}/v1`, apiKey: anthropicKey })('claude-sonnet-4-5'),
    expected: anthropicExpected,
  },
  {
    name: 'Google, ai@5 + @ai-sdk/google@2 (flat usage, output without the thoughts)',
    ai: ai5 as any,
    handler: googleHandler,
    model: (url: string) =>
      createGoogleV2({ baseURL: `${url}/v1beta`, apiKey: 'test-key' })('gemini-2.5-flash'),
    expected: googleExpected,
  },
  {
    name: 'Google, ai@6 + @ai-sdk/google@3',
    ai: ai6 as any,
    handler: googleHandler,
    model: (url: string) =>
      createGoogleV3({ baseURL: `${url}/v1beta`, apiKey: 'test-key' })('gemini-2.5-flash'),
    expected: googleExpected,
  },
  {
    name: 'Anthropic, ai@7 + @ai-sdk/anthropic@4',
    ai: ai7 as any,
    handler: anthropicHandler,
    model: (url: string) =>
      createAnthropic({ baseURL: `${url}/v1`, apiKey: anthropicKey })('claude-sonnet-4-5'),
    expected: anthropicExpected,
  },
  {
    name: 'Anthropic, ai@5 + @ai-sdk/anthropic@2 (flat usage, input without the cache)',
    ai: ai5 as any,
    handler: anthropicHandler,
    model: (url: string) =>
      createAnthropicV2({ baseURL: `${url}/v1`, apiKey: anthropicKey })('claude-sonnet-4-5'),
    expected: anthropicExpected,
  },
  {
    name: 'Google, ai@7 + @ai-sdk/google@4',
    ai: ai7 as any,
    handler: googleHandler,
    model: (url: string) =>
      createGoogleGenerativeAI({ baseURL: `${url}/v1beta`, apiKey: 'test-key' })(
        'gemini-2.5-flash',
      ),
    expected: googleExpected,
  },
]

describe.each(cases)('$name', ({ ai, handler, model: makeModel, expected }) => {
  for (const mode of ['generateText', 'streamText'] as const)
    it(`${mode}: GenAI token counts and cost from the right buckets`, async () => {
      const { url, requests } = await serve(handler)
      const { tracer, exporter } = setup()
      const model = ai.wrapLanguageModel({
        model: makeModel(url),
        middleware: tracingMiddleware({ tracer }),
      })
      let text: string
      if (mode === 'generateText') text = (await ai.generateText({ model, prompt: 'Hi' })).text
      else {
        text = ''
        for await (const delta of ai.streamText({ model, prompt: 'Hi' }).textStream) text += delta
      }
      expect(text).toBe('Hello there')
      expect(requests).toHaveLength(1)
      await tracer.flush()
      const llm = exporter.spans.find((s) => s.kind === 'llm')!
      expect(llm.attributes[ATTR.usageInputTokens]).toBe(expected.input)
      expect(llm.attributes[ATTR.usageOutputTokens]).toBe(expected.output)
      expect(llm.attributes[ATTR.usageCacheReadInputTokens]).toBe(expected.cacheRead)
      expect(llm.attributes[ATTR.usageCacheCreationInputTokens]).toBe(expected.cacheWrite)
      expect(llm.attributes[ATTR.usageReasoningOutputTokens]).toBe(expected.reasoning)
      expect(llm.attributes[ATTR.costUsd] as number).toBeCloseTo(expected.cost, 10)
      const call = exporter.spans.find((s) => s.attributes[ATTR.operationName] === 'invoke_agent')!
      expect(call.attributes[CALL_ATTR.inputTokens]).toBe(expected.input)
      expect(call.attributes[CALL_ATTR.costUsd] as number).toBeCloseTo(expected.cost, 10)
    })
})
