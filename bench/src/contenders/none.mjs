// 1. No tracing: the floor every ratio is taken against.
import { generateText, streamText } from 'ai'

export async function setup() {
  const plain = { generateText, streamText, model: (model) => model }
  return { ...plain, flush: async () => {}, baseline: plain }
}
