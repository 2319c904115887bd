// Runs under Bun (spawned by bun.node.test.ts) on the built package: two requests' worth of spans
// made concurrently, each after awaits of several kinds, exported by otlpExporter over Bun's fetch
// to the test's receiver. Arguments: the receiver's /v1/traces URL, `flush` (await tracer.flush())
// or `exit` (end without one, as a script that forgets it does), and the service name.
import { createTracer, getActiveSpan, hasAsyncContext, otlpExporter } from '../../dist/index.js'

const [url, ending, serviceName] = process.argv.slice(2)
const tracer = createTracer({ serviceName, exporters: [otlpExporter({ url })] })
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

// The active span after each kind of await, while another root interleaves with this one.
async function work(name, delay) {
  return tracer.withSpan(`bun ${name}`, {}, async (root) => {
    const seen = []
    const mine = () => seen.push(getActiveSpan()?.spanId === root.spanId)
    await sleep(delay)
    mine()
    await new Promise((resolve) => setImmediate(resolve))
    mine()
    await new Promise((resolve) => queueMicrotask(resolve))
    mine()
    // A stream's pull runs in the context of the read that caused it.
    const stream = new ReadableStream({
      async pull(controller) {
        await sleep(delay)
        mine()
        controller.close()
      },
    })
    await stream.getReader().read()
    await sleep(delay)
    // No parent given: the child finds the active root.
    tracer.startSpan(`bun ${name} child`).end()
    return seen
  })
}
const [a, b] = await Promise.all([work('a', 7), work('b', 3)])
const report = {
  runtime: `bun ${Bun.version}`,
  asyncContext: hasAsyncContext(),
  nested: [...a, ...b],
  outside: getActiveSpan() === undefined,
}
if (ending === 'flush') {
  report.flush = await tracer.flush({ timeoutMs: 10_000 })
  report.stats = tracer.stats()
}
console.log(JSON.stringify(report))
