// ai@7's streamText retries an attempt whose stream fails after it started (`streamRetries`, or
// `onError` returning `{ retry: true }`): the retry is the same step of the same call. ai@5 and
// ai@6 have no stream retries. Through the real `@ai-sdk/openai` over HTTP against tools/mock-openai.
import { ATTR, type SpanData } from '@tokentrail/core'
import { type MockOpenAI, startMockOpenAI } from '@tokentrail/mock-openai'
import { afterEach, describe, expect, it } from 'vitest'
import { CALL_ATTR, tracingMiddleware } from '../src/index.js'
import { setup } from './helpers.js'
import { majors } from './majors.js'

let server: MockOpenAI | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
  delete (globalThis as any).AI_SDK_TELEMETRY_INTEGRATIONS
})

const callSpans = (spans: readonly SpanData[]) =>
  spans.filter((s) => s.attributes[ATTR.operationName] === 'invoke_agent')

const retries = [
  // An onError that returns nothing keeps the SDK from printing the error.
  { how: 'streamRetries: 1', options: { streamRetries: 1, onError: () => {} } },
  {
    how: 'onError asking for a retry',
    options: { streamRetries: 0, onError: () => ({ retry: true }) },
  },
]

describe.each(majors.filter(({ major }) => major === 'ai@7'))(
  '$major: a stream that fails mid-way, retried by streamText',
  ({ ai, createOpenAI }) => {
    it.each(retries)(
      '$how: one trace, the failed attempt and its retry as attempts of step 0',
      async ({ options }) => {
        let requests = 0
        // The first answer fails half-way through its stream; the retry completes.
        server = await startMockOpenAI({ failStream: () => requests++ === 0 })
        const openai = createOpenAI({ baseURL: server.url, apiKey: 'sk-test-not-a-real-key' })
        const { tracer, exporter } = setup()
        const model = ai.wrapLanguageModel({
          model: openai.chat('gpt-4o'),
          middleware: tracingMiddleware({ tracer }),
        })
        const result = ai.streamText({ model, prompt: 'Tell me about Oslo', ...options })
        // The user's outcome: the retried answer.
        expect(await result.text).toBe('You said: Tell me about Oslo')
        expect(server.calls.map((call) => call.status)).toEqual(['stream-error', 200])
        await tracer.flush()
        const calls = callSpans(exporter.spans)
        expect(calls).toHaveLength(1)
        const [call] = calls
        const llm = exporter.spans.filter((s) => s.kind === 'llm')
        expect(llm.map((s) => s.traceId)).toEqual([call!.traceId, call!.traceId])
        expect(llm.map((s) => s.parentSpanId)).toEqual([call!.spanId, call!.spanId])
        const [failed, retry] = llm
        // The first attempt failed with the provider's error: nobody cancelled it.
        expect(failed!.status).toBe('error')
        expect(failed!.attributes['tokentrail.cancelled_by']).toBeUndefined()
        expect(failed!.attributes['tokentrail.step']).toBe(0)
        expect(retry!.status).toBe('ok')
        expect(retry!.attributes['tokentrail.step']).toBe(0)
        expect(retry!.attributes['tokentrail.attempt']).toBe(2)
        // The call: ok, as the user saw it, with the retry's usage as its totals.
        const usage = server.calls[1]!.usage!
        expect(call!.status).toBe('ok')
        expect(call!.attributes[CALL_ATTR.steps]).toBe(1)
        expect(call!.attributes[CALL_ATTR.retries]).toBe(1)
        expect(call!.attributes[CALL_ATTR.inputTokens]).toBe(usage.inputTokens)
        expect(call!.attributes[CALL_ATTR.outputTokens]).toBe(usage.outputTokens)
      },
    )
  },
)
