import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { TokentrailError } from '@tokentrail/core'
import { sqlite } from '../node-support.js'

/** Whether `path` names a database file of its own (not `:memory:`, `''` or a `file:` URI). */
export function onDisk(path: string): boolean {
  return path !== ':memory:' && path !== '' && !path.startsWith('file:')
}

/**
 * Keeps a second collector off a database file one already uses. Each collector keeps its counts
 * (traces for retention, the stats rollup) in memory beside the file, so two on one file would
 * delete, count and chart each other's traces wrongly while both looked fine.
 *
 * The lock is SQLite's own, an exclusive transaction held on `<db>-lock`: the system lets go of it
 * when the process ends, however it ends, so a crash leaves no stale lock to clear. The file itself
 * stays (empty); removing it could let two processes each lock a file of that name.
 *
 * Returns the function that lets go of it; nothing for an in-memory database.
 */
export function lockDatabase(path: string): (() => void) | undefined {
  if (!onDisk(path)) return undefined
  const { DatabaseSync } = sqlite()
  const lockPath = `${path}-lock`
  let lock: InstanceType<typeof DatabaseSync>
  try {
    mkdirSync(dirname(path), { recursive: true })
    lock = new DatabaseSync(lockPath)
    lock.exec('PRAGMA busy_timeout = 0')
  } catch {
    // The store's own opening says what is wrong with the folder or file.
    return undefined
  }
  try {
    lock.exec('BEGIN EXCLUSIVE')
  } catch (cause) {
    lock.close()
    // SQLITE_BUSY: another connection holds it. Anything else (a read-only folder) is the store's
    // to say when it opens the file.
    if ((cause as { errcode?: number }).errcode !== 5) return undefined
    throw new TokentrailError(
      `the trace database at ${path} is in use by another tokentrail dev (or a program that started a collector on it); stop that one, or pass another --db path`,
      { cause },
    )
  }
  return () => {
    try {
      lock.close()
    } catch {}
  }
}
