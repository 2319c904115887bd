// Many requests at once in one process, as a server sees them: each a request span made active
// around real AI SDK calls (streamText with a tool that calls generateText, two generateText under
// Promise.all, plain streamText), over HTTP to tools/mock-openai servers with different delays,
// some clients going away mid-stream. Every span must land in its own request's trace, none left
// open, and the counters add up. Spans go to a real OTLP receiver.
import { createServer, request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createTracer, otlpExporter, runWithSpan } from '@tokentrail/core'
import { startMockOpenAI } from '@tokentrail/mock-openai'
import { type ReceivedSpan, startOtlpReceiver } from '@tokentrail/otlp-receiver'
import { expect, it } from 'vitest'
import { tracingMiddleware } from '../src/index.js'
import { majors } from './majors.js'

const REQUESTS = 40

for (const { major, ai, createOpenAI } of majors)
  it(`${major}: ${REQUESTS} concurrent requests, some cut short by the client: every span in its own request's trace, all ended and delivered`, async () => {
    const receiver = await startOtlpReceiver()
    const mocks = await Promise.all(
      [0, 4, 9].map((ms) => startMockOpenAI({ chunkDelayMs: ms, firstChunkDelayMs: ms })),
    )
    const tracer = createTracer({
      serviceName: 'concurrent',
      exporters: [otlpExporter({ url: `${receiver.url}/v1/traces` })],
      maxQueueSize: 100_000,
      flushIntervalMs: 100,
    })
    const models = mocks.map((mock) =>
      ai.wrapLanguageModel({
        model: createOpenAI({ baseURL: mock.url, apiKey: 'sk-test-0000' }).chat('gpt-4o'),
        middleware: tracingMiddleware({ tracer }),
      }),
    )
    const server = createServer((request, response) => {
      const i = Number(request.url!.slice(1))
      const model = models[i % 3]
      const root = tracer.startSpan(`request ${i}`, { kind: 'http', parent: null })
      response.on('close', () =>
        root.end({ status: response.writableFinished ? 'ok' : 'cancelled', endOpenChildren: true }),
      )
      const abort = new AbortController()
      request.on('close', () => {
        if (!response.writableFinished) abort.abort()
      })
      runWithSpan(root, async () => {
        try {
          if (i % 4 === 0) {
            const [a, b] = await Promise.all([
              ai.generateText({ model, prompt: `#${i} first` }),
              ai.generateText({ model, prompt: `#${i} second` }),
            ])
            response.end(a.text + b.text)
            return
          }
          ai.streamText({
            model,
            prompt: i % 2 ? `#${i} [tool:weather]` : `#${i} one two three four five six`,
            stopWhen: ai.stepCountIs(3),
            abortSignal: abort.signal,
            tools: {
              weather: ai.tool({
                inputSchema: ai.jsonSchema({
                  type: 'object',
                  properties: { city: { type: 'string' } },
                  required: ['city'],
                }),
                // A sub-agent: a model call of its own inside the tool.
                execute: async () => (await ai.generateText({ model, prompt: `#${i} sub` })).text,
              }),
            },
          }).pipeTextStreamToResponse(response)
        } catch {
          response.destroy()
        }
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as AddressInfo).port
    const cutShort = (i: number) => i % 5 === 3
    await Promise.all(
      Array.from(
        { length: REQUESTS },
        (_, i) =>
          new Promise<void>((resolve) => {
            const request = httpRequest({ host: '127.0.0.1', port, path: `/${i}` }, (response) => {
              let bytes = 0
              response.on('data', (chunk: Buffer) => {
                bytes += chunk.length
                if (cutShort(i) && bytes > 5) {
                  request.destroy()
                  resolve()
                }
              })
              response.on('end', () => resolve())
            })
            request.on('error', () => resolve())
            request.end()
          }),
      ),
    )
    // Every span has ended once the counters say so; then all of them are sent.
    await expect
      .poll(() => tracer.stats().started - tracer.stats().ended, { timeout: 15_000 })
      .toBe(0)
    expect(await tracer.flush({ timeoutMs: 10_000 })).toEqual({ ok: true, pending: 0 })
    const stats = tracer.stats()
    expect(stats.exported).toBe(stats.started)
    expect(stats).toMatchObject({ failed: 0, queued: 0, inflight: 0, lateWrites: 0 })
    expect(stats.dropped).toEqual({ queueFull: 0, shutdown: 0, redacted: 0, redactError: 0 })
    expect(receiver.spans).toHaveLength(stats.started)

    const traces = new Map<string, ReceivedSpan[]>()
    for (const span of receiver.spans)
      traces.set(span.traceId, [...(traces.get(span.traceId) ?? []), span])
    expect(traces.size).toBe(REQUESTS)
    const seen = new Set<number>()
    for (const spans of traces.values()) {
      const ids = new Set(spans.map((s) => s.spanId))
      const roots = spans.filter((s) => !ids.has(s.parentSpanId!))
      expect(roots.map((s) => s.name)).toEqual([expect.stringMatching(/^request \d+$/)])
      const i = Number(roots[0]!.name.split(' ')[1])
      seen.add(i)
      // No span of another request's calls: every prompt in the trace is this request's.
      for (const span of spans) {
        const input = String(span.attributes['gen_ai.input.messages'] ?? '')
        for (const marker of input.match(/#\d+/g) ?? []) expect(marker, span.name).toBe(`#${i}`)
      }
      if (cutShort(i)) continue
      const names = spans.map((s) => s.name.replace(/ gpt-4o.*/, '')).sort()
      if (i % 4 === 0)
        expect(names).toEqual(['chat', 'chat', 'generateText', 'generateText', `request ${i}`])
      else if (i % 2)
        expect(names).toEqual([
          'chat',
          'chat',
          'chat',
          'execute_tool weather',
          'generateText',
          `request ${i}`,
          'streamText',
        ])
      else expect(names).toEqual(['chat', `request ${i}`, 'streamText'])
      for (const span of spans) expect(span.status.code, span.name).toBe(0) // unset: not failed
    }
    expect(seen.size).toBe(REQUESTS)
    server.close()
    await receiver.close()
    for (const mock of mocks) await mock.close()
    await tracer.shutdown()
  })
