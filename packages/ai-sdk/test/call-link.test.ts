import { createOpenAI } from '@ai-sdk/openai'
import { ATTR } from '@tokentrail/core'
import { type MockOpenAI, startMockOpenAI } from '@tokentrail/mock-openai'
import { APICallError, generateText, stepCountIs, streamText, tool, wrapLanguageModel } from 'ai'
import { MockLanguageModelV4 } from 'ai/test'
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  AiCall,
  callOfInvocation,
  callState,
  callStorage,
  forgetCall,
  rememberCall,
  stepStarting,
} from '../src/call.js'
import { tracingMiddleware } from '../src/index.js'
import { gatedStream, outputText, setup, textParts, usage } from './helpers.js'

let server: MockOpenAI | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
  delete (globalThis as any).AI_SDK_TELEMETRY_INTEGRATIONS
})

const weather = tool({
  inputSchema: z.object({ city: z.string() }),
  execute: async ({ city }) => ({ city, celsius: 21 }),
})

// Counts what enters the call's async-context slot (on Node 22 its first `run` turns on promise
// hooks that slow the whole process): the middleware must find ai@7 calls without it.
function countRuns(): { entered: () => number; restore: () => void } {
  callStorage.get()
  const store = (globalThis as any)[Symbol.for('tokentrail.ai-sdk.call.storage')]
  const run = store.run
  let entered = 0
  store.run = function (this: unknown, ...args: unknown[]) {
    entered++
    return run.apply(this, args)
  }
  return { entered: () => entered, restore: () => (store.run = run) }
}

async function start() {
  server = await startMockOpenAI()
  const openai = createOpenAI({ baseURL: server.url, apiKey: 'sk-test-not-a-real-key-0000000000' })
  const { tracer, exporter } = setup()
  const model = wrapLanguageModel({
    model: openai.chat('gpt-4o'),
    middleware: tracingMiddleware({ tracer }),
  })
  return { model, tracer, exporter }
}

describe('the call of each model invocation (ai@7), found without an async context', () => {
  it('concurrent streamText calls, one a tool loop: each LLM span under its own call span, with its own prompt; nothing enters the async context', async () => {
    const { model, tracer, exporter } = await start()
    const runs = countRuns()
    const prompts = ['alpha', 'bravo weather in Oslo [tool:weather]', 'charlie', 'delta']
    try {
      const texts = await Promise.all(
        prompts.map((prompt, i) =>
          tracer.withSpan(`POST /chat/${i}`, { kind: 'http' }, async () => {
            const result = streamText({
              model,
              prompt,
              tools: { weather },
              stopWhen: stepCountIs(3),
            })
            let text = ''
            for await (const delta of result.textStream) text += delta
            return text
          }),
        ),
      )
      for (const text of texts) expect(text.length).toBeGreaterThan(0)
    } finally {
      runs.restore()
    }
    await tracer.flush()
    expect(runs.entered()).toBe(0)
    prompts.forEach((prompt, i) => {
      const request = exporter.span(`POST /chat/${i}`)
      const calls = exporter.spans.filter((s) => s.parentSpanId === request.spanId)
      expect(calls.map((s) => s.attributes[ATTR.operationName])).toEqual(['invoke_agent'])
      const call = calls[0]!
      expect(call.attributes['tokentrail.call.operation']).toBe('streamText')
      const steps = exporter.spans.filter((s) => s.parentSpanId === call.spanId && s.kind === 'llm')
      expect(steps.length).toBe(prompt.includes('[tool:') ? 2 : 1)
      expect(steps.map((s) => s.attributes[ATTR.step]).sort()).toEqual(steps.map((_, n) => n))
      expect(String(steps[0]!.attributes[ATTR.inputMessages])).toContain(prompt.split(' ')[0])
      for (const step of steps) expect(step.status).toBe('ok')
      expect(call.status).toBe('ok')
      if (prompt.includes('[tool:'))
        expect(
          exporter.spans.filter((s) => s.kind === 'tool' && s.traceId === call.traceId),
        ).toHaveLength(1)
    })
  })

  it('when the SDK blanks the prompt of its step events (telemetry recordInputs: false), the one call awaiting its model is found', async () => {
    const { model, tracer, exporter } = await start()
    const result = await tracer.withSpan('POST /chat', { kind: 'http' }, async () => {
      const stream = streamText({ model, prompt: 'echo', telemetry: { recordInputs: false } })
      let text = ''
      for await (const delta of stream.textStream) text += delta
      return text
    })
    expect(result).toContain('said: ')
    await tracer.flush()
    const call = exporter.spans.find((s) => s.attributes[ATTR.operationName] === 'invoke_agent')!
    expect(call.parentSpanId).toBe(exporter.span('POST /chat').spanId)
    expect(call.attributes['tokentrail.call.source']).toBe('ai-sdk-telemetry')
    const llm = exporter.span('chat gpt-4o')
    expect(llm.parentSpanId).toBe(call.spanId)
    expect(outputText(llm)).toBe(result)
  })

  it('under another middleware that hands ours a new prompt array (RAG-style), the call is still found', async () => {
    const { model, tracer, exporter } = await start()
    const rag = wrapLanguageModel({
      model,
      middleware: {
        specificationVersion: 'v4',
        transformParams: async ({ params }) => ({
          ...params,
          prompt: [{ role: 'system', content: 'Context: Oslo is in Norway.' }, ...params.prompt],
        }),
      },
    })
    const { text } = await tracer.withSpan('POST /chat', { kind: 'http' }, () =>
      generateText({ model: rag, prompt: 'echo' }),
    )
    expect(text).toContain('said: ')
    await tracer.flush()
    const call = exporter.spans.find((s) => s.attributes[ATTR.operationName] === 'invoke_agent')!
    expect(call.attributes['tokentrail.call.source']).toBe('ai-sdk-telemetry')
    expect(call.attributes['tokentrail.call.operation']).toBe('generateText')
    const llm = exporter.span('chat gpt-4o')
    expect(llm.parentSpanId).toBe(call.spanId)
    expect(String(llm.attributes[ATTR.systemInstructions])).toContain('Oslo is in Norway')
  })

  it('RAG-style, a tool loop: each step is found again, under the one call span', async () => {
    const { model, tracer, exporter } = await start()
    const rag = wrapLanguageModel({
      model,
      middleware: {
        specificationVersion: 'v4',
        transformParams: async ({ params }) => ({ ...params, prompt: [...params.prompt] }),
      },
    })
    await tracer.withSpan('POST /chat', { kind: 'http' }, () =>
      generateText({
        model: rag,
        prompt: 'weather in Oslo [tool:weather]',
        tools: { weather },
        stopWhen: stepCountIs(3),
      }),
    )
    await tracer.flush()
    const calls = exporter.spans.filter((s) => s.attributes[ATTR.operationName] === 'invoke_agent')
    expect(calls).toHaveLength(1)
    expect(calls[0]!.attributes['tokentrail.call.source']).toBe('ai-sdk-telemetry')
    const steps = exporter.spans.filter((s) => s.kind === 'llm')
    expect(steps.map((s) => s.parentSpanId)).toEqual([calls[0]!.spanId, calls[0]!.spanId])
    expect(steps.map((s) => s.attributes[ATTR.step]).sort()).toEqual([0, 1])
  })

  it('RAG-style, concurrent calls of one model (one with a blanked prompt): never a guess between two', async () => {
    const { model, tracer, exporter } = await start()
    let entered = 0
    let release = () => {}
    const both = new Promise<void>((resolve) => (release = resolve))
    const rag = wrapLanguageModel({
      model,
      middleware: {
        specificationVersion: 'v4',
        // Both calls' steps have started before either reaches the tracing middleware.
        transformParams: async ({ params }) => {
          if (++entered === 2) release()
          await both
          return { ...params, prompt: [...params.prompt] }
        },
      },
    })
    const prompts = ['alpha', 'bravo']
    await Promise.all(
      prompts.map((prompt, i) =>
        tracer.withSpan(`POST /chat/${i}`, { kind: 'http' }, () =>
          generateText({
            model: rag,
            prompt,
            ...(i === 0 ? { telemetry: { recordInputs: false } } : {}),
          }),
        ),
      ),
    )
    await tracer.flush()
    prompts.forEach((prompt, i) => {
      const request = exporter.span(`POST /chat/${i}`)
      const llm = exporter.spans.filter((s) => s.kind === 'llm' && s.traceId === request.traceId)
      expect(llm).toHaveLength(1)
      // Told apart by the answer (the mock says the prompt back). The first call's own
      // `recordInputs: false` keeps its prompt out; the second's step kept its prompt, whose
      // messages the middleware kept in its new array: that call is found, and records its own.
      expect(String(llm[0]!.attributes[ATTR.outputMessages])).toContain(prompt)
      if (i === 0) expect(llm[0]!.attributes[ATTR.inputMessages]).toBeUndefined()
      else expect(String(llm[0]!.attributes[ATTR.inputMessages])).toContain(prompt)
      const call = exporter.spans.find((s) => s.spanId === llm[0]!.parentSpanId)!
      expect(call.parentSpanId).toBe(request.spanId)
    })
  })

  it("a stream's first chunk reaches the caller before its spans are made; they start when the call did", async () => {
    const { tracer, exporter } = setup()
    let release = () => {}
    const gate = new Promise<void>((resolve) => (release = resolve))
    // An answer already in memory: everything up to the first chunk runs without a turn of the loop.
    const { stream } = gatedStream(textParts(['Hello ', 'world']), 4, gate)
    const model = wrapLanguageModel({
      model: new MockLanguageModelV4({ doStream: async () => ({ stream }) }),
      middleware: tracingMiddleware({ tracer }),
    })
    const before = performance.timeOrigin + performance.now()
    const result = streamText({ model, prompt: 'hello there' })
    const iterator = result.textStream[Symbol.asyncIterator]()
    const first = await iterator.next()
    expect(first.value).toBe('Hello ')
    expect(tracer.stats().started).toBe(0)
    // Made on the next turn of the event loop, timed from before the provider was called.
    await new Promise((resolve) => setTimeout(resolve, 5))
    expect(tracer.stats().started).toBe(2)
    release()
    let rest = ''
    for (let next = await iterator.next(); !next.done; next = await iterator.next())
      rest += next.value
    expect(rest).toBe('world')
    await tracer.flush()
    const llm = exporter.span('chat mock-model-id')
    const call = exporter.span('streamText mock-model-id')
    expect(llm.parentSpanId).toBe(call.spanId)
    expect(llm.startTime).toBeGreaterThanOrEqual(before - 1)
    expect(llm.startTime).toBeLessThan(before + 50)
    expect(outputText(llm)).toBe('Hello world')
    expect(llm.attributes[ATTR.ttftMs]).toBeTypeOf('number')
    expect(call.status).toBe('ok')
  })
})

describe("the call maps let go of a step's prompt array", () => {
  // Left in a WeakMap for the collector to find, each entry costs every young-generation collection.
  it('ai@7: found during the step and its retry, forgotten once the call ends', async () => {
    const { tracer, exporter } = setup()
    let attempts = 0
    const traced = wrapLanguageModel({
      model: new MockLanguageModelV4({
        doGenerate: async () => {
          if (attempts++ === 0)
            throw new APICallError({
              message: 'overloaded',
              url: 'http://localhost/v1/chat',
              requestBodyValues: {},
              statusCode: 503,
              isRetryable: true,
            })
          return {
            content: [{ type: 'text', text: 'fine' }],
            finishReason: { unified: 'stop', raw: 'stop' },
            usage: usage(3, 1),
            warnings: [],
          }
        },
      }),
      middleware: tracingMiddleware({ tracer }),
    })
    const seen: { prompt: object; known: boolean }[] = []
    // Outside ours: sees the array the SDK hands the model, and whether the call maps know it then.
    const model = wrapLanguageModel({
      model: traced,
      middleware: {
        specificationVersion: 'v4',
        wrapGenerate: async ({ doGenerate, params }) => {
          seen.push({
            prompt: params.prompt,
            known: !!callState().byStepPrompt?.get(params.prompt),
          })
          return doGenerate()
        },
      },
    })
    const { text } = await generateText({ model, prompt: 'hello', maxRetries: 2 })
    expect(text).toBe('fine')
    await tracer.flush()
    expect(seen).toHaveLength(2)
    expect(seen[1]!.prompt).toBe(seen[0]!.prompt)
    expect(seen.map((s) => s.known)).toEqual([true, true])
    expect(callState().byStepPrompt?.get(seen[0]!.prompt)).toBeUndefined()
    const call = exporter.span('generateText mock-model-id')
    expect(call.attributes['tokentrail.call.source']).toBe('ai-sdk-telemetry')
    expect(call.attributes['tokentrail.call.retries']).toBe(1)
    const llm = exporter.spans.filter((s) => s.kind === 'llm')
    expect(llm.map((s) => s.parentSpanId)).toEqual([call.spanId, call.spanId])
    expect(llm.map((s) => s.attributes['tokentrail.attempt'])).toEqual([undefined, 2])
  })

  it('inferred (the SDK telemetry off): known while the model runs, forgotten once the call ends', async () => {
    const { tracer, exporter } = setup()
    let prompt: object | undefined
    let known = false
    const model = wrapLanguageModel({
      model: new MockLanguageModelV4({
        doGenerate: async (options) => {
          prompt = options.prompt
          known = callState().byPrompt.get(options.prompt) !== undefined
          return {
            content: [{ type: 'text', text: 'fine' }],
            finishReason: { unified: 'stop', raw: 'stop' },
            usage: usage(3, 1),
            warnings: [],
          }
        },
      }),
      middleware: tracingMiddleware({ tracer }),
    })
    const { text } = await generateText({ model, prompt: 'hello', telemetry: { isEnabled: false } })
    expect(text).toBe('fine')
    await tracer.flush()
    expect(known).toBe(true)
    expect(callState().byPrompt.get(prompt!)).toBeUndefined()
    const call = exporter.span('generateText mock-model-id')
    expect(call.attributes['tokentrail.call.source']).toBe('inferred')
    expect(exporter.span('chat mock-model-id').parentSpanId).toBe(call.spanId)
  })
})

describe('an inferred call waiting for a step that will not come', () => {
  it('ends and is sent by tracer.shutdown(), as by a flush', async () => {
    const { tracer, exporter } = setup()
    const model = wrapLanguageModel({
      model: new MockLanguageModelV4({
        doGenerate: async () => ({
          content: [
            {
              type: 'tool-call',
              toolCallId: 'call-1',
              toolName: 'weather',
              input: '{"city":"Oslo"}',
            },
          ],
          finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
          usage: usage(3, 1),
          warnings: [],
        }),
      }),
      middleware: tracingMiddleware({ tracer }),
    })
    // One step only: the call asked for a tool, and waits for a continuation that never comes.
    await generateText({
      model,
      tools: { weather },
      prompt: 'Weather in Oslo?',
      telemetry: { isEnabled: false },
    })
    await tracer.shutdown()
    const call = exporter.span('generateText mock-model-id')
    expect(call.attributes['tokentrail.call.source']).toBe('inferred')
    expect(exporter.span('chat mock-model-id').parentSpanId).toBe(call.spanId)
    expect(tracer.stats()).toMatchObject({ started: 2, ended: 2, exported: 2 })
  })
})

describe('finding the call of a model invocation', () => {
  it('finds a call once, even when a blanked step of it was never taken before a step with its prompt', () => {
    const call = new AiCall({
      source: 'ai-sdk-telemetry',
      operation: 'generateText',
      parent: undefined,
    })
    rememberCall('call-mixed', call)
    try {
      // A step whose prompt the SDK blanked, that no model of ours took, then a step with its prompt.
      stepStarting(call, [], 'openai.chat', 'gpt-4o')
      stepStarting(call, [{ role: 'user', content: 'hi' }], 'openai.chat', 'gpt-4o')
      // Another middleware handed ours a new array: found by model, and it is the one call.
      const found = callOfInvocation([{ role: 'user', content: 'hi (rewritten)' }], {
        provider: 'openai.chat',
        modelId: 'gpt-4o',
      })
      expect(found).toBe(call)
      expect(callState().awaiting?.has(call) ?? false).toBe(false)
    } finally {
      forgetCall('call-mixed')
    }
  })
})
