/**
 * When a Node process is about to exit, spans still waiting in a tracer's queue are sent or told:
 *
 * - `beforeExit` (the event loop ran dry: a script's last line ran without `await tracer.flush()`):
 *   the tracer flushes; the request keeps the process alive until the spans are sent or the export
 *   timeout passes, and then the process exits as it would have.
 * - `exit` (`process.exit()`, or spans that came after that flush): they can no longer be sent, so
 *   the tracer's `warnings` sink says how many are lost and what to call.
 *
 * Loaded by `import()` when a tracer with exporters is made on a runtime with Node's `process`
 * events; one pair of listeners per process, shared by every tracer (and every copy of core).
 */

/** What this module needs of a tracer (structural, so tracers of another copy of core fit). */
export interface ExitWatched {
  readonly counts: { readonly started: number; readonly ended: number }
  readonly processors: readonly { readonly pending: number; readonly exporter: unknown }[]
  readonly config: { readonly warn: ((message: string) => void) | undefined }
  flush(): Promise<unknown>
}

interface NodeProcess {
  on(event: 'beforeExit' | 'exit', listener: () => void): unknown
}

interface Entry {
  ref: WeakRef<ExitWatched>
  // counts.ended when this tracer last flushed at beforeExit: flushed again only if spans ended
  // since, so a flush that cannot deliver does not keep the process alive in a loop.
  flushedAt: number
}

const KEY = Symbol.for('tokentrail.exit.watch')

function entries(process: NodeProcess): Set<Entry> {
  const g = globalThis as Record<symbol, Set<Entry> | undefined>
  let set = g[KEY]
  if (!set) {
    const watched = new Set<Entry>()
    set = watched
    Object.defineProperty(g, KEY, { value: watched, enumerable: false, configurable: true })
    process.on('beforeExit', () => beforeExit(watched))
    process.on('exit', () => atExit(watched))
  }
  return set
}

const pendingOf = (tracer: ExitWatched) =>
  tracer.processors.reduce((n, processor) => n + processor.pending, 0)

function beforeExit(watched: Set<Entry>): void {
  for (const entry of watched) {
    const tracer = entry.ref.deref()
    if (!tracer) {
      watched.delete(entry)
      continue
    }
    try {
      const { started, ended } = tracer.counts
      // Spans queued, or spans still open that a flush may end (an AI SDK call waiting for an
      // event that can no longer come: the flush hooks end it).
      if (pendingOf(tracer) === 0 && started === ended) continue
      if (entry.flushedAt === ended) continue
      entry.flushedAt = ended
      void tracer.flush().catch(() => {})
    } catch {}
  }
}

function atExit(watched: Set<Entry>): void {
  for (const entry of watched) {
    const tracer = entry.ref.deref()
    if (!tracer) continue
    try {
      const pending = pendingOf(tracer)
      if (pending === 0) continue
      tracer.config.warn?.(
        `the process is exiting with ${pending} ${pending === 1 ? 'span' : 'spans'} not sent; they are lost. Await tracer.flush() or tracer.shutdown() before process.exit().`,
      )
    } catch {}
  }
}

/** Watches `tracer` until it is garbage-collected. */
export function watchExit(tracer: ExitWatched, process: NodeProcess): void {
  const watched = entries(process)
  // Tracers made and dropped by the thousand (tests) leave no trail.
  if (watched.size >= 64 && (watched.size & (watched.size - 1)) === 0)
    for (const entry of watched) if (!entry.ref.deref()) watched.delete(entry)
  watched.add({ ref: new WeakRef(tracer), flushedAt: -1 })
}
