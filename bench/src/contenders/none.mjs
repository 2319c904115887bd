// 1. No tracing: the floor every ratio is taken against.
import { generateText, streamText } from 'ai'

export async function setup() {
  return { generateText, streamText, model: (model) => model, flush: async () => {} }
}
