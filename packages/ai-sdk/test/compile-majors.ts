// Compiled by `typecheck` (not run): the documented setup type-checks against each AI SDK major's
// own types — ai@5 (V2 models and middleware), ai@6 (V3), ai@7 (V4).
import { createOpenAI as createOpenAI4 } from '@ai-sdk/openai'
import { createOpenAI as createOpenAI2 } from '@ai-sdk/openai-v2'
import { createOpenAI as createOpenAI3 } from '@ai-sdk/openai-v3'
import * as ai7 from 'ai'
import * as ai5 from 'ai-v5'
import * as ai6 from 'ai-v6'
import { tokentrailTelemetry, traceModel, tracingMiddleware } from '../src/index.js'

export async function onAi5(): Promise<void> {
  const model = ai5.wrapLanguageModel({
    model: createOpenAI2({ apiKey: 'k' }).chat('gpt-4o'),
    middleware: tracingMiddleware(),
  })
  const traced = traceModel(createOpenAI2({ apiKey: 'k' }).chat('gpt-4o'))
  await ai5.generateText({ model, prompt: 'hi' })
  await ai5.streamText({ model: traced, prompt: 'hi' }).consumeStream()
}

export async function onAi6(): Promise<void> {
  const model = ai6.wrapLanguageModel({
    model: createOpenAI3({ apiKey: 'k' }).chat('gpt-4o'),
    middleware: [tracingMiddleware({ recordOutputs: false })],
  })
  const traced = traceModel(createOpenAI3({ apiKey: 'k' })('gpt-4o'))
  await ai6.generateText({ model, prompt: 'hi' })
  await ai6.streamText({ model: traced, prompt: 'hi' }).consumeStream()
}

export async function onAi7(): Promise<void> {
  const model = ai7.wrapLanguageModel({
    model: createOpenAI4({ apiKey: 'k' }).chat('gpt-4o'),
    middleware: tracingMiddleware(),
  })
  ai7.registerTelemetry(tokentrailTelemetry({ recordOutputs: false }))
  // An app's own handler assigned onto the integration is checked against ai@7's handler types.
  ai7.registerTelemetry(Object.assign(tokentrailTelemetry(), { onStart: () => 1 }))
  const integration: ai7.Telemetry = tokentrailTelemetry()
  await ai7.generateText({ model, prompt: 'hi', telemetry: { integrations: [integration] } })
  const traced = traceModel(createOpenAI4({ apiKey: 'k' })('gpt-4o'))
  await ai7.generateText({ model, prompt: 'hi' })
  await ai7.streamText({ model: traced, prompt: 'hi' }).consumeStream()
}

// Plain model ids, traced through the default provider wrapped (README): each major's gateway.
export function plainModelIds(): void {
  globalThis.AI_SDK_DEFAULT_PROVIDER = ai7.wrapProvider({
    provider: ai7.gateway,
    languageModelMiddleware: tracingMiddleware(),
  })
  const v6 = ai6.wrapProvider({
    provider: ai6.gateway,
    languageModelMiddleware: tracingMiddleware(),
  })
  const v5 = ai5.wrapProvider({
    provider: ai5.gateway,
    languageModelMiddleware: tracingMiddleware(),
  })
  void [v6, v5]
}

// The middleware is a type of its own that each major's middleware type accepts, not `never`
// (the intersection of the three, whose specificationVersion 'v4' & 'v3' is never).
// @ts-expect-error a middleware is not a number
export const notNever: number = tracingMiddleware()
