// The viewer on the AI SDK's own OpenTelemetry spans (ai@5's `ai.*` spans, ai@7's `@ai-sdk/otel`
// GenAI spans), exported by the OpenTelemetry JS SDK over OTLP/HTTP: the first-token marker in
// the waterfall, the time to first token in an LLM span's panel and the tool's arguments.
import { createOpenAI as createOpenAI4 } from '@ai-sdk/openai'
import { createOpenAI as createOpenAI2 } from '@ai-sdk/openai-v2'
import { createOpenAI as createOpenAI3 } from '@ai-sdk/openai-v3'
import { OpenTelemetry } from '@ai-sdk/otel'
import { trace } from '@opentelemetry/api'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node'
import { startMockOpenAI } from '@tokentrail/mock-openai'
import * as ai7 from 'ai'
import * as ai5 from 'ai-v5'
import * as ai6 from 'ai-v6'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { hasChromium, viewerHarness } from './viewer-harness.js'

describe.skipIf(!hasChromium)('viewer on the AI SDK’s own telemetry', () => {
  const harness = viewerHarness()
  let mock: Awaited<ReturnType<typeof startMockOpenAI>>
  let provider: NodeTracerProvider

  beforeAll(async () => {
    mock = await startMockOpenAI({ firstChunkDelayMs: 5 })
    provider = new NodeTracerProvider({
      spanProcessors: [
        new SimpleSpanProcessor(
          new OTLPTraceExporter({ url: `${harness.collector.url}/v1/traces` }),
        ),
      ],
    })
    provider.register()
  })

  afterAll(async () => {
    await provider.shutdown()
    trace.disable()
    await mock.close()
  })

  const cases = [
    {
      name: 'ai@5 experimental_telemetry',
      ai: ai5 as any,
      createOpenAI: createOpenAI2 as any,
      telemetry: () => ({ isEnabled: true }),
      llm: 'ai.streamText.doStream',
      tool: 'ai.toolCall',
      scope: 'ai',
    },
    {
      name: 'ai@6 experimental_telemetry',
      ai: ai6 as any,
      createOpenAI: createOpenAI3 as any,
      telemetry: () => ({ isEnabled: true }),
      llm: 'ai.streamText.doStream',
      tool: 'ai.toolCall',
      scope: 'ai',
    },
    {
      name: 'ai@7 @ai-sdk/otel OpenTelemetry',
      ai: ai7 as any,
      createOpenAI: createOpenAI4 as any,
      telemetry: () => ({ isEnabled: true, integrations: [new OpenTelemetry()] }),
      llm: 'chat gpt-4o-mini',
      tool: 'execute_tool weather',
      scope: 'gen_ai',
    },
  ] as const

  it.each(cases)('$name: TTFT marker and panel, tool arguments', async (c) => {
    const { collector, page, problems } = harness
    const openai = c.createOpenAI({ baseURL: `${mock.url}/v1`, apiKey: 'sk-test' })
    const marker = `v${Math.random().toString(36).slice(2, 10)}`
    const result = c.ai.streamText({
      model: openai.chat('gpt-4o-mini'),
      prompt: `Weather in Paris? [tool] ${marker}`,
      tools: {
        weather: c.ai.tool({
          description: 'The weather in a city',
          inputSchema: z.object({ city: z.string() }),
          execute: async ({ city }: { city: string }) => `21°C in ${city}`,
        }),
      },
      stopWhen: c.ai.stepCountIs(3),
      experimental_telemetry: c.telemetry(),
    })
    await result.consumeStream()
    await provider.forceFlush()
    const [found] = collector.store.listTraces({ text: marker }).traces
    expect(found).toBeDefined()

    await page.goto(`${collector.url}/#/trace/${found!.traceId}`)
    await page.waitForSelector('.wf-row')
    // Each of the two model calls has its first-token mark in the waterfall.
    await expect.poll(() => page.locator('.wf-ttft').count()).toBe(2)
    await page.locator('.wf-row', { hasText: c.llm }).first().click()
    await expect
      .poll(() => page.locator('#span-panel').innerText())
      .toMatch(/time to first token\s+[\d.]+ ms/)
    const panel = await page.locator('#span-panel').innerText()
    expect(panel).toMatch(/model\s+gpt-4o-mini/)
    // The first call asked for the tool: its finish reason, as `tokentrail trace` prints it.
    expect(panel).toMatch(/finish reason\s+tool-calls/)
    // The library that made the span (OTLP instrumentation scope).
    expect(panel).toMatch(new RegExp(`instrumentation scope\\s+${c.scope}\\n`))
    // Priced from @tokentrail/ai-sdk's table (gpt-4o-mini), said as the collector's estimate.
    expect(panel).toMatch(/cost\s+\$0\.0000\d/)

    await page.locator('.wf-row', { hasText: c.tool }).click()
    await page.waitForSelector('#tool-arguments')
    expect(JSON.parse(await page.locator('#tool-arguments').innerText())).toEqual({
      city: marker,
    })
    expect(await page.locator('#tool-result').innerText()).toContain(`21°C in ${marker}`)
    expect(await page.locator('#span-panel').innerText()).toMatch(/tool\s+weather/)
    expect(problems).toEqual([])
  })
})
