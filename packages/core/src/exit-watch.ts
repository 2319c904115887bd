/**
 * When a Node process is about to exit, spans still waiting in a tracer's queue are sent or told:
 *
 * - `beforeExit` (the event loop ran dry: a script's last line ran without `await tracer.flush()`):
 *   the tracer sends what is queued. The request keeps the process alive until it is answered (at
 *   most `exportTimeoutMs`); nothing else does, so a receiver that is down or answers with a retry
 *   does not hold the process. At most twice per tracer, so a `beforeExit` handler of the app that
 *   ends a span each time cannot keep the process running.
 * - `exit` (`process.exit()`, or spans the process could not send in time): they can no longer be
 *   sent, so one line says how many are lost (queued, on the wire or waiting for a retry), and how
 *   many were started and never ended (never sent at all).
 *
 * Loaded by `import()` when a tracer with exporters is made on a runtime with Node's `process`
 * events; one pair of listeners per process, shared by every tracer.
 */

/** What this module needs of a tracer. */
export interface ExitWatched {
  readonly counts: { readonly started: number; readonly ended: number }
  readonly serviceName: string
  readonly processors: readonly {
    readonly exporter: { readonly name?: string }
    snapshot(): { readonly queued: number; readonly inflight: number }
  }[]
  readonly config: {
    readonly warn: ((message: string) => void) | undefined
    readonly exporters: readonly { readonly name?: string }[]
  }
  /** Spans ended while the span-end code, sampling, redaction or metrics load, not queued yet. */
  readonly waiting?: number
  /** `shutdown()` was called. */
  readonly shutDown?: boolean
  flushAtExit(): void
}

interface NodeProcess {
  on(event: 'beforeExit' | 'exit', listener: () => void): unknown
}

interface Entry {
  ref: WeakRef<ExitWatched>
  // counts.ended when this tracer last flushed at beforeExit: flushed again only if spans ended
  // since, and at most MAX_ROUNDS times.
  flushedAt: number
  rounds: number
}

const MAX_ROUNDS = 2
const KEY = Symbol.for('tokentrail.exit.watch.v1')

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

// Spans of this tracer not delivered yet: queued, on the wire, or waiting for a retry. Spans for
// an in-memory exporter are the process's own and leave with it.
function unsent(tracer: ExitWatched): number {
  if (!sends(tracer)) return 0
  let n = tracer.waiting ?? 0
  for (const processor of tracer.processors) {
    if (processor.exporter.name === 'memory') continue
    const stats = processor.snapshot()
    n += stats.queued + stats.inflight
  }
  return n
}

// Whether a tracer sends somewhere: an exporter other than the in-memory one. (Its processors are
// made when the span-end code loads: read from its exporters.)
const sends = (tracer: ExitWatched): boolean =>
  tracer.config.exporters.some((exporter) => exporter.name !== 'memory')

function beforeExit(watched: Set<Entry>): void {
  for (const entry of watched) {
    const tracer = entry.ref.deref()
    if (!tracer) {
      watched.delete(entry)
      continue
    }
    try {
      const { started, ended } = tracer.counts
      // Spans queued, or spans still open that the flush hooks may end (an AI SDK call waiting
      // for an event that can no longer come).
      if (entry.rounds >= MAX_ROUNDS || entry.flushedAt === ended) continue
      if (started === ended && unsent(tracer) === 0) continue
      entry.flushedAt = ended
      entry.rounds++
      tracer.flushAtExit()
    } catch {}
  }
}

// Spans of this tracer started and never ended (a stream nobody read, a span without `end()`):
// never sent. Only for tracers that send somewhere, as `unsent` counts.
function open(tracer: ExitWatched): number {
  if (!sends(tracer)) return 0
  return Math.max(0, tracer.counts.started - tracer.counts.ended)
}

const spans = (n: number) => `${n} ${n === 1 ? 'span' : 'spans'}`

function atExit(watched: Set<Entry>): void {
  let total = 0
  let openTotal = 0
  const services: string[] = []
  const openBy: string[] = []
  let warn: ((message: string) => void) | undefined
  for (const entry of watched) {
    const tracer = entry.ref.deref()
    if (!tracer) continue
    try {
      const lost = unsent(tracer)
      const never = open(tracer)
      if ((lost === 0 && never === 0) || !tracer.config.warn) continue
      warn ??= tracer.config.warn
      total += lost
      openTotal += never
      if (lost > 0) services.push(`${tracer.serviceName}: ${lost}`)
      if (never > 0) openBy.push(`${tracer.serviceName}: ${never}`)
    } catch {}
  }
  if (!warn || total + openTotal === 0) return
  const notDelivered =
    total > 0 ? `${spans(total)} not delivered (${services.join(', ')})` : undefined
  const stillOpen =
    openTotal > 0 ? `${spans(openTotal)} never ended (${openBy.join(', ')})` : undefined
  const lost = `the process is exiting with ${[notDelivered, stillOpen].filter(Boolean).join(' and ')}; ${total + openTotal === 1 ? 'it is' : 'they are'} lost.`
  const streams = 'read or cancel each streamText result'
  try {
    warn(
      openTotal === 0
        ? `${lost} Await tracer.flush() or tracer.shutdown() before the process exits.`
        : total === 0
          ? `${lost} End every span, and let streams finish (${streams}), before the process exits; tracer.stats() counts them as started − ended.`
          : `${lost} Await tracer.flush() or tracer.shutdown() before the process exits, after ending every span and letting streams finish (${streams}).`,
    )
  } catch {}
}

// Tracers that send spans somewhere and were not shut down, this many at once: made per request or
// per call, not once for the app. Said once per process (every copy of this package).
const MANY = 64
const MANY_SAID = Symbol.for('tokentrail.exit.many-tracers')

function sayManyTracers(watched: Set<Entry>, newest: ExitWatched): void {
  const g = globalThis as Record<symbol, boolean | undefined>
  const warn = newest.config.warn
  if (g[MANY_SAID] || !warn) return
  let open = 0
  for (const entry of watched) {
    const tracer = entry.ref.deref()
    if (tracer && !tracer.shutDown && sends(tracer)) open++
  }
  if (open < MANY) return
  g[MANY_SAID] = true
  try {
    warn(
      `${open} tracers that send spans are open in this process at once: createTracer() seems to run per request or per call. Make one tracer as the app starts (a module-level const, or setTracer()) and use it everywhere: each tracer queues and sends its spans on its own (a request per tracer instead of shared batches) under its own service.instance.id. A tracer made for a short task ends with await tracer.shutdown(). (Meant, such as a tracer per tenant? This is said only once.)`,
    )
  } catch {}
}

/** Watches `tracer` until it is garbage-collected. */
export function watchExit(tracer: ExitWatched, process: NodeProcess): void {
  const watched = entries(process)
  watched.add({ ref: new WeakRef(tracer), flushedAt: -1, rounds: 0 })
  // Tracers made and dropped by the thousand (tests) leave no trail. Counted with the new one: the
  // 64th open tracer is told.
  if (watched.size >= MANY && (watched.size & (watched.size - 1)) === 0) {
    for (const entry of watched) if (!entry.ref.deref()) watched.delete(entry)
    sayManyTracers(watched, tracer)
  }
}
