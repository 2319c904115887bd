// Amazon Bedrock's Converse API through the real @ai-sdk/amazon-bedrock of each AI SDK major (@3 on
// ai@5, @4 on ai@6, @5 on ai@7), signed with SigV4 as it is against AWS, over HTTP against a local
// server: `/converse` answers JSON, `/converse-stream` an AWS event stream (binary frames, each with
// its own CRC32s), as https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html
// documents it. Claude with a prompt cache and a tool loop.
import { crc32 } from 'node:zlib'
import { createAmazonBedrock as createBedrock5 } from '@ai-sdk/amazon-bedrock'
import { createAmazonBedrock as createBedrock3 } from '@ai-sdk/amazon-bedrock-v3'
import { createAmazonBedrock as createBedrock4 } from '@ai-sdk/amazon-bedrock-v4'
import { ATTR } from '@tokentrail/core'
import { describe, expect, it } from 'vitest'
import { CALL_ATTR, tracingMiddleware } from '../src/index.js'
import { outputParts, outputText, setup } from './helpers.js'
import {
  callSpan,
  llmSpans,
  MAJORS,
  serveWire,
  useWireServers,
  type WireAnswer,
  type WireServer,
  weatherLoop,
} from './wire.js'

let server: WireServer | undefined
useWireServers()

const majors = [
  { ...MAJORS[0], bedrock: createBedrock3 as any },
  { ...MAJORS[1], bedrock: createBedrock4 as any },
  { ...MAJORS[2], bedrock: createBedrock5 as any },
]

/** One AWS event stream message: prelude (lengths and their CRC32), string headers, payload, CRC32. */
function frame(eventType: string, payload: unknown): Uint8Array {
  const headers = Buffer.concat(
    Object.entries({
      ':event-type': eventType,
      ':content-type': 'application/json',
      ':message-type': 'event',
    }).map(([name, value]) => {
      const n = Buffer.from(name)
      const v = Buffer.from(value)
      const length = Buffer.alloc(2)
      length.writeUInt16BE(v.length)
      // Header value type 7: a string.
      return Buffer.concat([Buffer.from([n.length]), n, Buffer.from([7]), length, v])
    }),
  )
  const body = Buffer.from(JSON.stringify(payload))
  const total = 12 + headers.length + body.length + 4
  const prelude = Buffer.alloc(12)
  prelude.writeUInt32BE(total, 0)
  prelude.writeUInt32BE(headers.length, 4)
  prelude.writeUInt32BE(crc32(prelude.subarray(0, 8)), 8)
  const message = Buffer.concat([prelude, headers, body])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(message))
  return Buffer.concat([message, crc])
}

// Bedrock's inputTokens leave the cache out: 50 uncached, 150 read from the cache, 20 written to it.
const USAGE = {
  inputTokens: 50,
  outputTokens: 90,
  totalTokens: 310,
  cacheReadInputTokens: 150,
  cacheWriteInputTokens: 20,
}
const MODEL = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0'
const toolUse = { toolUseId: 'tooluse_1', name: 'weather' }

function converse(step: number, stream: boolean, major: string, usage = USAGE): WireAnswer {
  const asksTool = step === 0
  const headers = { 'x-amzn-requestid': `req-${step}` }
  const stopReason = asksTool ? 'tool_use' : 'end_turn'
  if (!stream)
    return {
      headers,
      json: {
        output: {
          message: {
            role: 'assistant',
            content: asksTool
              ? [{ toolUse: { ...toolUse, input: { city: 'Oslo' } } }]
              : [{ text: 'Sunny' }],
          },
        },
        stopReason,
        usage,
        metrics: { latencyMs: 420 },
      },
    }
  return {
    headers,
    frames: [
      frame('messageStart', { role: 'assistant' }),
      ...(asksTool
        ? [
            frame('contentBlockStart', {
              contentBlockIndex: 0,
              // @ai-sdk/amazon-bedrock@3 refuses a tool use start without `input` (its schema
              // under zod 4), which AWS documents without it: given here on ai@5 alone.
              start: { toolUse: major === 'ai@5' ? { ...toolUse, input: {} } : toolUse },
            }),
            frame('contentBlockDelta', {
              contentBlockIndex: 0,
              delta: { toolUse: { input: '{"city":' } },
            }),
            frame('contentBlockDelta', {
              contentBlockIndex: 0,
              delta: { toolUse: { input: '"Oslo"}' } },
            }),
          ]
        : [
            frame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Sun' } }),
            frame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'ny' } }),
          ]),
      frame('contentBlockStop', { contentBlockIndex: 0 }),
      frame('messageStop', { stopReason }),
      frame('metadata', { usage, metrics: { latencyMs: 420 } }),
    ],
  }
}

// Claude Sonnet 4.5: $3 uncached, $0.30 cache read, $3.75 cache write (5 minutes), $15 output.
const COST = (50 * 3 + 150 * 0.3 + 20 * 3.75 + 90 * 15) / 1e6

describe.each(majors)('$major: Amazon Bedrock Converse', ({ major, ai, bedrock }) => {
  for (const mode of ['generateText', 'streamText'] as const)
    it(`${mode}, Claude with a prompt cache and a tool: input with the cache, cost, tool call`, async () => {
      server = await serveWire((path, _body, index) =>
        converse(index, path.endsWith('-stream'), major),
      )
      const { tracer, exporter } = setup()
      const provider = bedrock({
        region: 'us-east-1',
        accessKeyId: 'AKIAWIRETEST00000000',
        secretAccessKey: 'wiretest0000000000000000000000000000000',
        baseURL: server.url,
      })
      const model = ai.wrapLanguageModel({
        model: provider(MODEL),
        middleware: tracingMiddleware({ tracer }),
      })
      const { text } = await weatherLoop(ai, model, mode)
      expect(text).toBe('Sunny')
      const path = `/model/${encodeURIComponent(MODEL)}/converse${mode === 'streamText' ? '-stream' : ''}`
      expect(server.requests.map((r) => r.path)).toEqual([path, path])
      await tracer.flush()
      const [asker, answer] = llmSpans(exporter.spans)
      for (const llm of [asker!, answer!]) {
        expect(llm.attributes).toMatchObject({
          [ATTR.providerName]: 'aws.bedrock',
          [ATTR.requestModel]: MODEL,
          // GenAI input counts the cache reads and writes Bedrock reports apart.
          [ATTR.usageInputTokens]: 220,
          [ATTR.usageCacheReadInputTokens]: 150,
          [ATTR.usageCacheCreationInputTokens]: 20,
          [ATTR.usageOutputTokens]: 90,
        })
        expect(llm.attributes[ATTR.costUsd] as number).toBeCloseTo(COST, 12)
        if (mode === 'streamText') expect(llm.attributes[ATTR.ttftMs]).toBeGreaterThan(0)
      }
      expect(asker!.attributes[ATTR.responseFinishReasons]).toEqual(['tool_call'])
      expect(asker!.attributes['tokentrail.finish_reason.raw'] ?? 'tool_use').toBe('tool_use')
      expect(answer!.attributes[ATTR.responseFinishReasons]).toEqual(['stop'])
      const calls = outputParts(asker!).filter((part) => part.type === 'tool_call')
      expect(calls.map((c) => [c.id, c.name, JSON.parse(c.arguments!)])).toEqual([
        ['tooluse_1', 'weather', { city: 'Oslo' }],
      ])
      expect(outputText(answer!)).toBe('Sunny')
      const [tool] = exporter.spans.filter((s) => s.kind === 'tool')
      expect(tool!.parentSpanId).toBe(asker!.spanId)
      const call = callSpan(exporter.spans)
      expect(call.attributes).toMatchObject({
        [ATTR.providerName]: 'aws.bedrock',
        [CALL_ATTR.inputTokens]: 440,
        [CALL_ATTR.cacheReadTokens]: 300,
        [CALL_ATTR.cacheWriteTokens]: 40,
        [CALL_ATTR.toolCalls]: 1,
      })
      expect(call.attributes[CALL_ATTR.costUsd] as number).toBeCloseTo(2 * COST, 12)
      // The signed request's credentials never reach a span.
      expect(JSON.stringify(exporter.spans)).not.toContain('AKIAWIRETEST')
    })
})

// Of the 20 cache writes, 15 to the 1-hour cache ($6, twice the input rate) and 5 to the 5-minute one.
const USAGE_1H = {
  ...USAGE,
  cacheDetails: [
    { ttl: '5m', inputTokens: 5 },
    { ttl: '1h', inputTokens: 15 },
  ],
}
const COST_1H = (50 * 3 + 150 * 0.3 + 5 * 3.75 + 15 * 6 + 90 * 15) / 1e6

describe.each(majors)('$major: Bedrock writes to the 1-hour cache', ({ major, ai, bedrock }) => {
  for (const mode of ['generateText', 'streamText'] as const)
    it(`${mode}: priced at the 1-hour rate (from cacheDetails)`, async () => {
      server = await serveWire((path, _body, index) =>
        converse(index, path.endsWith('-stream'), major, USAGE_1H),
      )
      const { tracer, exporter } = setup()
      const provider = bedrock({
        region: 'us-east-1',
        accessKeyId: 'AKIAWIRETEST00000000',
        secretAccessKey: 'wiretest0000000000000000000000000000000',
        baseURL: server.url,
      })
      const model = ai.wrapLanguageModel({
        model: provider(MODEL),
        middleware: tracingMiddleware({ tracer }),
      })
      expect((await weatherLoop(ai, model, mode)).text).toBe('Sunny')
      await tracer.flush()
      for (const llm of llmSpans(exporter.spans)) {
        expect(llm.attributes[ATTR.usageCacheCreationInputTokens]).toBe(20)
        // @ai-sdk/amazon-bedrock@3 (ai@5) drops cacheDetails: the 5-minute rate for all of them.
        expect(llm.attributes[ATTR.costUsd] as number).toBeCloseTo(
          major === 'ai@5' ? COST : COST_1H,
          12,
        )
      }
    })
})
