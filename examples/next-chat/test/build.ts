// Vitest global setup: one `next build` per test run, skipped when the build is newer than every
// source it depends on (turbo's `build` task may just have made it).
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const app = fileURLToPath(new URL('..', import.meta.url))

function newest(path: string): number {
  if (!existsSync(path)) return 0
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.mtimeMs
  let latest = stat.mtimeMs
  for (const entry of readdirSync(path)) latest = Math.max(latest, newest(join(path, entry)))
  return latest
}

export default function setup() {
  const buildId = join(app, '.next', 'BUILD_ID')
  const sources = ['app', 'lib', 'next.config.mjs', 'package.json']
    .map((p) => join(app, p))
    .concat(['next', 'ai-sdk', 'core'].map((p) => join(app, '..', '..', 'packages', p, 'dist')))
  if (existsSync(buildId) && statSync(buildId).mtimeMs > Math.max(...sources.map(newest))) return
  const nextBin = createRequire(join(app, 'package.json')).resolve('next/dist/bin/next')
  const result = spawnSync(process.execPath, [nextBin, 'build'], {
    cwd: app,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
  })
  if (result.status !== 0) throw new Error(`next build failed with exit code ${result.status}`)
}
