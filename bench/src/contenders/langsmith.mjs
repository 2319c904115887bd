// 6. LangSmith: its AI SDK 7 path, `registerTelemetry(LangSmithTelemetry({ client }))` from
// langsmith/experimental/vercel, with a `Client` passed in so the end of a task can wait for it
// (`awaitPendingTraceBatches()`, as its serverless guide shows). `wrapAISDK` is its AI SDK 5/6 path.
import { generateText, registerTelemetry, streamText } from 'ai'
import { Client } from 'langsmith'
import { LangSmithTelemetry } from 'langsmith/experimental/vercel'

export async function setup({ url }) {
  const client = new Client({ apiUrl: url, apiKey: 'lsv2_pt_bench' })
  // tracingEnabled: what LANGSMITH_TRACING=true in the guide's environment turns on.
  registerTelemetry(LangSmithTelemetry({ client, projectName: 'bench', tracingEnabled: true }))
  return {
    generateText,
    streamText,
    model: (model) => model,
    flush: () => client.awaitPendingTraceBatches(),
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
