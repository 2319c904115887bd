// Temporary contender (not committed): Tokentrail at the session start, built in /work/wt-base.
import { tracingMiddleware } from '/work/wt-base/packages/ai-sdk/dist/index.js'
import { createTracer, otlpExporter, setTracer } from '/work/wt-base/packages/core/dist/index.js'
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
    baseline: {
      generateText,
      streamText,
      model: (model) => model,
      options: { telemetry: { integrations: [] } },
    },
  }
}
