// Bytes allocated per generateText (KIND=stream: streamText) call, by function: V8's sampling heap profiler with the objects
// the garbage collector already took counted too. Unlike time, this does not move with the load on
// the machine, so it compares builds on a busy box.
//   node src/alloc-profile.mjs <contender> <traced|hooks|baseline> [calls] [short|long]
// `hooks` is the untraced call with a telemetry integration whose callbacks do nothing, on the
// hooks Tokentrail registers: what the AI SDK itself allocates to dispatch events to them
// (HOOKS=a,b keeps only those).
import { Session } from 'node:inspector/promises'
import { callRunner, createModel, noopHooksFromEnv, prompts } from './model.mjs'
import { startSink } from './sink.mjs'

const [id = 'tokentrail', which = 'traced', n = '5000', promptName = 'short'] =
  process.argv.slice(2)
const top = Number(process.env.TOP ?? 40)
const sink = await startSink()
const c = await (await import(`./contenders/${id}.mjs`)).setup({ url: sink.url })
// HOOKS=onStepStart,onEnd keeps only those of the no-op hooks (what each one costs, by difference).
const hooks = noopHooksFromEnv()
const s =
  which === 'traced'
    ? c
    : which === 'hooks'
      ? { ...c.baseline, options: { telemetry: { integrations: [hooks] } } }
      : c.baseline
const model = s.model(createModel({}))
const options = { ...prompts[promptName], ...s.options }
// KIND=stream: streamText calls read to their end instead. Flushed as the bench flushes: the queue
// never fills.
const stream = process.env.KIND === 'stream'
const calls = callRunner(s, model, options, (i) => (i % 1000 === 999 ? c.flush() : undefined))
const run = async (k) => {
  await calls(k)
  await c.flush()
}
await run(5000)
const session = new Session()
session.connect()
await session.post('HeapProfiler.startSampling', {
  samplingInterval: 256,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: true,
})
await run(Number(n))
const { profile } = await session.post('HeapProfiler.stopSampling')
const self = new Map()
let total = 0
const add = (key, bytes) => self.set(key, (self.get(key) ?? 0) + bytes)
const walk = (node) => {
  const { url, functionName, lineNumber } = node.callFrame
  const ours = url.match(/packages\/([^/]+)\/dist\/(.*)/)
  const dep = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\/dist/)
  const pkg = ours
    ? `@tokentrail/${ours[1]}`
    : dep
      ? dep[1]
      : url.startsWith('node:')
        ? 'node'
        : url.includes('/bench/')
          ? 'bench (the sink)'
          : '(builtins)'
  total += node.selfSize
  add(`package ${pkg}`, node.selfSize)
  add(
    `${functionName || '(anonymous)'} ${ours ? `${ours[1]}/${ours[2]}` : pkg}:${lineNumber + 1}`,
    node.selfSize,
  )
  for (const child of node.children) walk(child)
}
walk(profile.head)
console.log(
  `${id} ${which} ${promptName}${stream ? ' streamText' : ''}: ${(total / Number(n)).toFixed(0)} bytes allocated per call`,
)
for (const [key, bytes] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top))
  console.log(`${(bytes / Number(n)).toFixed(0).padStart(8)}  ${key}`)
await sink.close()
process.exit(0)
