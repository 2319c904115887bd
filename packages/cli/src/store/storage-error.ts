import { accessSync, constants, existsSync } from 'node:fs'
import { dirname } from 'node:path'

/** SQLite primary result codes the collector tells apart (the low byte of an extended code). */
const SQLITE = {
  BUSY: 5,
  LOCKED: 6,
  NOMEM: 7,
  READONLY: 8,
  IOERR: 10,
  CORRUPT: 11,
  FULL: 13,
  CANTOPEN: 14,
  NOTADB: 26,
} as const

/** What kind of storage failure an error from `node:sqlite` is, or undefined for another error. */
export type StorageFailure = 'full' | 'read-only' | 'busy' | 'io' | 'corrupt' | 'not-a-database'

/** Classifies an error thrown by `node:sqlite` by its SQLite result code. */
export function storageFailure(error: unknown): StorageFailure | undefined {
  const errcode = (error as { errcode?: unknown })?.errcode
  if (typeof errcode !== 'number') return undefined
  switch (errcode & 0xff) {
    case SQLITE.FULL:
      return 'full'
    case SQLITE.READONLY:
      return 'read-only'
    case SQLITE.BUSY:
    case SQLITE.LOCKED:
      return 'busy'
    case SQLITE.IOERR:
    case SQLITE.CANTOPEN:
    case SQLITE.NOMEM:
      return 'io'
    case SQLITE.CORRUPT:
      return 'corrupt'
    case SQLITE.NOTADB:
      return 'not-a-database'
    default:
      return undefined
  }
}

/** Seconds an exporter should wait before retrying after each transient failure. */
export const RETRY_AFTER_SECONDS: Partial<Record<StorageFailure, number>> = {
  full: 30,
  'read-only': 30,
  busy: 1,
  io: 10,
}

/**
 * Why the database's folder cannot be written, read from the file system, or undefined: SQLite says
 * only "unable to open database file" for a file on a read-only mount, and Node's recursive mkdir
 * says ENOENT there.
 */
export function folderProblem(path: string): string | undefined {
  let folder = dirname(path)
  while (!existsSync(folder) && dirname(folder) !== folder) folder = dirname(folder)
  try {
    accessSync(folder, constants.W_OK)
    return undefined
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EROFS') return `${folder} is on a read-only file system`
    if (code === 'EACCES' || code === 'EPERM') return `${folder} is not writable by this user`
    return undefined
  }
}

/** A sentence saying what went wrong with the database and what to do, for start-up errors. */
export function describeStorageFailure(path: string, error: unknown): string {
  const message = (error as Error)?.message ?? String(error)
  switch (storageFailure(error)) {
    case 'not-a-database':
      return `${path} is not a tokentrail trace database (${message}); pass another --db path`
    case 'corrupt':
      return `${path} is damaged (${message}); move it away or pass another --db path`
    case 'full':
      return `cannot write to the trace database at ${path}: the disk is full (${message}); free some space, then start again (the file itself is fine)`
    case 'read-only':
      return `cannot write to the trace database at ${path}: it is read-only (${message}); make the file and its folder writable or pass another --db path (the file itself is fine)`
    case 'busy':
      return `the trace database at ${path} is locked by another process (${message}); stop the other tokentrail dev or pass another --db path`
    default: {
      const folder = folderProblem(path)
      return folder
        ? `cannot open the trace database at ${path}: ${folder} (${message}); pass another --db path`
        : `cannot open the trace database at ${path}: ${message}; check the disk and the file's permissions, or pass another --db path`
    }
  }
}
