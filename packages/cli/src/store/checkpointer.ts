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
  try {
    for (let pass = 0; pass < 8; pass++) {
      const { log, checkpointed } = checkpoint.get()
      if (checkpointed >= log) break
    }
    parentPort.postMessage('done')
  } catch (error) {
    // A full disk (SQLITE_FULL: the database file could not grow) passes once space is back: the
    // store asks again after its next commit. Another failure leaves checkpoints to the store.
    parentPort.postMessage(((error && error.errcode) & 0xff) === 13 ? 'full' : 'failed')
  }
})
`

/**
 * A background checkpoint starts after this many spans or bytes of span JSON, whichever comes
 * first: about half the WAL size (~40 MB) at which the ingest connection checkpoints by itself,
 * so the worker normally gets there first. Copying much more often would copy the pages every
 * batch rewrites (index leaves, search segments, the rollup) more often. A small store never
 * starts the worker.
 */
const EVERY_SPANS = 5_000
const EVERY_BYTES = 8 * 1024 * 1024
/** How long `close` waits for the worker to close its connection. */
const CLOSE_WAIT_MS = 5_000

/**
 * Copies the WAL into the database file on a second connection in a worker thread, so the
 * ingest connection's COMMIT no longer copies it and no POST waits for a checkpoint. The ingest
 * connection keeps its own automatic checkpoint: it runs only when the worker falls behind (or
 * stops: a worker that fails leaves checkpoints to it, as before).
 *
 * Safe for a crash or SIGKILL: a committed batch is in the WAL either way.
 */
export class Checkpointer {
  private worker: Worker | undefined
  private readonly closed = new SharedArrayBuffer(4)
  private spans = 0
  private bytes = 0
  private busy = false
  private stopped = false
  /** The last checkpoint failed on a full disk. */
  private full = false

  constructor(private readonly path: string) {}

  /**
   * Called after each commit that stored `spans` spans, `bytes` of JSON. `recovered`: the commit is
   * the first to succeed after the disk was full (the store's or a checkpoint's write failed with
   * SQLITE_FULL): a checkpoint starts now, whatever the counts, so what the WAL gathered meanwhile
   * goes into the database file as soon as there is room for it, not at the next 40 MB or start.
   */
  committed(spans: number, bytes: number, recovered = false): void {
    if (this.stopped) return
    this.spans += spans
    this.bytes += bytes
    if (this.full) {
      recovered = true
      this.full = false
    }
    if (this.busy || (!recovered && this.spans < EVERY_SPANS && this.bytes < EVERY_BYTES)) return
    const worker = this.worker ?? this.start()
    if (!worker) return
    this.busy = true
    this.spans = 0
    this.bytes = 0
    worker.postMessage('checkpoint')
  }

  private start(): Worker | undefined {
    let worker: Worker
    try {
      worker = new Worker(WORKER, {
        eval: true,
        workerData: { path: this.path, closed: this.closed },
      })
    } catch {
      this.stopped = true
      return undefined
    }
    worker.on('message', (message: 'done' | 'full' | 'failed') => {
      this.busy = false
      // The disk was full: tried again after the next commit, which needs room too.
      if (message === 'full') this.full = true
      else if (message === 'failed') this.stop()
    })
    worker.on('error', () => this.stop())
    worker.on('exit', () => this.stop())
    // After the listeners (a 'message' listener refs the worker again): it never keeps the
    // process alive.
    worker.unref()
    this.worker = worker
    return worker
  }

  /** Leaves checkpoints to the ingest connection from now on. */
  private stop(): void {
    this.stopped = true
    const worker = this.worker
    this.worker = undefined
    if (worker) {
      worker.removeAllListeners()
      void worker.terminate()
    }
  }

  /**
   * Closes the worker's connection before the store closes its own (which, as the last one,
   * checkpoints and removes the WAL), waiting for a checkpoint it is running to end.
   */
  close(): void {
    this.stopped = true
    const worker = this.worker
    this.worker = undefined
    if (!worker) return
    worker.removeAllListeners()
    worker.postMessage('close')
    Atomics.wait(new Int32Array(this.closed), 0, 0, CLOSE_WAIT_MS)
    void worker.terminate()
  }
}
