// Runs inside workerd (bundled and served by workerd.node.test.ts): a Hono app with tracing() and
// core's otlpExporter, sending to the test's OTLP receiver over workerd's own fetch.
import {
  createTracer,
  getActiveSpan,
  getTracer,
  hasAsyncContext,
  otlpExporter,
  type Tracer,
} from '@tokentrail/core'
import { type ExecutionContext, Hono } from 'hono'
import { tracing } from '../../src/index.js'

interface Env {
  /** Origin of the OTLP receiver. */
  OTLP: string
  /**
   * `isolate`: one tracer for every request (as examples/hono-chat); `request`: one per request;
   * `env`: none passed, so tracing() uses getTracer(), configured from OTEL_* bindings.
   */
  TRACER: 'isolate' | 'request' | 'env'
  FLUSH_TIMEOUT_MS: string
  EXPORT_TIMEOUT_MS: string
  MAX_RETRIES?: string
}

let isolateTracer: Tracer | undefined
let app: Hono | undefined

function makeTracer(env: Env): Tracer {
  return createTracer({
    serviceName: 'workerd-test',
    exporters: [otlpExporter({ url: `${env.OTLP}/v1/traces` })],
    exportTimeoutMs: Number(env.EXPORT_TIMEOUT_MS),
    ...(env.MAX_RETRIES ? { retry: { maxRetries: Number(env.MAX_RETRIES) } } : {}),
  })
}

function makeApp(env: Env, tracer: Tracer | undefined): Hono {
  const current = () => tracer ?? getTracer()
  const app = new Hono()
  app.use(
    '/api/*',
    tracing({
      tracer,
      traceIdHeader: 'x-trace-id',
      flushTimeoutMs: Number(env.FLUSH_TIMEOUT_MS),
    }),
  )
  // A streamed body made lazily inside the request: each chunk says whether the request span has
  // ended yet and which span is active; the first one opens a model-like child span.
  app.get('/api/stream', (c) => {
    const root = c.var.span
    const chunks = Number(c.req.query('chunks') ?? 3)
    let i = 0
    const body = new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          await new Promise((resolve) => setTimeout(resolve, 100))
          if (i === 0) {
            const llm = current().startSpan('chat mock', { kind: 'llm' })
            await new Promise((resolve) => setTimeout(resolve, 5))
            llm.end()
          }
          if (i === chunks) return controller.close()
          const line = { i: i++, ended: root.ended, active: getActiveSpan()?.spanId ?? null }
          controller.enqueue(new TextEncoder().encode(`${JSON.stringify(line)}\n`))
        },
      },
      { highWaterMark: 0 },
    )
    return new Response(body, { headers: { 'content-type': 'application/x-ndjson' } })
  })
  // A push source piped through a transform, as the AI SDK's stream responses are made.
  app.get('/api/push', () => {
    let timer: ReturnType<typeof setInterval> | undefined
    const source = new ReadableStream<string>({
      start(controller) {
        let i = 0
        timer = setInterval(() => {
          try {
            controller.enqueue(`chunk ${i++}\n`)
          } catch {
            clearInterval(timer)
          }
        }, 20)
      },
      cancel() {
        clearInterval(timer)
      },
    })
    return new Response(source.pipeThrough(new TextEncoderStream()))
  })
  // After an await, as an AI SDK call would be: is the request span still the active one?
  app.get('/api/nest', async (c) => {
    await new Promise((resolve) => setTimeout(resolve, 1))
    const child = current().startSpan('chat mock', { kind: 'llm' })
    child.end()
    return c.json({
      asyncContext: hasAsyncContext(),
      root: c.var.span.spanId,
      childParent: child.parentSpanId ?? null,
    })
  })
  // Work handed to waitUntil that outlives the streamed answer (a summary saved after it), and a
  // span that work starts after the request span has ended.
  app.get('/api/background', (c) => {
    c.executionCtx.waitUntil(
      current().withSpan('summary', async () => {
        await new Promise((resolve) => setTimeout(resolve, 200))
        await current().withSpan('late', () => new Promise((resolve) => setTimeout(resolve, 20)))
      }),
    )
    let i = 0
    return new Response(
      new ReadableStream<Uint8Array>({
        async pull(controller) {
          await new Promise((resolve) => setTimeout(resolve, 20))
          if (i++ === 2) return controller.close()
          controller.enqueue(new TextEncoder().encode(`part ${i}\n`))
        },
      }),
    )
  })
  // A body of known length, as a proxied fetch() answers: workerd sends it with its Content-Length.
  app.get('/api/sized', () => {
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>()
    const writer = writable.getWriter()
    void writer.write(new TextEncoder().encode('hello')).then(() => writer.close())
    return new Response(readable, { headers: { 'content-length': '5' } })
  })
  app.get('/stats', (c) => c.json(current().stats()))
  return app
}

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext) {
    if (env.TRACER === 'env') {
      app ??= makeApp(env, undefined)
      return app.fetch(request, env, ctx)
    }
    if (env.TRACER === 'isolate') {
      isolateTracer ??= makeTracer(env)
      app ??= makeApp(env, isolateTracer)
      return app.fetch(request, env, ctx)
    }
    return makeApp(env, makeTracer(env)).fetch(request, env, ctx)
  },
}
