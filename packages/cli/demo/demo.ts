// The README's main command (`pnpm demo`): starts the collector and the Hono chat example (local
// OpenAI-compatible mock, or real OpenAI when OPENAI_API_KEY is set), runs four scripted chats,
// prints a summary and the viewer URL, and keeps serving until Ctrl-C. `--once` exits (for CI).
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { type Collector, startCollector, type TraceSummary } from '@tokentrail/cli'

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: { once: { type: 'boolean' }, port: { type: 'string' }, db: { type: 'string' } },
})
const once = values.once === true
const root = resolve(import.meta.dirname, '../../..')
const server = join(root, 'examples/hono-chat/dist/server.js')
const bold = (s: string) =>
  process.stdout.isTTY && !process.env.NO_COLOR ? `\x1b[1m${s}\x1b[22m` : s

interface Chat {
  name: string
  prompt: string
  expect: TraceSummary['status']
  /** Aborts the request after the first bytes of the answer. */
  abort?: boolean
}

const CHATS: Chat[] = [
  { name: 'plain stream', prompt: 'Tell me a two-line poem about lighthouses.', expect: 'ok' },
  {
    name: 'tool loop',
    prompt: 'What is the weather in Paris right now? [tool:weather]',
    expect: 'ok',
  },
  // 400 is not retried by the AI SDK, so the failure shows at once.
  { name: 'provider error', prompt: 'This one fails upstream [fail:400]', expect: 'error' },
  {
    name: 'client abort',
    prompt: 'Write a long essay about the history of the sea, with many details.',
    expect: 'cancelled',
    abort: true,
  },
]

function startExample(collector: Collector): Promise<{ child: ChildProcess; url: string }> {
  if (!existsSync(server))
    throw new Error(
      `${server} is missing: build the workspace first (pnpm build, or pnpm demo from the root)`,
    )
  const child = spawn(process.execPath, [server], {
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_SERVICE_NAME: 'hono-chat',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  // The example logs each provider error it streams; the demo's own table reports them instead.
  let errors = ''
  child.stderr!.on('data', (chunk) => {
    errors = (errors + chunk).slice(-4000)
  })
  return new Promise((resolvePromise, reject) => {
    let out = ''
    child.stdout!.on('data', (chunk) => {
      out += chunk
      const listening = /listening on (http:\/\/\S+)/.exec(out)
      const model = /model: (.*)\n/.exec(out)
      if (listening && model) {
        child.stdout!.removeAllListeners('data')
        child.stdout!.resume()
        console.log(`  chat app  ${listening[1]}  (model: ${model[1]})`)
        resolvePromise({ child, url: listening[1]! })
      }
    })
    child.once('exit', (code) =>
      reject(new Error(`the Hono example exited with ${code}:\n${out}${errors}`)),
    )
  })
}

async function runChat(url: string, chat: Chat): Promise<string | undefined> {
  const controller = new AbortController()
  const response = await fetch(`${url}/api/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: chat.prompt }),
    signal: controller.signal,
  })
  const traceId = response.headers.get('x-trace-id') ?? undefined
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      // Like a user closing the tab once the answer has started to stream.
      if (chat.abort && value.includes('text-delta')) {
        controller.abort()
        break
      }
    }
  } catch (error) {
    if (!controller.signal.aborted) throw error
  }
  return traceId
}

async function waitForTraces(collector: Collector, ids: string[], timeoutMs: number) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const found = ids.map((id) => collector.store.getTrace(id))
    // A trace is complete once its root (the request span, which ends last) is stored.
    if (found.every((t) => t?.spans.some((s) => !s.parentSpanId))) return found
    if (Date.now() > deadline) return found
    await new Promise((r) => setTimeout(r, 200))
  }
}

const pad = (text: string, width: number) => text.padEnd(width)
const ms = (value: number | undefined) => (value === undefined ? '-' : `${Math.round(value)} ms`)

async function main(): Promise<number> {
  const tempDb = once && !values.db ? mkdtempSync(join(tmpdir(), 'tokentrail-demo-')) : undefined
  const db =
    values.db ??
    (tempDb
      ? join(tempDb, 'traces.db')
      : resolve(process.env.INIT_CWD ?? process.cwd(), '.tokentrail/traces.db'))
  const collector = await startCollector({
    port: values.port ? Number(values.port) : once ? 0 : 4318,
    db,
  })
  console.log(bold('\ntokentrail demo'))
  console.log(`  collector ${collector.url}  (storage ${db})`)
  const { child, url } = await startExample(collector)
  let exitCode = 0
  try {
    const ids: (string | undefined)[] = []
    for (const chat of CHATS) ids.push(await runChat(url, chat))
    const known = ids.filter((id): id is string => Boolean(id))
    const traces = await waitForTraces(collector, known, 15_000)
    console.log(
      `\n${bold(`${pad('chat', 16) + pad('trace', 14) + pad('status', 11) + pad('duration', 10) + pad('LLM calls', 11) + pad('tokens in→out', 15) + pad('TTFT', 9)}cost`)}`,
    )
    let input = 0
    let output = 0
    let cost = 0
    CHATS.forEach((chat, i) => {
      const id = ids[i]
      const detail = id ? traces[known.indexOf(id)] : undefined
      if (!detail) {
        exitCode = 1
        console.log(
          `${pad(chat.name, 16)}${pad(id?.slice(0, 12) ?? '(no id)', 14)}missing: the trace did not reach the collector`,
        )
        return
      }
      const t = detail.trace
      input += t.inputTokens
      output += t.outputTokens
      cost += t.costUsd
      const llmCalls = detail.spans.filter((s) => s.kind === 'llm').length
      const mark = t.status === chat.expect ? '' : ` (expected ${chat.expect})`
      console.log(
        pad(chat.name, 16) +
          pad(t.traceId.slice(0, 12), 14) +
          pad(t.status + mark, 11) +
          pad(ms(t.durationMs), 10) +
          pad(String(llmCalls), 11) +
          // No count where no usage is known (a failure before any), as `tokentrail trace` shows it.
          pad(t.totalTokens ? `${t.inputTokens}→${t.outputTokens}` : '-', 15) +
          pad(ms(t.ttftMs), 9) +
          (t.costUsd ? `$${t.costUsd.toFixed(6)}` : '-'),
      )
    })
    console.log(
      `${pad('total', 16)}${pad(`${known.length} traces`, 14)}${pad('', 32)}${pad(`${input}→${output}`, 15)}${pad('', 9)}$${cost.toFixed(6)}`,
    )
    console.log(`\n  viewer    ${bold(`${collector.url}/`)}`)
    const urlFlag = collector.url.endsWith(':4318') ? '' : ` --url ${collector.url}`
    console.log(
      `  terminal  tokentrail last${urlFlag} · tokentrail error${urlFlag} · tokentrail list${urlFlag}`,
    )
    if (!once) {
      console.log('\nServing the viewer and the chat app; Ctrl-C to stop.')
      await new Promise<void>((done) => {
        process.once('SIGINT', () => done())
        process.once('SIGTERM', () => done())
      })
    }
  } finally {
    child.kill('SIGTERM')
    await new Promise((r) => (child.exitCode === null ? child.once('exit', r) : r(null)))
    await collector.close()
    if (tempDb) rmSync(tempDb, { recursive: true, force: true })
  }
  return exitCode
}

process.exitCode = await main()
