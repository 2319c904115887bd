// What a serverless request's flush costs: one span, then `await tracer.flush()`, posting to the
// sink in a child process (its CPU is not counted); one request at a time, and 50 at a time (the
// flushes of overlapping requests, as on a Worker or a long-lived server). CPU µs per request,
// median of the blocks (min–max), after a warm-up block. With CORE=<another build's
// packages/core/dist/index.js>, that build is timed instead: run both, alternating processes.
//   node src/flush-cost.mjs [blocks, default 7]
//   CORE=/other/checkout/packages/core/dist/index.js node src/flush-cost.mjs
//   AT=50 node src/flush-cost.mjs 15     only the 50-at-a-time row, 15 blocks
import { cpuSince, median } from './model.mjs'
import { startSinkProcess } from './sink.mjs'

const blocks = Number(process.argv[2] ?? 7)
const REQUESTS = 2000
const sink = await startSinkProcess()
const { createTracer, otlpExporter } = await import(process.env.CORE || '@tokentrail/core')
// The OTLP exporter, counting its requests (fewer, larger batches cost less per span).
const otlp = otlpExporter({ url: `${sink.url}/v1/traces` })
let exports = 0
const exporter = {
  ...otlp,
  name: 'otlp',
  url: otlp.url,
  export(spans, signal) {
    exports++
    return otlp.export(spans, signal)
  },
}
const tracer = createTracer({ serviceName: 'flush-cost', exporters: [exporter], metrics: false })

async function request() {
  tracer.startSpan('POST /api/chat').end()
  const outcome = await tracer.flush()
  if (!outcome.ok) throw new Error(`flush failed: ${outcome.reason}`)
}

async function block(atOnce) {
  exports = 0
  const cpu = process.cpuUsage()
  let next = 0
  await Promise.all(
    Array.from({ length: atOnce }, async () => {
      while (next++ < REQUESTS) await request()
    }),
  )
  return { cpu: cpuSince(cpu) / REQUESTS, exports }
}

for (const atOnce of (process.env.AT ?? '1,50').split(',').map(Number)) {
  await block(atOnce)
  const cpu = []
  const requests = []
  for (let i = 0; i < blocks; i++) {
    const result = await block(atOnce)
    cpu.push(result.cpu)
    requests.push(result.exports)
  }
  console.log(
    `${atOnce === 1 ? 'one request at a time' : `${atOnce} at a time`}: CPU µs per request ${median(cpu).toFixed(1)} (${Math.min(...cpu).toFixed(1)}–${Math.max(...cpu).toFixed(1)}), ${median(requests)} export requests per ${REQUESTS}`,
  )
}
await tracer.shutdown()
process.exit(0)
