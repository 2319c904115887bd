// The freeze harness: acts like a serverless platform that freezes a function as soon as its
// response has been sent and its waitUntil promises have settled. Each invocation runs in its own
// process (see instance.ts), killed at that point, so background work after it really never runs.
// Compares `withTracing` with the naive pattern (export started after returning, no waitUntil) by
// counting complete traces at a local OTLP/HTTP receiver.
//
//   pnpm --filter @tokentrail/next run bench [-- --requests 500 --concurrency 4 --per-instance 1]
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { startMockOpenAI } from '@tokentrail/mock-openai'
import { type ReceivedSpan, startOtlpReceiver } from '@tokentrail/otlp-receiver'
import { build } from 'esbuild'

export type Pattern = 'traced' | 'naive'

/** What one invocation's process reported just before it froze. */
interface InvocationReport {
  id: string
  status: number
  bytes: number
  error?: string
  responseMs: number
  bodyMs: number
  settledMs: number
  waitUntil: number
}

export interface FreezeRow {
  pattern: Pattern
  requests: number
  /** Invocations that answered 200 with a body. */
  answered: number
  /** Traces at the receiver with the root span and an LLM child span carrying token usage. */
  complete: number
  lost: number
  /** Medians in ms: to the Response object, to the body's end, from the body's end to the freeze. */
  responseMs: number
  bodyMs: number
  afterBodyMs: number
}

export interface FreezeOptions {
  /** Invocations per pattern. @default 500 */
  requests?: number
  /** Function instances running at once. @default 4 */
  concurrency?: number
  /**
   * Invocations one instance serves at the same time (Vercel's Fluid compute shares an instance);
   * the instance freezes once all of them are done. 1 is classic one-request-per-instance.
   * @default 1
   */
  perInstance?: number
  /** Wait after the last freeze for bytes already on the wire to land. @default 500 */
  graceMs?: number
  onProgress?: (done: number, total: number) => void
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted.length ? sorted[Math.floor(sorted.length / 2)]! : Number.NaN
}

async function bundleInstance(dir: string): Promise<string> {
  const outfile = join(dir, 'instance.mjs')
  await build({
    entryPoints: [fileURLToPath(new URL('./instance.ts', import.meta.url))],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    logLevel: 'error',
    // A bundled CommonJS dependency would need `require`.
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
    plugins: [
      {
        // The function is deployed as a plain Vercel function, not inside a Next app.
        name: 'no-next',
        setup(b) {
          b.onResolve({ filter: /^next\/server(\.js)?$/ }, () => ({
            path: 'next',
            namespace: 'no-next',
          }))
          b.onLoad({ filter: /.*/, namespace: 'no-next' }, () => ({
            contents: "throw new Error('not running inside Next')",
          }))
        },
      },
    ],
  })
  return outfile
}

function runInstance(
  bundle: string,
  pattern: Pattern,
  ids: string[],
  env: Record<string, string>,
): Promise<InvocationReport[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundle], {
      env: { ...process.env, ...env, FREEZE_PATTERN: pattern, FREEZE_INVOCATIONS: ids.join(',') },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    child.stdout.on('data', (chunk) => {
      out += chunk
    })
    child.stderr.on('data', (chunk) => {
      err += chunk
    })
    child.on('error', reject)
    child.on('close', (code, signal) => {
      const reports = out
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as InvocationReport)
      if (signal !== 'SIGKILL' || reports.length !== ids.length)
        reject(
          new Error(`instance ${ids[0]}… ended with ${signal ?? code} before freezing:\n${err}`),
        )
      else resolve(reports)
    })
  })
}

// Complete: the request root, the AI SDK call span under it, and the LLM span under that with usage.
function isComplete(spans: ReceivedSpan[]): boolean {
  const root = spans.find((s) => s.name === 'POST /api/chat' && s.parentSpanId === undefined)
  if (!root) return false
  const call = spans.find(
    (s) =>
      s.parentSpanId === root.spanId && s.attributes['gen_ai.operation.name'] === 'invoke_agent',
  )
  if (!call) return false
  return spans.some(
    (s) =>
      s.parentSpanId === call.spanId &&
      s.attributes['gen_ai.operation.name'] === 'chat' &&
      Number(s.attributes['gen_ai.usage.input_tokens']) > 0 &&
      Number(s.attributes['gen_ai.usage.output_tokens']) > 0,
  )
}

/** Runs `requests` invocations of each pattern under freeze and counts the complete traces that arrived. */
export async function runFreezeHarness(options: FreezeOptions = {}): Promise<FreezeRow[]> {
  const { requests = 500, concurrency = 4, perInstance = 1, graceMs = 500, onProgress } = options
  const dir = mkdtempSync(join(tmpdir(), 'tokentrail-freeze-'))
  const receiver = await startOtlpReceiver()
  // A model that streams like a real one: a pause before the first token, then steady chunks.
  const mock = await startMockOpenAI({ firstChunkDelayMs: 20, chunkDelayMs: 2 })
  try {
    const bundle = await bundleInstance(dir)
    const env = {
      FREEZE_OTLP_URL: receiver.url,
      FREEZE_MODEL_URL: mock.url,
      NODE_COMPILE_CACHE: join(dir, 'compile-cache'),
    }
    // Instances of both patterns interleaved, so both meet the same machine load.
    const instances: { pattern: Pattern; ids: string[] }[] = []
    for (let i = 0; i < requests; i += perInstance)
      for (const pattern of ['traced', 'naive'] as const) {
        const ids = []
        for (let k = i; k < Math.min(i + perInstance, requests); k++) ids.push(`${pattern}-${k}`)
        instances.push({ pattern, ids })
      }
    const reports = new Map<string, InvocationReport>()
    let next = 0
    const worker = async () => {
      while (next < instances.length) {
        const { pattern, ids } = instances[next++]!
        for (const report of await runInstance(bundle, pattern, ids, env))
          reports.set(report.id, report)
        onProgress?.(reports.size, 2 * requests)
      }
    }
    await Promise.all(Array.from({ length: concurrency }, worker))
    await new Promise((r) => setTimeout(r, graceMs))

    const byInvocation = new Map<string, ReceivedSpan[]>()
    const traceOfInvocation = new Map<string, string>()
    for (const span of receiver.spans) {
      const id = span.attributes['bench.invocation']
      if (typeof id === 'string' && id) traceOfInvocation.set(id, span.traceId)
    }
    for (const span of receiver.spans) {
      const list = byInvocation.get(span.traceId) ?? []
      list.push(span)
      byInvocation.set(span.traceId, list)
    }
    return (['traced', 'naive'] as const).map((pattern) => {
      const mine = [...reports.values()].filter((r) => r.id.startsWith(`${pattern}-`))
      const complete = mine.filter((r) => {
        const traceId = traceOfInvocation.get(r.id)
        return traceId !== undefined && isComplete(byInvocation.get(traceId) ?? [])
      }).length
      return {
        pattern,
        requests,
        answered: mine.filter((r) => r.status === 200 && r.bytes > 0 && !r.error).length,
        complete,
        lost: requests - complete,
        responseMs: median(mine.map((r) => r.responseMs)),
        bodyMs: median(mine.map((r) => r.bodyMs)),
        afterBodyMs: median(mine.map((r) => r.settledMs - r.bodyMs)),
      }
    })
  } finally {
    await mock.close()
    await receiver.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

/** The figure, as printed by `pnpm bench` and quoted in the README. */
export function formatRows(rows: FreezeRow[]): string {
  const header = [
    'pattern',
    'requests',
    'answered',
    'complete traces',
    'lost',
    'response p50',
    'body end p50',
    'body end → freeze p50',
  ]
  const lines = rows.map((r) => [
    r.pattern === 'traced' ? 'withTracing (waitUntil)' : 'naive (export after return)',
    String(r.requests),
    String(r.answered),
    String(r.complete),
    `${r.lost} (${((100 * r.lost) / r.requests).toFixed(1)} %)`,
    `${r.responseMs.toFixed(1)} ms`,
    `${r.bodyMs.toFixed(1)} ms`,
    `${r.afterBodyMs.toFixed(1)} ms`,
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)))
  const row = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`
  return [
    row(header),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...lines.map(row),
  ].join('\n')
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({
    options: {
      requests: { type: 'string', default: '500' },
      concurrency: { type: 'string', default: '4' },
      'per-instance': { type: 'string', default: '1' },
    },
  })
  const numbers = {
    requests: Number(values.requests),
    concurrency: Number(values.concurrency),
    perInstance: Number(values['per-instance']),
  }
  for (const [name, value] of Object.entries(numbers))
    if (!Number.isInteger(value) || value < 1) {
      console.error(`--${name === 'perInstance' ? 'per-instance' : name} takes a whole number ≥ 1`)
      process.exit(2)
    }
  const started = performance.now()
  const rows = await runFreezeHarness({
    ...numbers,
    onProgress: (done, total) => {
      if (done % 100 === 0 || done === total) process.stderr.write(`\r${done}/${total} invocations`)
    },
  })
  process.stderr.write('\n')
  console.log(
    `Freeze harness: ${numbers.requests} streaming chat requests per pattern, ${numbers.perInstance} per function instance, ` +
      'each instance killed (SIGKILL) once its bodies were read and its waitUntil promises settled.',
  )
  console.log(formatRows(rows))
  console.log(
    `(${((performance.now() - started) / 1000).toFixed(1)} s, ${numbers.concurrency} instances at a time)`,
  )
}
