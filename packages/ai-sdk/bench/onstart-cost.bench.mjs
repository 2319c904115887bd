// What the integration's onStart handler costs a traced text call on ai@7: the AI SDK copies and
// redacts the start event for each integration callback. Real generateText/streamText over the
// bench's zero-latency model, traced to an exporter that drops spans; CPU µs per call
// (process.cpuUsage), blocks alternating with the handler present and hidden, in one process.
// Usage (after a build): node bench/onstart-cost.bench.mjs [calls=16000] [prompt=short|long]
import { fileURLToPath, pathToFileURL } from 'node:url'

const [callsArg = '16000', promptArg = 'short'] = process.argv.slice(2)
const root = fileURLToPath(new URL('../../../', import.meta.url))
const load = (path) => import(pathToFileURL(`${root}${path}`).href)
const { generateText, streamText, wrapLanguageModel } = await load(
  'packages/ai-sdk/node_modules/ai/dist/index.js',
)
const { tracingMiddleware } = await load('packages/ai-sdk/dist/index.js')
const { createTracer } = await load('packages/core/dist/index.js')
const { createModel, prompts } = await load('bench/src/model.mjs')

const tracer = createTracer({
  serviceName: 'bench',
  exporters: [{ export: async () => ({ code: 'success' }), shutdown: async () => {} }],
})
const model = wrapLanguageModel({ model: createModel(), middleware: tracingMiddleware({ tracer }) })
const integration = globalThis.AI_SDK_TELEMETRY_INTEGRATIONS.find(
  (i) => typeof i.onStepStart === 'function',
)
const present = Object.getOwnPropertyDescriptor(integration, 'onStart')
if (!present) throw new Error('this build has no onStart handler')
const hidden = { get: () => undefined, enumerable: true, configurable: true }
const PROMPT = prompts[promptArg]

async function run(kind, n) {
  for (let i = 0; i < n; i++) {
    if (kind === 'generate') {
      const r = await generateText({ model, ...PROMPT })
      if (!r.text) throw new Error('no text')
    } else {
      const r = streamText({ model, ...PROMPT })
      for await (const _ of r.textStream);
    }
    if (i % 50 === 49) await new Promise((r) => setImmediate(r))
  }
  await tracer.flush()
}

const calls = Number(callsArg)
const pairs = 16
const block = Math.max(50, Math.round(calls / (pairs * 2)))
const kinds = process.argv[4] ? [process.argv[4]] : ['generate', 'stream']
const set = (side) =>
  Object.defineProperty(integration, 'onStart', side === 'with' ? present : hidden)
for (const kind of kinds) {
  for (const side of ['with', 'without', 'with', 'without']) {
    set(side)
    await run(kind, block)
  }
  // Pairs in alternating order (with first, then without first): each pair's difference, and
  // their median, so drift and the neighbours' load mostly cancel out.
  const diffs = []
  const totals = { with: 0, without: 0 }
  for (let i = 0; i < pairs; i++) {
    const order = i % 2 === 0 ? ['with', 'without'] : ['without', 'with']
    const used = {}
    for (const side of order) {
      set(side)
      const start = process.cpuUsage()
      await run(kind, block)
      const cpu = process.cpuUsage(start)
      used[side] = (cpu.user + cpu.system) / block
      totals[side] += used[side]
    }
    diffs.push(used.with - used.without)
  }
  diffs.sort((a, b) => a - b)
  const median = (diffs[pairs / 2 - 1] + diffs[pairs / 2]) / 2
  console.log(
    `${kind}Text (${promptArg} prompt): with onStart ${(totals.with / pairs).toFixed(1)} µs/call, without ${(totals.without / pairs).toFixed(1)} µs/call; median pair difference ${median.toFixed(2)} µs (quartiles ${diffs[pairs / 4].toFixed(2)}, ${diffs[(3 * pairs) / 4].toFixed(2)})`,
  )
}
set('with')
