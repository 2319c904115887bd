import type { Tracer } from '@tokentrail/core'
import type { ExecutionContext } from 'hono'
import { createApp } from '../src/app.js'
import { chatModel } from '../src/model.js'
import { createWorker, type Env, workerTracer } from '../src/worker.js'

// Three ways to run the same app in workerd, picked by the VARIANT binding.
const perRequest = createWorker()
const noFlush = createWorker({ tracing: { flush: false } })
let shared: { fetch: (r: Request, e: Env, c: ExecutionContext) => Response | Promise<Response> }
let sharedTracer: Tracer

export default {
  fetch(request: Request, env: Env & { VARIANT: string }, ctx: ExecutionContext) {
    if (env.VARIANT === 'no-flush') return noFlush.fetch(request, env, ctx)
    if (env.VARIANT === 'shared-tracer') {
      // One tracer and app for the whole isolate, kept in module scope by hand.
      sharedTracer ??= workerTracer(env)
      shared ??= createApp({ model: chatModel(env, sharedTracer), tracer: sharedTracer })
      return shared.fetch(request, env, ctx)
    }
    return perRequest.fetch(request, env, ctx)
  },
}
