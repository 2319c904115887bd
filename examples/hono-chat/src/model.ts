import { createOpenAI } from '@ai-sdk/openai'
import { traceModel } from '@tokentrail/ai-sdk'
import type { Tracer } from '@tokentrail/core'
import type { LanguageModel } from 'ai'

/** Where the model lives: real OpenAI with a key, else an OpenAI-compatible base URL (the local mock). */
export interface ModelSettings {
  OPENAI_API_KEY?: string
  OPENAI_BASE_URL?: string
  OPENAI_MODEL?: string
}

/**
 * The chat model, wrapped so every call records an LLM span. Typed as `ai`'s `LanguageModel`: the
 * provider's own model type lives in @ai-sdk/provider, which an app under pnpm cannot name.
 */
export function chatModel(settings: ModelSettings, tracer: Tracer): LanguageModel {
  const openai = createOpenAI({
    apiKey: settings.OPENAI_API_KEY || 'mock-key',
    ...(settings.OPENAI_BASE_URL ? { baseURL: settings.OPENAI_BASE_URL } : {}),
  })
  return traceModel(openai(settings.OPENAI_MODEL || 'gpt-4o-mini'), { tracer })
}
