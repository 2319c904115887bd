import { Worker } from 'node:worker_threads'

// The worker's whole program: a second connection that copies the WAL into the database file when
// told to. Given as text (`eval`), so it runs the same from the TypeScript sources and from dist.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads')
const emit = process.emitWarning.bind(process)
process.emitWarning = (warning, ...rest) => {
  const type = typeof rest[0] === 'string' ? rest[0] : rest[0] && rest[0].type
  if (type === 'ExperimentalWarning' && String(warning).includes('SQLite')) return
  return emit(warning, ...rest)
}
const { DatabaseSync } = require('node:sqlite')
const closed = new Int32Array(workerData.closed)
const db = new DatabaseSync(workerData.path)
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)')
parentPort.on('message', (message) => {
  if (message === 'close') {
    db.close()
    Atomics.store(closed, 0, 1)
    Atomics.notify(closed, 0)
    parentPort.close()
    return
  }
  let error
  try {
    checkpoint.get()
  } catch (cause) {
    error = cause && cause.message
  }
  parentPort.postMessage({ done: true, error })
})
`

/** At most this often a background checkpoint starts, in milliseconds. */
const INTERVAL_MS = 100
/** Spans stored before the worker starts: a small store never needs one. */
const START_AFTER_SPANS = 5_000

/**
 * Copies the WAL into the database file on a second connection in a worker thread, so the
 * ingest connection's COMMIT no longer copies it (a fifth of ingest's CPU) and no POST waits for
 * a checkpoint. The ingest connection keeps its automatic checkpoint as a backstop: a checkpoint
 * on another connection cannot start the WAL over while commits keep coming, so that one still
 * runs when the WAL reaches its size, and copies only what the worker had not.
 *
 * Safe for a crash or SIGKILL: a committed batch is in the WAL either way.
 */
export class Checkpointer {
  private worker: Worker | undefined
  private readonly closed = new SharedArrayBuffer(4)
  private spans = 0
  private busy = false
  private last = 0
  private failed = false
  /** Background checkpoints done (for tests and the bench). */
  runs = 0

  constructor(private readonly path: string) {}

  /** Called after each commit that stored `spans` spans. */
  committed(spans: number): void {
    if (this.failed) return
    this.spans += spans
    if (!this.worker) {
      if (this.spans < START_AFTER_SPANS) return
      try {
        this.worker = new Worker(WORKER, {
          eval: true,
          workerData: { path: this.path, closed: this.closed },
        })
      } catch {
        this.failed = true
        return
      }
      this.worker.unref()
      this.worker.on('message', (message: { done?: boolean; error?: string }) => {
        this.busy = false
        if (message.error === undefined) this.runs++
      })
      // A worker that cannot run leaves checkpoints to the ingest connection, as before.
      this.worker.on('error', () => {
        this.failed = true
        this.worker = undefined
      })
    }
    const now = Date.now()
    if (this.busy || now - this.last < INTERVAL_MS) return
    this.busy = true
    this.last = now
    this.worker.postMessage('checkpoint')
  }

  /**
   * Closes the worker's connection before the store closes its own (which, as the last one,
   * checkpoints and removes the WAL), waiting at most a second for it.
   */
  close(): void {
    const worker = this.worker
    this.worker = undefined
    if (!worker) return
    const closed = new Int32Array(this.closed)
    worker.postMessage('close')
    Atomics.wait(closed, 0, 0, 1000)
    void worker.terminate()
  }
}
