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
  // A pass copies the frames committed when it began; commits made meanwhile are copied by the
  // next, shorter pass. Once every frame is in the file, the ingest connection's next write
  // starts the WAL over from its beginning.
  // A failure (a full disk) is the ingest connection's to meet and report.
  try {
    for (let pass = 0; pass < 8; pass++) {
      const { log, checkpointed } = checkpoint.get()
      if (checkpointed >= log) break
    }
  } catch {}
  parentPort.postMessage('done')
})
`

/**
 * Spans stored between background checkpoints: about 40 MB of WAL, the size at which the ingest
 * connection checkpointed by itself. Copying more often would copy the pages every batch rewrites
 * (index leaves, search segments, the rollup) more often. A small store never starts the worker.
 */
const EVERY_SPANS = 10_000
/** The ingest connection's own checkpoint once the worker runs: only if the worker falls behind. */
export const BACKSTOP_PAGES = 40_000

/**
 * Copies the WAL into the database file on a second connection in a worker thread, so the
 * ingest connection's COMMIT no longer copies it and no POST waits for a checkpoint. The ingest
 * connection keeps its automatic checkpoint, at a larger size, as a backstop for a worker that
 * falls behind (or fails: then checkpoints are the ingest connection's again, as before).
 *
 * Safe for a crash or SIGKILL: a committed batch is in the WAL either way.
 */
export class Checkpointer {
  private worker: Worker | undefined
  private readonly closed = new SharedArrayBuffer(4)
  private spans = 0
  private busy = false
  private failed = false

  /**
   * `background(true)` is called once the worker runs (the store then raises its own checkpoint
   * size), `background(false)` if it fails.
   */
  constructor(
    private readonly path: string,
    private readonly background: (on: boolean) => void,
  ) {}

  /** Called after each commit that stored `spans` spans. */
  committed(spans: number): void {
    if (this.failed) return
    this.spans += spans
    if (this.busy || this.spans < EVERY_SPANS) return
    if (!this.worker) {
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
      this.worker.on('message', () => {
        this.busy = false
      })
      // A worker that cannot run leaves checkpoints to the ingest connection, as before.
      this.worker.on('error', () => {
        this.failed = true
        this.worker = undefined
        this.background(false)
      })
      this.background(true)
    }
    this.busy = true
    this.spans = 0
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
