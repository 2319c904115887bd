import type { LanguageModelV4StreamPart } from '@ai-sdk/provider'
import { toolTelemetry, traceModel, withTraceMetadata } from '@tokentrail/ai-sdk'
import { createTracer, otlpExporter } from '@tokentrail/core'
import { simulateReadableStream, stepCountIs, streamText, tool } from 'ai'
import { convertArrayToReadableStream, MockLanguageModelV4 } from 'ai/test'
import { z } from 'zod'

export interface ChatTurn {
  prompt: string
  answer: string
  /** The model calls the `lookup` tool first; `throws` makes the tool fail. */
  tool?: 'ok' | 'throws'
}

const usage = (input: number, output: number) => ({
  inputTokens: { total: input, noCache: input, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: output, text: output, reasoning: undefined },
})

function textStream(answer: string, input: number): LanguageModelV4StreamPart[] {
  return [
    { type: 'stream-start', warnings: [] },
    { type: 'text-start', id: 't' },
    ...answer
      .split(/(?<= )/)
      .map((delta): LanguageModelV4StreamPart => ({ type: 'text-delta', id: 't', delta })),
    { type: 'text-end', id: 't' },
    { type: 'finish', finishReason: { unified: 'stop', raw: 'stop' }, usage: usage(input, 30) },
  ]
}

const toolStream: LanguageModelV4StreamPart[] = [
  { type: 'stream-start', warnings: [] },
  { type: 'tool-call', toolCallId: 'call-1', toolName: 'lookup', input: '{"query":"order 42"}' },
  {
    type: 'finish',
    finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
    usage: usage(80, 12),
  },
]

/**
 * Sends a conversation over OTLP/HTTP as a real app would: one request trace per turn, each a
 * real `streamText` over a mock provider inside `withTraceMetadata({ userId, sessionId, tags })`,
 * with the prompt and the previous turns as messages. Returns the trace ids in order.
 */
export async function sendConversation(
  collectorUrl: string,
  {
    userId,
    sessionId,
    tags = [],
    turns,
  }: { userId: string; sessionId: string; tags?: string[]; turns: ChatTurn[] },
): Promise<string[]> {
  const tracer = createTracer({
    serviceName: 'support-bot',
    exporters: [otlpExporter({ url: `${collectorUrl}/v1/traces` })],
    recordInputs: true,
    recordOutputs: true,
  })
  const ids: string[] = []
  const history: { role: 'user' | 'assistant'; content: string }[] = []
  for (const [n, turn] of turns.entries()) {
    const streams = [
      ...(turn.tool ? [{ stream: convertArrayToReadableStream(toolStream) }] : []),
      // Paced, as a model streams: a burst (every chunk within 10 ms) records no tokens per second.
      {
        stream: simulateReadableStream({
          chunks: textStream(turn.answer, 100 + n * 50),
          chunkDelayInMs: 10,
        }),
      },
    ]
    const model = traceModel(
      new MockLanguageModelV4({
        provider: 'openai.chat',
        modelId: 'gpt-4o-mini',
        doStream: streams,
      }),
      { tracer },
    )
    const lookup = tool({
      inputSchema: z.object({ query: z.string() }),
      execute: async ({ query }) => {
        if (turn.tool === 'throws') throw new Error(`lookup failed for ${query}`)
        return { status: 'shipped' }
      },
    })
    history.push({ role: 'user', content: turn.prompt })
    await tracer.withSpan('POST /api/chat', { kind: 'http' }, async (span) => {
      ids.push(span.spanContext().traceId)
      await withTraceMetadata({ userId, sessionId, tags }, async () => {
        const result = streamText({
          model,
          messages: [...history],
          tools: { lookup },
          stopWhen: stepCountIs(3),
          telemetry: { integrations: [toolTelemetry({ tracer })] },
        })
        await result.consumeStream()
      })
    })
    history.push({ role: 'assistant', content: turn.answer })
  }
  await tracer.flush()
  return ids
}
