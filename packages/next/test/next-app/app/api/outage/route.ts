import { createTracer, otlpExporter, type Tracer } from '@tokentrail/core'
import { withTracing } from '../../../../../dist/index.js'

export const dynamic = 'force-dynamic'

// A tracer whose collector is down (OUTAGE_COLLECTOR_URL answers 503) and whose retry is a minute
// away: a request's flush that waits on it outlasts the test. Its flushes are counted as they
// start and settle, so the test sees whether they waited. Made at the first request (the build
// has no such URL).
const flushes = { started: 0, settled: 0, reasons: [] as (string | undefined)[] }
let made: { tracer: Tracer; traced: (request: Request) => Promise<Response> } | undefined

function outage() {
  if (made) return made
  const tracer = createTracer({
    serviceName: 'next-outage',
    exporters: [otlpExporter({ url: `${process.env.OUTAGE_COLLECTOR_URL}/v1/traces` })],
    flushIntervalMs: 600_000,
    retry: { initialBackoffMs: 60_000, maxBackoffMs: 60_000, maxRetries: 1 },
    warnings: false,
  })
  const flush = tracer.flush.bind(tracer)
  tracer.flush = (options?: Parameters<typeof flush>[0]) => {
    flushes.started++
    return flush(options).then((result) => {
      flushes.settled++
      flushes.reasons.push(result.reason)
      return result
    })
  }
  const traced = withTracing(async () => new Response('hi'), { tracer, flushTimeoutMs: 20_000 })
  made = { tracer, traced }
  return made
}

export async function GET(request: Request) {
  const { tracer, traced } = outage()
  const { searchParams } = new URL(request.url)
  // The test's end: the first request's flush, still waiting for the retry, settles.
  if (searchParams.has('shutdown')) await tracer.shutdown({ timeoutMs: 100 })
  if (searchParams.has('stats') || searchParams.has('shutdown'))
    return Response.json({ ...flushes, retried: tracer.stats().retried })
  return traced(request)
}
