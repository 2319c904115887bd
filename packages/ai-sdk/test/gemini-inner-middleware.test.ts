// A middleware of the user's between the tracing one and a Gemini model (`middleware: [tracing,
// theirs]`) sees what it would see without the tracing: the same options (no `includeRawChunks`
// the tracing asked for) and the same parts (no raw chunks) — a cache keyed by the options, a
// logger or a chunk counter there behaves the same traced or not. Over HTTP with each major's
// @ai-sdk/google against a local server in Gemini's wire format.
import { describe, expect, it } from 'vitest'
import { tracingMiddleware } from '../src/index.js'
import { setup } from './helpers.js'
import { llmSpans, MAJORS, serveWire, useWireServers, type WireServer } from './wire.js'

let server: WireServer | undefined
useWireServers()

const chunk = (text: string, last: boolean) => ({
  candidates: [
    {
      content: { role: 'model', parts: [{ text }] },
      ...(last ? { finishReason: 'STOP' } : {}),
      index: 0,
    },
  ],
  usageMetadata: { promptTokenCount: 100, candidatesTokenCount: last ? 20 : 5 },
  modelVersion: 'gemini-2.5-flash',
  responseId: 'resp-inner',
})

describe.each(MAJORS)(
  '$major: a middleware inside the tracing one, Gemini stream',
  ({ ai, google }) => {
    for (const includeRawChunks of [false, true])
      it(`sees the options and parts it sees untraced (includeRawChunks: ${includeRawChunks})`, async () => {
        server = await serveWire(() => ({
          sse: [chunk('Hello', false), chunk(' there', true)].map(
            (value) => `data: ${JSON.stringify(value)}\r\n\r\n`,
          ),
        }))
        const { tracer, exporter } = setup()
        const seen = async (traced: boolean) => {
          const options: unknown[] = []
          const parts: string[] = []
          const theirs = {
            specificationVersion: 'v4',
            async wrapStream({ doStream, params }: any) {
              options.push(params.includeRawChunks)
              const result = await doStream()
              const counted = new TransformStream({
                transform(part: any, controller) {
                  parts.push(part.type)
                  controller.enqueue(part)
                },
              })
              return { ...result, stream: result.stream.pipeThrough(counted) }
            },
          }
          const model = ai.wrapLanguageModel({
            model: google(server!.url)('gemini-flash-latest'),
            middleware: traced ? [tracingMiddleware({ tracer }), theirs] : [theirs],
          })
          const result = ai.streamText({ model, prompt: 'Hi', includeRawChunks })
          const types: string[] = []
          for await (const part of result.fullStream) types.push(part.type)
          expect(await result.text).toBe('Hello there')
          return { options, parts, types }
        }
        const untraced = await seen(false)
        const traced = await seen(true)
        expect(traced).toEqual(untraced)
        expect(untraced.parts.filter((type) => type === 'raw').length).toBe(
          includeRawChunks ? 2 : 0,
        )
        await tracer.flush()
        const [llm] = llmSpans(exporter.spans)
        expect(llm!.attributes['gen_ai.usage.input_tokens']).toBe(100)
      })
  },
)
