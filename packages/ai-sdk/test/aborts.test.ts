import { ATTR } from '@tokentrail/core'
import { generateText, streamText } from 'ai'
import { MockLanguageModelV4 } from 'ai/test'
import { describe, expect, it } from 'vitest'
import { traceModel } from '../src/index.js'
import { gatedStream, modelSpans, outputText, setup, textParts, usage } from './helpers.js'

// Parts: stream-start, response-metadata, text-start, 'Hello ', 'wor', | gate | 'ld', text-end, finish
const parts = () => textParts(['Hello ', 'wor', 'ld'], { usage: usage(7, 3) })
const GATE_AT = 5

function never(): { promise: Promise<void>; release: () => void } {
  let release = () => {}
  const promise = new Promise<void>((resolve) => (release = resolve))
  return { promise, release }
}

async function readDeltas(iterator: AsyncIterator<string>, count: number): Promise<string> {
  let text = ''
  for (let i = 0; i < count; i++) text += (await iterator.next()).value
  return text
}

describe('aborts', () => {
  it('ends the span cancelled on abortSignal mid-stream, with the partial text, at once', async () => {
    const { tracer, exporter } = setup()
    const gate = never()
    const { stream } = gatedStream(parts(), GATE_AT, gate.promise)
    const model = traceModel(new MockLanguageModelV4({ doStream: { stream } }), { tracer })
    const controller = new AbortController()
    const result = streamText({ model, prompt: 'x', abortSignal: controller.signal })
    const received = await readDeltas(result.textStream[Symbol.asyncIterator](), 2)
    expect(received).toBe('Hello wor')
    controller.abort()
    await tracer.flush()
    // The provider stream is still stalled: the span closed on the signal, not on the stream.
    expect(modelSpans(exporter)).toHaveLength(1)
    const span = modelSpans(exporter)[0]
    expect(span.status).toBe('cancelled')
    expect(span.attributes[ATTR.cancelledBy]).toBe('abort_signal')
    expect(outputText(span)).toBe('Hello wor')
    expect(span.attributes[ATTR.ttftMs]).toBeTypeOf('number')
    expect(span.attributes[ATTR.usageInputTokens]).toBeUndefined()
    gate.release()
  })

  it('ends the span cancelled when the abort comes before the first chunk', async () => {
    const { tracer, exporter } = setup()
    const waitForAbort = ({ abortSignal }: { abortSignal?: AbortSignal }) =>
      new Promise<never>((_, reject) =>
        abortSignal!.addEventListener('abort', () => reject(abortSignal!.reason), { once: true }),
      )
    const model = traceModel(
      new MockLanguageModelV4({ doStream: waitForAbort, doGenerate: waitForAbort }),
      { tracer },
    )
    const streamAbort = new AbortController()
    const streamed = streamText({ model, prompt: 'x', abortSignal: streamAbort.signal })
    const types: string[] = []
    const consumed = (async () => {
      for await (const part of streamed.fullStream) types.push(part.type)
    })()
    await new Promise((r) => setTimeout(r, 20))
    streamAbort.abort()
    await consumed
    expect(types).toContain('abort')

    const generateAbort = new AbortController()
    const generating = generateText({ model, prompt: 'x', abortSignal: generateAbort.signal })
    setTimeout(() => generateAbort.abort(), 20)
    const error = await generating.catch((e) => e)
    expect(error).toBe(generateAbort.signal.reason)
    await tracer.flush()
    expect(modelSpans(exporter).map((s) => s.status)).toEqual(['cancelled', 'cancelled'])
    for (const span of modelSpans(exporter)) {
      expect(span.attributes[ATTR.cancelledBy]).toBe('abort_signal')
      expect(span.error).toBeUndefined()
    }
  })

  it('ends the span cancelled when its stream is cancelled, and cancels the provider stream', async () => {
    const { tracer, exporter } = setup()
    const gate = never()
    const { stream, cancelled } = gatedStream(parts(), GATE_AT, gate.promise)
    const model = traceModel(new MockLanguageModelV4({ doStream: { stream } }), { tracer })
    const result = await model.doStream({ prompt: [] })
    const reader = result.stream.getReader()
    for (let i = 0; i < 4; i++) await reader.read()
    await reader.cancel('client went away')
    expect(await cancelled).toBe('client went away')
    await tracer.flush()
    const span = modelSpans(exporter)[0]
    expect(span.status).toBe('cancelled')
    expect(span.attributes[ATTR.cancelledBy]).toBe('stream_cancel')
    expect(outputText(span)).toBe('Hello ')
    gate.release()
  })

  it('is closed by its parent when a textStream reader is cancelled and nothing reaches the model stream', async () => {
    const { tracer, exporter } = setup()
    const gate = never()
    const { stream } = gatedStream(parts(), GATE_AT, gate.promise)
    const model = traceModel(new MockLanguageModelV4({ doStream: { stream } }), { tracer })
    const request = tracer.startSpan('POST /api/chat', { kind: 'http' })
    const result = tracer.runInSpan(request, () => streamText({ model, prompt: 'x' }))
    const reader = result.textStream.getReader()
    expect((await reader.read()).value).toBe('Hello ')
    await reader.cancel()
    await tracer.flush()
    const open = modelSpans(exporter).filter((s) => s.kind === 'llm')
    // The request span ending (as a Next/Hono adapter does when the body ends) closes the LLM span.
    request.end({ endOpenChildren: true })
    await tracer.flush()
    const llm = modelSpans(exporter).find((s) => s.kind === 'llm')
    expect(llm, 'the LLM span must close').toBeDefined()
    expect(llm!.status).toBe('cancelled')
    const call = exporter.spans.find((s) => s.attributes[ATTR.operationName] === 'invoke_agent')
    expect(call!.parentSpanId).toBe(request.spanId)
    expect(llm!.parentSpanId).toBe(call!.spanId)
    expect(String(outputText(llm!))).toMatch(/^Hello /)
    // Either the cancel reached the middleware's stream, or the parent closed the span.
    expect(['stream_cancel', 'parent']).toContain(llm!.attributes[ATTR.cancelledBy])
    if (open.length === 0) expect(llm!.attributes['tokentrail.closed_by_parent']).toBe(true)
    gate.release()
  })
})
