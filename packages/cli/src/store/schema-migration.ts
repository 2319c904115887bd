import { existsSync, renameSync, rmSync } from 'node:fs'
import { DatabaseSync } from 'node:sqlite'
import type { SpanData } from '@tokentrail/core'

/** What opening a database of an older schema did to it, said once by `tokentrail dev`. */
export interface SchemaMigration {
  path: string
  /** Schema version of the file before. */
  from: number
  to: number
  /** A copy of the file as it was, kept beside it. */
  backup: string
  traces: number
  spans: number
}

/** The store `migrateSchema1` fills: the current schema, everything kept. */
interface TargetStore {
  insert(spans: SpanData[]): unknown
  readonly db: DatabaseSync
  close(): void
}

const BATCH = 2000

function removeFile(path: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${path}${suffix}`, { force: true })
}

/** `<path>.schema-1.bak`, or `.schema-1-2.bak` and so on when that name is taken. */
function backupName(path: string, from: number): string {
  for (let n = 1; ; n++) {
    const name = `${path}.schema-${from}${n === 1 ? '' : `-${n}`}.bak`
    if (!existsSync(name)) return name
  }
}

/**
 * Brings a schema-1 file (before trace identity, search and the stats rollup) to the current
 * schema in place. A copy of the file is made first (`VACUUM INTO`, consistent even with a WAL);
 * every stored span is then inserted again from that copy into a new file beside the database,
 * which recomputes trace rows, identity, the search index and the rollup the way ingest does; the
 * metric points are copied as they are (their table did not change). The new file replaces the
 * old one only when it is complete, so a failure (a full disk) or a crash leaves the old file as it
 * was and the next start tries again.
 */
export function migrateSchema1(
  path: string,
  to: number,
  openTarget: (path: string) => TargetStore,
): SchemaMigration {
  const backup = backupName(path, 1)
  const old = new DatabaseSync(path)
  try {
    old.exec('PRAGMA busy_timeout = 5000')
    old.prepare('VACUUM INTO ?').run(backup)
  } finally {
    old.close()
  }
  const building = `${path}.migrating`
  removeFile(building)
  const source = new DatabaseSync(backup, { readOnly: true })
  let target: TargetStore | undefined
  let spans = 0
  let traces = 0
  try {
    target = openTarget(building)
    const page = source.prepare(
      'SELECT rowid AS id, data FROM spans WHERE rowid > ? ORDER BY rowid LIMIT ?',
    )
    for (let after = 0; ; ) {
      const rows = page.all(after, BATCH) as { id: number; data: string }[]
      if (!rows.length) break
      after = rows.at(-1)!.id
      target.insert(rows.map((row) => JSON.parse(row.data) as SpanData))
      spans += rows.length
    }
    const hasMetrics = source
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'metric_points'")
      .get()
    if (hasMetrics) {
      target.db.prepare('ATTACH DATABASE ? AS old').run(backup)
      target.db.exec('INSERT OR IGNORE INTO metric_points SELECT * FROM old.metric_points')
      target.db.exec('DETACH DATABASE old')
    }
    traces = (target.db.prepare('SELECT count(*) AS n FROM traces').get() as { n: number }).n
    target.close()
    target = undefined
  } catch (error) {
    target?.close()
    removeFile(building)
    throw error
  } finally {
    source.close()
  }
  rmSync(`${path}-wal`, { force: true })
  rmSync(`${path}-shm`, { force: true })
  renameSync(building, path)
  return { path, from: 1, to, backup, traces, spans }
}
