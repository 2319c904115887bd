// The "deployed function" of the freeze harness: one chat route written two ways, each calling a
// real OpenAI-compatible server (the local mock) through @ai-sdk/openai with the traced model.
import { createOpenAI } from '@ai-sdk/openai'
import { traceModel } from '@tokentrail/ai-sdk'
import { createTracer, extractTraceContext, otlpExporter, runWithSpan } from '@tokentrail/core'
import { streamText } from 'ai'
import { withTracing } from '../src/index.js'

const env = process.env
const tracer = createTracer({
  serviceName: `freeze-${env.FREEZE_PATTERN}`,
  exporters: [otlpExporter({ url: `${env.FREEZE_OTLP_URL}/v1/traces` })],
})
const openai = createOpenAI({ baseURL: env.FREEZE_MODEL_URL, apiKey: 'mock' })
const model = traceModel(openai.chat('gpt-4o-mini'), { tracer })

async function chat(request: Request, onFinish?: () => void): Promise<Response> {
  const { prompt } = await request.json()
  return streamText({ model, prompt, onFinish }).toUIMessageStreamResponse()
}

const invocation = (request: Request) => ({
  'bench.invocation': request.headers.get('x-invocation') ?? '',
})

/** The product: withTracing keeps the span open until the body ends, then flushes via waitUntil. */
export const traced = withTracing((request: Request) => chat(request), {
  tracer,
  attributes: invocation,
})

/** The naive pattern: the root span ends when the stream finishes, the export starts then, unawaited. */
export async function naive(request: Request): Promise<Response> {
  const span = tracer.startSpan('POST /api/chat', {
    kind: 'http',
    parent: extractTraceContext(request.headers),
    attributes: { 'http.request.method': 'POST', 'url.path': '/api/chat', ...invocation(request) },
  })
  return runWithSpan(span, () =>
    chat(request, () => {
      span.setAttribute('http.response.status_code', 200)
      span.end()
      void tracer.flush()
    }),
  )
}
