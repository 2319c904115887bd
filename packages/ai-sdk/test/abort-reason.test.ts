// An abort whose reason is no AbortError: @hono/node-server aborts a request's signal with the
// string "Error: aborted" when its client leaves, and generateText rejects with that string. The
// call span was `error` ("Error: aborted", error.type string) where its model call was
// `cancelled`, and the trace was listed as failed. Through each major's real OpenAI provider over
// HTTP, answering nothing until the abort.
import { describe, expect, it } from 'vitest'
import { tracingMiddleware } from '../src/index.js'
import { setup } from './helpers.js'
import { callSpan, MAJORS, serveWire, useWireServers } from './wire.js'

useWireServers()

describe.each(MAJORS)('$major: an abort with a reason of its own', ({ ai, openai }) => {
  for (const reason of ['Error: aborted', 42, { why: 'gone' }])
    it(`generateText aborted with ${JSON.stringify(reason)}: every span cancelled, the same rejection`, async () => {
      const server = await serveWire(() => ({ sse: [10_000] }))
      const { tracer, exporter } = setup()
      const model = ai.wrapLanguageModel({
        model: openai(server.url).chat('gpt-4o'),
        middleware: tracingMiddleware({ tracer }),
      })
      const abort = new AbortController()
      setTimeout(() => abort.abort(reason), 100)
      const rejected = await ai
        .generateText({ model, prompt: 'Hi', abortSignal: abort.signal, maxRetries: 0 })
        .catch((error: unknown) => ({ error }))
      expect(rejected).toEqual({ error: reason })
      await tracer.flush()
      expect(exporter.spans.length).toBeGreaterThanOrEqual(2)
      for (const span of exporter.spans) {
        expect(span.status, span.name).toBe('cancelled')
        expect(span.error, span.name).toBeUndefined()
      }
      expect(callSpan(exporter.spans).status).toBe('cancelled')
    })
})
