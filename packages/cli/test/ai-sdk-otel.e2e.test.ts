// The AI SDK's own OpenTelemetry telemetry (not Tokentrail's middleware), exported by the
// OpenTelemetry JS SDK over OTLP/HTTP to a real collector: what `tokentrail list`, `trace`,
// `--json` and `/api/traces` show for it on each AI SDK major. ai@5 and ai@6 write `ai.*` spans
// (`ai.streamText.doStream`, `ai.toolCall`) that name no GenAI operation; ai@7 writes the same
// through `@ai-sdk/otel`'s `LegacyOpenTelemetry`, and GenAI-convention spans through its
// `OpenTelemetry`.
import { spawn } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { createOpenAI as createOpenAI4 } from '@ai-sdk/openai'
import { createOpenAI as createOpenAI2 } from '@ai-sdk/openai-v2'
import { createOpenAI as createOpenAI3 } from '@ai-sdk/openai-v3'
import { LegacyOpenTelemetry, OpenTelemetry } from '@ai-sdk/otel'
import { trace } from '@opentelemetry/api'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node'
import { DEFAULT_PRICES } from '@tokentrail/ai-sdk'
import { startMockOpenAI } from '@tokentrail/mock-openai'
import * as ai7 from 'ai'
import * as ai5 from 'ai-v5'
import * as ai6 from 'ai-v6'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { type Collector, startCollector } from '../src/index.js'
import { BIN, onCleanup, runCapture, tempDir } from './helpers.js'

let collector: Collector
let mock: Awaited<ReturnType<typeof startMockOpenAI>>
let provider: NodeTracerProvider

beforeAll(async () => {
  collector = await startCollector({ port: 0, db: join(tempDir(), 'traces.db') })
  // A first-chunk delay, so that every streamed call has a time to first token to read.
  mock = await startMockOpenAI({ firstChunkDelayMs: 5 })
  provider = new NodeTracerProvider({
    spanProcessors: [
      new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${collector.url}/v1/traces` })),
    ],
  })
  provider.register()
})

afterAll(async () => {
  await provider.shutdown()
  trace.disable()
  await mock.close()
  await collector.close()
})

const cases = [
  {
    name: 'ai@5 experimental_telemetry',
    ai: ai5 as any,
    createOpenAI: createOpenAI2 as any,
    telemetry: () => ({ isEnabled: true }),
    llm: 'ai.streamText.doStream',
    failedLlm: 'ai.generateText.doGenerate',
    tool: 'ai.toolCall',
    scope: 'ai',
  },
  {
    name: 'ai@6 experimental_telemetry',
    ai: ai6 as any,
    createOpenAI: createOpenAI3 as any,
    telemetry: () => ({ isEnabled: true }),
    llm: 'ai.streamText.doStream',
    failedLlm: 'ai.generateText.doGenerate',
    tool: 'ai.toolCall',
    scope: 'ai',
  },
  {
    name: 'ai@7 @ai-sdk/otel LegacyOpenTelemetry',
    ai: ai7 as any,
    createOpenAI: createOpenAI4 as any,
    // Made after the tracer provider is registered: the integration takes its tracer when made.
    telemetry: () => ({ isEnabled: true, integrations: [new LegacyOpenTelemetry()] }),
    llm: 'ai.streamText.doStream',
    failedLlm: 'ai.generateText.doGenerate',
    tool: 'ai.toolCall',
    scope: 'ai',
  },
  {
    name: 'ai@7 @ai-sdk/otel OpenTelemetry',
    ai: ai7 as any,
    createOpenAI: createOpenAI4 as any,
    telemetry: () => ({ isEnabled: true, integrations: [new OpenTelemetry()] }),
    llm: 'chat gpt-4o-mini',
    failedLlm: 'chat gpt-4o-mini',
    tool: 'execute_tool weather',
    scope: 'gen_ai',
  },
] as const

/** The id of the one stored trace whose input mentions `marker`. */
async function traceIdOf(marker: string): Promise<string> {
  const found = collector.store.listTraces({ text: marker }).traces
  expect(found, marker).toHaveLength(1)
  return found[0]!.traceId
}

describe.each(cases)('$name → tokentrail dev', (c) => {
  it('shows the LLM calls, the tool, model, tokens, TTFT and the failure', async () => {
    const openai = c.createOpenAI({ baseURL: `${mock.url}/v1`, apiKey: 'sk-test' })
    const tools = {
      weather: c.ai.tool({
        description: 'The weather in a city',
        inputSchema: z.object({ city: z.string() }),
        execute: async ({ city }: { city: string }) => `21°C in ${city}`,
      }),
    }
    const run = Math.random().toString(36).slice(2, 10)
    const telemetry = c.telemetry()
    const marker = `${run}ok`
    const failMarker = `${run}ko`
    const result = c.ai.streamText({
      model: openai.chat('gpt-4o-mini'),
      prompt: `Weather in Paris? [tool] ${marker}`,
      tools,
      stopWhen: c.ai.stepCountIs(3),
      experimental_telemetry: telemetry,
    })
    expect(await result.text).toContain('The tool returned')
    await expect(
      c.ai.generateText({
        model: openai.chat('gpt-4o-mini'),
        prompt: `[fail:429] ${failMarker}`,
        maxRetries: 0,
        experimental_telemetry: telemetry,
      }),
    ).rejects.toThrow('Rate limit reached')
    await provider.forceFlush()

    // The stored trace: two LLM calls and a tool, with the model, tokens and TTFT of the calls.
    const id = await traceIdOf(marker)
    const detail = collector.store.getTrace(id)!
    const llm = detail.spans.filter((s) => s.kind === 'llm')
    expect(llm.map((s) => s.name)).toEqual([c.llm, c.llm])
    expect(detail.spans.filter((s) => s.kind === 'tool').map((s) => s.name)).toEqual([c.tool])
    // The tokens of both calls, as the mock reported them.
    const calls = mock.calls.slice(-3, -1)
    expect(calls.map((call) => call.body.messages.at(-1).content)).toEqual([
      `Weather in Paris? [tool] ${marker}`,
      expect.stringContaining('21°C'),
    ])
    const inputTokens = calls[0]!.usage!.inputTokens + calls[1]!.usage!.inputTokens
    const outputTokens = calls[0]!.usage!.outputTokens + calls[1]!.usage!.outputTokens
    const totalTokens = inputTokens + outputTokens
    expect(detail.trace).toMatchObject({
      status: 'ok',
      model: 'gpt-4o-mini',
      inputTokens,
      outputTokens,
      input: `Weather in Paris? [tool] ${marker}`,
      output: expect.stringContaining('The tool returned'),
    })
    expect(detail.trace.ttftMs).toBeGreaterThan(0)
    // Priced from @tokentrail/ai-sdk's table, as the middleware would (gpt-4o-mini per million
    // tokens), and said to be the collector's estimate.
    const rates = DEFAULT_PRICES['gpt-4o-mini']!
    expect(detail.trace.costUsd).toBeCloseTo(
      (inputTokens * rates.input + outputTokens * rates.output) / 1e6,
      12,
    )
    for (const span of llm)
      expect(span.attributes['tokentrail.cost.priced_by']).toMatch(
        /^tokentrail dev \(list prices of \d{4}-\d{2}-\d{2}\)$/,
      )
    // The library that made each span (OTLP instrumentation scope).
    expect(
      new Set(detail.spans.map((s) => (s as { scope?: { name: string } }).scope?.name)),
    ).toEqual(new Set([c.scope]))

    const failedId = await traceIdOf(failMarker)
    const failed = collector.store.getTrace(failedId)!
    expect(failed.trace).toMatchObject({
      status: 'error',
      model: 'gpt-4o-mini',
      errorMessage: expect.stringContaining('Rate limit reached'),
    })
    expect(failed.spans.find((s) => s.kind === 'llm')).toMatchObject({
      name: c.failedLlm,
      status: 'error',
    })

    // What a user reads: `tokentrail list` (and --json), `tokentrail trace`, and /api/traces.
    const list = await runCapture(['list', '--url', collector.url, '--search', marker])
    expect(list.code).toBe(0)
    expect(list.stdout).toMatch(new RegExp(`✓ ok\\s+gpt-4o-mini\\s+${totalTokens}\\s`))
    const json = await runCapture(['list', '--url', collector.url, '--search', marker, '--json'])
    expect(JSON.parse(json.stdout).traces[0]).toMatchObject({
      traceId: id,
      model: 'gpt-4o-mini',
      totalTokens,
      ttftMs: detail.trace.ttftMs,
    })
    const shown = await runCapture(['trace', id, '--url', collector.url])
    expect(shown.code).toBe(0)
    const llmLines = shown.stdout.split('\n').filter((line) => line.includes(`llm ${c.llm}`))
    expect(llmLines).toHaveLength(2)
    expect(llmLines[0]).toMatch(
      new RegExp(
        `${calls[0]!.usage!.inputTokens}→${calls[0]!.usage!.outputTokens} tok  ttft \\d.*finish tool-calls`,
      ),
    )
    expect(llmLines[1]).toMatch(
      new RegExp(
        `${calls[1]!.usage!.inputTokens}→${calls[1]!.usage!.outputTokens} tok  ttft \\d.*finish stop`,
      ),
    )
    expect(shown.stdout).toContain(`tool ${c.tool}`)
    const json2 = JSON.parse(
      (await runCapture(['trace', id, '--url', collector.url, '--json'])).stdout,
    )
    expect(json2.trace).toMatchObject({
      model: 'gpt-4o-mini',
      totalTokens,
      ttftMs: detail.trace.ttftMs,
    })
    expect(json2.spans.map((s: { kind: string }) => s.kind).sort()).toEqual(
      detail.spans.map((s) => s.kind).sort(),
    )
    // The bug report for an assistant (`--export`): the tool's name and each call's TTFT.
    const exported = await runCapture([
      'trace',
      id,
      '--url',
      collector.url,
      '--export',
      '--format',
      'json',
      '--out',
      '-',
    ])
    const report = JSON.parse(exported.stdout)
    const toolRow = report.timeline.find((s: { kind: string }) => s.kind === 'tool')
    expect(toolRow.tool).toBe('weather')
    expect(report.timeline.filter((s: { ttftMs?: number }) => s.ttftMs! > 0)).toHaveLength(2)
    const failedShown = await runCapture(['trace', failedId, '--url', collector.url])
    expect(failedShown.stdout).toMatch(
      new RegExp(`llm ${c.failedLlm.replace(/\./g, '\\.')}.*Rate limit reached`),
    )
    const api = await (await fetch(`${collector.url}/api/traces?text=${marker}`)).json()
    expect(api.traces[0]).toMatchObject({ traceId: id, model: 'gpt-4o-mini', totalTokens })
  })
})

// Embedding and rerank calls of the AI SDK's own `ai.*` telemetry name their model and tokens only
// as `ai.model.id` and `ai.usage.tokens`: stored as the LLM calls they are, with model, tokens and
// cost. The real provider client against a local server speaking OpenAI's /embeddings format; the
// reranking model is a plain object (no provider client in reach), the SDK's `rerank` is real.
/** The stored traces whose spans carry `functionId` (`ai.telemetry.functionId`), newest first. */
function tracesOf(functionId: string) {
  return collector.store
    .listTraces({ limit: 200 })
    .traces.filter((t) =>
      collector.store
        .getTrace(t.traceId)!
        .spans.some((s) => s.attributes['ai.telemetry.functionId'] === functionId),
    )
}

describe.each(cases.filter((c) => c.scope === 'ai'))('$name: embed, embedMany, rerank', (c) => {
  let server: Server
  let url: string
  beforeAll(async () => {
    server = createServer(async (request, response) => {
      const chunks: Buffer[] = []
      for await (const chunk of request) chunks.push(chunk as Buffer)
      const body = JSON.parse(Buffer.concat(chunks).toString())
      const inputs: string[] = body.input
      response.writeHead(200, { 'content-type': 'application/json' })
      response.end(
        JSON.stringify({
          object: 'list',
          data: inputs.map((_, index) => ({ object: 'embedding', index, embedding: [0.1, 0.2] })),
          model: body.model,
          // The server's own count: 7 tokens a value.
          usage: { prompt_tokens: inputs.length * 7, total_tokens: inputs.length * 7 },
        }),
      )
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`
  })
  afterAll(() => new Promise((resolve) => server.close(resolve)))

  it('each provider call is an LLM span with its model, tokens and cost', async () => {
    const openai = c.createOpenAI({ baseURL: url, apiKey: 'sk-test' })
    const model = openai.embedding('text-embedding-3-small')
    const marker = `e${Math.random().toString(36).slice(2, 10)}`
    const telemetry = { ...c.telemetry(), functionId: marker }
    const embeddingCalls = async () => {
      const stats = await (await fetch(`${collector.url}/api/stats`)).json()
      return (
        stats.models.find((m: { model: string }) => m.model === 'text-embedding-3-small')?.calls ??
        0
      )
    }
    const callsBefore = await embeddingCalls()
    await c.ai.embedMany({ model, values: ['a', 'b', 'c'], experimental_telemetry: telemetry })
    await c.ai.embed({ model, value: 'd', experimental_telemetry: telemetry })
    await provider.forceFlush()
    const rate = DEFAULT_PRICES['text-embedding-3-small']!.input
    const traces = tracesOf(marker)
    expect(traces).toHaveLength(2)
    for (const [name, tokens] of [
      ['ai.embedMany.doEmbed', 21],
      ['ai.embed.doEmbed', 7],
    ] as const) {
      const trace = traces.find((t) => t.rootName.startsWith(name.replace('.doEmbed', '')))!
      expect(trace, name).toMatchObject({ model: 'text-embedding-3-small', inputTokens: tokens })
      expect(trace.costUsd).toBeCloseTo((tokens * rate) / 1e6, 12)
      const detail = collector.store.getTrace(trace.traceId)!
      const calls = detail.spans.filter((s) => s.kind === 'llm')
      expect(calls.map((s) => s.name)).toEqual([name])
      expect(calls[0]!.attributes).toMatchObject({
        'gen_ai.operation.name': 'embeddings',
        'gen_ai.request.model': 'text-embedding-3-small',
        'gen_ai.usage.input_tokens': tokens,
        'ai.usage.tokens': tokens,
      })
      // What `tokentrail trace` prints for the call: its tokens (input only: `7 tok`, not
      // `7→? tok`) and cost.
      const shown = await runCapture(['trace', trace.traceId, '--url', collector.url])
      expect(shown.stdout).toMatch(
        new RegExp(`llm ${name.replace(/\./g, '\\.')}.* ${tokens} tok.*\\$`),
      )
      expect(shown.stdout).not.toContain('→?')
    }
    // The stats by model count the two calls, as for a traced embedding model.
    expect((await embeddingCalls()) - callsBefore).toBe(2)
  })

  it.skipIf(!c.ai.rerank)('rerank: the provider call is an LLM span with its model', async () => {
    const marker = `r${Math.random().toString(36).slice(2, 10)}`
    const reranking = {
      specificationVersion: c.ai === ai6 ? 'v3' : 'v4',
      provider: 'cohere.reranking',
      modelId: 'rerank-v3.5',
      doRerank: async () => ({
        ranking: [
          { index: 1, relevanceScore: 0.9 },
          { index: 0, relevanceScore: 0.1 },
        ],
      }),
    }
    const result = await c.ai.rerank({
      model: reranking,
      documents: ['sunny', 'rainy'],
      query: 'rain?',
      experimental_telemetry: { ...c.telemetry(), functionId: marker },
    })
    expect(result.ranking[0].originalIndex).toBe(1)
    await provider.forceFlush()
    const [trace] = tracesOf(marker)
    expect(trace).toMatchObject({ model: 'rerank-v3.5' })
    const calls = collector.store.getTrace(trace!.traceId)!.spans.filter((s) => s.kind === 'llm')
    expect(calls.map((s) => s.name)).toEqual(['ai.rerank.doRerank'])
    expect(calls[0]!.attributes).toMatchObject({
      'gen_ai.operation.name': 'rerank',
      'gen_ai.request.model': 'rerank-v3.5',
    })
  })
})

// A steering interrupt (ai@7.0.177, `steer(message, { interrupt: true })`) cancels a model call
// that has not answered and makes it again in the same step; @ai-sdk/otel (1.0.185 here, and
// 1.0.173 alike) ends the cancelled call's span with an error status and no message. `tokentrail
// dev` shows both model calls, the answer's tokens, and the trace as `error`, as it shows any
// trace with a failed span.
it('ai@7 @ai-sdk/otel OpenTelemetry → tokentrail dev: a steering interrupt ends the cancelled model call span', async () => {
  const steering = ai7.experimental_createSteering()
  let requests = 0
  const slow = await startMockOpenAI({
    firstChunkDelayMs: 300,
    onRequest: () => {
      if (++requests === 1) void steering.steer('Say it in French.', { interrupt: true })
    },
  })
  try {
    const openai = createOpenAI4({ baseURL: `${slow.url}/v1`, apiKey: 'sk-test' })
    const marker = `${Math.random().toString(36).slice(2, 10)}steer`
    const result = ai7.streamText({
      model: openai.chat('gpt-4o-mini'),
      prompt: `Hello ${marker}`,
      experimental_steering: steering,
      telemetry: { isEnabled: true, integrations: [new OpenTelemetry()] },
    })
    expect(await result.text).toBe('You said: Say it in French.')
    expect(requests).toBe(2)
    await provider.forceFlush()
    const detail = collector.store.getTrace(await traceIdOf(marker))!
    const llm = detail.spans
      .filter((s) => s.kind === 'llm')
      .sort((a, b) => a.startTime - b.startTime)
    expect(llm.map((s) => [s.name, s.status])).toEqual([
      ['chat gpt-4o-mini', 'error'],
      ['chat gpt-4o-mini', 'ok'],
    ])
    const usage = slow.calls.at(-1)!.usage!
    expect(detail.trace).toMatchObject({
      status: 'error',
      model: 'gpt-4o-mini',
      inputTokens: usage.inputTokens,
      outputTokens: usage.outputTokens,
      output: 'You said: Say it in French.',
    })
  } finally {
    await slow.close()
  }
})

// ai@7's `@ai-sdk/otel` `OpenTelemetry` writes an `embeddings <model>` span for the operation and
// one per provider call under it, both `gen_ai.operation.name: embeddings` with the model: the
// operation is not a call (only the inner ones carry tokens), so each embed counts once.
describe('ai@7 @ai-sdk/otel OpenTelemetry: embed, embedMany', () => {
  let server: Server
  let url: string
  beforeAll(async () => {
    server = createServer(async (request, response) => {
      const chunks: Buffer[] = []
      for await (const chunk of request) chunks.push(chunk as Buffer)
      const inputs: string[] = JSON.parse(Buffer.concat(chunks).toString()).input
      response.writeHead(200, { 'content-type': 'application/json' })
      response.end(
        JSON.stringify({
          object: 'list',
          data: inputs.map((_, index) => ({ object: 'embedding', index, embedding: [0.1, 0.2] })),
          model: 'text-embedding-3-large',
          usage: { prompt_tokens: inputs.length * 7, total_tokens: inputs.length * 7 },
        }),
      )
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`
  })
  afterAll(() => new Promise((resolve) => server.close(resolve)))

  it('counts each provider call once in the stats by model, with its tokens and cost', async () => {
    const openai = createOpenAI4({ baseURL: url, apiKey: 'sk-test' })
    // A model no other test here uses, so that the stats by model are this test's.
    const model = openai.embedding('text-embedding-3-large')
    const telemetry = { isEnabled: true, integrations: [new OpenTelemetry()] }
    const models = async () => (await (await fetch(`${collector.url}/api/stats`)).json()).models
    const before = (await models()).find((m: { model: string }) => m.model === model.modelId)
    expect(before).toBeUndefined()
    await ai7.embedMany({ model, values: ['a', 'b', 'c'], experimental_telemetry: telemetry })
    await ai7.embed({ model, value: 'd', experimental_telemetry: telemetry })
    await provider.forceFlush()
    const rate = DEFAULT_PRICES['text-embedding-3-large']!.input
    const stats = (await models()).find((m: { model: string }) => m.model === model.modelId)
    expect(stats).toMatchObject({ calls: 2, inputTokens: 28 })
    expect(stats.costUsd).toBeCloseTo((28 * rate) / 1e6, 12)
    // Each trace: one LLM call, the provider's, under the operation's span.
    const traces = collector.store
      .listTraces({ limit: 200 })
      .traces.filter((t) => t.model === model.modelId)
    expect(traces).toHaveLength(2)
    for (const t of traces) {
      const spans = collector.store.getTrace(t.traceId)!.spans
      const calls = spans.filter((s) => s.kind === 'llm')
      expect(calls).toHaveLength(1)
      expect(calls[0]!.parentSpanId).toBe(spans.find((s) => s.kind !== 'llm')!.spanId)
    }
  })

  // `tokentrail tail`, the built CLI following the collector: an embedding call has input tokens
  // only, printed `7 tok` as `tokentrail trace` prints it. Before, `7→? tok` (output unknown).
  it('tokentrail tail prints an embedding call as its input tokens alone', async () => {
    const child = spawn(process.execPath, [BIN, 'tail', '--url', collector.url], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    })
    const exited = new Promise((resolve) => child.on('exit', resolve))
    onCleanup(async () => {
      if (child.exitCode === null) child.kill('SIGINT')
      await exited
    })
    let out = ''
    child.stdout.on('data', (chunk) => (out += chunk))
    // Connected once its stream is open: the collector counts it as a live client.
    await expect
      .poll(
        async () =>
          (await (await fetch(`${collector.url}/api/stats`)).json()).collector.liveClients,
        {
          timeout: 10_000,
        },
      )
      .toBe(1)
    const openai = createOpenAI4({ baseURL: url, apiKey: 'sk-test' })
    const model = openai.embedding('text-embedding-ada-002')
    await ai7.embed({
      model,
      value: 'd',
      experimental_telemetry: { isEnabled: true, integrations: [new OpenTelemetry()] },
    })
    await provider.forceFlush()
    await expect
      .poll(() => out, { timeout: 10_000 })
      .toMatch(/llm embeddings text-embedding-ada-002 .*text-embedding-ada-002 {2}7 tok/)
    expect(out).not.toContain('→?')
  })

  it('rerank: the provider call is one LLM call with its model', async () => {
    const reranking = {
      specificationVersion: 'v4',
      provider: 'cohere.reranking',
      modelId: 'rerank-english-v3.0',
      doRerank: async () => ({
        ranking: [
          { index: 1, relevanceScore: 0.9 },
          { index: 0, relevanceScore: 0.1 },
        ],
      }),
    }
    const result = await ai7.rerank({
      model: reranking as any,
      documents: ['sunny', 'rainy'],
      query: 'rain?',
      experimental_telemetry: { isEnabled: true, integrations: [new OpenTelemetry()] },
    })
    expect(result.ranking[0]!.originalIndex).toBe(1)
    await provider.forceFlush()
    const stats = (await (await fetch(`${collector.url}/api/stats`)).json()).models.find(
      (m: { model: string }) => m.model === 'rerank-english-v3.0',
    )
    expect(stats).toMatchObject({ calls: 1 })
    const [trace] = collector.store
      .listTraces({ limit: 200 })
      .traces.filter((t) => t.model === 'rerank-english-v3.0')
    const spans = collector.store.getTrace(trace!.traceId)!.spans
    expect(spans.filter((s) => s.kind === 'llm').map((s) => s.name)).toEqual([
      'rerank rerank-english-v3.0',
    ])
  })

  // `experimental_extract` writes `extract <model>` for the operation and for the provider call
  // under it (the call with the tokens), both `gen_ai.operation.name: extract`. Before, both were
  // internal spans: the call's tokens were missing from the trace's totals and the stats by model.
  it('experimental_extract: the provider call is one LLM call with its tokens', async () => {
    const extraction = {
      specificationVersion: 'v4',
      provider: 'custom.extraction',
      modelId: 'reader-extract-1',
      supportedFieldTypes: ['text'],
      doExtract: async () => ({
        answers: { name: { type: 'text', value: 'Ada Lovelace' } },
        usage: { inputTokens: 30, outputTokens: 4 },
        warnings: [],
      }),
    }
    const result = await (ai7 as any).experimental_extract({
      model: extraction,
      state: [{ type: 'text', text: 'Ada Lovelace, born 1815' }],
      fields: { name: { type: 'text', instructions: 'The person' } },
      telemetry: { isEnabled: true, integrations: [new OpenTelemetry()] },
    })
    expect(result.answers.name).toBeDefined()
    await provider.forceFlush()
    const stats = (await (await fetch(`${collector.url}/api/stats`)).json()).models.find(
      (m: { model: string }) => m.model === 'reader-extract-1',
    )
    expect(stats).toMatchObject({ calls: 1, inputTokens: 30, outputTokens: 4 })
    const traces = collector.store
      .listTraces({ limit: 200 })
      .traces.filter((t) => t.model === 'reader-extract-1')
    expect(traces).toHaveLength(1)
    expect(traces[0]).toMatchObject({ inputTokens: 30, outputTokens: 4 })
    const spans = collector.store.getTrace(traces[0]!.traceId)!.spans
    expect(spans.map((s) => [s.name, s.kind]).sort()).toEqual([
      ['extract reader-extract-1', 'internal'],
      ['extract reader-extract-1', 'llm'],
    ])
    const shown = await runCapture(['trace', traces[0]!.traceId, '--url', collector.url])
    expect(shown.stdout).toMatch(/llm extract reader-extract-1.*30→4 tok/)
  })

  // `experimental_decide` writes `decide <model>` for the operation and for the provider call under
  // it, as extract does. Before, both were internal spans: the call's tokens were missing from the
  // trace's totals and the stats by model.
  it('experimental_decide: the provider call is one LLM call with its tokens', async () => {
    const decision = {
      specificationVersion: 'v4',
      provider: 'custom.decision',
      modelId: 'judge-decide-1',
      supportedQuestionTypes: ['boolean'],
      doDecide: async () => ({
        answers: { polite: { type: 'boolean', probability: 0.9 } },
        usage: { inputTokens: 25, outputTokens: 3 },
        warnings: [],
      }),
    }
    const result = await (ai7 as any).experimental_decide({
      model: decision,
      state: [{ type: 'text', text: 'Thank you kindly.' }],
      questions: { polite: { type: 'boolean', instructions: 'Is the text polite?' } },
      telemetry: { isEnabled: true, integrations: [new OpenTelemetry()] },
    })
    expect(result.answers.polite).toMatchObject({ probability: 0.9 })
    await provider.forceFlush()
    const stats = (await (await fetch(`${collector.url}/api/stats`)).json()).models.find(
      (m: { model: string }) => m.model === 'judge-decide-1',
    )
    expect(stats).toMatchObject({ calls: 1, inputTokens: 25, outputTokens: 3 })
    const traces = collector.store
      .listTraces({ limit: 200 })
      .traces.filter((t) => t.model === 'judge-decide-1')
    expect(traces).toHaveLength(1)
    expect(traces[0]).toMatchObject({ inputTokens: 25, outputTokens: 3 })
    const spans = collector.store.getTrace(traces[0]!.traceId)!.spans
    expect(spans.map((s) => [s.name, s.kind]).sort()).toEqual([
      ['decide judge-decide-1', 'internal'],
      ['decide judge-decide-1', 'llm'],
    ])
    const shown = await runCapture(['trace', traces[0]!.traceId, '--url', collector.url])
    expect(shown.stdout).toMatch(/llm decide judge-decide-1.*25→3 tok/)
  })
})

// ai@5's Anthropic provider (@ai-sdk/anthropic@2, Claude on Vertex AI too) counts input tokens
// without the cache: its reads are `ai.usage.cachedInputTokens` on a stream's span only, and its
// writes (and a `generateText` span's reads) only in `ai.response.providerMetadata`. A model
// object answering as that provider does (no Anthropic client among the CLI's test packages); the
// AI SDK calls, its telemetry, the OTel SDK and the collector are real.
describe.each([
  {
    provider: 'anthropic.messages',
    modelId: 'claude-opus-4-7',
    providerMetadata: {
      anthropic: {
        usage: {
          input_tokens: 40,
          cache_read_input_tokens: 3000,
          cache_creation_input_tokens: 2000,
        },
        cacheCreationInputTokens: 2000,
      },
    },
    // generateText's span has no cache counts but the metadata's.
    generate: true,
  },
  {
    provider: 'vertex.anthropic.messages',
    modelId: 'claude-opus-4-7@20260101',
    providerMetadata: {
      anthropic: {
        usage: {
          input_tokens: 40,
          cache_read_input_tokens: 3000,
          cache_creation_input_tokens: 2000,
        },
        cacheCreationInputTokens: 2000,
      },
    },
    generate: true,
  },
  {
    // @ai-sdk/amazon-bedrock@3: the writes in its metadata, the reads on a stream's span only.
    provider: 'amazon-bedrock',
    modelId: 'us.anthropic.claude-opus-4-7-v1:0',
    providerMetadata: { bedrock: { usage: { cacheWriteInputTokens: 2000 } } },
    generate: false,
  },
])('ai@5 experimental_telemetry: Claude with prompt caching ($provider)', (c) => {
  const { providerMetadata } = c
  const usage = {
    inputTokens: 40,
    outputTokens: 10,
    totalTokens: 50,
    cachedInputTokens: 3000,
  }
  const model = {
    specificationVersion: 'v2',
    provider: c.provider,
    modelId: c.modelId,
    supportedUrls: {},
    doGenerate: async () => ({
      content: [{ type: 'text', text: 'cached answer' }],
      finishReason: 'stop',
      usage,
      providerMetadata,
      warnings: [],
    }),
    doStream: async () => ({
      stream: new ReadableStream({
        start(controller) {
          controller.enqueue({ type: 'stream-start', warnings: [] })
          controller.enqueue({ type: 'text-start', id: '1' })
          controller.enqueue({ type: 'text-delta', id: '1', delta: 'cached answer' })
          controller.enqueue({ type: 'text-end', id: '1' })
          controller.enqueue({ type: 'finish', finishReason: 'stop', usage, providerMetadata })
          controller.close()
        },
      }),
    }),
  }

  it('prices cache reads and writes as the middleware does', async () => {
    const { computeCost } = await import('@tokentrail/ai-sdk')
    const expected = computeCost(
      { input: 5040, output: 10, cacheRead: 3000, cacheWrite: 2000 },
      DEFAULT_PRICES['claude-opus-4-7']!,
    )!.total
    const marker = `c${Math.random().toString(36).slice(2, 10)}`
    const telemetry = { isEnabled: true, functionId: marker }
    if (c.generate)
      await ai5.generateText({
        model: model as any,
        prompt: 'hi',
        experimental_telemetry: telemetry,
      })
    const stream = ai5.streamText({
      model: model as any,
      prompt: 'hi',
      experimental_telemetry: telemetry,
    })
    expect(await stream.text).toBe('cached answer')
    await provider.forceFlush()
    const traces = tracesOf(marker)
    expect(traces).toHaveLength(c.generate ? 2 : 1)
    for (const t of traces) {
      const [call] = collector.store.getTrace(t.traceId)!.spans.filter((s) => s.kind === 'llm')
      expect(call!.name, call!.name).toMatch(/doGenerate|doStream/)
      expect(call!.attributes['tokentrail.cost.usd'], call!.name).toBeCloseTo(expected, 12)
    }
  })
})
