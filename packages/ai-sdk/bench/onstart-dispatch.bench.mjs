// The per-call cost of the integration's onStart handler in the AI SDK's own dispatch, alone:
// ai@7's text-call dispatcher (what every generateText/streamText builds) and its onStart with a generateText
// start event like the SDK's (a short prompt, two tools), with the handler present and hidden,
// in alternating blocks. CPU ns per call (process.cpuUsage). Usage (after a build):
//   node bench/onstart-dispatch.bench.mjs [calls=400000]
import { fileURLToPath, pathToFileURL } from 'node:url'

const calls = Number(process.argv[2] ?? 400000)
const root = fileURLToPath(new URL('../../../', import.meta.url))
const load = (path) => import(pathToFileURL(`${root}${path}`).href)
const { createRestrictedTelemetryDispatcher } = await load(
  'packages/ai-sdk/node_modules/ai/dist/internal/index.js',
)
const { wrapLanguageModel } = await load('packages/ai-sdk/node_modules/ai/dist/index.js')
const { tracingMiddleware } = await load('packages/ai-sdk/dist/index.js')
const { createTracer } = await load('packages/core/dist/index.js')
const { createModel } = await load('bench/src/model.mjs')

const tracer = createTracer({
  serviceName: 'bench',
  exporters: [{ export: async () => ({ code: 'success' }), shutdown: async () => {} }],
})
wrapLanguageModel({ model: createModel(), middleware: tracingMiddleware({ tracer }) })
const integration = globalThis.AI_SDK_TELEMETRY_INTEGRATIONS.find(
  (i) => typeof i.onStepStart === 'function',
)
const present = Object.getOwnPropertyDescriptor(integration, 'onStart')
const hidden = { get: () => undefined, enumerable: true, configurable: true }
const tool = {
  description: 'Weather in a city',
  inputSchema: { type: 'object' },
  execute: async () => 'sunny',
}
const event = {
  callId: 'call-1',
  operationId: 'ai.generateText',
  provider: 'openai.chat',
  modelId: 'gpt-4o',
  instructions: 'You are terse.',
  messages: [{ role: 'user', content: [{ type: 'text', text: 'What is the capital of France?' }] }],
  tools: { weather: tool, time: tool },
  toolChoice: undefined,
  activeTools: undefined,
  maxOutputTokens: 200,
  temperature: 0,
  maxRetries: 2,
  headers: { 'user-agent': 'ai/7' },
  providerOptions: undefined,
  runtimeContext: {},
  toolsContext: {},
}
async function run(n) {
  for (let i = 0; i < n; i++) {
    const d = createRestrictedTelemetryDispatcher({ telemetry: undefined })
    await d.onStart?.(event)
  }
}
const pairs = 20
const block = Math.round(calls / (pairs * 2))
const set = (side) =>
  Object.defineProperty(integration, 'onStart', side === 'with' ? present : hidden)
for (const side of ['with', 'without', 'with', 'without']) {
  set(side)
  await run(block)
}
const diffs = []
const totals = { with: 0, without: 0 }
for (let i = 0; i < pairs; i++) {
  const used = {}
  for (const side of i % 2 ? ['without', 'with'] : ['with', 'without']) {
    set(side)
    const start = process.cpuUsage()
    await run(block)
    const cpu = process.cpuUsage(start)
    used[side] = ((cpu.user + cpu.system) * 1000) / block
    totals[side] += used[side]
  }
  diffs.push(used.with - used.without)
}
diffs.sort((a, b) => a - b)
console.log(
  `dispatcher + onStart: with ${(totals.with / pairs).toFixed(0)} ns/call, without ${(totals.without / pairs).toFixed(0)} ns/call; median pair difference ${((diffs[pairs / 2 - 1] + diffs[pairs / 2]) / 2).toFixed(0)} ns (quartiles ${diffs[pairs / 4].toFixed(0)}, ${diffs[(3 * pairs) / 4].toFixed(0)})`,
)
