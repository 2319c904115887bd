// The model that answered a Gemini call (`modelVersion`, in every Gemini answer and stream chunk)
// and its response id, which no @ai-sdk/google passes on as the response model (and @2 not the
// id either): read from the answer's body for a generate call and from the raw chunks of a
// stream, on the Gemini API (@ai-sdk/google) and Vertex AI (@ai-sdk/google-vertex) of each major,
// over HTTP against a local server in Gemini's wire format. The request is for an alias
// (`gemini-flash-latest`, not in the price table); the answer names the model behind it, which
// prices the call. The consumer's stream is what it would be without the tracing: no raw chunks
// unless the caller asked for them.
import { ATTR } from '@tokentrail/core'
import { describe, expect, it } from 'vitest'
import { tracingMiddleware } from '../src/index.js'
import { setup } from './helpers.js'
import {
  llmSpans,
  MAJORS,
  serveWire,
  useWireServers,
  vertexClients,
  type WireServer,
} from './wire.js'

let server: WireServer | undefined
useWireServers()

const vertex = vertexClients

// Gemini 2.5 Flash: $0.30 input, $2.50 output per million tokens.
const usageMetadata = { promptTokenCount: 100, candidatesTokenCount: 20, totalTokenCount: 120 }
const chunk = (text: string, last: boolean) => ({
  candidates: [
    {
      content: { role: 'model', parts: [{ text }] },
      ...(last ? { finishReason: 'STOP' } : {}),
      index: 0,
    },
  ],
  usageMetadata: last ? usageMetadata : { promptTokenCount: 100, totalTokenCount: 100 },
  modelVersion: 'gemini-2.5-flash',
  responseId: 'Yb8yacKZA5C2vdIP-gemini',
})

describe.each(MAJORS)('$major: the model that answered a Gemini call', ({ major, ai, google }) => {
  const clients = {
    'Gemini API': (url: string) => google(url)('gemini-flash-latest'),
    'Vertex AI': (url: string) => vertex[major]!(url)('gemini-flash-latest'),
  }
  for (const [api, client] of Object.entries(clients))
    for (const mode of ['generateText', 'streamText', 'streamText with raw chunks'] as const)
      it(`${api}, ${mode}: response model and id, priced as the model that answered`, async () => {
        server = await serveWire((path) =>
          path.includes(':streamGenerateContent')
            ? {
                sse: [chunk('Hello', false), chunk(' there', true)].map(
                  (value) => `data: ${JSON.stringify(value)}\r\n\r\n`,
                ),
              }
            : { json: chunk('Hello there', true) },
        )
        const { tracer, exporter } = setup()
        const model = ai.wrapLanguageModel({
          model: client(server.url),
          middleware: tracingMiddleware({ tracer }),
        })
        let types: string[] = []
        if (mode === 'generateText') {
          const result = await ai.generateText({ model, prompt: 'Hi' })
          expect(result.text).toBe('Hello there')
        } else {
          const raw = mode === 'streamText with raw chunks'
          const result = ai.streamText({ model, prompt: 'Hi', includeRawChunks: raw })
          for await (const part of result.fullStream) types.push(part.type)
          expect(await result.text).toBe('Hello there')
          // The caller's raw chunks reach it; none the tracing asked for does.
          expect(types.filter((type) => type === 'raw').length).toBe(raw ? 2 : 0)
          types = []
        }
        expect(server.requests.length).toBe(1)
        await tracer.flush()
        const [llm] = llmSpans(exporter.spans)
        expect(llm!.attributes).toMatchObject({
          [ATTR.requestModel]: 'gemini-flash-latest',
          [ATTR.responseModel]: 'gemini-2.5-flash',
          [ATTR.responseId]: 'Yb8yacKZA5C2vdIP-gemini',
          [ATTR.usageInputTokens]: 100,
          [ATTR.usageOutputTokens]: 20,
        })
        expect(llm!.attributes).not.toHaveProperty('tokentrail.cost.unknown_model')
        expect(llm!.attributes[ATTR.costUsd] as number).toBeCloseTo(
          (100 * 0.3 + 20 * 2.5) / 1e6,
          12,
        )
      })
})

describe.each(MAJORS)(
  '$major: a Gemini stream read straight from the wrapped model',
  ({ ai, google }) => {
    // What a middleware outside the tracing one, or code calling `doStream` itself, reads.
    it('has the raw chunks its caller asked for, and none the tracing did', async () => {
      server = await serveWire(() => ({
        sse: [chunk('Hello', false), chunk(' there', true)].map(
          (value) => `data: ${JSON.stringify(value)}\r\n\r\n`,
        ),
      }))
      const { tracer, exporter } = setup()
      const model = ai.wrapLanguageModel({
        model: google(server.url)('gemini-flash-latest'),
        middleware: tracingMiddleware({ tracer }),
      })
      for (const includeRawChunks of [false, true]) {
        const { stream } = await model.doStream({
          prompt: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }],
          includeRawChunks,
        })
        const types: string[] = []
        for await (const part of stream) types.push(part.type)
        expect(types.filter((type) => type === 'raw').length).toBe(includeRawChunks ? 2 : 0)
        expect(types).toContain('finish')
      }
      await tracer.flush()
      for (const llm of llmSpans(exporter.spans))
        expect(llm.attributes[ATTR.responseModel]).toBe('gemini-2.5-flash')
    })
  },
)

describe.each(MAJORS)('$major: a Gemini stream the caller aborts', ({ ai, google }) => {
  it("keeps the prompt counts Gemini's chunks gave (no output count, no cost)", async () => {
    const first = {
      ...chunk('Hello', false),
      usageMetadata: { promptTokenCount: 100, cachedContentTokenCount: 40, totalTokenCount: 100 },
    }
    server = await serveWire(() => ({ sse: [`data: ${JSON.stringify(first)}\r\n\r\n`, 10_000] }))
    const { tracer, exporter } = setup()
    const model = ai.wrapLanguageModel({
      model: google(server.url)('gemini-flash-latest'),
      middleware: tracingMiddleware({ tracer }),
    })
    const abort = new AbortController()
    const result = ai.streamText({
      model,
      prompt: 'Hi',
      abortSignal: abort.signal,
      onError: () => {},
    })
    try {
      for await (const part of result.fullStream) if (part.type === 'text-delta') abort.abort()
    } catch {}
    await tracer.flush()
    const [llm] = llmSpans(exporter.spans)
    expect(llm!.status).toBe('cancelled')
    expect(llm!.attributes).toMatchObject({
      [ATTR.responseModel]: 'gemini-2.5-flash',
      [ATTR.usageInputTokens]: 100,
      [ATTR.usageCacheReadInputTokens]: 40,
    })
    expect(llm!.attributes).not.toHaveProperty(ATTR.usageOutputTokens)
    expect(llm!.attributes).not.toHaveProperty(ATTR.costUsd)
  })
})
