// 3. The AI SDK 7's own OpenTelemetry output: @ai-sdk/otel registered with registerTelemetry, over
// the OpenTelemetry JS SDK (NodeTracerProvider, BatchSpanProcessor, OTLP/HTTP exporter).
import { OpenTelemetry } from '@ai-sdk/otel'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node'
import { generateText, registerTelemetry, streamText } from 'ai'

export async function setup({ url }) {
  const processor = new BatchSpanProcessor(new OTLPTraceExporter({ url: `${url}/v1/traces` }))
  const provider = new NodeTracerProvider({ spanProcessors: [processor] })
  provider.register()
  registerTelemetry(new OpenTelemetry())
  return {
    generateText,
    streamText,
    model: (model) => model,
    flush: () => provider.forceFlush(),
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
