// What the young-generation GC copies and promotes per call: each traced call's objects that are
// still reachable when a scavenge runs are copied, and promoted to the old generation on their
// second one (a mark-compact then has to sweep them). Counted from V8's own GC trace
// (--trace-gc-nvp), over the measured calls only, which does not move with the load on the machine.
//   node src/gc-promoted.mjs [contender] [short|long] [calls] [traced|baseline]
// KIND=stream: streamText calls read to their end instead. GC_FLAGS='--flag …' passes V8 flags to
// the child (e.g. --no-allocation-site-pretenuring). CPU_PROF=<dir> also writes the
// child's --cpu-prof there.
// Runs the calls in a child process (the sink stays in this one, so its parsing is not counted),
// warm-up first, yielding to the event loop every 50 calls as the bench's loop does.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { callRunner, createModel, prompts } from './model.mjs'

const START = 'gc-promoted: start'
const END = 'gc-promoted: end'

if (process.env.GC_PROMOTED_CHILD) {
  const [id, prompt, n, which] = process.argv.slice(2)
  const c = await (await import(`./contenders/${id}.mjs`)).setup({ url: process.env.SINK_URL })
  const s = which === 'baseline' ? c.baseline : c
  const model = s.model(createModel({ chunks: 8 }))
  const calls = callRunner(s, model, { ...prompts[prompt], ...s.options })
  await calls(3000)
  await c.flush?.()
  console.log(START)
  const cpu = process.cpuUsage()
  await calls(Number(n))
  const used = process.cpuUsage(cpu)
  console.log(END)
  console.log(JSON.stringify({ cpuPerCall: (used.user + used.system) / Number(n) }))
  await c.flush?.()
  process.exit(0)
}

const [id = 'tokentrail', prompt = 'long', n = '10000', which = 'traced'] = process.argv.slice(2)
const { startSink } = await import('./sink.mjs')
const sink = await startSink()
const child = spawn(
  process.execPath,
  [
    '--trace-gc-nvp',
    ...(process.env.GC_FLAGS ? process.env.GC_FLAGS.split(' ') : []),
    ...(process.env.CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.CPU_PROF}`] : []),
    fileURLToPath(import.meta.url),
    id,
    prompt,
    n,
    which,
  ],
  {
    env: { ...process.env, GC_PROMOTED_CHILD: '1', SINK_URL: sink.url },
    stdio: ['ignore', 'pipe', 'inherit'],
  },
)
let out = ''
child.stdout.setEncoding('utf8').on('data', (text) => (out += text))
await new Promise((resolve) => child.on('close', resolve))
await sink.close()
let on = false
const gc = { scavenges: 0, scavengeMs: 0, promoted: 0, survived: 0, fullGcs: 0, fullGcMs: 0 }
let result
for (const line of out.split('\n')) {
  if (line === START) on = true
  else if (line === END) on = false
  else if (line.startsWith('{')) result = JSON.parse(line)
  else if (on && line.includes('gc=')) {
    const f = Object.fromEntries([...line.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1], m[2]]))
    if (f.gc === 's') {
      gc.scavenges++
      gc.scavengeMs += Number(f.pause)
      gc.promoted += Number(f.promoted)
      gc.survived += Number(f.new_space_survived)
    } else {
      gc.fullGcs++
      gc.fullGcMs += Number(f.pause)
    }
  }
}
const per = (x) => x / Number(n)
console.log(
  `${id} ${which} ${prompt}${process.env.KIND === 'stream' ? ' streamText' : ''}, ${n} calls: promoted ${(per(gc.promoted) / 1024).toFixed(2)} KB per call, ` +
    `copied ${(per(gc.survived) / 1024).toFixed(2)} KB, scavenges ${gc.scavenges} (${per(gc.scavengeMs * 1000).toFixed(1)} µs per call), ` +
    `full GCs ${gc.fullGcs} (${per(gc.fullGcMs * 1000).toFixed(1)} µs per call), CPU ${result?.cpuPerCall.toFixed(0)} µs per call`,
)
