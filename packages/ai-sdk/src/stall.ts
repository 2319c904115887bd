import { now } from '@tokentrail/core/internal'

/**
 * A model stream as its consumer reads it. ai@7 tees every result: a consumer that stops reading
 * without cancelling the model stream (a `break` out of `textStream`, a client gone from
 * `pipeUIMessageStreamToResponse` or from a Response outside the Next/Hono adapters) leaves it
 * waiting for good, and the SDK never ends its call. Its spans would never end nor be sent.
 */
export interface Reading {
  /** The consumer asked for the next part and waits for the provider (a slow provider is no stall). */
  waiting: boolean
  /** When the consumer last got a part (or the stream was handed over). */
  lastRead: number
  /** Whether its span ended otherwise (finished, failed, cancelled, closed by its parent). */
  readonly ended: boolean
  /** The consumer stopped reading at `at`: its spans end there. */
  consumerStopped(at: number): void
}

// A consumer that has not asked for a part for this long has stopped reading. Generous: a slow
// client holds a stream back for seconds, not minutes; the spans end at the last read, not at
// the check, so their times do not depend on it.
let windowMs = 120_000
const open = new Set<Reading>()
let timer: ReturnType<typeof setInterval> | undefined
// When the timer last ran (or was made). workerd ends a request's timers with the request: a
// timer made while serving one that ended with a stream still open never runs again.
let lastSweep = 0

const every = () => Math.max(windowMs / 4, 10)

function sweep(): void {
  const at = now()
  lastSweep = at
  for (const reading of open)
    if (reading.ended) open.delete(reading)
    else if (!reading.waiting && at - reading.lastRead >= windowMs) {
      open.delete(reading)
      try {
        reading.consumerStopped(reading.lastRead)
      } catch {}
    }
  if (open.size === 0) stop()
}

function stop(): void {
  if (timer !== undefined) clearInterval(timer)
  timer = undefined
}

/** Checks `reading` until it ends: one timer for all open streams, none once a sweep finds none. */
export function watchReading(reading: Reading): void {
  open.add(reading)
  if (timer !== undefined) {
    // Its timer stopped running (workerd ended the request that made it): one is made anew here,
    // or the streams left open then, and every later one, would be kept and never checked.
    if (now() - lastSweep < 2 * every()) return
    stop()
  }
  start(reading)
}

function start(reading?: Reading): void {
  try {
    timer = setInterval(sweep, every())
    lastSweep = now()
    // Never what keeps a process alive.
    ;(timer as { unref?: () => void }).unref?.()
  } catch {
    // No timers here (a Workers global scope): streams are then not checked.
    if (reading) open.delete(reading)
  }
}

/**
 * The stream ended (or was cancelled): no more checks. The timer stays until a sweep finds no
 * stream open: streams that follow one another do not make and clear a timer each, before their
 * first chunk.
 */
export function unwatchReading(reading: Reading): void {
  open.delete(reading)
}

/** For tests: how many streams are watched. */
export function watchedReadings(): number {
  return open.size
}

/** For tests: how long a consumer may not ask for a part before it counts as stopped. */
export function setStallWindow(ms: number): void {
  windowMs = ms
  stop()
  if (open.size > 0) start()
}
