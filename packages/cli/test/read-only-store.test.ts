// `tokentrail dev` on a database whose folder is on a read-only file system (a mount): said as
// such at start-up, not as "unable to open database file" or an ENOENT from mkdir. Needs to mount
// a tmpfs (root on Linux); skipped where that is not allowed.
import { execFile, execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { openTraceStore } from '../src/index.js'
import { onCleanup } from './helpers.js'

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url))

function canMount(): boolean {
  const dir = mkdtempSync(join(tmpdir(), 'tokentrail-mount-'))
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir], { stdio: 'ignore' })
    execFileSync('umount', [dir], { stdio: 'ignore' })
    return true
  } catch {
    return false
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function dev(db: string) {
  try {
    await promisify(execFile)(process.execPath, [bin, 'dev', '--port', '0', '--db', db], {
      env: { ...process.env, NO_COLOR: '1' },
      timeout: 20_000,
    })
    return { code: 0, stderr: '' }
  } catch (error) {
    const { code, stderr } = error as { code: number; stderr: string }
    return { code, stderr }
  }
}

describe.skipIf(!canMount())('a trace database on a read-only file system', () => {
  it('is said to be on one, for an existing file and for a folder still to create', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tokentrail-ro-'))
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', dir])
    onCleanup(() => {
      execFileSync('umount', [dir])
      rmSync(dir, { recursive: true, force: true })
    })
    const store = openTraceStore({ path: join(dir, 'traces.db') })
    store.close()
    execFileSync('mount', ['-o', 'remount,ro', dir])

    const existing = await dev(join(dir, 'traces.db'))
    expect(existing.code).toBe(1)
    expect(existing.stderr).toContain(
      `error cannot open the trace database at ${join(dir, 'traces.db')}: ${dir} is on a read-only file system (`,
    )
    const nested = await dev(join(dir, 'new', 'traces.db'))
    expect(nested.code).toBe(1)
    expect(nested.stderr).toContain(
      `error cannot open the trace database at ${join(dir, 'new', 'traces.db')}: ${dir} is on a read-only file system (`,
    )
  })
})
