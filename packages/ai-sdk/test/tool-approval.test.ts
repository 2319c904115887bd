// Tools that need the user's approval (`needsApproval`, ai@6 and ai@7): the call that asks stops
// at the approval request; the next call, given the approval, runs the tool before its first step.
// That run is part of the call's trace. Each major through its own `@ai-sdk/openai` over HTTP
// against tools/mock-openai.
import { ATTR, type SpanData } from '@tokentrail/core'
import { type MockOpenAI, startMockOpenAI } from '@tokentrail/mock-openai'
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
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

describe.each(majors.filter(({ major }) => major !== 'ai@5'))(
  '$major: a tool the user approved',
  ({ major, ai, createOpenAI }) => {
    async function approvedCall(
      execute: (input: { city: string }, options: any) => Promise<unknown>,
      options: { traced?: boolean } = {},
    ) {
      server = await startMockOpenAI()
      const openai = createOpenAI({ baseURL: server.url, apiKey: 'sk-test-not-a-real-key' })
      const { tracer, exporter } = setup()
      const model =
        options.traced === false
          ? openai.chat('gpt-4o')
          : ai.wrapLanguageModel({
              model: openai.chat('gpt-4o'),
              middleware: tracingMiddleware({ tracer }),
            })
      const tools = {
        weather: ai.tool({
          inputSchema: z.object({ city: z.string() }),
          needsApproval: true,
          execute,
        }),
      }
      const prompt = 'Weather in Oslo? [tool:weather]'
      const asked = await ai.generateText({ model, tools, prompt, stopWhen: ai.stepCountIs(3) })
      const request = asked.content.find((part: any) => part.type === 'tool-approval-request')
      expect(request).toBeDefined()
      const messages = [
        { role: 'user', content: prompt },
        ...asked.response.messages,
        {
          role: 'tool',
          content: [
            { type: 'tool-approval-response', approvalId: request.approvalId, approved: true },
          ],
        },
      ]
      await tracer.flush()
      exporter.reset()
      return { tracer, exporter, model, tools, messages }
    }

    for (const mode of ['generateText', 'streamText'] as const) {
      it(`${mode}: the approved tool's run is a span of the call that ran it, with its arguments and result`, async () => {
        const { tracer, exporter, model, tools, messages } = await approvedCall(
          async ({ city }) => ({ city, celsius: 21 }),
        )
        const args = { model, tools, messages, stopWhen: ai.stepCountIs(3) }
        const text =
          mode === 'generateText'
            ? (await ai.generateText(args)).text
            : await ai.streamText(args).text
        // The user's outcome: the model answers from the tool's result.
        expect(text).toBe('The tool returned {"city":"Oslo","celsius":21}.')
        await tracer.flush()
        const [call, ...others] = callSpans(exporter.spans)
        expect(others).toHaveLength(0)
        const tools_ = exporter.spans.filter((s) => s.kind === 'tool')
        expect(tools_).toHaveLength(1)
        const [tool] = tools_
        expect(tool!.name).toBe('execute_tool weather')
        expect(tool!.status).toBe('ok')
        expect(tool!.traceId).toBe(call!.traceId)
        expect(tool!.parentSpanId).toBe(call!.spanId)
        expect(tool!.attributes[ATTR.toolCallArguments]).toBe('{"city":"Oslo"}')
        expect(tool!.attributes[ATTR.toolCallResult]).toBe('{"city":"Oslo","celsius":21}')
        // It ran before the step that read its result, inside the call.
        const [llm] = exporter.spans.filter((s) => s.kind === 'llm')
        expect(tool!.startTime).toBeGreaterThanOrEqual(call!.startTime)
        expect(tool!.endTime).toBeLessThanOrEqual(llm!.startTime)
        expect(call!.attributes[CALL_ATTR.operation]).toBe(mode)
        expect(call!.name).toBe(`${mode} gpt-4o`)
        expect(call!.attributes['gen_ai.request.model']).toBe('gpt-4o')
      })
    }

    it('an approved tool that throws: an error tool span, counted on the call; the user sees what they saw', async () => {
      const { tracer, exporter, model, tools, messages } = await approvedCall(async () => {
        throw new Error('weather service down')
      })
      const result = await ai.generateText({ model, tools, messages, stopWhen: ai.stepCountIs(3) })
      expect(result.text).toContain('weather service down')
      await tracer.flush()
      const [call] = callSpans(exporter.spans)
      const [tool] = exporter.spans.filter((s) => s.kind === 'tool')
      expect(tool!.status).toBe('error')
      expect(tool!.error?.message).toBe('weather service down')
      expect(tool!.parentSpanId).toBe(call!.spanId)
      expect(call!.attributes[CALL_ATTR.toolErrors]).toBe(1)
    })

    it('an approved tool that fails on a time limit of its own (the call goes on): an error tool span, counted', async () => {
      // The tool's own dependency times out (as a fetch given AbortSignal.timeout() rejects); the
      // call's abortSignal never fires: the model gets the tool's error and answers.
      const { tracer, exporter, model, tools, messages } = await approvedCall(
        () =>
          new Promise((_resolve, reject) => {
            const own = AbortSignal.timeout(5)
            own.addEventListener('abort', () => reject(own.reason))
          }),
      )
      const result = await ai.generateText({ model, tools, messages, stopWhen: ai.stepCountIs(3) })
      expect(result.text).toContain('The tool returned')
      await tracer.flush()
      const [call] = callSpans(exporter.spans)
      expect(call!.status).toBe('ok')
      const [tool] = exporter.spans.filter((s) => s.kind === 'tool')
      expect(tool!.status).toBe('error')
      expect(tool!.attributes[ATTR.cancelledBy]).toBeUndefined()
      expect(tool!.error?.type).toBe('TimeoutError')
      expect(call!.attributes[CALL_ATTR.toolErrors]).toBe(1)
    })

    it("an approved tool that stops on the call's abortSignal: cancelled, not a tool error", async () => {
      const controller = new AbortController()
      const { tracer, exporter, model, tools, messages } = await approvedCall(
        (_input, { abortSignal }: { abortSignal: AbortSignal }) =>
          new Promise((_resolve, reject) => {
            abortSignal.addEventListener('abort', () => reject(abortSignal.reason))
            setTimeout(() => controller.abort(), 5)
          }),
      )
      const args = { model, tools, messages, abortSignal: controller.signal }
      await expect(ai.generateText(args)).rejects.toMatchObject({ name: 'AbortError' })
      await tracer.flush()
      const [call] = callSpans(exporter.spans)
      const [tool] = exporter.spans.filter((s) => s.kind === 'tool')
      expect(tool!.status).toBe('cancelled')
      expect(tool!.attributes['tokentrail.cancelled_by']).toBe('abort_signal')
      expect(tool!.parentSpanId).toBe(call!.spanId)
      expect(call!.status).toBe('cancelled')
      expect(call!.attributes[CALL_ATTR.toolErrors]).toBeUndefined()
    })

    if (major === 'ai@7')
      it('the call fails after its approved tool ran, before its model is called: an error call span, named, with the tool', async () => {
        const { tracer, exporter, model, tools, messages } = await approvedCall(
          async ({ city }) => ({
            city,
          }),
        )
        const prepareStep = () => {
          throw new Error('prepareStep failed')
        }
        await expect(ai.generateText({ model, tools, messages, prepareStep })).rejects.toThrow(
          'prepareStep failed',
        )
        await tracer.flush()
        const [call] = callSpans(exporter.spans)
        expect(call!.status).toBe('error')
        expect(call!.error?.message).toBe('prepareStep failed')
        expect(call!.name).toBe('unknown')
        expect(call!.attributes[CALL_ATTR.operation]).toBe('unknown')
        const [tool] = exporter.spans.filter((s) => s.kind === 'tool')
        expect(tool!.status).toBe('ok')
        expect(tool!.parentSpanId).toBe(call!.spanId)
      })

    it('two tools approved at once: a span each, both under the call', async () => {
      server = await startMockOpenAI()
      const openai = createOpenAI({ baseURL: server.url, apiKey: 'sk-test-not-a-real-key' })
      const { tracer, exporter } = setup()
      const model = ai.wrapLanguageModel({
        model: openai.chat('gpt-4o'),
        middleware: tracingMiddleware({ tracer }),
      })
      const ran: string[] = []
      const tools = {
        weather: ai.tool({
          inputSchema: z.object({ city: z.string() }),
          needsApproval: true,
          execute: async ({ city }: { city: string }) => {
            ran.push(city)
            return { city }
          },
        }),
      }
      // The history a chat client sends back after the user approved both calls.
      const messages = [
        { role: 'user', content: 'Weather in Oslo and Bergen?' },
        {
          role: 'assistant',
          content: ['Oslo', 'Bergen'].flatMap((city, i) => [
            { type: 'tool-call', toolCallId: `call_${i}`, toolName: 'weather', input: { city } },
            { type: 'tool-approval-request', approvalId: `approval_${i}`, toolCallId: `call_${i}` },
          ]),
        },
        {
          role: 'tool',
          content: [0, 1].map((i) => ({
            type: 'tool-approval-response',
            approvalId: `approval_${i}`,
            approved: true,
          })),
        },
      ]
      await ai.generateText({ model, tools, messages, stopWhen: ai.stepCountIs(3) })
      expect(ran.sort()).toEqual(['Bergen', 'Oslo'])
      await tracer.flush()
      const [call] = callSpans(exporter.spans)
      const spans = exporter.spans.filter((s) => s.kind === 'tool')
      expect(spans.map((s) => s.attributes[ATTR.toolCallId]).sort()).toEqual(['call_0', 'call_1'])
      expect(spans.map((s) => s.parentSpanId)).toEqual([call!.spanId, call!.spanId])
    })

    it("an untraced model's approved tool records nothing", async () => {
      const { tracer, exporter, model, tools, messages } = await approvedCall(
        async ({ city }) => ({ city }),
        { traced: false },
      )
      // Another, traced, model makes sure the integration is in place.
      ai.wrapLanguageModel({ model, middleware: tracingMiddleware({ tracer }) })
      const result = await ai.generateText({ model, tools, messages, stopWhen: ai.stepCountIs(3) })
      expect(result.text).toBe('The tool returned {"city":"Oslo"}.')
      await tracer.flush()
      expect(exporter.spans).toHaveLength(0)
    })
  },
)
