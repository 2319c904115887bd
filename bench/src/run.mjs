// Tokentrail side by side with the alternatives, in one run, on one machine.
//   node src/run.mjs            full size; writes results/latest.md
//   node src/run.mjs --small    small size (CI); writes nothing unless --write
//   node src/run.mjs --readme   also puts the table into the root README (between bench markers)
//   node src/run.mjs --only tokentrail,ai-sdk-otel   a subset of contenders
// Every contender runs in its own child process per task (Node flags: --expose-gc). It is a
// benchmark: it prints figures and says which targets are met, it asserts nothing.
import { execFileSync, spawn } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import { CONTENDERS } from './contenders.mjs'
import { tryWithTracing } from './posthog-with-tracing.mjs'
import { closedPortUrl, startSink } from './sink.mjs'
import { bundleSize, ENTRIES, entrySize } from './size.mjs'

if (Number(process.versions.node.split('.')[0]) < 22) {
  console.error(
    `bench: needs Node ≥ 22 (ai@7 declares engines.node >=22), this is ${process.version}. Run it through pnpm (the workspace brings Node 22 as a devDependency).`,
  )
  process.exit(1)
}

const args = process.argv.slice(2)
const small = args.includes('--small')
const write = args.includes('--write') || !small
const onlyIndex = args.indexOf('--only')
const only = onlyIndex >= 0 ? new Set(['none', ...args[onlyIndex + 1].split(',')]) : undefined
const contenders = CONTENDERS.filter((c) => !only || only.has(c.id))
// `--tasks overhead,export`: measure only these (the other rows print —); all by default.
const tasksIndex = args.indexOf('--tasks')
const onlyTasks = tasksIndex >= 0 ? new Set(args[tasksIndex + 1].split(',')) : undefined

// Each measurement is one child process; a row's figure is the median of `repeats` of them,
// run round-robin across the contenders so that a burst of load on the machine hits all alike.
const SIZE = small
  ? {
      overhead: { calls: 800, warmup: 400, repeats: 1 },
      stream: { chunks: 2_000, blocks: 2, warmup: 2_000, repeats: 1 },
      ttft: { samples: 50, streams: 10, repeats: 1 },
      memory: { calls: 500, repeats: 1 },
      export: { calls: 500, repeats: 1 },
      timeoutMs: 60_000,
    }
  : {
      // 60k calls: at 20k, Node 24's CPU noise floor spread ±25 µs (GC helper threads land
      // unevenly in short blocks); at 60k it reads within ±3 µs on both versions.
      overhead: { calls: 60_000, warmup: 24_000, repeats: 3 },
      // 8 answers of 25k chunks per side after 100k of warm-up, 5 processes: with 2 of 100k after
      // 10k, 3 processes (until 2026-12-06), the untraced-vs-untraced floor swung ±15 % between runs.
      stream: { chunks: 25_000, blocks: 8, warmup: 100_000, repeats: 5 },
      // Time to first chunk: 5,000 warm-up pairs per prompt size; with 1,000 (until 2026-12-05) the
      // short prompt's added time was read while it still fell (Node 22: +45–61 µs over the first
      // 2,000 pairs, about +28 from ~4,000 on; src/ttft-warmup.mjs prints the curve).
      ttft: { samples: 1_000, warmup: 5_000, streams: 200, repeats: 3 },
      // 5,000 warm-up calls before the count starts: after 1,000 (until 2026-12-06), with the
      // exporter down, Tokentrail's queue (two spans a call) had not reached its cap while
      // @ai-sdk/otel's (three) had, so the row counted Tokentrail filling its bounded queue.
      memory: { calls: 50_000, warmup: 5_000, repeats: 2 },
      export: { calls: 10_000, repeats: 3 },
      timeoutMs: 900_000,
    }

const benchDir = fileURLToPath(new URL('..', import.meta.url))
// Child processes run on Node 22 (the workspace's `node` devDependency) and, for the per-call
// rows, Node 24 (this package's `node24` devDependency, `npm:node@24`).
const NODES = {
  22: process.versions.node.startsWith('22.')
    ? process.execPath
    : fileURLToPath(new URL('../../node_modules/node/bin/node', import.meta.url)),
  24: process.versions.node.startsWith('24.')
    ? process.execPath
    : fileURLToPath(new URL('../node_modules/node24/bin/node', import.meta.url)),
}
const nodeVersions = {}
for (const [major, path] of Object.entries(NODES)) {
  try {
    nodeVersions[major] = execFileSync(path, ['--version'], { encoding: 'utf8' }).trim()
    if (!nodeVersions[major].startsWith(`v${major}.`))
      throw new Error(`${path} is ${nodeVersions[major]}`)
  } catch (error) {
    console.error(
      `bench: no Node ${major} at ${path} (${error.message}); run \`pnpm install\` at the root.`,
    )
    process.exit(1)
  }
}
const workerPath = fileURLToPath(new URL('./worker.mjs', import.meta.url))

const sorted = (xs) => [...xs].sort((a, b) => a - b)
const median = (xs) => sorted(xs)[Math.floor(xs.length / 2)]
const stat = (xs) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs) })
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Runs one contender's task in a child process; resolves with its JSON result or { error }.
 * `onMark` is called when the worker says its warm-up is over.
 */
function runWorker(contenderId, task, options, sinkUrl, onMark, node = '22') {
  return new Promise((resolve) => {
    const child = spawn(
      NODES[node],
      ['--expose-gc', workerPath, contenderId, task, JSON.stringify(options)],
      {
        cwd: benchDir,
        env: { ...process.env, SINK_URL: sinkUrl },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (data) => {
      stdout += data
      if (stdout.includes('{"mark":true}\n')) {
        stdout = stdout.replace('{"mark":true}\n', '')
        onMark?.()
      }
    })
    child.stderr.on('data', (data) => {
      stderr += data
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), SIZE.timeoutMs)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const line = stdout.trim().split('\n').at(-1)
      try {
        resolve(JSON.parse(line))
      } catch {
        const why = signal ? `killed (${signal}) after ${SIZE.timeoutMs / 1000} s` : `exit ${code}`
        resolve({ error: `${why}: ${(stderr || stdout).trim().slice(-500)}` })
      }
    })
  })
}

const progress = (text) => process.stderr.write(`  ${text}\n`)
// results[task][contenderId] = { values: [...], runs: [worker results with sink deltas], error? }
const results = {}

// `task` names the results entry; the worker task is the part before any `-` or `@`, and `@24`
// runs it on Node 24.
async function measure(task, { repeats, ...options }, sink, url = sink.url) {
  if (onlyTasks && !onlyTasks.has(task.replace(/[-@].*/, ''))) return
  const node = task.includes('@') ? task.split('@')[1] : '22'
  results[task] ??= {}
  for (let repeat = 0; repeat < repeats; repeat++)
    for (const c of contenders) {
      const entry = (results[task][c.id] ??= { values: [], runs: [] })
      if (entry.error) continue
      sink.reset()
      let from = { ...sink.stats }
      const started = performance.now()
      const result = await runWorker(
        c.id,
        task.replace(/[-@].*/, ''),
        { ...options, repeat },
        url,
        () => {
          from = { ...sink.stats }
        },
        node,
      )
      await sleep(50) // the sink counts each body just after answering it
      result.sink = {
        spans: sink.stats.spans - from.spans,
        bytes: sink.stats.bytes - from.bytes,
        requests: sink.stats.requests - from.requests,
      }
      if (result.error) entry.error = result.error
      else {
        entry.values.push(result.value)
        entry.runs.push(result)
      }
      progress(
        `${task} ${repeat + 1}/${repeats} ${c.id}: ${result.error ? `ERROR ${result.error.split('\n')[0]}` : 'done'} (${((performance.now() - started) / 1000).toFixed(1)} s)`,
      )
    }
}

const began = performance.now()
process.stderr.write(`tokentrail bench (${small ? 'small' : 'full'} size)\n`)
const sink = await startSink()
const downUrl = await closedPortUrl()
const withTracingError = contenders.some((c) => c.id === 'posthog')
  ? await tryWithTracing(sink.url)
  : undefined

await measure('overhead', SIZE.overhead, sink)
await measure('overhead@24', SIZE.overhead, sink)
await measure('ttft', SIZE.ttft, sink)
// At the small size, Node 24 runs the per-call task only (CI time); the full size runs both.
if (!small) await measure('ttft@24', SIZE.ttft, sink)
await measure('stream', SIZE.stream, sink)
await measure('memory', SIZE.memory, sink)
await measure('memory-down', { ...SIZE.memory, down: true }, sink, downUrl)
await measure('export', SIZE.export, sink)
const sizes = {}
const sizeOrError = async (size) => {
  try {
    return await size()
  } catch (error) {
    return { error: String(error?.message ?? error).split('\n')[0] }
  }
}
for (const c of contenders) sizes[c.id] = await sizeOrError(() => bundleSize(c.id))
const entrySizes = {}
for (const id of Object.keys(ENTRIES)) entrySizes[id] = await sizeOrError(() => entrySize(id))
await sink.close()

// ---- figures -------------------------------------------------------------------------------

const f = (n, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '—')
const ok = (task, id) => results[task]?.[id]?.values.length > 0 && !results[task][id].error
const errorCell = (task, id) => {
  const error = results[task]?.[id]?.error
  return error ? `failed: ${error.split('\n')[0].slice(0, 120)}` : '—'
}

const figures = {} // figures[id] = numbers used by the table and the targets
// Paired figures: each process measured the contender and its untraced baseline side by side.
const pairedOf = (runs) => ({
  traced: stat(runs.map((r) => r.value)),
  baseline: stat(runs.map((r) => r.baseline)),
  added: stat(runs.map((r) => r.value - r.baseline)),
  ratio: stat(runs.map((r) => r.value / r.baseline)),
})
const paired = (task, id) => pairedOf(results[task][id].runs)
// Per-call cost of one prompt size: wall and CPU µs, and the CPU added in units of one
// JSON.stringify of that prompt ("passes over the prompt text").
const perCall = (task, id, prompt) => {
  const runs = results[task][id].runs.map((r) => r.byPrompt[prompt])
  return {
    wall: pairedOf(runs),
    cpu: pairedOf(runs.map((r) => ({ value: r.cpu, baseline: r.cpuBaseline }))),
    passes: stat(runs.map((r) => (r.cpu - r.cpuBaseline) / r.stringifyUs)),
  }
}
const PROMPT_SIZES = { short: '1 message', long: '50 messages / 20 KB' }
const taskOn = (task, node) => (node === '22' ? task : `${task}@${node}`)
for (const c of contenders) {
  const x = (figures[c.id] = {})
  for (const node of ['22', '24']) {
    const overheadTask = taskOn('overhead', node)
    const ttftTask = taskOn('ttft', node)
    for (const prompt of Object.keys(PROMPT_SIZES)) {
      if (ok(overheadTask, c.id)) x[`call${node}${prompt}`] = perCall(overheadTask, c.id, prompt)
      if (ok(ttftTask, c.id))
        x[`ttft${node}${prompt}`] = pairedOf(
          results[ttftTask][c.id].runs.map((r) => r.byPrompt[prompt]),
        )
    }
    if (ok(ttftTask, c.id))
      x[`open${node}`] = pairedOf(results[ttftTask][c.id].runs.map((r) => r.openStream))
  }
  if (ok('stream', c.id)) {
    x.stream = paired('stream', c.id)
    const runs = results.stream[c.id].runs
    // CPU µs per chunk (older results have none).
    if (runs.every((r) => r.cpu !== undefined))
      x.streamCpu = pairedOf(runs.map((r) => ({ value: r.cpu, baseline: r.cpuBaseline })))
  }
  if (ok('memory', c.id)) x.memory = stat(results.memory[c.id].values)
  if (ok('memory-down', c.id)) x.memoryDown = stat(results['memory-down'][c.id].values)
  if (ok('export', c.id)) {
    const runs = results.export[c.id].runs
    x.export = stat(runs.map((r) => r.sink.spans / r.value))
    const calls = runs.reduce((sum, r) => sum + r.calls, 0)
    x.spansPerCall = runs.reduce((sum, r) => sum + r.sink.spans, 0) / calls
    x.bytesPerCall = runs.reduce((sum, r) => sum + r.sink.bytes, 0) / calls
  }
  if (sizes[c.id] && !sizes[c.id].error) x.size = sizes[c.id]
}
const traced = contenders.filter((c) => c.id !== 'none')

// Per row: the value to rank by and whether lower is better.
const range = (x, digits = 1, scale = 1, sign = '') => {
  const n = (v) => `${sign && v >= 0 ? '+' : ''}${f(v / scale, digits)}`
  return `${n(x.median)} (${n(x.min)} to ${n(x.max)})`
}
const perCallRows = []
for (const node of ['22', '24'])
  for (const [prompt, label] of Object.entries(PROMPT_SIZES)) {
    const key = `call${node}${prompt}`
    const task = taskOn('overhead', node)
    const what = `generateText, ${label}, Node ${node}`
    if (node === '22')
      perCallRows.push({
        key: `${key}Wall`,
        task,
        title: `${what}: µs per call, wall (min–max)`,
        cell: (x) => x[key] && range(x[key].wall.traced),
      })
    perCallRows.push(
      {
        key: `${key}WallAdded`,
        task,
        title: `${what}: wall µs added per call (× untraced)`,
        value: (x) => x[key]?.wall.added.median,
        lower: true,
        noise: 10, // µs: well inside the No tracing column's spread
        cell: (x) =>
          x[key] && `${range(x[key].wall.added, 1, 1, '+')} ${f(x[key].wall.ratio.median, 2)}×`,
      },
      {
        key: `${key}CpuAdded`,
        task,
        title: `${what}: CPU µs added per call (× untraced)${prompt === 'long' ? ' · in passes of JSON.stringify(prompt)' : ''}`,
        value: (x) => x[key]?.cpu.added.median,
        lower: true,
        noise: 10,
        cell: (x) =>
          x[key] &&
          `${range(x[key].cpu.added, 1, 1, '+')} ${f(x[key].cpu.ratio.median, 2)}×${prompt === 'long' ? ` · ${f(x[key].passes.median)}` : ''}`,
      },
    )
  }
const ttftRows = []
for (const node of ['22', '24']) {
  const task = taskOn('ttft', node)
  if (node === '22')
    ttftRows.push({
      key: 'ttft22short',
      task,
      title: 'time to first chunk, 1 message, Node 22: µs (min–max)',
      cell: (x) => x.ttft22short && range(x.ttft22short.traced),
    })
  for (const [prompt, label] of Object.entries(PROMPT_SIZES)) {
    const key = `ttft${node}${prompt}`
    ttftRows.push({
      key: `${key}Added`,
      task,
      title: `time to first chunk, ${label}, Node ${node}: µs added (min–max)`,
      value: (x) => x[key]?.added.median,
      lower: true,
      noise: 5,
      cell: (x) => x[key] && range(x[key].added, 1, 1, '+'),
    })
  }
  if (node === '22')
    ttftRows.push({
      key: 'open22',
      task,
      title: 'heap held per open stream, 50 messages / 20 KB, Node 22: KB added (min–max)',
      value: (x) => x.open22?.added.median,
      lower: true,
      noise: 1, // KB
      cell: (x) => x.open22 && range(x.open22.added, 1, 1, '+'),
    })
}
const SIZE_UNITS = 'min+gzip KB at start-up (minified KB) + later · one file · Rolldown'
const kb = (bytes) => f(bytes / 1024)
/** A size as printed: esbuild split start-up and later chunks, one file, Rolldown split. */
const sizeCell = (size) =>
  `${kb(size.gzip)} (${kb(size.minified)}) + ${kb(size.later.gzip)} later · one file ${kb(size.oneFile.gzip)} · Rolldown ${kb(size.rolldown.gzip)} + ${kb(size.rolldown.later.gzip)} later`

const ROWS = [
  ...perCallRows,
  ...ttftRows,
  {
    key: 'stream',
    task: 'stream',
    title: `streamText, ${SIZE.stream.blocks} × ${SIZE.stream.chunks / 1000}k-chunk answers per side: k chunks/s (min–max)`,
    cell: (x) => x.stream && range(x.stream.traced, 1, 1000),
  },
  {
    key: 'streamRatio',
    task: 'stream',
    title: 'streamText: throughput traced ÷ untraced (min–max)',
    value: (x) => x.stream?.ratio.median,
    lower: false,
    noise: 0.05,
    cell: (x) => x.stream && range(x.stream.ratio, 3),
  },
  {
    // Printed, not ranked: the same answers in CPU time (all threads), which leaves out what the
    // machine gave other processes; the ranked row above is wall time.
    key: 'streamCpu',
    task: 'stream',
    title: 'streamText: CPU µs per chunk added, traced − untraced (min–max)',
    cell: (x) => x.streamCpu && range(x.streamCpu.added, 2, 1, '+'),
  },
  {
    key: 'memory',
    task: 'memory',
    title: `retained heap and buffers after ${SIZE.memory.calls.toLocaleString('en')} calls, sink answering: MB (min–max)`,
    value: (x) => x.memory?.median,
    lower: true,
    noise: 1, // MB
    cell: (x) => x.memory && range(x.memory),
  },
  {
    key: 'memoryDown',
    task: 'memory-down',
    title: `retained heap and buffers after ${SIZE.memory.calls.toLocaleString('en')} calls, exporter down: MB (min–max)`,
    value: (x) => x.memoryDown?.median,
    lower: true,
    noise: 1,
    cell: (x) => x.memoryDown && range(x.memoryDown),
  },
  {
    key: 'export',
    task: 'export',
    title: 'export: k spans/s delivered to the sink, sustained (min–max)',
    // Printed, not ranked: the contenders make different numbers of spans for one call (Tokentrail
    // two, @ai-sdk/otel three), so spans/s would rank a tracer up for splitting a call into more
    // spans. The calls/s row below, the same runs per call, is the ranked one.
    cell: (x) => x.export && range(x.export, 1, 1000),
  },
  {
    key: 'exportCalls',
    task: 'export',
    title: 'export: k LLM calls/s delivered (spans per call)',
    value: (x) => x.export && x.export.median / x.spansPerCall,
    lower: false,
    noise: 0.05,
    relative: true,
    cell: (x) =>
      x.export && `${f(x.export.median / x.spansPerCall / 1000)} (${f(x.spansPerCall, 2)})`,
  },
  {
    key: 'bytes',
    task: 'export',
    title: 'export: bytes sent per call',
    value: (x) => x.bytesPerCall,
    lower: true,
    noise: 0,
    cell: (x) =>
      x.bytesPerCall !== undefined && `${Math.round(x.bytesPerCall).toLocaleString('en')}`,
  },
  {
    key: 'size',
    title: `size, the setup below: ${SIZE_UNITS}`,
    value: (x) => x.size?.gzip,
    lower: true,
    noise: 0,
    cell: (x) => x.size && sizeCell(x.size),
  },
  // Tokentrail's other entry points a user may ship (no counterpart in the other columns).
  ...Object.entries(ENTRIES).map(([id, entry]) => ({
    key: `size-${id}`,
    title: `size, ${entry.title}: ${SIZE_UNITS}`,
    cell: (_x, c) =>
      c.id === 'tokentrail' &&
      (entrySizes[id].error
        ? `failed: ${entrySizes[id].error.slice(0, 120)}`
        : sizeCell(entrySizes[id])),
  })),
]

const best = {} // best[rowKey] = contender id with the best value among traced contenders
for (const row of ROWS) {
  if (!row.value) continue
  let bestId
  for (const c of traced) {
    const v = row.value(figures[c.id])
    if (v === undefined || !Number.isFinite(v)) continue
    const b = bestId && row.value(figures[bestId])
    if (!bestId || (row.lower ? v < b : v > b)) bestId = c.id
  }
  best[row.key] = bestId
}

const header = `| measure | ${contenders.map((c) => c.label).join(' | ')} |`
const lines = [header, `|---|${contenders.map(() => '---:').join('|')}|`]
for (const row of ROWS) {
  const cells = contenders.map((c) => {
    const text =
      row.cell(figures[c.id], c) ||
      (row.task
        ? errorCell(row.task, c.id)
        : row.key === 'size'
          ? (sizes[c.id]?.error ?? '—')
          : '—')
    return best[row.key] === c.id ? `**${text}**` : text
  })
  lines.push(`| ${row.title} | ${cells.join(' | ')} |`)
}
const table = lines.join('\n')

// ---- targets -------------------------------------------------------------------------------

const targets = []
const t = figures.tokentrail
const target = (name, met, detail) =>
  targets.push(`- ${met ? 'met' : '**missed**'}: ${name} — ${detail}`)
if (t) {
  // A contender beats Tokentrail on a row only by more than the row's noise tolerance.
  const margin = (r, ours, theirs) => {
    const gain = r.lower ? ours - theirs : theirs - ours
    return r.relative ? gain / Math.abs(ours) : gain
  }
  const lost = ROWS.filter((r) => {
    if (!r.value || !best[r.key] || best[r.key] === 'tokentrail') return false
    const ours = r.value(t)
    return ours === undefined || margin(r, ours, r.value(figures[best[r.key]])) > r.noise
  })
  const tied = ROWS.filter(
    (r) => r.value && best[r.key] && best[r.key] !== 'tokentrail' && !lost.includes(r),
  )
  target(
    'Tokentrail lowest (best) on every row',
    lost.length === 0,
    [
      lost.length === 0
        ? 'best among the tracers on every ranked row, or within noise of the best'
        : lost
            .map((r) => {
              const ours = r.value(t)
              const theirs = r.value(figures[best[r.key]])
              const label = contenders.find((c) => c.id === best[r.key]).label
              const by = r.lower ? `${f(ours - theirs, 2)} more` : `${f(theirs / ours, 2)}× less`
              return `${r.title}: ${label} ${f(theirs, 2)} vs Tokentrail ${f(ours, 2)} (Tokentrail ${by})`
            })
            .join('; '),
      ...(tied.length
        ? [
            `within noise of the best (${tied.map((r) => `${r.title}: ${contenders.find((c) => c.id === best[r.key]).label} ${f(r.value(figures[best[r.key]]), 2)} vs ${f(r.value(t), 2)}, tolerance ${r.noise}${r.relative ? ' relative' : ''}`).join('; ')})`,
          ]
        : []),
    ].join('; '),
  )
  if (t.stream) {
    const ratio = t.stream.ratio.median
    target(
      'streaming throughput ratio ≥ 0.95',
      ratio >= 0.95,
      `${f(ratio, 3)}${ratio < 0.95 ? ` (short by ${f(0.95 - ratio, 3)})` : ''}`,
    )
  }
  for (const node of ['22', '24']) {
    const ttfts = Object.keys(PROMPT_SIZES)
      .map((prompt) => [prompt, t[`ttft${node}${prompt}`]])
      .filter(([, x]) => x)
    if (ttfts.length) {
      const worst = Math.max(...ttfts.map(([, x]) => x.added.median))
      target(
        `added time to first chunk < 50 µs at any prompt size, Node ${node}`,
        worst < 50,
        ttfts.map(([prompt, x]) => `${PROMPT_SIZES[prompt]} +${f(x.added.median)} µs`).join(', '),
      )
    }
  }
  if (t.open22) {
    const kb = t.open22.added.median
    target(
      'heap held per open stream, 20 KB prompt ≤ 8 KB',
      kb <= 8,
      `+${f(kb)} KB${kb > 8 ? ` (over by ${f(kb - 8)} KB)` : ''}`,
    )
  }
  const otel = figures['ai-sdk-otel']
  for (const node of ['22', '24'])
    for (const [prompt, label] of Object.entries(PROMPT_SIZES)) {
      const ours = t[`call${node}${prompt}`]
      const theirs = otel?.[`call${node}${prompt}`]
      if (!ours || !theirs) continue
      const cpu = ours.cpu.added.median / theirs.cpu.added.median
      const wall = ours.wall.added.median / theirs.wall.added.median
      const passes = prompt === 'long' ? ours.passes.median : undefined
      target(
        `generateText, ${label}, Node ${node}: CPU added ≤ 0.30 of the AI SDK OpenTelemetry path${passes === undefined ? '' : ' and ≤ 1.5 passes over the prompt'}`,
        cpu <= 0.3 && (passes === undefined || passes <= 1.5),
        `CPU +${f(ours.cpu.added.median)} / +${f(theirs.cpu.added.median)} µs = ${f(cpu, 2)} (wall +${f(ours.wall.added.median)} / +${f(theirs.wall.added.median)} µs = ${f(wall, 2)})${passes === undefined ? '' : `, ${f(passes)} passes`}`,
      )
    }
  const sizeTargets = [
    ['createTracer + otlpExporter', entrySizes.core, 6],
    ['ai-sdk path (the setup below)', sizes.tokentrail, 10],
    ['next + ai-sdk', entrySizes.next, 12],
  ]
  // Met only when esbuild's start-up chunks fit: the stricter of the two split builds.
  for (const [name, size, kb] of sizeTargets)
    if (size && !size.error)
      target(
        `size, ${name} ≤ ${kb} KB min+gzip at start-up`,
        size.gzip / 1024 <= kb,
        `esbuild ${f(size.gzip / 1024, 2)} KB + ${f(size.later.gzip / 1024, 2)} KB later (one file ${f(size.oneFile.gzip / 1024, 2)} KB); Rolldown ${f(size.rolldown.gzip / 1024, 2)} KB + ${f(size.rolldown.later.gzip / 1024, 2)} KB later`,
      )
}

// The noise floor: the No tracing column compares untraced with untraced in the same way.
const noise = figures.none
const noiseFloor = noise
  ? ['22', '24']
      .flatMap((node) =>
        Object.entries(PROMPT_SIZES).map(([prompt, label]) => {
          const x = noise[`call${node}${prompt}`]
          return (
            x &&
            `${label}, Node ${node}: wall ${range(x.wall.added, 1, 1, '+')} µs, CPU ${range(x.cpu.added, 1, 1, '+')} µs`
          )
        }),
      )
      .concat(
        noise.stream && [
          `streamText: throughput ${range(noise.stream.ratio, 3)}${noise.streamCpu ? `, CPU ${range(noise.streamCpu.added, 2, 1, '+')} µs per chunk` : ''}`,
        ],
      )
      .filter(Boolean)
  : []

// ---- notes, machine, versions ----------------------------------------------------------------

const notes = []
if (withTracingError)
  notes.push(
    `PostHog \`withTracing\` (@posthog/ai) with an AI SDK 7 model throws: \`${withTracingError}\` — so the PostHog column is its OpenTelemetry path.`,
  )
for (const task of Object.keys(results))
  for (const c of contenders) {
    const error = results[task][c.id]?.error
    if (error) notes.push(`${c.label}, ${task}: failed: \`${error.split('\n')[0].slice(0, 300)}\``)
  }
// A traced side that dropped or failed spans did less export work than it should: its rows
// would flatter it. Said either way for the per-call rows.
for (const task of Object.keys(results)) {
  if (!/^(overhead|ttft)/.test(task)) continue
  const runs = results[task].tokentrail?.runs ?? []
  if (runs.length === 0 || !runs.every((run) => run.stats)) continue
  const sum = (pick) => runs.reduce((n, run) => n + pick(run.stats), 0)
  const dropped = sum((s) => s.dropped.queueFull + s.dropped.shutdown)
  const failed = sum((s) => s.failed + s.rejected)
  // Still queued or on the wire when the run ended: a flush that timed out (its result unread).
  const pending = sum((s) => (s.queued ?? 0) + (s.inflight ?? 0))
  notes.push(
    dropped + failed + pending === 0
      ? `Tokentrail, ${task}: every span of the measured calls was delivered (${sum((s) => s.exported).toLocaleString('en')} exported, 0 dropped, 0 failed).`
      : `Tokentrail, ${task}: **${dropped.toLocaleString('en')} spans dropped and ${failed.toLocaleString('en')} failed**${pending > 0 ? ` (${pending.toLocaleString('en')} more not delivered when the run ended)` : ''} in these runs: its rows leave out their export cost.`,
  )
}
const tt = results.export?.tokentrail?.runs.at(-1)?.stats
if (tt)
  notes.push(
    `Tokentrail tracer stats after the export run: exported ${tt.exported}, failed ${tt.failed}, dropped ${JSON.stringify(tt.dropped)}.`,
  )
const ttDown = results['memory-down']?.tokentrail?.runs.at(-1)?.stats
if (ttDown)
  notes.push(
    `Tokentrail with the exporter down: ${ttDown.dropped.queueFull.toLocaleString('en')} spans dropped on a full queue (counted in \`tracer.stats()\`), ${ttDown.queued} queued, ${ttDown.retried} retries.`,
  )

function version(name) {
  try {
    return JSON.parse(readFileSync(`${benchDir}/node_modules/${name}/package.json`, 'utf8')).version
  } catch {
    return '?'
  }
}
const packages = [...new Set(contenders.flatMap((c) => c.packages))]
const cpus = os.cpus()
const machine = `${cpus[0]?.model ?? 'unknown CPU'} × ${cpus.length}, ${f(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}`
const seconds = (performance.now() - began) / 1000

const report = [
  `Tokentrail side by side (${small ? 'small size, CI check' : 'full size'}), ${new Date().toISOString().slice(0, 10)}`,
  '',
  `Node ${nodeVersions[22]} and ${nodeVersions[24]} · ${machine} · ${f(seconds, 0)} s`,
  '',
  table,
  '',
  `Best traced value per ranked row in **bold**. "Added" and ratios compare each contender with its own untraced calls in the same process; the No tracing column compares untraced with untraced, so its "added" figures show the noise floor. ${small ? 'Small size: figures are noisy.' : ''}`,
  '',
  `**Noise floor** (No tracing: untraced vs untraced, measured the same way; a figure inside it is no difference): ${noiseFloor.join('; ') || '—'}.`,
  '',
  '**Targets**',
  '',
  ...targets,
  '',
  '**How it was measured**',
  '',
  `- Zero-latency AI SDK \`LanguageModelV4\` (answers from memory); the real \`generateText\`/\`streamText\` of ai@${version('ai')}; each contender in its own \`node --expose-gc\` process per task; exporters send to a local node:http sink on 127.0.0.1 that answers 200 at once.`,
  `- Each figure is the median of separate processes (min–max across them), run round-robin over the contenders; each process warms up first, then measures. Rows marked Node 24 run the same worker on Node ${nodeVersions[24]} (the bench's \`node24\` devDependency); all others on Node ${nodeVersions[22]}.`,
  `- generateText: ${SIZE.overhead.repeats} processes per Node version × ${SIZE.overhead.calls.toLocaleString('en')} measured calls per process (a quarter per prompt size per side, traced and untraced), after ${SIZE.overhead.warmup.toLocaleString('en')} warm-up calls spread the same way; 8 blocks per side in A B B A B A A B order, the two prompt sizes interleaved, each block ending with the contender's flush (so deferred export work is counted), the event loop yielded every 50 calls as between server requests. Wall time from \`performance.now()\`, CPU time from \`process.cpuUsage()\` (user + system, all threads: GC helpers and sockets count). The long prompt is a system prompt and 50 messages, ≈ 20 KB of text; its CPU cost is also given in units of one \`JSON.stringify\` of its messages, timed in the same process ("passes over the prompt").`,
  `- streamText: ${SIZE.stream.repeats} processes × ${SIZE.stream.blocks} answers of ${SIZE.stream.chunks.toLocaleString('en')} chunks per side, read through \`textStream\`, traced and untraced in A B B A B A A B order after ${SIZE.stream.warmup.toLocaleString('en')} chunks of warm-up per side; wall and CPU time, each answer's flush included. Time to first chunk: ${SIZE.ttft.repeats} processes per Node version × median of ${SIZE.ttft.samples.toLocaleString('en')} calls per prompt size, untraced and traced alternating, after ${(SIZE.ttft.warmup ?? SIZE.ttft.samples).toLocaleString('en')} warm-up calls of each per prompt size${SIZE.ttft.warmup ? ' (`src/ttft-warmup.mjs` prints how the added time falls while the engine warms up)' : ''}, \`streamText()\` to the first \`textStream\` chunk. Heap per open stream: ${SIZE.ttft.streams} streams with the long prompt opened and their first chunk read, heap after two full GCs minus before, per stream, median of 3 rounds per side, traced minus untraced.`,
  `- Memory: the heap's data spaces (new, old and large-object; not the engine's code and bytecode spaces, which move ±1 MB as it optimises and flushes functions) plus ArrayBuffer memory, after two full GCs, after ${SIZE.memory.calls.toLocaleString('en')} calls minus before them (after ${(SIZE.memory.warmup ?? 1000).toLocaleString('en')} warm-up calls), no flush in between (${SIZE.memory.repeats} process${SIZE.memory.repeats > 1 ? 'es' : ''}); "exporter down" points the exporter at a closed port (and never flushes).`,
  `- Export: ${SIZE.export.repeats} processes × ${SIZE.export.calls.toLocaleString('en')} calls then a flush; spans (Braintrust: log rows; LangSmith: runs) the sink received ÷ that time. Spans per call differ: Tokentrail sends two (the call span and its LLM span), @ai-sdk/otel three (invoke_agent → step → chat).`,
  `- Size: the contender file in \`bench/src/contenders/\` bundled (ESM, node, minified), gzip -9 per chunk; \`ai\`, \`@ai-sdk/*\`, \`zod\` and \`next\` excluded (every such app ships them). Cells: esbuild with \`splitting: true\` — the chunks a cold start loads (the entry and what it imports statically), \`+ … later\` for the chunks reached only through \`import()\` (loaded on first use); \`one file\`: esbuild without splitting (as wrangler ships it, \`import()\` inlined); \`Rolldown\`: Vite's bundler, split, start-up + later. esbuild assigns whole files to chunks by the import graph, so a module the main entry re-exports stays in its start-up chunk even when only lazy code uses it; Rolldown drops a module reached only through an unused re-export of a \`sideEffects: false\` package (webpack's \`sideEffects\` optimisation in Next aims at the same; not measured). Tokentrail's other entries: ${Object.values(
    ENTRIES,
  )
    .map((e) => `${e.title}: \`${e.code.replaceAll('\n', '; ')}\``)
    .join(' · ')}.`,
  '',
  '**Setups**',
  '',
  ...contenders.map((c) => `- ${c.label}: ${c.setup}`),
  ...(notes.length ? ['', '**Notes**', '', ...notes.map((n) => `- ${n}`)] : []),
  '',
  `**Versions**: ${packages.map((p) => `${p} ${version(p)}`).join(', ')}.`,
].join('\n')

process.stdout.write(`\n${report}\n`)

if (write) {
  writeFileSync(
    `${benchDir}/results/${small ? 'small' : 'latest'}.json`,
    `${JSON.stringify({ results, sizes, withTracingError }, null, 1)}\n`,
  )
  writeFileSync(
    `${benchDir}/results/${small ? 'small' : 'latest'}.md`,
    `# Benchmarks\n\n${report}\n`,
  )
  progress(`wrote bench/results/${small ? 'small' : 'latest'}.md`)
}
if (args.includes('--readme')) {
  const readmePath = `${benchDir}/../README.md`
  const readme = readFileSync(readmePath, 'utf8')
  const start = '<!-- bench:start -->'
  const end = '<!-- bench:end -->'
  const section = `${start}\n## Benchmarks\n\n${report}\n\nRun \`pnpm bench\` to reproduce; details and the latest full output are in \`bench/results/latest.md\`.\n${end}`
  const next =
    readme.includes(start) && readme.includes(end)
      ? readme.slice(0, readme.indexOf(start)) +
        section +
        readme.slice(readme.indexOf(end) + end.length)
      : `${readme.trimEnd()}\n\n${section}\n`
  writeFileSync(readmePath, next)
  progress('updated the Benchmarks section of README.md')
}
