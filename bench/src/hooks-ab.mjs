// CPU µs per call of the AI SDK's dispatch to a telemetry integration, hook by hook, in one
// process: blocks of calls with each variant interleaved (A B B A …), CPU time per block
// (process.cpuUsage), medians and min–max over the blocks.
//   node src/hooks-ab.mjs <hooks|traced> <generate|stream> <variant> <variant> … [--blocks 12 --calls 1500]
// A variant is a comma-separated list of hook names (`-` for none, `all` for every one of the
// mode's; in `traced` mode also `without:a,b`, and `plain`: all, as plain properties, no getters). `hooks`: an untraced call with no-op hooks, what the SDK spends dispatching to them.
// `traced`: the traced call with Tokentrail's own integration (per call, `telemetry.integrations`)
// keeping only the hooks named.
import { setImmediate as yieldToLoop } from 'node:timers/promises'
import { tokentrailTelemetry } from '@tokentrail/ai-sdk'
import { createModel, noopHooks, prompts } from './model.mjs'
import { startSink } from './sink.mjs'

const args = process.argv.slice(2)
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`)
  if (i === -1) return fallback
  const value = Number(args[i + 1])
  args.splice(i, 2)
  return value
}
const blocks = flag('blocks', 12)
const calls = flag('calls', 1500)
const [mode = 'hooks', kind = 'generate', ...variants] = args
const sink = await startSink()
const c = await (await import('./contenders/tokentrail.mjs')).setup({ url: sink.url })
const hooks = noopHooks()
function integration(names) {
  if (mode === 'hooks') {
    const all = Object.keys(hooks)
    const keep = names === 'all' ? all : names === '-' ? [] : names.split(',')
    return Object.fromEntries(keep.map((key) => [key, hooks[key]]))
  }
  const made = tokentrailTelemetry()
  if (names === 'all') return made
  // `plain`: every handler read once here and kept as a plain property (no getters).
  if (names === 'plain') return Object.fromEntries(Object.keys(made).map((key) => [key, made[key]]))
  // `without:a,b`: every hook but those.
  const without = names.startsWith('without:')
  const listed = new Set((without ? names.slice(8) : names).split(',').filter((n) => n !== '-'))
  for (const key of Object.keys(made)) if (listed.has(key) === without) delete made[key]
  return made
}
const s = mode === 'traced' ? c : c.baseline
const model = s.model(createModel({}))
const runs = variants.map((names) => ({
  names,
  options: { ...prompts.short, telemetry: { integrations: [integration(names)] } },
  us: [],
}))
const one =
  kind === 'stream'
    ? async (options) => {
        const result = s.streamText({ model, ...options })
        for await (const _ of result.textStream);
      }
    : (options) => s.generateText({ model, ...options })
const block = async (run, k) => {
  const before = process.cpuUsage()
  for (let i = 0; i < k; i++) {
    await one(run.options)
    if (i % 50 === 49) await yieldToLoop()
  }
  const used = process.cpuUsage(before)
  await c.flush()
  return (used.user + used.system) / k
}
for (const run of runs) await block(run, Math.min(3000, calls * 2))
for (let b = 0; b < blocks; b++) {
  const order = b % 2 === 0 ? runs : [...runs].reverse()
  for (const run of order) run.us.push(await block(run, calls))
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const base = median(runs[0].us)
console.log(`${mode} ${kind}: ${blocks} blocks × ${calls} calls per variant, CPU µs per call`)
for (const run of runs) {
  const m = median(run.us)
  console.log(
    `${m.toFixed(2).padStart(8)}  (${Math.min(...run.us).toFixed(2)}–${Math.max(...run.us).toFixed(2)})  Δ ${(m - base).toFixed(2).padStart(6)}  ${run.names}`,
  )
}
await sink.close()
process.exit(0)
