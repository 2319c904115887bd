// What AsyncLocalStorage costs a Hono chat request on Node 22 without AsyncContextFrame, and what
// the middleware avoids when tracing is off. Node 22's default AsyncLocalStorage installs promise
// hooks the first time `run()` is called, and from then on every promise in the process pays; so
// each variant runs in its own process (a traced request earlier in the same process would slow
// the untraced ones too). Prints rows; asserts nothing.
//   pnpm --filter @tokentrail/hono run build && node bench/async-context.bench.ts
// Node 24 comes from the bench package's `node24` devDependency; its column is skipped without it.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const REQUESTS = Number(process.env.REQUESTS ?? 2000)
const PROCESSES = Number(process.env.PROCESSES ?? 3)
const VARIANTS = ['untraced', 'tracing off', 'traced'] as const
type Variant = (typeof VARIANTS)[number]

async function child(variant: Variant): Promise<void> {
  const { createTracer } = await import('@tokentrail/core')
  const { Hono } = await import('hono')
  const { streamText } = await import('ai')
  const { tracing } = await import('../dist/index.js')

  // A zero-latency streaming model (50 text chunks), so the time is the AI SDK's, Hono's and ours.
  const usage = {
    inputTokens: { total: 40, noCache: 40, cacheRead: undefined, cacheWrite: undefined },
    outputTokens: { total: 50, text: 50, reasoning: undefined },
  }
  const model = {
    specificationVersion: 'v4',
    provider: 'openai.chat',
    modelId: 'gpt-4o',
    supportedUrls: {},
    doGenerate: async () => {
      throw new Error('not used')
    },
    doStream: async () => {
      const parts: unknown[] = [
        { type: 'stream-start', warnings: [] },
        { type: 'text-start', id: 't' },
      ]
      for (let i = 0; i < 50; i++) parts.push({ type: 'text-delta', id: 't', delta: 'token ' })
      parts.push(
        { type: 'text-end', id: 't' },
        { type: 'finish', finishReason: { unified: 'stop', raw: 'stop' }, usage },
      )
      return {
        stream: new ReadableStream({
          start(controller) {
            for (const part of parts) controller.enqueue(part)
            controller.close()
          },
        }),
      }
    },
  } as any

  const app = new Hono()
  if (variant !== 'untraced') {
    const tracer = createTracer({
      serviceName: 'bench',
      enabled: variant === 'traced',
      exporters: [{ name: 'discard', export: async () => ({ code: 'success' }) }],
      maxQueueSize: 100_000,
    })
    app.use('/api/*', tracing({ tracer, flush: false }))
  }
  app.post('/api/chat', () =>
    streamText({ model, prompt: 'What is the capital of France?' }).toUIMessageStreamResponse(),
  )
  const once = async () => {
    const response = await app.request('/api/chat', { method: 'POST' })
    await response.arrayBuffer()
  }
  for (let i = 0; i < REQUESTS / 2; i++) await once()
  const cpu = process.cpuUsage()
  const start = performance.now()
  for (let i = 0; i < REQUESTS; i++) await once()
  const wall = ((performance.now() - start) * 1000) / REQUESTS
  const { user, system } = process.cpuUsage(cpu)
  process.stdout.write(`${JSON.stringify({ wall, cpu: (user + system) / REQUESTS })}\n`)
}

function run(
  node: string,
  flags: string[],
  variant: Variant,
): Promise<{ wall: number; cpu: number }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(node, [...flags, fileURLToPath(import.meta.url), '--child', variant], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    proc.stdout.on('data', (data) => {
      out += data
    })
    proc.on('close', (code) =>
      code === 0 ? resolve(JSON.parse(out.trim())) : reject(new Error(`child exit ${code}`)),
    )
  })
}

async function parent() {
  const node24 = fileURLToPath(
    new URL('../../../bench/node_modules/node24/bin/node', import.meta.url),
  )
  const modes: [string, string, string[]][] = [
    ['Node 22', process.execPath, []],
    [
      'Node 22 + --experimental-async-context-frame',
      process.execPath,
      ['--experimental-async-context-frame'],
    ],
  ]
  if (existsSync(node24)) modes.push(['Node 24 (AsyncContextFrame by default)', node24, []])
  const strip = ['--experimental-strip-types', '--no-warnings']
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  const samples: Record<string, Record<Variant, { wall: number[]; cpu: number[] }>> = {}
  // Round-robin over modes and variants, so a burst of load hits all alike.
  for (let p = 0; p < PROCESSES; p++)
    for (const [label, node, flags] of modes)
      for (const variant of VARIANTS) {
        const result = await run(node, [...strip, ...flags], variant)
        const cell = ((samples[label] ??= {} as never)[variant] ??= { wall: [], cpu: [] })
        cell.wall.push(result.wall)
        cell.cpu.push(result.cpu)
      }
  console.log(
    `\nHono chat request (AI SDK streamText, 50 chunks, app.request()), µs per request, median of ${PROCESSES} processes × ${REQUESTS} requests (after ${REQUESTS / 2} warm-up)\n`,
  )
  console.log(
    '| runtime | untraced: wall (CPU) | tracing off: added wall (CPU) | traced: added wall (CPU) |',
  )
  console.log('|---|---:|---:|---:|')
  for (const [label] of modes) {
    const cells = samples[label]!
    const base = { wall: median(cells.untraced.wall), cpu: median(cells.untraced.cpu) }
    const added = (v: Variant) => {
      const wall = median(cells[v].wall) - base.wall
      const cpu = median(cells[v].cpu) - base.cpu
      const sign = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(0)}`
      return `${sign(wall)} (${sign(cpu)})`
    }
    console.log(
      `| ${label} | ${base.wall.toFixed(0)} (${base.cpu.toFixed(0)}) | ${added('tracing off')} | ${added('traced')} |`,
    )
  }
}

if (process.argv[2] === '--child') await child(process.argv[3] as Variant)
else await parent()
