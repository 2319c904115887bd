// 5b. Braintrust: initLogger + wrapAISDK(ai), as its AI SDK guide shows.
import * as ai from 'ai'
import { initLogger, wrapAISDK } from 'braintrust'

export async function setup({ url }) {
  const logger = initLogger({ projectName: 'bench', apiKey: 'bt-bench-key', appUrl: url })
  const { generateText, streamText } = wrapAISDK(ai)
  return {
    generateText,
    streamText,
    model: (model) => model,
    flush: () => logger.flush(),
    // Untraced, in the same process: the AI SDK's own functions.
    baseline: { generateText: ai.generateText, streamText: ai.streamText, model: (model) => model },
  }
}
