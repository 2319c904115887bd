// Cost of tracing() against the same Hono app without it, through app.request(). Prints rows;
// asserts nothing. Run: pnpm --filter @tokentrail/hono bench   (builds first; Node ≥ 22.6)
import { createTracer, type SpanExporter } from '@tokentrail/core'
import { Hono } from 'hono'
import { tracing } from '../dist/index.js'

const discard: SpanExporter = { name: 'discard', export: async () => ({ code: 'success' }) }
const tracer = createTracer({
  serviceName: 'bench',
  exporters: [discard],
  maxQueueSize: 100_000,
  flushIntervalMs: 50,
})
const chunk = new TextEncoder().encode('data: {"type":"text-delta","delta":"token "}\n\n')

function build(options?: Parameters<typeof tracing>[0]) {
  const app = new Hono()
  if (options) app.use('/api/*', tracing(options))
  app.get('/api/json', (c) => c.json({ ok: true, answer: 'The capital of France is Paris.' }))
  app.get('/api/stream', () => {
    let sent = 0
    return new Response(
      new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent++ === 200) controller.close()
          else controller.enqueue(chunk)
        },
      }),
      { headers: { 'content-type': 'text/event-stream' } },
    )
  })
  return app
}

const variants = {
  untraced: build(),
  traced: build({ tracer }),
  'traced, flush off': build({ tracer, flush: false }),
}

async function time(app: Hono, path: string, iterations: number): Promise<number> {
  const started = performance.now()
  for (let i = 0; i < iterations; i++) {
    const response = await app.request(path)
    await response.arrayBuffer()
  }
  return ((performance.now() - started) / iterations) * 1000
}

const rows: Record<string, string>[] = []
for (const [path, iterations] of [
  ['/api/json', 20_000],
  ['/api/stream', 2_000],
] as const) {
  const results: Record<string, number> = {}
  for (let round = 0; round < 2; round++) {
    // Round 0 warms up; round 1 is measured.
    for (const [name, app] of Object.entries(variants))
      results[name] = await time(app, path, iterations)
  }
  const base = results.untraced!
  for (const [name, us] of Object.entries(results))
    rows.push({
      route: path === '/api/json' ? 'JSON body' : 'stream, 200 chunks',
      variant: name,
      'µs per request': us.toFixed(1),
      'added µs': (us - base).toFixed(1),
      ratio: (us / base).toFixed(2),
    })
}
await tracer.flush()
console.log('tracing() overhead, app.request() in-process (no network)')
console.table(rows)
console.log('spans', JSON.stringify({ ...tracer.stats(), metrics: undefined }))
