import { existsSync, renameSync, rmSync } from 'node:fs'
import type { DatabaseSync } from 'node:sqlite'
import type { SpanData } from '@tokentrail/core'
import { sqlite } from '../node-support.js'

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

/** The store `migrateSchema` fills: the current schema, everything kept. */
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
 * Brings a file of an older schema to the current one in place: schema 1 (before trace identity,
 * search and the stats rollup), 2 (spans keyed by the hex trace id), 3 (users and sessions found
 * through B-tree indexes instead of tokens) or 4 (a unique index on the trace id instead of
 * `trace_ids`). A copy of the file is made
 * first (`VACUUM INTO`, consistent even with a WAL); every stored span is then inserted again, in
 * the order it arrived, from that copy into a new file beside the database, which recomputes trace
 * rows, identity, the search index and the rollup the way ingest does; the metric tables are copied
 * as they are (they did not change). The new file replaces the old one only when it is complete,
 * so a failure (a full disk) or a crash leaves the old file as it was and the next start tries
 * again.
 */
export function migrateSchema(
  path: string,
  from: number,
  to: number,
  openTarget: (path: string) => TargetStore,
): SchemaMigration {
  const { DatabaseSync } = sqlite()
  const backup = backupName(path, from)
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
    const present = new Set(
      (
        source.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {
          name: string
        }[]
      ).map((row) => row.name),
    )
    const metricTables = ['metric_points', 'metric_timeline'].filter((name) => present.has(name))
    if (metricTables.length) {
      target.db.prepare('ATTACH DATABASE ? AS old').run(backup)
      for (const name of metricTables)
        target.db.exec(`INSERT OR IGNORE INTO ${name} SELECT * FROM old.${name}`)
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
  return { path, from, to, backup, traces, spans }
}
