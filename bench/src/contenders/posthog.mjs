// 5a. PostHog. `withTracing` from @posthog/ai refuses AI SDK 7 (V4) models, so this is PostHog's
// documented AI SDK 7 path: PostHogSpanProcessor (@posthog/ai/otel) over @ai-sdk/otel.
import { OpenTelemetry } from '@ai-sdk/otel'
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node'
import { PostHogSpanProcessor } from '@posthog/ai/otel'
import { generateText, registerTelemetry, streamText } from 'ai'

export async function setup({ url }) {
  const processor = new PostHogSpanProcessor({ projectToken: 'phc_bench', host: url })
  const provider = new NodeTracerProvider({ spanProcessors: [processor] })
  provider.register()
  registerTelemetry(new OpenTelemetry())
  return {
    generateText,
    streamText,
    model: (model) => model,
    flush: () => processor.forceFlush(),
    // Untraced, in the same process: no integrations for this call, the path of an app that
    // registered none (`isEnabled: false` would skip even the AI SDK's own tracing channel).
    baseline: {
      generateText,
      streamText,
      model: (model) => model,
      options: { telemetry: { integrations: [] } },
    },
  }
}
