// 2. Tokentrail: tracingMiddleware() with the OTLP exporter, as in packages/ai-sdk/README.md.

import { tracingMiddleware } from '@tokentrail/ai-sdk'
import { createTracer, otlpExporter, setTracer } from '@tokentrail/core'
import { generateText, streamText, wrapLanguageModel } from 'ai'

export async function setup({ url }) {
  const tracer = createTracer({
    serviceName: 'bench',
    exporters: [otlpExporter({ url: `${url}/v1/traces` })],
  })
  setTracer(tracer)
  const middleware = tracingMiddleware()
  return {
    generateText,
    streamText,
    model: (model) => wrapLanguageModel({ model, middleware }),
    flush: () => tracer.flush({ timeoutMs: 60_000 }),
    stats: () => tracer.stats(),
    // Untraced, in the same process: the model without the middleware, and no telemetry
    // integration for the call — the path of an app without Tokentrail. (tracingMiddleware()
    // puts its integration in the AI SDK's global list, so a plain call would still pay for it
    // and hide that cost from the "added" rows.)
    baseline: {
      generateText,
      streamText,
      model: (model) => model,
      options: { telemetry: { integrations: [] } },
    },
  }
}
