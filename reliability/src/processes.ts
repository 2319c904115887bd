// Child processes on 127.0.0.1: the real `tokentrail dev` collector, the OpenAI mock and the
// hono-chat app. Each prints its URL on stdout; each is stopped by its pid, never by name.
import { type ChildProcess, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const CLI_BIN = require
  .resolve('@tokentrail/cli/package.json')
  .replace(/package\.json$/, 'dist/bin.js')
const MOCK_BIN = require
  .resolve('@tokentrail/mock-openai/package.json')
  .replace(/package\.json$/, 'bin/mock-openai.js')
const APP = fileURLToPath(new URL('../dist/app-server.js', import.meta.url))

/** A child process started by the suite. */
export interface Child {
  readonly url: string
  readonly pid: number
  readonly process: ChildProcess
  /** Everything it wrote, stdout and stderr. */
  output(): string
  /** Resident set size in bytes, read from /proc (0 once it exited). */
  rss(): number
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

function start(
  args: string[],
  env: Record<string, string | undefined>,
  findUrl: (output: string) => string | undefined,
  what: string,
): Promise<Child> {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  let exited: number | null | undefined
  const exit = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      exited = code
      resolve(code)
    }),
  )
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${what} did not start within 20 s:\n${output}`))
    }, 20_000)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const url = findUrl(output)
      if (!url) return
      clearTimeout(timer)
      child.stdout!.off('data', onData)
      child.stdout!.on('data', (more: Buffer) => {
        if (output.length < 1_000_000) output += more.toString()
      })
      resolve({
        url,
        pid: child.pid!,
        process: child,
        output: () => output,
        rss() {
          try {
            const status = readFileSync(`/proc/${child.pid}/status`, 'utf8')
            return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024
          } catch {
            return 0
          }
        },
        async stop(signal = 'SIGTERM') {
          if (exited !== undefined) return exited
          child.kill(signal)
          const timeout = setTimeout(() => child.kill('SIGKILL'), 5000)
          const code = await exit
          clearTimeout(timeout)
          return code
        },
      })
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', (chunk: Buffer) => {
      if (output.length < 1_000_000) output += chunk.toString()
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${what} exited with ${code} before it listened:\n${output}`))
    })
  })
}

/** Starts `tokentrail dev` (the built CLI) on a port (0 for a free one) with its own database. */
export function startCollectorProcess(options: {
  db: string
  port?: number
  token?: string
  extra?: string[]
}): Promise<Child> {
  const args = [
    '--disable-warning=ExperimentalWarning',
    CLI_BIN,
    'dev',
    '--port',
    String(options.port ?? 0),
    '--db',
    options.db,
    ...(options.token ? ['--token', options.token] : []),
    ...(options.extra ?? []),
  ]
  return start(
    args,
    { TOKENTRAIL_TOKEN: undefined },
    (out) => /OTLP\s+(http:\/\/[\d.:[\]a-z]+)\/v1\/traces/.exec(out)?.[1],
    'tokentrail dev',
  )
}

/** Starts the OpenAI-compatible mock; its URL ends in /v1. */
export function startMockProcess(
  options: { firstChunkDelayMs?: number; chunkDelayMs?: number; reply?: string } = {},
) {
  return start(
    [
      MOCK_BIN,
      '--first-chunk-delay',
      String(options.firstChunkDelayMs ?? 0),
      '--chunk-delay',
      String(options.chunkDelayMs ?? 0),
      ...(options.reply ? ['--reply', options.reply] : []),
    ],
    {},
    (out) => /^(http:\/\/\S+\/v1)\s*$/m.exec(out)?.[1],
    'mock-openai',
  )
}

/** Starts the hono-chat app (dist/app-server.js), traced unless `tracing` is off. */
export function startAppProcess(options: {
  tracing: boolean
  otlpEndpoint?: string
  mockUrl: string
  service: string
  apiKey?: string
  model?: string
  /** `false` turns off `tracing()`'s flush after each request. */
  flushPerRequest?: boolean
}) {
  return start(
    ['--max-old-space-size=512', APP],
    {
      TRACING: options.tracing ? 'on' : 'off',
      OTEL_EXPORTER_OTLP_ENDPOINT: options.otlpEndpoint ?? 'http://127.0.0.1:9',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: undefined,
      OTEL_EXPORTER_OTLP_HEADERS: undefined,
      OTEL_SDK_DISABLED: undefined,
      OTEL_SERVICE_NAME: options.service,
      OPENAI_BASE_URL: options.mockUrl,
      OPENAI_API_KEY: options.apiKey,
      OPENAI_MODEL: options.model,
      FLUSH: options.flushPerRequest === false ? 'off' : undefined,
    },
    (out) => /^\{"url":"(http:\/\/[^"]+)"\}$/m.exec(out)?.[1],
    'hono-chat app',
  )
}

const NEXT_APP = fileURLToPath(new URL('../../examples/next-chat/', import.meta.url))

/** Serves the built next-chat example with `next start` on a free port. */
export function startNextProcess(options: {
  otlpEndpoint: string
  mockUrl: string
  service: string
}) {
  const nextBin = createRequire(`${NEXT_APP}package.json`).resolve('next/dist/bin/next')
  return start(
    [nextBin, 'start', '-H', '127.0.0.1', '-p', '0', NEXT_APP],
    {
      NEXT_TELEMETRY_DISABLED: '1',
      OPENAI_API_KEY: undefined,
      MOCK_OPENAI_URL: options.mockUrl,
      OTEL_EXPORTER_OTLP_ENDPOINT: options.otlpEndpoint,
      OTEL_TRACES_EXPORTER: undefined,
      OTEL_SERVICE_NAME: options.service,
      OTEL_SDK_DISABLED: undefined,
    },
    (out) =>
      out.includes('Ready')
        ? /Local:\s+(http:\/\/\S+)/.exec(out)?.[1]?.replace('localhost', '127.0.0.1')
        : undefined,
    'next start',
  )
}
