// Vitest global setup: packs every published package once with `pnpm pack`, as `pnpm publish`
// would, for all the test files (each installs the same tarballs into its own fresh app).
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { TestProject } from 'vitest/node'

export const PUBLISHED = ['core', 'ai-sdk', 'next', 'hono', 'cli'] as const

declare module 'vitest' {
  export interface ProvidedContext {
    /** Package folder name (`core`, `ai-sdk`, …) → absolute path of its packed tarball. */
    tarballs: Record<(typeof PUBLISHED)[number], string>
  }
}

const root = resolve(fileURLToPath(new URL('../../..', import.meta.url)))

export default function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), 'tokentrail-tarballs-'))
  const packs = join(dir, 'tarballs')
  mkdirSync(packs)
  const tarballs = {} as Record<(typeof PUBLISHED)[number], string>
  for (const name of PUBLISHED) {
    const out = execFileSync('pnpm', ['pack', '--pack-destination', packs], {
      cwd: join(root, 'packages', name),
      stdio: ['ignore', 'pipe', 'pipe'],
    }).toString()
    tarballs[name] = resolve(packs, out.trim().split('\n').at(-1)!.trim())
  }
  project.provide('tarballs', tarballs)
  return () => rmSync(dir, { recursive: true, force: true })
}
