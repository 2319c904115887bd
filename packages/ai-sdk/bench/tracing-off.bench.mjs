// What an AI SDK call costs when Tokentrail is installed but tracing is off, against the same call
// with no Tokentrail at all. Real generateText of ai@7 over the bench's zero-latency model, CPU µs
// per call (process.cpuUsage), both sides warmed up, then interleaved blocks in one process.
// "empty" is the same model wrapped with a middleware that does nothing: the floor of wrapping.
// Usage: node tracing-off.bench.mjs <repoRoot>[,<repoRoot>...] [processes=6] [calls=24000] [how=env|option|unset]
//   how: env = OTEL_SDK_DISABLED=true; option = tracingMiddleware({ tracer: createTracer({ enabled: false }) });
//        unset = nothing configured (getTracer() is the no-op tracer that has no exporter).
// Each process runs one checkout; checkouts alternate (A B, then B A, ...). Prints per process and medians.
import { spawn } from 'node:child_process'
import { loadavg } from 'node:os'
import { fileURLToPath, pathToFileURL } from 'node:url'

const [dirsArg, procsArg = '6', callsArg = '24000', how = 'env', child] = process.argv.slice(2)

if (child === 'child') {
  const dir = dirsArg
  const calls = Number(callsArg)
  const load = (path) => import(pathToFileURL(`${dir}/bench/node_modules/${path}`).href)
  const { generateText, wrapLanguageModel } = await load('ai/dist/index.js')
  const { tracingMiddleware } = await load('@tokentrail/ai-sdk/dist/index.js')
  const { createTracer } = await load('@tokentrail/core/dist/index.js')
  const { createModel, PROMPT } = await import(pathToFileURL(`${dir}/bench/src/model.mjs`).href)
  const middleware =
    how === 'option'
      ? tracingMiddleware({ tracer: createTracer({ enabled: false }) })
      : tracingMiddleware()
  const sides = {
    none: { model: createModel(), options: { telemetry: { integrations: [] } } },
    // The floor of wrapping: the AI SDK's wrapLanguageModel with a middleware that does nothing.
    empty: {
      model: wrapLanguageModel({
        model: createModel(),
        middleware: { specificationVersion: 'v4' },
      }),
      options: { telemetry: { integrations: [] } },
    },
    off: { model: wrapLanguageModel({ model: createModel(), middleware }), options: {} },
  }
  const run = async (side, n) => {
    for (let i = 0; i < n; i++) {
      const result = await generateText({ model: side.model, ...PROMPT, ...side.options })
      if (result.text.length === 0) throw new Error('no text')
      if (i % 50 === 49) await new Promise((resolve) => setImmediate(resolve))
    }
  }
  const block = Math.round(calls / 8)
  for (let i = 0; i < 2; i++) for (const side of Object.values(sides)) await run(side, block)
  const cpu = { none: 0, empty: 0, off: 0 }
  // Four blocks per side, each side in every position once or more: drift within the process cancels out.
  const rounds = [
    ['none', 'empty', 'off'],
    ['off', 'empty', 'none'],
    ['empty', 'off', 'none'],
    ['none', 'off', 'empty'],
  ]
  for (const name of rounds.flat()) {
    const start = process.cpuUsage()
    await run(sides[name], block)
    const used = process.cpuUsage(start)
    cpu[name] += used.user + used.system
  }
  const perCall = block * 4
  console.log(
    JSON.stringify({
      none: cpu.none / perCall,
      empty: cpu.empty / perCall,
      off: cpu.off / perCall,
    }),
  )
  process.exit(0)
}

const dirs = dirsArg.split(',')
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const rows = Object.fromEntries(
  dirs.map((d) => [d, { none: [], empty: [], off: [], added: [], overEmpty: [] }]),
)
const env = { ...process.env }
delete env.OTEL_EXPORTER_OTLP_ENDPOINT
delete env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
if (how === 'env') env.OTEL_SDK_DISABLED = 'true'
const runOne = (dir) =>
  new Promise((resolve, reject) => {
    const proc = spawn(
      `${dir}/node_modules/node/bin/node`,
      [fileURLToPath(import.meta.url), dir, '1', callsArg, how, 'child'],
      { env, stdio: ['ignore', 'pipe', 'inherit'] },
    )
    let out = ''
    proc.stdout.on('data', (d) => (out += d))
    proc.on('close', () => {
      try {
        resolve(JSON.parse(out.trim().split('\n').at(-1)))
      } catch {
        reject(new Error(out))
      }
    })
  })
for (let p = 0; p < Number(procsArg); p++)
  for (const dir of p % 2 ? [...dirs].reverse() : dirs) {
    const r = await runOne(dir)
    rows[dir].none.push(r.none)
    rows[dir].off.push(r.off)
    rows[dir].empty.push(r.empty)
    rows[dir].added.push(r.off - r.none)
    rows[dir].overEmpty.push(r.off - r.empty)
    process.stderr.write(
      `${dir}: none ${r.none.toFixed(1)} empty ${r.empty.toFixed(1)} off ${r.off.toFixed(1)}\n`,
    )
  }
for (const dir of dirs) {
  const r = rows[dir]
  const list = (xs) => xs.map((x) => x.toFixed(1)).join(' ')
  console.log(
    `${dir} (${how}): CPU µs per call, median none ${med(r.none).toFixed(1)} / empty middleware ${med(r.empty).toFixed(1)} / off ${med(r.off).toFixed(1)}; ` +
      `off − none ${med(r.added).toFixed(1)} (per process ${list(r.added)}); ` +
      `off − empty ${med(r.overEmpty).toFixed(1)} (per process ${list(r.overEmpty)}); load ${loadavg()[0].toFixed(1)}`,
  )
}
