// The contenders, in table order, with how each is set up (the setup code is src/contenders/<id>.mjs).
export const CONTENDERS = [
  {
    id: 'none',
    label: 'No tracing',
    setup: 'plain `generateText` / `streamText`',
    packages: ['ai'],
  },
  {
    id: 'tokentrail',
    label: 'Tokentrail',
    setup:
      '`wrapLanguageModel({ model, middleware: tracingMiddleware() })`, `createTracer({ exporters: [otlpExporter()] })`',
    packages: ['@tokentrail/ai-sdk', '@tokentrail/core'],
  },
  {
    id: 'ai-sdk-otel',
    label: 'AI SDK OTel',
    setup:
      '`registerTelemetry(new OpenTelemetry())` (@ai-sdk/otel) + `NodeTracerProvider` + `BatchSpanProcessor` + `OTLPTraceExporter` (HTTP/JSON)',
    packages: [
      '@ai-sdk/otel',
      '@opentelemetry/api',
      '@opentelemetry/sdk-trace-node',
      '@opentelemetry/sdk-trace-base',
      '@opentelemetry/exporter-trace-otlp-http',
    ],
  },
  {
    id: 'langfuse',
    label: 'Langfuse',
    setup:
      '`LangfuseSpanProcessor` (@langfuse/otel) on a `NodeTracerProvider` + `registerTelemetry(new LangfuseVercelAiSdkIntegration())`',
    packages: ['@langfuse/otel', '@langfuse/vercel-ai-sdk', '@opentelemetry/sdk-trace-node'],
  },
  {
    id: 'posthog',
    label: 'PostHog',
    setup:
      '`PostHogSpanProcessor` (@posthog/ai/otel) on a `NodeTracerProvider` + `registerTelemetry(new OpenTelemetry())`: its AI SDK 7 path, since `withTracing` refuses V4 models (see notes)',
    packages: ['@posthog/ai', 'posthog-node', '@ai-sdk/otel', '@opentelemetry/sdk-trace-node'],
  },
  {
    id: 'braintrust',
    label: 'Braintrust',
    setup: '`initLogger({ projectName, apiKey, appUrl })` + `wrapAISDK(ai)`',
    packages: ['braintrust'],
  },
  {
    id: 'langsmith',
    label: 'LangSmith',
    setup:
      '`registerTelemetry(LangSmithTelemetry({ client }))` (langsmith/experimental/vercel, its AI SDK 7 path) with `new Client({ apiUrl, apiKey })`',
    packages: ['langsmith'],
  },
]
