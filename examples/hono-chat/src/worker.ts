import { createTracer, otlpExporter, type TracerOptions } from '@tokentrail/core'
import type { TracingOptions } from '@tokentrail/hono'
import type { ExecutionContext } from 'hono'
import { createApp } from './app.js'
import { chatModel, type ModelSettings } from './model.js'

/** Bindings of the Workers entry (wrangler.jsonc `vars`, or secrets). */
export interface Env extends ModelSettings {
  /** OTLP/HTTP base URL; spans go to `${OTEL_EXPORTER_OTLP_ENDPOINT}/v1/traces`. */
  OTEL_EXPORTER_OTLP_ENDPOINT?: string
  OTEL_SERVICE_NAME?: string
}

/** The isolate's tracer (made on its first request), sending to the endpoint the bindings name. */
export function workerTracer(env: Env, options: TracerOptions = {}) {
  const endpoint = (env.OTEL_EXPORTER_OTLP_ENDPOINT ?? 'http://127.0.0.1:4318').replace(/\/$/, '')
  return createTracer({
    serviceName: env.OTEL_SERVICE_NAME ?? 'hono-chat-worker',
    exporters: [otlpExporter({ url: `${endpoint}/v1/traces` })],
    ...options,
  })
}

/** A Workers module for the chat app; `tracing` options pass through to `tracing()`. */
export function createWorker(options: { tracing?: Omit<TracingOptions, 'tracer'> } = {}) {
  // One tracer and app for the isolate, made on the first request (bindings arrive with it).
  let app: ReturnType<typeof createApp> | undefined
  return {
    fetch(request: Request, env: Env, ctx: ExecutionContext) {
      if (!app) {
        const tracer = workerTracer(env)
        app = createApp({ model: chatModel(env, tracer), tracer, tracing: options.tracing })
      }
      return app.fetch(request, env, ctx)
    },
  }
}

// Workers entry: `tracing()` hands each request's flush to `ctx.waitUntil`.
export default createWorker()
