// withTracing() with the real @tokentrail/ai-sdk middleware and the real @ai-sdk/openai provider
// over HTTP to tools/mock-openai, the route handler served over a real socket the way `next start`
// serves it: the request's signal aborts and the body is cancelled when the client goes away.
import { createServer, request as httpRequest, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createOpenAI } from '@ai-sdk/openai'
import { CALL_ATTR, tracingMiddleware } from '@tokentrail/ai-sdk'
import { startMockOpenAI } from '@tokentrail/mock-openai'
import { streamText, wrapLanguageModel } from 'ai'
import { afterEach, describe, expect, it } from 'vitest'
import { withTracing } from '../src/index.js'
import { fakeVercelContext, testTracer } from './helpers.js'

const closers: (() => unknown)[] = []
afterEach(async () => {
  for (const close of closers.splice(0)) await close()
  delete (globalThis as any).AI_SDK_TELEMETRY_INTEGRATIONS
})

/** Serves `handler` as Next's node server does: a Web Request in, the Response body piped out. */
async function serveRoute(handler: (request: Request) => Promise<Response>): Promise<number> {
  const server: Server = createServer(async (incoming, outgoing) => {
    const controller = new AbortController()
    outgoing.on('close', () => {
      if (!outgoing.writableFinished) controller.abort()
    })
    const request = new Request(`http://127.0.0.1${incoming.url}`, {
      method: incoming.method,
      signal: controller.signal,
    })
    const response = await handler(request)
    outgoing.writeHead(response.status, Object.fromEntries(response.headers))
    const reader = response.body!.getReader()
    controller.signal.addEventListener('abort', () => reader.cancel().catch(() => {}))
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        outgoing.write(value)
      }
      outgoing.end()
    } catch {
      outgoing.destroy()
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  closers.push(() => {
    server.closeAllConnections()
    return new Promise((resolve) => server.close(resolve))
  })
  return (server.address() as AddressInfo).port
}

function readThenDisconnect(port: number, path: string, bytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = ''
    const request = httpRequest({ host: '127.0.0.1', port, path, method: 'POST' }, (response) => {
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => {
        received += chunk
        if (received.length >= bytes) {
          request.destroy()
          resolve(received)
        }
      })
    })
    request.on('error', (error) => {
      if (received.length < bytes) reject(error)
    })
    request.end()
  })
}

describe('withTracing + tracingMiddleware + @ai-sdk/openai: the client disconnects mid-stream', () => {
  for (const response of ['toUIMessageStreamResponse', 'toTextStreamResponse'] as const)
    it(`${response}: request, call and LLM spans end cancelled, the call counts the step, the waitUntil flush settles`, async () => {
      const vercel = fakeVercelContext()
      closers.push(() => vercel.uninstall())
      const server = await startMockOpenAI({
        chunkDelayMs: 25,
        reply: 'one two three four five six seven eight nine ten eleven twelve thirteen',
      })
      closers.push(() => server.close())
      const { tracer, exporter } = testTracer()
      const openai = createOpenAI({ baseURL: server.url, apiKey: 'sk-test-not-a-real-key-00000' })
      const model = wrapLanguageModel({
        model: openai.chat('gpt-4o'),
        middleware: tracingMiddleware({ tracer }),
      })
      const POST = withTracing(
        async (request: Request) =>
          streamText({ model, prompt: 'count', abortSignal: request.signal })[response](),
        { tracer, route: '/api/chat' },
      )
      const port = await serveRoute((request) => POST(request))
      await readThenDisconnect(port, '/api/chat', 40)
      await expect.poll(() => server.calls[0]?.aborted).toBe(true)
      await expect.poll(() => vercel.promises.length).toBe(1)
      await vercel.settle()
      const spans = exporter.spans
      expect(spans.map((s) => s.name).sort()).toEqual([
        'POST /api/chat',
        'chat gpt-4o',
        'streamText gpt-4o',
      ])
      const request = exporter.span('POST /api/chat')
      const call = exporter.span('streamText gpt-4o')
      const llm = exporter.span('chat gpt-4o')
      expect(new Set(spans.map((s) => s.traceId)).size).toBe(1)
      expect(call.parentSpanId).toBe(request.spanId)
      expect(llm.parentSpanId).toBe(call.spanId)
      expect([request.status, call.status, llm.status]).toEqual([
        'cancelled',
        'cancelled',
        'cancelled',
      ])
      expect(llm.attributes['tokentrail.output.text_length']).toBeGreaterThan(0)
      expect(call.attributes[CALL_ATTR.steps]).toBe(1)
      expect(call.attributes[CALL_ATTR.ttftMs]).toBe(llm.attributes['tokentrail.ttft_ms'])
      expect(call.endTime).toBeGreaterThanOrEqual(llm.endTime)
      expect(tracer.stats().lateWrites).toBe(0)
      const calls = (globalThis as any)[Symbol.for('tokentrail.ai-sdk.calls')]
      expect(calls.byCallId.size).toBe(0)
    })
})
