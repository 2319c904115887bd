import { execFileSync } from 'node:child_process'
import { delimiter, dirname, sep } from 'node:path'

// Runs a command to its end and returns its stdout; `env` adds to this process's environment.
export function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  return runIn({ ...process.env, ...env }, command, args, cwd)
}

function runIn(env: NodeJS.ProcessEnv, command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  }).toString()
}

// `npm install` in a fresh app, as its user runs it: with the machine's own Node and npm config.
// Under `pnpm test` the workspace's pinned Node 22 comes first on PATH (node_modules/.bin/node), and
// npm started by that Node reads that Node's global npmrc instead of the machine's, losing settings
// such as `cafile`, so the registry fails TLS behind a proxy and npm reports it as a peer conflict
// ("Found: ai@undefined"). No --force, no --legacy-peer-deps: the peer ranges must accept the app
// as it is. `flags` adds to the install command (`--engine-strict`). `node` runs the machine's npm
// on another Node (engines are checked against the Node npm runs on), still with the machine's
// global npmrc.
export function npmInstall(cwd: string, flags: string[] = [], node?: string): string {
  const machinePath = (process.env.PATH ?? '')
    .split(delimiter)
    .filter((entry) => !entry.split(sep).includes('node_modules'))
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: machinePath.join(delimiter) }
  // Set by an outer `npm exec`/`npm run` for its own Node; the inner npm works them out afresh.
  for (const name of [
    'npm_node_execpath',
    'npm_config_prefix',
    'npm_config_global_prefix',
    'npm_config_globalconfig',
  ]) {
    delete env[name]
  }
  if (node) {
    machineGlobalConfig ??= runIn(env, 'npm', ['config', 'get', 'globalconfig'], cwd).trim()
    env.npm_config_globalconfig = machineGlobalConfig
    env.PATH = [dirname(node), ...machinePath].join(delimiter)
  }
  return runIn(
    env,
    'npm',
    ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...flags],
    cwd,
  )
}

let machineGlobalConfig: string | undefined
