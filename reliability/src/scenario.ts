// One fault scenario: the hono-chat app under load, exporting through the fault proxy to the real
// collector; then the fault lifts, the tracer flushes, and the collector is asked what arrived.
import type { TracerStats } from '@tokentrail/core'
import { countComplete, listAllTraces, SPANS_PER_CHAT_TRACE } from './collector-api.js'
import type { FaultProxy } from './fault-proxy.js'
import { type LoadResult, runLoad } from './load.js'
import { type Child, startAppProcess } from './processes.js'

export interface AppReport {
  tracer: TracerStats
  enabled: boolean
  exceptions: { uncaught: number; unhandled: number; messages: string[] }
  internalErrors: string[]
}

export interface ScenarioResult {
  load: LoadResult
  /** The same load on an untraced copy of the app, at the same time (same machine noise). */
  untraced: LoadResult
  stats: AppReport
  flush: { ok: boolean; pending: number; ms: number }
  rss: { start: number; peak: number; end: number }
  /** Spans of this scenario's service found in the collector, and complete traces. */
  delivered: ReturnType<typeof countComplete>
}

export async function appReport(app: Child): Promise<AppReport> {
  const response = await fetch(`${app.url}/__stats`)
  return (await response.json()) as AppReport
}

/**
 * Runs the app, and an untraced copy beside it for the latency comparison, under load for `durationMs`; `during(elapsed)` is called every 100 ms to move the
 * fault (set it, lift it, restart the collector). Afterwards the fault is lifted and the tracer
 * flushed (bounded by `flushTimeoutMs`).
 */
export async function runScenario(options: {
  service: string
  tracing: boolean
  proxy: FaultProxy
  collectorUrl: () => string
  mockUrl: string
  durationMs: number
  concurrency: number
  during?: (elapsedMs: number) => Promise<void> | void
  /** Keep moving the fault this long even when the load stopped earlier. */
  windowMs?: number
  flushTimeoutMs?: number
  flushPerRequest?: boolean
}): Promise<ScenarioResult> {
  const app = await startAppProcess({
    flushPerRequest: options.flushPerRequest,
    tracing: options.tracing,
    otlpEndpoint: options.proxy.url,
    mockUrl: options.mockUrl,
    service: options.service,
  })
  const offApp = await startAppProcess({
    tracing: false,
    mockUrl: options.mockUrl,
    service: `${options.service}-off`,
  })
  try {
    // Warm up the JIT and the sockets before the figures count; its spans count as sent too.
    await Promise.all(
      [app, offApp].map((a) => runLoad({ url: `${a.url}/api/chat`, total: 30, concurrency: 5 })),
    )
    const rss = { start: app.rss(), peak: 0, end: 0 }
    let busy = false
    const started = performance.now()
    const ticker = setInterval(async () => {
      rss.peak = Math.max(rss.peak, app.rss())
      if (busy || !options.during) return
      busy = true
      try {
        await options.during(performance.now() - started)
      } finally {
        busy = false
      }
    }, 100)
    let load: LoadResult
    let untraced: LoadResult
    try {
      ;[load, untraced] = await Promise.all(
        [app, offApp].map((a) =>
          runLoad({
            url: `${a.url}/api/chat`,
            total: 1_000_000,
            durationMs: options.durationMs,
            concurrency: options.concurrency,
          }),
        ),
      )
      const window = options.windowMs ?? 0
      while (performance.now() - started < window)
        await new Promise((resolve) => setTimeout(resolve, 100))
    } finally {
      clearInterval(ticker)
      while (busy) await new Promise((resolve) => setTimeout(resolve, 20))
    }
    await options.proxy.set('pass')
    const flush = (await (
      await fetch(`${app.url}/__flush?timeoutMs=${options.flushTimeoutMs ?? 40_000}`, {
        method: 'POST',
      })
    ).json()) as ScenarioResult['flush']
    rss.peak = Math.max(rss.peak, app.rss())
    rss.end = app.rss()
    const stats = await appReport(app)
    const rows = options.tracing ? await listAllTraces(options.collectorUrl(), options.service) : []
    return {
      load,
      untraced,
      stats,
      flush,
      rss,
      delivered: countComplete(rows, load.traceIds, SPANS_PER_CHAT_TRACE),
    }
  } finally {
    await Promise.all([app.stop(), offApp.stop()])
  }
}

/** Spans the tracer ended but cannot account for: neither exported, failed, dropped, rejected nor queued. */
export function unaccounted(stats: TracerStats): number {
  const { exported, failed, rejected, queued, dropped } = stats
  return (
    stats.ended -
    exported -
    failed -
    rejected -
    queued -
    dropped.queueFull -
    dropped.shutdown -
    dropped.redacted -
    dropped.redactError
  )
}
