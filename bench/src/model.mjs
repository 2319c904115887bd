// A zero-latency language model (AI SDK LanguageModelV4): answers from memory at once, so every
// microsecond measured is the AI SDK's and the tracer's own. Nothing here is traced or faked: the
// real generateText/streamText run over it exactly as over a provider.

const usage = {
  inputTokens: { total: 40, noCache: 40, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 12, text: 12, reasoning: undefined },
}

const generateResult = {
  content: [{ type: 'text', text: 'The capital of France is Paris, a city on the Seine.' }],
  finishReason: { unified: 'stop', raw: 'stop' },
  usage,
  warnings: [],
  response: { id: 'resp-1', modelId: 'gpt-4o-2024-08-06', timestamp: new Date(0) },
}

/** Stream parts of one answer with `chunks` text deltas. */
export function streamParts(chunks) {
  const parts = [
    { type: 'stream-start', warnings: [] },
    {
      type: 'response-metadata',
      id: 'resp-1',
      modelId: 'gpt-4o-2024-08-06',
      timestamp: new Date(0),
    },
    { type: 'text-start', id: 't' },
  ]
  for (let i = 0; i < chunks; i++) parts.push({ type: 'text-delta', id: 't', delta: 'token ' })
  parts.push(
    { type: 'text-end', id: 't' },
    { type: 'finish', finishReason: { unified: 'stop', raw: 'stop' }, usage },
  )
  return parts
}

/** The model: `doGenerate` resolves at once; `doStream` yields `chunks` deltas, 64 per pull like a socket read. */
export function createModel({ chunks = 8 } = {}) {
  const parts = streamParts(chunks)
  return {
    specificationVersion: 'v4',
    provider: 'openai.chat',
    modelId: 'gpt-4o',
    supportedUrls: {},
    doGenerate: async () => generateResult,
    doStream: async () => {
      let i = 0
      return {
        stream: new ReadableStream({
          pull(controller) {
            for (let n = 0; n < 64 && i < parts.length; n++) controller.enqueue(parts[i++])
            if (i >= parts.length) controller.close()
          },
        }),
      }
    },
  }
}

/** The same call every contender makes. */
export const PROMPT = {
  system: 'You are a concise assistant.',
  prompt: 'What is the capital of France?',
  temperature: 0.2,
  maxOutputTokens: 256,
}
