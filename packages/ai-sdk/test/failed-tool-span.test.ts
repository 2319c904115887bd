// A tool whose execute throws, on each AI SDK major through its real `@ai-sdk/openai` over HTTP:
// on ai@5 (whose tool spans are made from the next step's prompt) the span carried the error text
// as `gen_ai.tool.call.result` (a result is what a tool returned, the GenAI conventions say), had
// no `error.type`, and its exception event was timed after the span's end.
import { ATTR } from '@tokentrail/core'
import type { MockOpenAI } from '@tokentrail/mock-openai'
import { afterEach, describe, expect, it } from 'vitest'
import { majors, tracedOverHttp, weatherTools } from './majors.js'

let server: MockOpenAI | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
  delete (globalThis as any).AI_SDK_TELEMETRY_INTEGRATIONS
})

describe.each(majors)('$major, over HTTP: a tool that throws', (major) => {
  it('its span has an error, error.type and no result, the exception within its time', async () => {
    const traced = await tracedOverHttp(major, {
      reply: (request: any) =>
        request.messages.some((m: any) => m.role === 'tool') ? 'It failed.' : undefined,
    } as any)
    server = traced.server
    const { tracer, exporter, model } = traced
    const result = await major.ai.generateText({
      model,
      prompt: 'Weather in Paris? [tool:weather]',
      tools: weatherTools(major, async () => {
        throw new Error('weather service exploded')
      }),
      stopWhen: major.ai.stepCountIs(3),
    })
    expect(result.text).toBe('It failed.')
    await tracer.flush()
    const span = exporter.span('execute_tool weather')
    expect(span.status).toBe('error')
    expect(span.error?.message).toContain('weather service exploded')
    expect(span.attributes[ATTR.errorType]).toEqual(expect.any(String))
    expect(ATTR.toolCallResult in span.attributes).toBe(false)
    const exception = span.events.find((e) => e.name === 'exception')!
    expect(exception.time).toBeGreaterThanOrEqual(span.startTime)
    expect(exception.time).toBeLessThanOrEqual(span.endTime!)
  })
})
