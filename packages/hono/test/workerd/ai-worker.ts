// Runs inside workerd (bundled and served by workerd-ai-sdk.node.test.ts): ai@7's streamText through
// @tokentrail/ai-sdk's tracingMiddleware, on a model streaming from memory, with streams whose
// consumer stops reading without cancelling. Built from the ai-sdk sources, so the test can
// shorten the stall window (two minutes) with the same module the middleware uses.
import { createTracer, type SpanData, type SpanExporter } from '@tokentrail/core'
import { streamText, wrapLanguageModel } from 'ai'
import { tracingMiddleware } from '../../../ai-sdk/src/index.js'
import { setStallWindow } from '../../../ai-sdk/src/stall.js'

const ended: SpanData[] = []
const memory: SpanExporter = {
  name: 'memory',
  export: async (spans) => {
    ended.push(...spans)
    return { code: 'success' }
  },
}
const tracer = createTracer({ serviceName: 'workerd-ai-sdk', exporters: [memory] })

const usage = {
  inputTokens: { total: 1, noCache: 1, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 50, text: 50, reasoning: undefined },
}
const model = wrapLanguageModel({
  model: {
    specificationVersion: 'v4',
    provider: 'memory',
    modelId: 'words',
    supportedUrls: {},
    doGenerate: async () => {
      throw new Error('streams only')
    },
    doStream: async () => {
      const parts: any[] = [
        { type: 'stream-start', warnings: [] },
        { type: 'text-start', id: 't' },
      ]
      for (let i = 0; i < 50; i++) parts.push({ type: 'text-delta', id: 't', delta: `w${i} ` })
      parts.push(
        { type: 'text-end', id: 't' },
        { type: 'finish', finishReason: { unified: 'stop', raw: 'stop' }, usage },
      )
      let i = 0
      return {
        stream: new ReadableStream({
          pull(controller) {
            if (i < parts.length) controller.enqueue(parts[i++])
            else controller.close()
          },
        }),
      }
    },
  } as any,
  middleware: tracingMiddleware({ tracer }),
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url)
    if (url.pathname === '/window') {
      setStallWindow(Number(url.searchParams.get('ms')))
      return new Response('ok')
    }
    // Reads one part of a stream, then stops reading (never cancels); waits `ms` before answering.
    if (url.pathname === '/stop-reading') {
      const reader = streamText({ model, prompt: 'count' }).textStream.getReader()
      await reader.read()
      await sleep(Number(url.searchParams.get('ms') ?? 0))
      return new Response('stopped')
    }
    if (url.pathname === '/spans') {
      await tracer.flush()
      const spans = ended.splice(0).map((span) => ({
        name: span.name,
        status: span.status,
        cancelledBy: span.attributes['tokentrail.cancelled_by'],
      }))
      return Response.json(spans)
    }
    return new Response('not found', { status: 404 })
  },
}
