import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { startCollector } from '../src/index.js'
import { onCleanup, runCapture, spawnBuiltDev, tempDir } from './helpers.js'

// Two collectors on one file would each keep their own counts of it (retention, the stats
// rollup) and delete or chart each other's traces wrongly, with nothing said.
describe('one collector per database file', () => {
  it('refuses a second collector on the same file, and frees it when the first stops', async () => {
    const db = join(tempDir(), 'traces.db')
    const first = await startCollector({ port: 0, db })
    await expect(startCollector({ port: 0, db })).rejects.toThrow(
      `the trace database at ${db} is in use by another tokentrail dev (or a program that started a collector on it); stop that one, or pass another --db path`,
    )
    await first.close()
    const second = await startCollector({ port: 0, db })
    await second.close()
    // In memory, each collector has its own database.
    const a = await startCollector({ port: 0, db: ':memory:' })
    const b = await startCollector({ port: 0, db: ':memory:' })
    await Promise.all([a.close(), b.close()])
  })

  it('says so from the command line, across processes, and a killed one leaves no stale lock', async () => {
    const db = join(tempDir(), 'traces.db')
    const running = await spawnBuiltDev([], db)
    const refused = await runCapture(['dev', '--port', '0', '--db', db])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain(
      `the trace database at ${db} is in use by another tokentrail dev`,
    )
    expect(refused.stdout).not.toContain('viewer')

    running.child.kill('SIGKILL')
    await running.exited
    const after = await startCollector({ port: 0, db })
    onCleanup(() => after.close())
    expect(existsSync(db)).toBe(true)
    expect(readdirSync(join(db, '..')).filter((name) => name.endsWith('-lock'))).toEqual([
      'traces.db-lock',
    ])
  })
})
