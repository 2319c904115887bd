import type { LanguageModelV4StreamPart, LanguageModelV4Usage } from '@ai-sdk/provider'
import { toolTelemetry, traceModel } from '@tokentrail/ai-sdk'
import { createTracer, otlpExporter, otlpMetricsExporter } from '@tokentrail/core'
import { simulateReadableStream, stepCountIs, streamText, tool } from 'ai'
import { convertArrayToReadableStream, MockLanguageModelV4 } from 'ai/test'
import { z } from 'zod'

const usage = (input: number, output: number): LanguageModelV4Usage => ({
  inputTokens: { total: input, noCache: input, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: output, text: output, reasoning: undefined },
})

const toolCall = (input: string): LanguageModelV4StreamPart[] => [
  { type: 'stream-start', warnings: [] },
  { type: 'tool-call', toolCallId: 'call-1', toolName: 'weather', input },
  {
    type: 'finish',
    finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
    usage: usage(40, 12),
  },
]

const text = (deltas: string[]): LanguageModelV4StreamPart[] => [
  { type: 'stream-start', warnings: [] },
  { type: 'response-metadata', id: 'resp-1', modelId: 'gpt-4o-mini', timestamp: new Date(0) },
  { type: 'text-start', id: 't1' },
  ...deltas.map((delta): LanguageModelV4StreamPart => ({ type: 'text-delta', id: 't1', delta })),
  { type: 'text-end', id: 't1' },
  {
    type: 'finish',
    finishReason: { unified: 'stop', raw: 'stop' },
    usage: usage(60, deltas.length),
  },
]

/**
 * Sends real AI SDK traces to a collector over OTLP/HTTP: a streamed tool loop with `prompt`, and
 * (when `fail`) a call whose provider throws. With `metrics`, the tracer also sends the GenAI
 * metrics derived from those spans to `/v1/metrics`. Returns the trace ids.
 */
export async function sendAiSdkTraces(
  collectorUrl: string,
  { prompt, fail = false, metrics = false }: { prompt: string; fail?: boolean; metrics?: boolean },
): Promise<string[]> {
  const tracer = createTracer({
    serviceName: 'ai-chat',
    exporters: [otlpExporter({ url: `${collectorUrl}/v1/traces` })],
    metrics: metrics
      ? { exporters: [otlpMetricsExporter({ url: `${collectorUrl}/v1/metrics` })] }
      : false,
    recordInputs: true,
    recordOutputs: true,
  })
  const ids: string[] = []
  const model = traceModel(
    new MockLanguageModelV4({
      provider: 'openai.chat',
      modelId: 'gpt-4o-mini',
      doStream: [
        { stream: convertArrayToReadableStream(toolCall('{"city":"Paris"}')) },
        // Paced, as a model streams: a burst (all chunks within 10 ms) records no tokens per second.
        {
          stream: simulateReadableStream({
            chunks: text(['It is ', '21°C ', 'in Paris.']),
            chunkDelayInMs: 10,
          }),
        },
      ],
    }),
    { tracer },
  )
  const weather = tool({
    inputSchema: z.object({ city: z.string() }),
    execute: async ({ city }) => ({ city, celsius: 21 }),
  })
  await tracer.withSpan('POST /api/chat', { kind: 'http' }, async (span) => {
    ids.push(span.spanContext().traceId)
    const result = streamText({
      model,
      prompt,
      tools: { weather },
      stopWhen: stepCountIs(3),
      telemetry: { integrations: [toolTelemetry({ tracer })] },
    })
    await result.text
  })
  if (fail) {
    const broken = traceModel(
      new MockLanguageModelV4({
        modelId: 'gpt-4o-mini',
        doStream: async () => {
          throw new Error('429 rate limit exceeded for gpt-4o-mini')
        },
      }),
      { tracer },
    )
    await tracer
      .withSpan('POST /api/chat', { kind: 'http' }, async (span) => {
        ids.push(span.spanContext().traceId)
        const result = streamText({ model: broken, prompt: 'this one fails', maxRetries: 0 })
        await result.text
      })
      .catch(() => {})
  }
  await tracer.flush()
  return ids
}
