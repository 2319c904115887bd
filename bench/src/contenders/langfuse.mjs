// 4. Langfuse's current JS SDK: LangfuseSpanProcessor (@langfuse/otel) on a NodeTracerProvider, and
// LangfuseVercelAiSdkIntegration (which delegates to @ai-sdk/otel) registered with the AI SDK 7.
import { LangfuseSpanProcessor } from '@langfuse/otel'
import { LangfuseVercelAiSdkIntegration } from '@langfuse/vercel-ai-sdk'
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node'
import { generateText, registerTelemetry, streamText } from 'ai'

export async function setup({ url }) {
  const processor = new LangfuseSpanProcessor({
    publicKey: 'pk-lf-bench',
    secretKey: 'sk-lf-bench',
    baseUrl: url,
  })
  const provider = new NodeTracerProvider({ spanProcessors: [processor] })
  provider.register()
  registerTelemetry(new LangfuseVercelAiSdkIntegration())
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
