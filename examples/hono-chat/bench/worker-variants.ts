import type { ExecutionContext } from 'hono'
import { createApp } from '../src/app.js'
import { chatModel } from '../src/model.js'
import { createWorker, type Env, workerTracer } from '../src/worker.js'

// Three ways to run the same app in workerd, picked by the VARIANT binding: this example's worker
// (one tracer for the isolate, each request's flush handed to `executionCtx.waitUntil`); a tracer
// made for each request (flushed the same way); and the example with `tracing({ flush: false })`,
// where spans wait for the tracer's interval.
const example = createWorker()
const noFlush = createWorker({ tracing: { flush: false } })

export default {
  fetch(request: Request, env: Env & { VARIANT: string }, ctx: ExecutionContext) {
    if (env.VARIANT === 'no-flush') return noFlush.fetch(request, env, ctx)
    if (env.VARIANT === 'tracer-per-request') {
      const tracer = workerTracer(env)
      return createApp({ model: chatModel(env, tracer), tracer }).fetch(request, env, ctx)
    }
    return example.fetch(request, env, ctx)
  },
}
