import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli, startCollector } from '../src/index.js'
import { sendAiSdkTraces } from './ai-sdk-traces.js'
import { onCleanup, tempDir } from './helpers.js'

describe('real AI SDK → otlpExporter → collector', () => {
  it('stores the tool loop and the provider error with GenAI fields the API and CLI show', async () => {
    const c = await startCollector({ port: 0, db: join(tempDir(), 'traces.db') })
    onCleanup(() => c.close())
    const [loopId, failedId] = await sendAiSdkTraces(c.url, {
      prompt: 'Weather in Paris?',
      fail: true,
    })
    const loop = c.store.getTrace(loopId!)!
    expect(loop.trace).toMatchObject({
      rootName: 'POST /api/chat',
      status: 'ok',
      service: 'ai-chat',
      model: 'gpt-4o-mini',
    })
    expect(loop.trace.inputTokens).toBe(100)
    expect(loop.trace.outputTokens).toBe(15)
    const kinds = loop.spans.map((s) => s.kind).sort()
    // The request, the AI SDK call span (internal), two model steps and the tool.
    expect(kinds).toEqual(['http', 'internal', 'llm', 'llm', 'tool'])
    const tool = loop.spans.find((s) => s.kind === 'tool')!
    expect(tool.attributes['gen_ai.tool.name']).toBe('weather')
    expect(tool.attributes['gen_ai.tool.call.arguments']).toContain('Paris')
    const llm = loop.spans.filter((s) => s.kind === 'llm').sort((a, b) => a.startTime - b.startTime)
    expect(llm[0]!.attributes['gen_ai.input.messages']).toContain('Weather in Paris?')
    const answer = JSON.parse(llm[1]!.attributes['gen_ai.output.messages'] as string)
    expect(answer[0].parts).toEqual([{ type: 'text', content: 'It is 21°C in Paris.' }])
    expect(typeof llm[1]!.attributes['tokentrail.ttft_ms']).toBe('number')
    expect(loop.waterfall[0]!.spanId).toBe(loop.spans.find((s) => s.kind === 'http')!.spanId)

    const failed = c.store.getTrace(failedId!)!
    expect(failed.trace).toMatchObject({
      status: 'error',
      errorMessage: expect.stringContaining('429 rate limit'),
    })
    const failedLlm = failed.spans.find((s) => s.kind === 'llm')!
    expect(failedLlm.status).toBe('error')
    expect(failedLlm.error?.stack).toContain('429 rate limit')

    let out = ''
    const code = await runCli(['error', '--url', c.url], {
      stdout: { write: (t: string) => (out += t) },
      stderr: { write: () => {} },
      env: {},
    })
    expect(code).toBe(0)
    expect(out).toContain(`trace ${failedId}`)
    expect(out).toMatch(/llm chat gpt-4o-mini.*Error: 429 rate limit exceeded/)
  })
})
