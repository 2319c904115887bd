// A new user's Next.js app, made as the root README's "Use it" section says, from the published
// packages: a fresh app outside the workspace whose package.json names `next@16`, `react`,
// `react-dom`, `ai@7` and `@ai-sdk/openai` from the npm registry and the packed @tokentrail/next,
// ai-sdk, core and cli tarballs; the README's app/api/chat/route.ts as written (and the same route
// on the edge runtime, which @tokentrail/next's README says is supported) and that README's
// server action (`traceAction`) with a page whose form uses it; `next build`, then
// `next start` with the README's OTEL_* lines pointed at the packed `tokentrail dev`; a streaming
// POST from the AI SDK's own chat transport (what `useChat` sends through); the trace read back
// with the packed CLI (`tokentrail last --json`).
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { type MockOpenAI, startMockOpenAI } from '@tokentrail/mock-openai'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { npmInstall } from './exec.js'

const root = resolve(fileURLToPath(new URL('../../..', import.meta.url)))
const tarballs = inject('tarballs')
const FIRST_CHUNK_DELAY_MS = 50

let dir: string
let app: string
let mock: MockOpenAI
let build = ''
let collector: ChildProcess | undefined
let collectorPort = ''
let server: ChildProcess | undefined
let serverOutput = () => ''
let base = ''

// The route as the root README writes it, taken from the README itself.
function readmeRoute(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8')
  const block = /```ts\n(\/\/ app\/api\/chat\/route\.ts[^\n]*\n[\s\S]*?)```/.exec(readme)
  if (!block) throw new Error('README.md has no app/api/chat/route.ts block')
  return block[1]!
}

// Only what the test sets: no OTEL_*, TOKENTRAIL_*, VERCEL or NEXT_* from the shell that runs it.
function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !/^(OTEL_|TOKENTRAIL_|VERCEL|NEXT_|OPENAI_)/.test(key),
    ),
  )
  return { ...inherited, NEXT_TELEMETRY_DISABLED: '1', ...extra }
}

// Starts a long-lived process and resolves with the first match of `ready` in its output.
function start(args: string[], extra: Record<string, string>, ready: RegExp) {
  const child = spawn(process.execPath, args, {
    cwd: app,
    env: env(extra),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const match = new Promise<RegExpExecArray>((done, fail) => {
    const onData = (chunk: Buffer) => {
      output += chunk
      const found = ready.exec(output)
      if (found) done(found)
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.on('exit', (code) => fail(new Error(`${args.join(' ')} exited ${code}:\n${output}`)))
  })
  return { child, match, output: () => output }
}

async function stop(child: ChildProcess | undefined) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((done) => child.once('exit', done))
  child.kill('SIGTERM')
  await exited
}

const exec = promisify(execFile)

// The newest trace, read with the packed CLI as a user reads it.
async function last(): Promise<{ trace: any; spans: any[] }> {
  const cli = join(app, 'node_modules/@tokentrail/cli/dist/bin.js')
  const { stdout } = await exec(
    process.execPath,
    [cli, 'last', '--json', '--url', `http://localhost:${collectorPort}`],
    { cwd: app, env: env() },
  )
  return JSON.parse(stdout)
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tokentrail-next-app-'))
  app = join(dir, 'app')
  mkdirSync(app)
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify(
      {
        name: 'fresh-next-app',
        private: true,
        type: 'module',
        scripts: { build: 'next build', start: 'next start' },
        dependencies: {
          '@tokentrail/next': `file:${tarballs.next}`,
          '@tokentrail/ai-sdk': `file:${tarballs['ai-sdk']}`,
          '@tokentrail/core': `file:${tarballs.core}`,
          ai: '^7.0.0',
          '@ai-sdk/openai': '^4.0.0',
          next: '^16.0.0',
          react: '^19.0.0',
          'react-dom': '^19.0.0',
        },
        // What create-next-app adds for a TypeScript app: `next build` type-checks the route
        // against the installed declarations.
        devDependencies: {
          '@tokentrail/cli': `file:${tarballs.cli}`,
          typescript: '^5.9.0',
          '@types/node': '^22.0.0',
          '@types/react': '^19.0.0',
        },
      },
      null,
      2,
    ),
  )
  npmInstall(app)
  const route = readmeRoute()
  mkdirSync(join(app, 'app/api/chat'), { recursive: true })
  writeFileSync(join(app, 'app/api/chat/route.ts'), route)
  mkdirSync(join(app, 'app/api/chat-edge'), { recursive: true })
  writeFileSync(
    join(app, 'app/api/chat-edge/route.ts'),
    `${route.replace('app/api/chat/', 'app/api/chat-edge/')}\nexport const runtime = 'edge'\n`,
  )
  // @tokentrail/next's README: a server action traced with traceAction, the model as above.
  writeFileSync(
    join(app, 'app/actions.ts'),
    `'use server'
import { openai } from '@ai-sdk/openai'
import { tracingMiddleware } from '@tokentrail/ai-sdk'
import { traceAction } from '@tokentrail/next'
import { generateText, wrapLanguageModel } from 'ai'

const model = wrapLanguageModel({ model: openai('gpt-4o'), middleware: tracingMiddleware() })

export const summarize = traceAction(
  'summarize',
  async (text: string) => (await generateText({ model, prompt: text })).text,
)
`,
  )
  writeFileSync(
    join(app, 'app/layout.tsx'),
    `export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  )
}
`,
  )
  writeFileSync(
    join(app, 'app/page.tsx'),
    `import { summarize } from './actions'

export default function Page() {
  return (
    <form
      action={async (form: FormData) => {
        'use server'
        await summarize(String(form.get('text')))
      }}
    >
      <input name="text" />
    </form>
  )
}
`,
  )
  writeFileSync(
    join(app, 'client.mjs'),
    // The AI SDK's own chat transport, as `useChat` in a browser would send the message.
    `import { DefaultChatTransport } from 'ai'
const transport = new DefaultChatTransport({ api: process.argv[2] })
const stream = await transport.sendMessages({
  trigger: 'submit-message',
  chatId: 'c1',
  messageId: undefined,
  abortSignal: undefined,
  messages: [{ id: 'u1', role: 'user', parts: [{ type: 'text', text: process.argv[3] }] }],
})
let text = ''
let deltas = 0
for await (const chunk of stream) {
  if (chunk.type === 'text-delta') {
    text += chunk.delta
    deltas++
  }
}
console.log(JSON.stringify({ text, deltas }))
`,
  )

  const nextBin = join(app, 'node_modules/next/dist/bin/next')
  const built = spawn(process.execPath, [nextBin, 'build'], {
    cwd: app,
    env: env(),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  built.stdout!.on('data', (chunk: Buffer) => (build += chunk))
  built.stderr!.on('data', (chunk: Buffer) => (build += chunk))
  const code = await new Promise<number | null>((done) => built.on('exit', done))
  if (code !== 0) throw new Error(`next build failed (${code}):\n${build}`)

  mock = await startMockOpenAI({ firstChunkDelayMs: FIRST_CHUNK_DELAY_MS })
  const dev = start(
    [
      join(app, 'node_modules/@tokentrail/cli/dist/bin.js'),
      'dev',
      '--port',
      '0',
      '--db',
      join(dir, 'traces.db'),
    ],
    {},
    /viewer\s+http:\/\/127\.0\.0\.1:(\d+)\//,
  )
  collector = dev.child
  collectorPort = (await dev.match)[1]!
  // The README's lines: `OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 OTEL_SERVICE_NAME=chat
  // npx next start`, with the default `openai` provider sent to the local mock by its own env.
  const next = start(
    [nextBin, 'start', '-H', '127.0.0.1', '-p', '0'],
    {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://localhost:${collectorPort}`,
      OTEL_SERVICE_NAME: 'chat',
      OPENAI_BASE_URL: mock.url,
      OPENAI_API_KEY: 'sk-test-not-a-real-key-0000000000',
    },
    /Local:\s+(http:\/\/\S+)[\s\S]*Ready/,
  )
  server = next.child
  serverOutput = next.output
  base = (await next.match)[1]!.replace('localhost', '127.0.0.1')
}, 480_000)

afterAll(async () => {
  await stop(server)
  await stop(collector)
  await mock?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

// Polls the newest trace until its root is `name`: the root span ends with the body or the action,
// then `after()` flushes it.
async function traceNamed(name: string) {
  let found: { trace: any; spans: any[] } | undefined
  await expect
    .poll(async () => (found = await last()).trace.rootName, { timeout: 15_000 })
    .toBe(name)
  return found!
}

describe('a fresh Next.js app from the packed tarballs, as the root README sets it up', () => {
  it('next build compiles the routes and the page with no warning from our packages', () => {
    expect(build).toMatch(/ƒ \/api\/chat\b/)
    expect(build).toMatch(/ƒ \/api\/chat-edge\b/)
    expect(build).toMatch(/○ \/(\s|$)/m)
    // Next prints bundling trouble (a module not found, a critical dependency) with the path of
    // the module that caused it, and a Node built-in imported into the edge route fails the build
    // outright ("Native module not found: node:fs"). Next 16 says nothing, with Turbopack or
    // webpack, about a dynamic import()/require() or process.on inside node_modules: those are
    // caught at run time below (the edge route answers and is traced, nothing is logged).
    expect(build).not.toContain('@tokentrail')
    expect(build).not.toMatch(
      /Critical dependency|Node\.js (API|module)|Module not found|dynamic (require|import)|\[tokentrail\]/i,
    )
  })

  it.each([
    ['/api/chat', 'Node'],
    ['/api/chat-edge', 'edge'],
  ])(
    'a streaming POST to %s (%s runtime) is one trace: request span → call → step, with tokens and TTFT',
    async (path) => {
      mock.reset()
      const said = `Hello from a fresh app on ${path}`
      const { stdout } = await exec(process.execPath, ['client.mjs', `${base}${path}`, said], {
        cwd: app,
        env: env(),
        timeout: 60_000,
      })
      const answer = JSON.parse(stdout)
      expect(answer.text).toBe(`You said: ${said}`)
      expect(answer.deltas).toBeGreaterThan(1)
      expect(mock.calls).toHaveLength(1)
      const usage = mock.calls[0]!.usage!

      const name = `POST ${path}`
      const { trace, spans } = await traceNamed(name)
      expect(trace.service).toBe('chat')
      expect(trace.status).toBe('ok')
      expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set([trace.traceId]))
      const request = spans.find((s) => s.name === name)
      expect(request.parentSpanId).toBeUndefined()
      expect(request.kind).toBe('http')
      expect(request.attributes['http.response.status_code']).toBe(200)
      expect(request.attributes['tokentrail.flush.via']).toBe('after')
      const call = spans.find((s) => s.attributes['gen_ai.operation.name'] === 'invoke_agent')
      expect(call.parentSpanId).toBe(request.spanId)
      const steps = spans.filter((s) => s.kind === 'llm')
      expect(steps).toHaveLength(1)
      const step = steps[0]
      expect(step.parentSpanId).toBe(call.spanId)
      expect(spans).toHaveLength(3)
      // The tokens the provider reported, and a first chunk no sooner than the mock sent it.
      expect([trace.inputTokens, trace.outputTokens]).toEqual([
        usage.inputTokens,
        usage.outputTokens,
      ])
      expect(step.attributes['gen_ai.usage.input_tokens']).toBe(usage.inputTokens)
      expect(step.attributes['gen_ai.usage.output_tokens']).toBe(usage.outputTokens)
      expect(trace.ttftMs).toBeGreaterThanOrEqual(FIRST_CHUNK_DELAY_MS - 5)
      expect(trace.ttftMs).toBeLessThanOrEqual(step.endTime - step.startTime)
      // Nothing said by us, no error, and no Node API the edge sandbox warns about at run time.
      expect(serverOutput()).not.toMatch(/\[tokentrail\]|Error|Node\.js (API|module)/)
    },
  )

  it("a server action wrapped in traceAction, called as the page's form calls it, is one trace: action → call → step", async () => {
    mock.reset()
    // The action's id, as the page's form sends it in the Next-Action header.
    const manifest = JSON.parse(
      readFileSync(join(app, '.next/server/server-reference-manifest.json'), 'utf8'),
    )
    const id = Object.keys(manifest.node).find(
      (key) => manifest.node[key].exportedName === 'summarize',
    )
    expect(id).toBeDefined()
    const response = await fetch(`${base}/`, {
      method: 'POST',
      headers: {
        'next-action': id!,
        accept: 'text/x-component',
        'content-type': 'text/plain;charset=UTF-8',
      },
      body: JSON.stringify(['Summarize the fresh app']),
    })
    expect(response.status).toBe(200)
    expect(await response.text()).toContain('You said: Summarize the fresh app')
    expect(mock.calls).toHaveLength(1)
    const usage = mock.calls[0]!.usage!
    const { trace, spans } = await traceNamed('action summarize')
    expect(trace.status).toBe('ok')
    expect(spans).toHaveLength(3)
    const action = spans.find((s) => s.name === 'action summarize')
    expect(action.parentSpanId).toBeUndefined()
    expect(action.attributes['tokentrail.flush.via']).toBe('after')
    const call = spans.find((s) => s.attributes['gen_ai.operation.name'] === 'invoke_agent')
    expect(call.parentSpanId).toBe(action.spanId)
    const step = spans.find((s) => s.kind === 'llm')
    expect(step.parentSpanId).toBe(call.spanId)
    expect(step.attributes['gen_ai.usage.output_tokens']).toBe(usage.outputTokens)
    expect(serverOutput()).not.toMatch(/\[tokentrail\]|Error|Node\.js (API|module)/)
  })
})
