import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ATTR, createTracer, type SpanData } from '@tokentrail/core'
import { memoryExporter } from '@tokentrail/core/testing'
import { afterEach, expect } from 'vitest'
import { type CliIO, runCli } from '../src/index.js'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

/** Runs `fn` after the current test. */
export function onCleanup(fn: () => unknown): void {
  cleanups.push(fn)
}

/** A fresh folder removed after the test. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tokentrail-cli-'))
  onCleanup(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

export const HOSTILE =
  '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script> \u001b[31mred'

/**
 * Real spans from core's tracer: an HTTP root, an LLM call with GenAI attributes, a tool call, and
 * (when `fail`) a tool that throws.
 */
export async function chatTrace(
  options: { fail?: boolean; model?: string; service?: string; prompt?: string } = {},
): Promise<SpanData[]> {
  const exporter = memoryExporter()
  const tracer = createTracer({ serviceName: options.service ?? 'chat-api', exporters: [exporter] })
  const model = options.model ?? 'gpt-4o-mini'
  try {
    await tracer.withSpan('POST /api/chat', { kind: 'http' }, async () => {
      await tracer.withSpan(
        `chat ${model}`,
        {
          kind: 'llm',
          attributes: {
            [ATTR.operationName]: 'chat',
            [ATTR.providerName]: 'openai',
            [ATTR.requestModel]: model,
            [ATTR.usageInputTokens]: 21,
            [ATTR.usageOutputTokens]: 34,
            [ATTR.costUsd]: 0.000123,
            [ATTR.ttftMs]: 12.5,
            [ATTR.responseFinishReasons]: ['tool-calls'],
            [ATTR.inputMessages]: JSON.stringify([
              { role: 'user', parts: [{ type: 'text', content: options.prompt ?? HOSTILE }] },
            ]),
            [ATTR.outputText]: `answer to ${options.prompt ?? 'hostile'}`,
          },
        },
        async () => {
          await new Promise((resolve) => setTimeout(resolve, 2))
        },
      )
      await tracer.withSpan(
        'execute_tool weather',
        {
          kind: 'tool',
          attributes: {
            [ATTR.toolName]: 'weather',
            [ATTR.toolCallId]: 'call_1',
            [ATTR.toolCallArguments]: '{"city":"Paris"}',
            [ATTR.toolCallResult]: '{"celsius":21}',
          },
        },
        async () => {
          if (options.fail) throw new TypeError('weather service unreachable')
        },
      )
    })
  } catch {}
  await tracer.flush()
  return [...exporter.spans]
}

/** A loopback port nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** Runs the CLI in process with `argv`, capturing what it writes; `io` replaces env, cwd or streams. */
export async function runCapture(argv: string[], io: Partial<CliIO> = {}) {
  let stdout = ''
  let stderr = ''
  const code = await runCli(argv, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: {},
    cwd: tempDir(),
    ...io,
  })
  return { code, stdout, stderr }
}

/** The built CLI (`dist/bin.js`), as a user runs it. */
export const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url))

/**
 * Starts the built `tokentrail dev` on a free port with a store of its own, Node run with
 * `nodeFlags` (`--max-old-space-size=48`); resolves to its origin. Stopped after the test.
 */
export async function startBuiltDev(nodeFlags: readonly string[] = []): Promise<string> {
  return (await spawnBuiltDev(nodeFlags, join(tempDir(), 't.db'))).url
}

/** `startBuiltDev`, with the child process, for a test that stops it its own way. */
export async function spawnBuiltDev(
  nodeFlags: readonly string[],
  db: string,
): Promise<{ url: string; child: ChildProcess; exited: Promise<unknown> }> {
  expect(existsSync(BIN), 'run `pnpm --filter @tokentrail/cli build` first').toBe(true)
  const child = spawn(process.execPath, [...nodeFlags, BIN, 'dev', '--port', '0', '--db', db], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  })
  const exited = new Promise((resolve) => child.on('exit', resolve))
  onCleanup(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    await exited
  })
  return new Promise((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (chunk) => {
      out += chunk
      const match = /viewer\s+(http:\/\/[^/\s]+)\//.exec(out)
      if (match) resolve({ url: match[1]!, child, exited })
    })
    child.on('exit', (code) => reject(new Error(`tokentrail dev exited with ${code}: ${out}`)))
  })
}
