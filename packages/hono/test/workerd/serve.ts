// Serves test/workerd/worker.ts in the real workerd binary (the `workerd` npm package), for
// workerd.node.test.ts: bundles it with esbuild as wrangler would, writes a workerd config and
// starts `workerd serve` on an ephemeral port it reads from the control fd.
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

/** The workerd binary the `workerd` package installed, or why there is none. */
export function findWorkerd(): { binary: string } | { missing: string } {
  try {
    const root = dirname(createRequire(import.meta.url).resolve('workerd/package.json'))
    const binary = join(root, 'bin', 'workerd')
    if (existsSync(binary)) return { binary }
    return { missing: `${binary} is absent (@cloudflare/workerd-linux-64 did not install)` }
  } catch (error) {
    return { missing: `the workerd package is not installed: ${(error as Error).message}` }
  }
}

/** Bundles the fixture worker once into `dir`/worker.js. */
export async function bundleWorker(dir: string): Promise<void> {
  await build({
    entryPoints: [fileURLToPath(new URL('./worker.ts', import.meta.url))],
    outfile: join(dir, 'worker.js'),
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    conditions: ['workerd', 'worker', 'browser'],
    external: ['node:*'],
    logLevel: 'error',
  })
}

export interface WorkerdOptions {
  compatibilityDate: string
  compatibilityFlags?: string[]
  bindings: Record<string, string>
}

export interface Workerd {
  url: string
  /** Everything workerd wrote (the worker's console goes to stderr), so far. */
  output(): string
  close(): Promise<void>
}

let configs = 0

/** Starts `workerd serve` on the bundle in `dir`. */
export async function startWorkerd(
  binary: string,
  dir: string,
  options: WorkerdOptions,
): Promise<Workerd> {
  const bindings = Object.entries(options.bindings)
    .map(([name, text]) => `(name = ${JSON.stringify(name)}, text = ${JSON.stringify(text)})`)
    .join(', ')
  const flags = (options.compatibilityFlags ?? []).map((f) => JSON.stringify(f)).join(', ')
  const config = join(dir, `config-${configs++}.capnp`)
  await writeFile(
    config,
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    # The test's receiver is on 127.0.0.1, which workerd's default outbound refuses.
    (name = "internet", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:0", http = (), service = "main")],
);
const worker :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = embed "worker.js")],
  compatibilityDate = ${JSON.stringify(options.compatibilityDate)},
  compatibilityFlags = [${flags}],
  bindings = [${bindings}],
);
`,
  )
  const child: ChildProcess = spawn(binary, ['serve', config, '--control-fd=3', '--verbose'], {
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout!.on('data', (chunk) => (output += chunk))
  child.stderr!.on('data', (chunk) => (output += chunk))
  const port = await new Promise<number>((resolve, reject) => {
    let control = ''
    const timer = setTimeout(() => reject(new Error(`workerd did not listen:\n${output}`)), 20_000)
    ;(child.stdio[3] as NodeJS.ReadableStream).on('data', (chunk) => {
      control += chunk
      const listen = /"event":"listen","socket":"http","port":(\d+)/.exec(control)
      if (listen) {
        clearTimeout(timer)
        resolve(Number(listen[1]))
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`workerd exited (${code}):\n${output}`))
    })
  })
  return {
    url: `http://127.0.0.1:${port}`,
    output: () => output,
    close: async () => {
      if (child.exitCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    },
  }
}

/** A temporary folder for bundles and configs, removed by the returned function. */
export async function workDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'tokentrail-workerd-'))
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) }
}
