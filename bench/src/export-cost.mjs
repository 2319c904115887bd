// What one export request costs: CPU µs per `otlpExporter().export(batch)` for batches of a few
// sizes, posting to the sink in a child process (its CPU is not counted), one request at a time.
// With OTHER=<another build's packages/core/dist/index.js>, that build's exporter is timed beside
// this checkout's, in alternating rounds in the same process (the spans are this checkout's).
//   node src/export-cost.mjs [sizes, default 1,2,64,512]
//   OTHER=/other/checkout/packages/core/dist/index.js node src/export-cost.mjs 1,512
// A batch's spans are real ones: each short-prompt generateText traced makes a call span and its
// LLM span. The per-call rows share a 512-span request among 256 calls; an app that flushes after
// each request (withTracing on a serverless host) pays one request per request.
import { generateText, wrapLanguageModel } from 'ai'
import { cpuSince, createModel, median, prompts } from './model.mjs'
import { startSinkProcess } from './sink.mjs'

const sizes = (process.argv[2] ?? '1,2,64,512').split(',').map(Number)
if (sizes.some((n) => !Number.isInteger(n) || n < 1))
  throw new Error(`sizes must be whole numbers ≥ 1, got ${process.argv[2]}`)
const rounds = Number(process.env.ROUNDS ?? 20)

const sink = await startSinkProcess()
const core = await import('@tokentrail/core')
const { tracingMiddleware } = await import('@tokentrail/ai-sdk')
const { memoryExporter } = await import('@tokentrail/core/testing')
const memory = memoryExporter()
const spans = memory.spans
const tracer = core.createTracer({
  serviceName: 'bench',
  maxQueueSize: 100_000,
  maxBatchSize: 100_000,
  exporters: [memory],
})
core.setTracer(tracer)
const model = wrapLanguageModel({ model: createModel({}), middleware: tracingMiddleware() })
while (spans.length < Math.max(...sizes)) {
  for (let i = 0; i < 100; i++) await generateText({ model, ...prompts.short })
  await tracer.flush()
}

const url = `${sink.url}/v1/traces`
const builds = { this: core.otlpExporter({ url }) }
if (process.env.OTHER) builds.other = (await import(process.env.OTHER)).otlpExporter({ url })

console.log(`CPU µs per export (median of ${rounds} rounds, builds alternating):`)
for (const size of sizes) {
  const batch = spans.slice(0, size)
  // About 100 ms of exports a round.
  const reps = Math.max(5, Math.round(100_000 / (300 + 4 * size)))
  for (const exporter of Object.values(builds))
    for (let i = 0; i < reps * 3; i++) await exporter.export(batch, AbortSignal.timeout(10_000))
  const us = Object.fromEntries(Object.keys(builds).map((name) => [name, []]))
  for (let r = 0; r < rounds; r++) {
    const names = Object.keys(builds)
    for (const name of r % 2 ? names.reverse() : names) {
      const start = process.cpuUsage()
      for (let i = 0; i < reps; i++) {
        const result = await builds[name].export(batch, AbortSignal.timeout(10_000))
        if (result.code !== 'success') throw new Error(`export failed: ${result.error}`)
      }
      us[name].push(cpuSince(start) / reps)
    }
  }
  const cells = Object.entries(us).map(([name, xs]) => {
    const value = median(xs)
    return `${name} ${value.toFixed(1)} (${(value / size).toFixed(2)} per span)`
  })
  console.log(`  ${String(size).padStart(5)} spans: ${cells.join(' · ')}`)
}
sink.close()
process.exit(0)
