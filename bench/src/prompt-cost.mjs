// What a long prompt costs a traced generateText (Tokentrail), piece by piece, in one process.
//   node --expose-gc src/prompt-cost.mjs [calls]        whole calls, then the pieces alone
//   PROFILE=1 node --cpu-prof src/prompt-cost.mjs [calls]   traced long calls only (for a profile)
//   PIECES=1 PACKAGES=/other/checkout/packages/ node src/prompt-cost.mjs   the pieces alone, of
//   another build (the whole calls always use this checkout's)
// Whole calls: untraced, untraced with no-op hooks (what the AI SDK itself spends dispatching events
// to an integration), traced; the short and the long prompt; blocks interleaved, each ending with
// a flush; CPU µs and GC ms per call, median of the blocks. The sink runs in a child process, so
// its CPU is not counted.
// Pieces: each step of the traced path alone, on the real long prompt (as the model receives it)
// and the real spans a traced call made, in CPU µs per operation (median of rounds), next to one
// JSON.stringify of the prompt's messages (the unit of the bench's "passes over the prompt").
import { PerformanceObserver } from 'node:perf_hooks'
import { setImmediate as yieldToLoop } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { cpuSince, createModel, median, noopHooks, prompts } from './model.mjs'
import { startSinkProcess } from './sink.mjs'

const calls = Number(process.argv[2] ?? 2000)
const packages = process.env.PACKAGES || fileURLToPath(new URL('../../packages/', import.meta.url))

// The sink, in a child process.
const sink = await startSinkProcess()
const url = sink.url

const { generateText } = await import('ai')
const core = await import('@tokentrail/core')
const { tracingMiddleware } = await import('@tokentrail/ai-sdk')
const { wrapLanguageModel } = await import('ai')

// The tracer's exporter: the OTLP one, with the last batch kept for the pieces below.
const otlp = core.otlpExporter({ url: `${url}/v1/traces` })
let lastBatch
const exporter = {
  ...otlp,
  name: 'otlp',
  url: otlp.url,
  export(spans, signal) {
    lastBatch = spans
    return otlp.export(spans, signal)
  },
  shutdown: otlp.shutdown?.bind(otlp),
}
const tracer = core.createTracer({ serviceName: 'bench', exporters: [exporter] })
core.setTracer(tracer)
const middleware = tracingMiddleware()
const flush = () => tracer.flush({ timeoutMs: 60_000 })

let lastPrompt
const base = createModel({})
const capturing = {
  ...base,
  doGenerate: async (options) => {
    lastPrompt = options.prompt
    return base.doGenerate(options)
  },
}
const sides = {
  baseline: { model: capturing, options: { telemetry: { integrations: [] } } },
  hooks: { model: capturing, options: { telemetry: { integrations: [noopHooks()] } } },
  traced: { model: wrapLanguageModel({ model: capturing, middleware }), options: {} },
}

let gcMs = 0
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcMs += entry.duration
}).observe({ entryTypes: ['gc'] })

async function run(side, prompt, n) {
  const s = sides[side]
  const options = { ...prompts[prompt], ...s.options }
  for (let i = 0; i < n; i++) {
    await generateText({ model: s.model, ...options })
    if (i % 50 === 49) await yieldToLoop()
  }
}

if (process.env.PROFILE) {
  await run('traced', 'long', 500)
  await flush()
  for (let i = 0; i < Math.ceil(calls / 500); i++) {
    await run('traced', 'long', 500)
    await flush()
  }
  sink.close()
  process.exit(0)
}

// Whole calls.
const block = 500
const results = {}
const rounds = process.env.PIECES ? 0 : Math.max(2, Math.round(calls / block / 6))
if (rounds > 0)
  for (const side of Object.keys(sides))
    for (const prompt of ['short', 'long']) await run(side, prompt, 2000)
await flush()
for (let r = 0; r < rounds; r++) {
  const order = r % 2 ? ['traced', 'hooks', 'baseline'] : ['baseline', 'hooks', 'traced']
  for (const side of order)
    for (const prompt of ['short', 'long']) {
      const key = `${side} ${prompt}`
      results[key] ??= { cpu: [], gc: [] }
      gcMs = 0
      const start = process.cpuUsage()
      await run(side, prompt, block)
      await flush()
      // GC entries are delivered asynchronously: let them land.
      await yieldToLoop()
      results[key].cpu.push(cpuSince(start) / block)
      results[key].gc.push((gcMs * 1000) / block)
    }
}
const cpu = (key) => median(results[key].cpu)
const gc = (key) => median(results[key].gc)
const stringifyUs = (() => {
  const value = prompts.long.messages
  for (let i = 0; i < 500; i++) JSON.stringify(value)
  const start = process.cpuUsage()
  for (let i = 0; i < 4000; i++) JSON.stringify(value)
  return cpuSince(start) / 4000
})()
if (rounds > 0) {
  console.log(
    `whole calls (${rounds} rounds × ${block} calls per block; CPU µs per call, GC µs per call):`,
  )
  for (const key of Object.keys(results))
    console.log(
      `  ${key.padEnd(16)} CPU ${cpu(key).toFixed(1).padStart(7)}   GC ${gc(key).toFixed(1).padStart(6)}`,
    )
  const added = (prompt, side = 'traced') => cpu(`${side} ${prompt}`) - cpu(`baseline ${prompt}`)
  console.log(`  one JSON.stringify(long messages): ${stringifyUs.toFixed(1)} µs`)
  console.log(
    `  traced added: short +${added('short').toFixed(1)}, long +${added('long').toFixed(1)} (${(added('long') / stringifyUs).toFixed(1)} passes); the 20 KB adds ${(added('long') - added('short')).toFixed(1)} µs`,
  )
  console.log(
    `  AI SDK dispatch to no-op hooks: short +${added('short', 'hooks').toFixed(1)}, long +${added('long', 'hooks').toFixed(1)}; the 20 KB adds ${(added('long', 'hooks') - added('short', 'hooks')).toFixed(1)} µs`,
  )
  const gcAdded = (prompt) => gc(`traced ${prompt}`) - gc(`baseline ${prompt}`)
  console.log(
    `  GC time added (main-thread pauses): short +${gcAdded('short').toFixed(1)}, long +${gcAdded('long').toFixed(1)} µs`,
  )
}

// The pieces, on what one traced long call made.
await run('traced', 'long', 1)
await flush()
const prompt = lastPrompt
const spans = lastBatch.slice(-2)
const { Budget, promptJson } = await import(`${packages}ai-sdk/dist/convert.js`)
const { redactSecretsInText } = await import(`${packages}core/dist/secret-text.js`)
const { encodeOtlpTracesBytes } = await import(`${packages}core/dist/exporters/otlp-json.js`)
const { JsonWriter } = await import(`${packages}core/dist/otlp/json-writer.js`)
const json = promptJson(prompt, new Budget(1e9))
const messagesJson = json.messages.json
const writer = new JsonWriter(64 * 1024)
const llm = spans.find((s) => s.attributes['gen_ai.input.messages'] !== undefined)

// Each piece is warmed up for 300 ms of CPU first: process CPU time counts the optimizing
// compiler's threads, and a piece timed after `n` calls alone read 2–3× its steady cost (the OTLP
// encode 27–33 µs where it settles at 11–14) while the compiler was still working on it.
function time(name, fn, n = 400) {
  for (const start = process.cpuUsage(); cpuSince(start) < 300_000; )
    for (let i = 0; i < n; i++) fn()
  const us = []
  for (let r = 0; r < 7; r++) {
    const start = process.cpuUsage()
    for (let i = 0; i < n; i++) fn()
    us.push(cpuSince(start) / n)
  }
  const value = median(us)
  console.log(
    `  ${name.padEnd(58)} ${value.toFixed(2).padStart(7)} µs  ${(value / stringifyUs).toFixed(2)} passes`,
  )
  return value
}
console.log(
  `\npieces (long prompt: ${prompt.length} messages, input messages JSON ${messagesJson.length} chars; CPU µs per op):`,
)
time('JSON.stringify(messages) (one pass)', () => JSON.stringify(prompts.long.messages))
time('promptJson + .json (convert.ts: isPlain, pieces, join)', () => {
  const j = promptJson(prompt, new Budget(1e9))
  return j.messages.json.length
})
time('JsonText.escaped() (the form the encoder writes)', () => json.messages.escaped())
// The same history with a newline per sentence, as most chats have: its texts need escaping.
const lines = prompt.map((message) =>
  Array.isArray(message.content)
    ? {
        ...message,
        content: message.content.map((part) =>
          part.type === 'text' ? { ...part, text: part.text.replaceAll('. ', '.\n') } : part,
        ),
      }
    : message,
)
const linesJson = promptJson(lines, new Budget(1e9))
time('promptJson + .json, a newline per sentence', () => {
  const j = promptJson(lines, new Budget(1e9))
  return j.messages.json.length
})
time('JsonText.escaped(), a newline per sentence', () => linesJson.messages.escaped())
time('redactSecretsInText(input messages JSON) (span-end scrub)', () =>
  redactSecretsInText(messagesJson),
)
time('every string attribute of the LLM span, scrubbed', () => {
  for (const key in llm.attributes) {
    const value = llm.attributes[key]
    if (typeof value === 'string') redactSecretsInText(value)
  }
})
time('OTLP JSON encode of the call span + LLM span', () =>
  encodeOtlpTracesBytes(spans, undefined, writer),
)
const body = encodeOtlpTracesBytes(spans, undefined, writer)
console.log(`  (body ${body.length} bytes for the 2 spans)`)
const controller = new AbortController()
const exportOnce = async (n) => {
  const start = process.cpuUsage()
  for (let i = 0; i < n; i++) await otlp.export(spans, controller.signal)
  return cpuSince(start) / n
}
await exportOnce(200)
const exportUs = median([await exportOnce(300), await exportOnce(300), await exportOnce(300)])
console.log(
  `  ${'export of those 2 spans alone (encode + request + answer)'.padEnd(58)} ${exportUs.toFixed(2).padStart(7)} µs  (one request per 2 spans; the bench batches)`,
)
sink.close()
process.exit(0)
