// Runs under Deno (spawned by deno.node.test.ts) on the built package: a root span and a child made
// after an await, exported by otlpExporter over Deno's fetch to the test's receiver.
// Arguments: the receiver's /v1/traces URL, `flush` (await tracer.flush()) or `exit` (end
// without one, as a script that forgets it does), and the service name.
import { createTracer, getActiveSpan, hasAsyncContext, otlpExporter } from '../../dist/index.js'

const [url, ending, serviceName] = Deno.args
const tracer = createTracer({ serviceName, exporters: [otlpExporter({ url })] })
let nested = false
await tracer.withSpan('deno root', {}, async (root) => {
  await new Promise((resolve) => setTimeout(resolve, 5))
  nested = getActiveSpan()?.spanId === root.spanId
  tracer.startSpan('deno child').end()
})
const report = {
  runtime: `deno ${Deno.version.deno}`,
  asyncContext: hasAsyncContext(),
  nested,
}
if (ending === 'flush') {
  const started = performance.now()
  report.flush = await tracer.flush({ timeoutMs: 10_000 })
  report.flushMs = Math.round(performance.now() - started)
  report.stats = tracer.stats()
}
console.log(JSON.stringify(report))
