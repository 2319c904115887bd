// Delivery under freeze, Workers path: the chat app runs in real workerd (Miniflare). workerd ends
// a request's timers and I/O once its response is sent and its waitUntil promises settle, the way
// a serverless platform freezes. Each variant serves the same requests; we count the spans that
// reach a local OTLP receiver afterwards. Run: pnpm --filter @tokentrail/example-hono-chat bench
import { fileURLToPath } from 'node:url'
import { startMockOpenAI } from '@tokentrail/mock-openai'
import { startOtlpReceiver } from '@tokentrail/otlp-receiver'
import { build } from 'esbuild'
import { Miniflare } from 'miniflare'

const REQUESTS = Number(process.env.REQUESTS ?? 40)
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 4)
const SPANS_PER_REQUEST = 3 // POST /api/chat → streamText gpt-4o-mini → chat gpt-4o-mini
const SETTLE_MS = 3000 // longer than the tracer's 2 s batch interval

const root = fileURLToPath(new URL('..', import.meta.url))
await build({
  entryPoints: [`${root}bench/worker-variants.ts`],
  outfile: `${root}dist/bench-worker.js`,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  conditions: ['workerd', 'worker', 'browser'],
  external: ['node:*'],
  logLevel: 'warning',
})

const mock = await startMockOpenAI({ chunkDelayMs: 1 })
const rows: Record<string, string | number>[] = []
for (const variant of ['example', 'tracer-per-request', 'no-flush']) {
  const receiver = await startOtlpReceiver()
  const mf = new Miniflare({
    modules: true,
    scriptPath: `${root}dist/bench-worker.js`,
    compatibilityDate: '2026-07-01',
    compatibilityFlags: ['nodejs_compat', 'enable_request_signal'],
    bindings: {
      VARIANT: variant,
      OPENAI_BASE_URL: mock.url,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.origin,
    },
  })
  await mf.ready
  const traceIds: string[] = []
  const started = performance.now()
  let next = 0
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < REQUESTS) {
        next++
        const response = await mf.dispatchFetch('http://localhost/api/chat', {
          method: 'POST',
          body: JSON.stringify({ prompt: 'Say something short' }),
        })
        traceIds.push(response.headers.get('x-trace-id') ?? '')
        await response.text()
      }
    }),
  )
  const servedMs = performance.now() - started
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS))
  const expected = REQUESTS * SPANS_PER_REQUEST
  const delivered = receiver.spans.filter((s) => traceIds.includes(s.traceId)).length
  const whole = traceIds.filter(
    (id) => receiver.spans.filter((s) => s.traceId === id).length === SPANS_PER_REQUEST,
  ).length
  rows.push({
    variant,
    requests: REQUESTS,
    'spans expected': expected,
    'spans delivered': delivered,
    delivered: `${((delivered / expected) * 100).toFixed(1)} %`,
    'whole traces': `${whole}/${REQUESTS}`,
    'ms per request': (servedMs / REQUESTS).toFixed(1),
  })
  await mf.dispose()
  await receiver.close()
}
await mock.close()
console.log(
  `workerd delivery under freeze (${REQUESTS} requests, ${CONCURRENCY} at a time, ${SETTLE_MS} ms settle)`,
)
console.table(rows)
