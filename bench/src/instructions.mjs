// Machine instructions per generateText (or streamText) call, counted by valgrind: a figure that
// moves less with the load on the machine than the timed rows of run.mjs (±5–10 µs), though not
// nothing: one build's traced count read 617k, 631k, 652k and 675k per call in four runs on
// 2026-12-06, so compare builds back to back. The child's tracers batch by size only
// (OTEL_BSP_SCHEDULE_DELAY=3600000 unless set), as they do at full speed: under valgrind a traced
// call takes milliseconds, and their interval (Tokentrail 2 s, OpenTelemetry 5 s) sent partial
// batches a full-speed run never sends.
//   node src/instructions.mjs [contender] [short|long] [untraced,hooks,channel,traced]
// Each side runs `CALLS` calls (default 20000,30000) in a child process under
// `valgrind --tool=callgrind`; per call = the difference of the two counts over the difference of
// the calls, so start-up and the final flush cancel out. The window is where the engine has done
// warming up: between 2,500 and 6,500 calls (the default until 2026-12-06) the main thread still
// ran baseline (Sparkplug) code, and with --single-threaded V8's optimizing compiler was 394 k of
// 950 k per short call with no-op hooks, 490 k of 1,155 k traced (~1 k from 20,000 calls on). Each
// side's count is printed split by where it ran (from callgrind_annotate's symbols): compiled
// JavaScript (unnamed code), V8's builtins (its interpreter and inline caches too), the compiler,
// the garbage collector, other native code (V8's runtime, Node, libc). Sides:
//   untraced  the model as it is, no telemetry integration (the path of an app without tracing)
//   hooks     the same with an integration of no-op handlers for the events the AI SDK adapter
//             listens to (model.mjs noopHooks; HOOKS=onStepStart,onEnd keeps only those): what the
//             AI SDK itself spends copying and redacting its events for any integration
//   channel   the untraced call with a no-op subscriber on the AI SDK's `ai:telemetry` tracing
//             channel instead of an integration (CHANNEL=start,asyncEnd keeps only those events;
//             all five without it): what the SDK spends publishing its events there
//   traced    the contender's traced model and options
// ROUNDS=n counts every side n times, the sides taking turns (a b a b…), and prints each count and
// the median: counts of one side taken minutes apart can differ by more than two sides do.
// KIND=stream reads streamText calls to their end instead. The main thread's instructions only:
// the engine compiles and collects partly on threads of its own, whose share moves from run to run
// (counted with them, repeat runs of one build spread ±40–80 k instructions per call). Needs
// valgrind (Debian: apt install valgrind); a side takes 3–4 minutes at the default window (the
// code runs ~50× slower under it), two counts at a time. NODE_FLAGS='--single-threaded' runs the
// child so: V8 compiles and collects on the counted thread, so the count includes that work (at
// the default window, the compiler's share is ~0). Back to back, its repeats mostly
// agree within 1 %; counted minutes apart in the old window, one side's differed by 7 % (no-op
// hooks: 725.6k, 731.7k, 684.2k on 2026-12-06), as much as two sides do: compare sides with ROUNDS.
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { callRunner, createModel, median, noopHooksFromEnv, prompts } from './model.mjs'

if (process.env.INSTRUCTIONS_CHILD) {
  const [id, prompt, side, n] = process.argv.slice(2)
  const c = await (await import(`./contenders/${id}.mjs`)).setup({ url: process.env.SINK_URL })
  const s = side === 'traced' ? c : c.baseline
  const model = s.model(createModel({ chunks: 8 }))
  const options = { ...prompts[prompt], ...s.options }
  if (side === 'hooks') options.telemetry = { integrations: [noopHooksFromEnv()] }
  if (side === 'channel') {
    const { channel } = await import('node:diagnostics_channel')
    const events = (process.env.CHANNEL ?? 'start,end,asyncStart,asyncEnd,error').split(',')
    for (const event of events) channel(`tracing:ai:telemetry:${event}`).subscribe(() => {})
  }
  await callRunner(s, model, options)(Number(n))
  await c.flush?.()
  process.exit(0)
}

const [id = 'tokentrail', prompt = 'short', sidesArg = 'untraced,hooks,traced'] =
  process.argv.slice(2)
const [few, many] = (process.env.CALLS ?? '20000,30000').split(',').map(Number)
if (!(prompt in prompts)) throw new Error(`prompt must be one of ${Object.keys(prompts)}`)
if (!(few > 0 && many > few)) throw new Error('CALLS must be two counts, the smaller first')
const rounds = Number(process.env.ROUNDS ?? 1)
if (!(Number.isInteger(rounds) && rounds >= 1)) throw new Error('ROUNDS must be a whole number ≥ 1')
const sides = sidesArg.split(',')
for (const side of sides)
  if (!['untraced', 'hooks', 'channel', 'traced'].includes(side))
    throw new Error(`sides are untraced, hooks, channel and traced, got ${JSON.stringify(side)}`)

const { startSink } = await import('./sink.mjs')
const sink = await startSink()
const dir = mkdtempSync(join(tmpdir(), 'instructions-'))

const PARTS = ['JavaScript', 'builtins', 'compiler', 'GC', 'other']

// Where a symbol of callgrind_annotate's list ran, roughly: code the engine made at run time
// (JavaScript, regular expressions) has no symbol, only an address; V8's builtins are `Builtins_…`;
// the rest by namespace or name (a `HeapObject` helper counts as GC).
function partOf(symbol) {
  if (/^(?:\?\?\?:)?0x[0-9a-f]+/.test(symbol)) return 'JavaScript'
  if (symbol.includes('Builtins_')) return 'builtins'
  if (/compiler::|maglev|turboshaft|Zone/i.test(symbol)) return 'compiler'
  if (
    /Scaveng|Mark(?:ing|Compact)|Sweep|Evacuat|Heap|heap::|RememberedSet|MigratedSlot/.test(symbol)
  )
    return 'GC'
  return 'other'
}

/** A count's instructions by part (PARTS), from callgrind_annotate; undefined without it. */
function partsOf(file) {
  let text
  try {
    text = execFileSync('callgrind_annotate', ['--threshold=100', file], {
      encoding: 'utf8',
      maxBuffer: 256 << 20,
      stdio: ['ignore', 'pipe', 'ignore'],
    })
  } catch {
    return undefined
  }
  const parts = Object.fromEntries(PARTS.map((part) => [part, 0]))
  for (const line of text.split('\n')) {
    const match = /^\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*)$/.exec(line)
    if (match && !match[2].includes('PROGRAM TOTALS'))
      parts[partOf(match[2])] += Number(match[1].replaceAll(',', ''))
  }
  return parts
}

/** Instructions valgrind counted for `n` calls of one side ({ total, parts }). */
function count(side, n) {
  const out = join(dir, `${side}-${n}.out`)
  const child = spawn(
    'valgrind',
    [
      '--tool=callgrind',
      `--callgrind-out-file=${out}`,
      // The JIT writes code into memory it then runs: without this valgrind runs stale code.
      '--smc-check=all-non-file',
      // One count per thread: the main thread's is read (see the header).
      '--separate-threads=yes',
      process.execPath,
      ...(process.env.NODE_FLAGS ?? '').split(' ').filter(Boolean),
      fileURLToPath(import.meta.url),
      id,
      prompt,
      side,
      String(n),
    ],
    {
      // Batches by size alone (512 spans), as at full speed (see the header).
      env: {
        OTEL_BSP_SCHEDULE_DELAY: '3600000',
        ...process.env,
        INSTRUCTIONS_CHILD: '1',
        SINK_URL: sink.url,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  )
  let err = ''
  child.stderr.setEncoding('utf8').on('data', (text) => (err += text))
  return new Promise((resolve, reject) => {
    child.on('error', (error) =>
      reject(
        error.code === 'ENOENT'
          ? new Error('valgrind is not installed (apt install valgrind)')
          : error,
      ),
    )
    child.on('close', (code) => {
      let text = ''
      try {
        // With --separate-threads, valgrind writes one file per thread: -01 is the main thread.
        if (code === 0) text = readFileSync(`${out}-01`, 'utf8')
      } catch {}
      const total = /^(?:summary|totals): (\d+)/m.exec(text)?.[1]
      if (total) resolve({ total: Number(total), parts: partsOf(`${out}-01`) })
      else reject(new Error(`${side} × ${n} failed (exit ${code}):\n${err.slice(-2000)}`))
    })
  })
}

const kind = process.env.KIND === 'stream' ? 'streamText' : 'generateText'
console.log(
  `${id}, ${kind}, ${prompt} prompt: instructions per call, (count(${many}) − count(${few})) / ${many - few}`,
)
const counted = Object.fromEntries(sides.map((side) => [side, []]))
const k = (n) => `${(n / 1000).toFixed(1)} k`
const signed = (n) => `${n < 0 ? '−' : '+'}${k(Math.abs(n))}`
try {
  for (let round = 0; round < rounds; round++)
    for (const side of sides) {
      const [a, b] = await Promise.all([count(side, few), count(side, many)])
      counted[side].push((b.total - a.total) / (many - few))
      const untraced = counted.untraced?.[round]
      const added =
        side !== 'untraced' && untraced !== undefined
          ? `  (${signed(counted[side][round] - untraced)} over untraced)`
          : ''
      console.log(`  ${side.padEnd(9)} ${k(counted[side][round])}${added}`)
      if (a.parts && b.parts)
        console.log(
          `            ${PARTS.map((part) => `${part} ${k((b.parts[part] - a.parts[part]) / (many - few))}`).join(', ')}`,
        )
    }
  if (rounds > 1) {
    console.log(`median of ${rounds} rounds:`)
    const untraced = counted.untraced && median(counted.untraced)
    for (const side of sides) {
      const m = median(counted[side])
      const added =
        side !== 'untraced' && untraced !== undefined ? `  (${signed(m - untraced)})` : ''
      console.log(`  ${side.padEnd(9)} ${k(m)}${added}   (${counted[side].map(k).join(', ')})`)
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
  await sink.close()
}
