// What start-up code owns (options.js, env.js) is handed in by its callers rather than imported:
// esbuild splits a module that start-up and lazy code both import into a chunk of its own, fetched
// and compressed apart from the entry.

// Cloudflare Workers (workerd), as env.ts's onWorkers() tells it.
function onWorkers(): boolean {
  try {
    return (
      (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent ===
      'Cloudflare-Workers'
    )
  } catch {
    return false
  }
}

/**
 * How a flush (or shutdown) that left spans undelivered ended: its bound passed, or (`retryInMs`)
 * it stopped waiting because the send loop's next attempt comes after that bound.
 */
export function flushEnd(timeoutMs: number, retryInMs: number | undefined, during = 'flush') {
  return retryInMs === undefined
    ? `${during} timed out after ${timeoutMs} ms`
    : `${during} stopped waiting (the next attempt is in ${(retryInMs / 1000).toFixed(1)} s, after its ${timeoutMs} ms bound)`
}

/** Where delivery messages go: `warn` is on by default, `debug` only when asked for. */
export interface DeliverySinks {
  warn: ((message: string) => void) | undefined
  debug: ((message: string, error?: unknown) => void) | undefined
  /** Shortest gap between two summaries of continued failures. @default 60000 */
  summaryIntervalMs?: number
}

const DOCTOR = '`npx tokentrail doctor` checks the setup'

/**
 * Why spans were dropped before any export: the exporter's queue was full (`maxQueueSize`), a
 * shutdown's flush ran out of time with spans still queued, or spans ended after `shutdown()`.
 */
export type DropKind = 'queueFull' | 'shutdown' | 'afterShutdown'

function plural(n: number, word: string) {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}

/**
 * Why a tracer dropped spans before any exporter saw them: the `redact` hook threw, the redaction
 * rules threw, the redaction code could not load, or the span-end code that scrubs credentials
 * from every span could not load. A span that could not be redacted is never sent. (Also where
 * `onInternalError` reports it in debug mode.)
 */
export type TracerLoss =
  | 'redact hook'
  | 'redact result'
  | 'redaction'
  | 'redaction load'
  | 'scrub load'
  | 'features load'
  | 'queueFull'
  | 'redaction queueFull'
  | 'features queueFull'

const NEVER_UNREDACTED = 'a span that could not be redacted is never sent'
const REDACT_COUNTER = 'tracer.stats().dropped.redactError counts them'

/**
 * Spans dropped because the span-end code (`scrub load`) or the redaction code (`redaction load`)
 * could not load, not yet in a flush's result: per code, how many and the first load's error.
 */
export type ScrubLost = Partial<Record<TracerLoss, [spans: number, error: unknown]>>

const LOST_CODE = {
  'scrub load': ['the code that scrubs credentials from spans as they end', 'unscrubbed'],
  'redaction load': ['the redaction code', 'unredacted'],
  'features load': ['the sampling, redaction or metrics code', 'unsampled or unredacted'],
} as const

/**
 * A flush's result when spans ended since the last flush were dropped because the span-end or the
 * redaction code could not load (counted in `dropped.redactError` and said once by `sayLosses`):
 * not ok, the reason naming them first.
 */
export function lostFlush(
  tracer: { scrubLost: ScrubLost | undefined },
  result: { ok: boolean; pending: number; reason?: string } = { ok: true, pending: 0 },
): { ok: false; pending: number; reason: string } {
  const reasons: string[] = []
  for (const [why, [spans, error]] of Object.entries(tracer.scrubLost!) as [
    keyof typeof LOST_CODE,
    [number, unknown],
  ][]) {
    const [code, never] = LOST_CODE[why]
    reasons.push(
      `${plural(spans, 'span')} not delivered: ${code} could not load (${errorText(error)}); dropped, never sent ${never} (tracer.stats().dropped.redactError)`,
    )
  }
  tracer.scrubLost = undefined
  if (result.reason) reasons.push(result.reason)
  return { ok: false, pending: result.pending, reason: reasons.join('; ') }
}

/** The first span of a tracer that refused attributes or events at its limit, to be said. */
export type LimitDrops = [span: string, attributes: number, events: number]

// The losses each tracer has said already: each kind once.
const lossesSaid = new WeakMap<object, Set<TracerLoss>>()

/**
 * Says, once per kind and tracer, the spans it dropped before any exporter and has not said yet
 * (`tracer.unsaid`, taken), and the first span that dropped attributes or events at its limit
 * (`tracer.unsaidLimits`, taken). Later ones of a kind said already are counted only. Never throws.
 */
export function sayLosses(tracer: {
  unsaid: Partial<Record<TracerLoss, [spans: number, error: unknown]>> | undefined
  unsaidLimits?: LimitDrops | undefined
  readonly limits?: { readonly maxAttributes: number }
  readonly config: { readonly warn: ((message: string) => void) | undefined }
}): void {
  const drops = tracer.unsaidLimits
  tracer.unsaidLimits = undefined
  if (drops)
    try {
      tracer.config.warn?.(limitDropsLine(drops, tracer.limits?.maxAttributes ?? 0))
    } catch {}
  const unsaid = tracer.unsaid ?? {}
  tracer.unsaid = undefined
  let said = lossesSaid.get(tracer)
  if (!said) lossesSaid.set(tracer, (said = new Set()))
  for (const why of Object.keys(unsaid) as TracerLoss[]) {
    if (said.has(why)) continue
    said.add(why)
    const [spans, error] = unsaid[why]!
    try {
      tracer.config.warn?.(tracerLossLine(why, spans, error))
    } catch {}
  }
}

/** The one line a tracer says about the first span that refused attributes or events at its limit. */
function limitDropsLine([span, attributes, events]: LimitDrops, maxAttributes: number): string {
  const name = span.length > 80 ? `${span.slice(0, 79)}…` : span
  const what = [
    attributes > 0 ? plural(attributes, 'attribute') : '',
    events > 0 ? plural(events, 'event') : '',
  ]
    .filter(Boolean)
    .join(' and ')
  return `span ${JSON.stringify(name)} dropped ${what}: a span keeps at most ${maxAttributes} attributes and ${maxAttributes} events (limits.maxAttributes). A larger limits.maxAttributes keeps more; tracer.stats().limits counts them, and exported spans carry droppedAttributesCount and droppedEventsCount.`
}

// The first field of a span the redact hook's copy lacks (isSpanData in recording-tracer.ts).
function badField(span: Record<string, unknown>): string {
  for (const [field, type] of [
    ['traceId', 'string'],
    ['spanId', 'string'],
    ['name', 'string'],
    ['startTime', 'number'],
    ['endTime', 'number'],
    ['attributes', 'object'],
    ['events', 'array'],
    ['resource', 'object'],
  ] as const) {
    const value = span[field]
    const kind = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value
    if (kind !== type && !(type === 'object' && kind === 'array' && field !== 'attributes'))
      return `${field} is ${kind === 'undefined' ? 'missing' : kind} (expected ${type === 'string' || type === 'number' ? 'a' : 'an'} ${type})`
  }
  return 'fields are all there'
}

/**
 * At a shutdown whose bound ran out before the sampling, redaction or metrics code (`late`:
 * 'features', 'sampling' or 'redaction') had loaded: the spans held for it are dropped and counted (never sent unsampled or unredacted), and
 * said once.
 */
export function dropLate(
  tracer: {
    early: unknown[][] | undefined
    sampler: { drop(): number } | undefined
    redactor: { held: unknown[] } | undefined
    /** Spans held for lazily loaded code (here, the span-end code has loaded: the features'). */
    readonly waiting: number
    redactFailed(spans: number, why: TracerLoss, error: unknown): void
    onInternalError(where: string, error: unknown): void
  },
  late: string,
): void {
  // The sampler's held span ends, and the spans waiting for the redactor or the features' code.
  const spans = (tracer.sampler?.drop() ?? 0) + tracer.waiting
  const error = new Error(
    `the ${late === 'features' ? 'sampling, redaction or metrics' : late} code did not load in time`,
  )
  if (tracer.early) tracer.early = []
  if (tracer.redactor) tracer.redactor.held = []
  if (spans > 0) tracer.redactFailed(spans, 'features load', error)
  else tracer.onInternalError('features load', error)
}

/** The one line a tracer says about spans it dropped before any exporter (see `TracerLoss`). */
// An error as a line shows it (at most 160 characters).
function errorText(error: unknown): string {
  let what: string
  try {
    what = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
  } catch {
    what = 'an error'
  }
  return what.length > 160 ? `${what.slice(0, 159)}…` : what
}

function tracerLossLine(why: TracerLoss, spans: number, error: unknown): string {
  // `error`: the bound.
  if (why === 'queueFull' || why === 'redaction queueFull' || why === 'features queueFull')
    return `${plural(spans, 'span')} dropped before export: the queue was full (${error} spans held while the ${why === 'queueFull' ? 'span-end' : why === 'redaction queueFull' ? 'redaction' : 'sampling, redaction and metrics'} code loads, the larger of maxQueueSize and 10000): spans ended faster than that code, a local chunk, arrived. A larger maxQueueSize holds more; tracer.stats().dropped.queueFull counts them.`
  const what = errorText(error)
  const lost = `${plural(spans, 'span')} dropped before export`
  switch (why) {
    case 'redact hook':
      return `${lost}: the redact hook threw (${what}), and ${NEVER_UNREDACTED}. The hook must return the span, a changed copy, or null to drop it; ${REDACT_COUNTER}.`
    case 'redact result': {
      // `error` is what the hook returned.
      const got =
        typeof (error as PromiseLike<unknown> | undefined)?.then === 'function'
          ? 'a Promise (the hook must not be async)'
          : error && typeof error === 'object'
            ? `a copy whose ${badField(error as Record<string, unknown>)}`
            : typeof error === 'string'
              ? 'a string'
              : String(error)
      return `${lost}: the redact hook returned ${got}, not a span, and ${NEVER_UNREDACTED} (sent as is, it would fail the whole batch). The hook must return the span, a changed copy with every field, undefined to keep it, or null to drop it; ${REDACT_COUNTER}.`
    }
    case 'redaction':
      return `${lost}: the redaction rules failed on ${spans === 1 ? 'it' : 'them'} (${what}), and ${NEVER_UNREDACTED}. TOKENTRAIL_DEBUG=1 logs the error with its stack; ${REDACT_COUNTER}.`
    case 'redaction load':
      return `${lost}: the redaction code could not load (${what}), and ${NEVER_UNREDACTED}. The next span tries the load again; ${REDACT_COUNTER}.`
    case 'features load':
      return `${lost}: the sampling, redaction or metrics code could not load (${what}), and a span that could not be sampled or redacted is never sent; ${REDACT_COUNTER}.`
    case 'scrub load':
      return `${lost}: the code that scrubs credentials from spans as they end could not load (${what}), and ${NEVER_UNREDACTED}. The next span tries the load again; ${REDACT_COUNTER}.`
  }
}

/** An option of the span API given a value it cannot use (see `RecordingTracer.badInput`). */
export type BadInput =
  | 'parent'
  | 'kind'
  | 'startTime'
  | 'endTime'
  | 'status'
  | 'key'
  | 'name'
  | 'spanName'
  | 'eventName'
  | 'endBeforeStart'
  | 'attributes'

/** The line said once per tracer and option when the span API gets a value it cannot use. */
export function badInputLine(
  option: BadInput,
  span: string,
  got: unknown,
  // The method a start option was given to (tracer.startSpan() or tracer.withSpan()).
  given: string | undefined,
  // The span kinds there are (options.ts's SPAN_KINDS).
  kinds: readonly string[],
): string {
  // An object by its keys only: a carrier passed as the parent may hold credentials.
  let shown: string
  try {
    shown =
      typeof got === 'string'
        ? JSON.stringify(got.length > 80 ? `${got.slice(0, 80)}…` : got)
        : Array.isArray(got)
          ? `an array of ${got.length}`
          : got instanceof Map
            ? `a Map of ${got.size}`
            : got && typeof got === 'object'
              ? `an object with keys [${Object.keys(got).slice(0, 8).join(', ')}]`
              : String(got)
  } catch {
    shown = typeof got
  }
  const time = [
    'must be epoch milliseconds (a number from 0 to 1e16, or a Date)',
    'the current time was used',
  ]
  const [expected, instead] = {
    parent: [
      'must be a span or a SpanContext (a 32-hex traceId, a 16-hex spanId, numeric traceFlags)',
      'the span started a new trace. To continue a trace from headers or a queue job, pass extractTraceContext(carrier)',
    ],
    kind: [`must be one of ${kinds.join(', ')}`, 'the span is internal'],
    startTime: time,
    endTime: time,
    status: [
      "must be 'ok', 'error' or 'cancelled'",
      'the span ended with its default status: error when an error was recorded on it, else ok',
    ],
    key: ['must be a non-empty string', 'the attribute was not set'],
    name: ['must be a string', 'the span kept its name'],
    spanName: ['must be a string', 'the span was named with its text'],
    eventName: [
      'must be a string (addEvent(name, attributes?))',
      'the event was named with its text',
    ],
    endBeforeStart: [
      "is before the span's start (epoch milliseconds, on the clock its start was read from)",
      'the span ends at its start, lasting 0 ms',
    ],
    attributes: ['must be an object of attributes', 'nothing was set'],
  }[option]
  const [where, what] = (option === 'spanName'
    ? [given ?? 'tracer.startSpan()', 'the name']
    : given
      ? undefined
      : {
          endTime: ['span.end()', 'options.endTime'],
          endBeforeStart: ['span.end()', 'options.endTime'],
          status: ['span.end()', 'options.status'],
          key: ['span.setAttribute()', 'the key'],
          name: ['span.updateName()', 'the name'],
          eventName: ['span.addEvent()', 'the name'],
          attributes: ['span.setAttributes()', 'the argument'],
        }[option as 'key']) ?? [given ?? 'tracer.startSpan()', `options.${option}`]
  return `${where} on span "${span}": ${what} ${expected}, got ${shown}; ${instead}. Said once per tracer.`
}

/** The line said once per method when its `timeoutMs` cannot bound it. */
export function badBoundLine(where: string, got: unknown, defaultMs: number): string {
  return `${where}: options.timeoutMs must be a number of milliseconds (0 or more), got ${typeof got === 'string' ? JSON.stringify(got) : String(got)}; the exporter timeout (${defaultMs} ms) bounded it instead. Said once per tracer.`
}

/** The line said once per method when it is given neither an options object nor a timeout. */
export function notOptionsLine(where: string, got: unknown, valid: readonly string[]): string {
  return `${where} takes an options object { ${valid.join(', ')} } or a timeout in milliseconds, got ${typeof got === 'string' ? JSON.stringify(got.slice(0, 80)) : typeof got}; it was ignored. Said once per tracer.`
}

/** The line said once per method and key when a span API method is given an option it does not take. */
export function unknownOptionLine(
  where: string,
  key: string,
  valid: readonly string[],
  // options.ts's closestKey.
  closestKey: (key: string, valid: readonly string[]) => string | undefined,
): string {
  const hint = key === 'root' ? 'parent' : closestKey(key, valid)
  return `${where}: unknown option \`${key}\`${hint ? ` — did you mean \`${hint}\`?` : '.'} It was ignored. Valid options: ${valid.join(', ')}. Said once per tracer.`
}

/**
 * Says, once, that spans to one destination are not arriving and why; then at most one summary
 * per interval, and one line when delivery recovers. Every attempt is logged in debug mode.
 * Never throws.
 */
export class DeliveryLog {
  private warned = false
  private readonly saidWarnings = new Set<string>()
  private timeoutWarned = false
  // The reason of the last full warning, and whether delivery recovered since (see `againFor`).
  private saidReason: string | undefined
  private recovered = false
  private splitWarned = false
  private tooLargeWarned = false
  // Spans dropped before an export, by why: said once each, then at most a line per interval.
  private readonly dropsSaid = new Set<DropKind>()
  private dropsSinceReport = 0
  private lastDropReportAt = 0
  private failing = false
  private lastReportAt = 0
  private lostSinceReport = 0
  // Spans given up on (retries spent, rejected, too large) that no line has said yet: said at
  // shutdown if no summary came (a short-lived process hears of the first failure only).
  // By reason, so each is said with its own (a 400 among later shutdown drops).
  private readonly givenUpUnsaid = new Map<string, number>()
  private lostTotal = 0
  private lastReason: string | undefined
  private readonly intervalMs: number

  constructor(
    readonly target: string,
    private readonly sinks: DeliverySinks,
    private readonly maxRetries: number,
  ) {
    this.intervalMs = sinks.summaryIntervalMs ?? 60_000
  }

  /** The newest reason spans failed, if any. */
  get reason(): string | undefined {
    return this.lastReason
  }

  attemptFailed(spans: number, attempt: number, reason: string, retryInMs: number | undefined) {
    const again = this.againFor(reason)
    this.lastReason = reason
    this.failing = true
    this.say(
      'debug',
      `export attempt ${attempt + 1}/${this.maxRetries + 1} to ${this.target}: ${plural(spans, 'span')}, ${reason}; ${
        retryInMs === undefined
          ? 'giving up on them'
          : `next attempt in ${(retryInMs / 1000).toFixed(1)} s`
      }`,
    )
    if (retryInMs === undefined) this.lost(spans)
    if (!this.warned || again) {
      this.warned = true
      this.saidReason = reason
      this.lastReportAt = Date.now()
      this.lostSinceReport = 0
      this.say(
        'warn',
        `spans not delivered to ${this.target}: ${reason}. ${plural(spans, 'span')} ${
          retryInMs === undefined
            ? 'dropped'
            : `waiting, retrying up to ${plural(this.maxRetries - attempt, 'more time')}${
                // A receiver's Retry-After: exports to it wait that long, the queue filling.
                retryInMs >= 10_000 ? `, the next in ${Math.round(retryInMs / 1000)} s` : ''
              }`
        }. ${DOCTOR}; TOKENTRAIL_DEBUG=1 logs every attempt.`,
      )
    } else {
      if (retryInMs === undefined) this.givenUp(reason, spans)
      this.summarize()
    }
  }

  /** A batch too large for the receiver (413, or over 16 MB): it goes again in halves, nothing lost yet. */
  batchSplit(spans: number, reason: string) {
    this.say(
      'debug',
      `export to ${this.target}: ${plural(spans, 'span')} too large (${reason}); sending them again in halves`,
    )
    if (this.splitWarned) return
    this.splitWarned = true
    this.say(
      'warn',
      `a batch of ${plural(spans, 'span')} was too large for ${this.target} (${reason}). Such batches now go in halves, at the cost of extra requests; a lower maxBatchSize avoids them.`,
    )
  }

  /**
   * Spans refused as too large even alone (413): dropped and said once (then in debug), while the
   * rest of the batch arrives, so delivery as such is not failing and no "reach again" follows.
   */
  tooLarge(spans: number, reason: string) {
    this.lastReason = reason
    this.say('debug', `export to ${this.target}: ${plural(spans, 'span')} dropped: ${reason}`)
    this.lost(spans)
    if (this.tooLargeWarned) {
      this.givenUp(reason, spans)
      return
    }
    this.tooLargeWarned = true
    this.say(
      'warn',
      `spans not delivered to ${this.target}: ${reason}. ${plural(spans, 'span')} dropped. ${DOCTOR}.`,
    )
  }

  /**
   * Spans dropped before any export (see `DropKind`): counted in `tracer.stats().dropped`, and
   * said once per kind; more queue-full drops at most once per interval, then in debug.
   */
  dropped(kind: DropKind, spans: number, detail: number) {
    this.lost(spans)
    const counter = `tracer.stats().dropped.${kind === 'queueFull' ? 'queueFull' : 'shutdown'}`
    const text =
      kind === 'queueFull'
        ? `${plural(spans, 'span')} for ${this.target} dropped: its queue was full (maxQueueSize ${detail})${
            this.failing && this.lastReason
              ? ` while delivery is failing (${this.lastReason})`
              : ': spans ended faster than they could be sent'
          }`
        : kind === 'shutdown'
          ? `tracer.shutdown() ran out of time (${detail} ms) with ${plural(spans, 'span')} for ${this.target} not delivered; they are dropped${this.lastReason && !this.lastReason.startsWith('tracer.shutdown()') ? ` (last failure: ${this.lastReason})` : ''}`
          : `${plural(spans, 'span')} for ${this.target} ended after tracer.shutdown() and ${spans === 1 ? 'was' : 'were'} dropped`
    this.say('debug', text)
    if (!this.dropsSaid.has(kind)) {
      this.dropsSaid.add(kind)
      if (kind === 'queueFull') {
        this.lastDropReportAt = Date.now()
        this.dropsSinceReport = 0
      }
      const advice =
        kind === 'queueFull'
          ? 'A larger maxQueueSize holds more while the exporter catches up'
          : kind === 'shutdown'
            ? 'A longer shutdown({ timeoutMs }) waits more'
            : 'End spans, and let streams finish, before shutting the tracer down'
      this.say('warn', `${text}. ${advice}; ${counter} counts them.`)
      return
    }
    if (kind !== 'queueFull') return
    this.dropsSinceReport += spans
    if (Date.now() - this.lastDropReportAt >= this.intervalMs) this.sayQueueDrops(detail)
  }

  // Queue-full drops since the last line, summed.
  private sayQueueDrops(maxQueueSize: number) {
    if (this.dropsSinceReport === 0) return
    this.say(
      'warn',
      `${plural(this.dropsSinceReport, 'more span')} for ${this.target} dropped as its queue was full (maxQueueSize ${maxQueueSize}) since the last report`,
    )
    this.lastDropReportAt = Date.now()
    this.dropsSinceReport = 0
  }

  /**
   * The exporter shuts down: spans given up on and queue-full drops not said yet (inside an
   * interval) are said now.
   */
  closing(maxQueueSize: number) {
    let total = 0
    for (const spans of this.givenUpUnsaid.values()) total += spans
    if (total > 0) {
      const reasons = [...this.givenUpUnsaid]
      this.say(
        'warn',
        `${plural(total, 'span')} for ${this.target} given up on since the last report, and dropped (${
          reasons.length === 1
            ? reasons[0]![0]
            : `${reasons
                .slice(0, 3)
                .map(([reason, spans]) => `${plural(spans, 'span')}: ${reason}`)
                .join('; ')}${reasons.length > 3 ? `; ${reasons.length - 3} more reasons` : ''}`
        })`,
      )
    }
    this.givenUpUnsaid.clear()
    this.sayQueueDrops(maxQueueSize)
  }

  private givenUp(reason: string, spans: number) {
    this.givenUpUnsaid.set(reason, (this.givenUpUnsaid.get(reason) ?? 0) + spans)
  }

  attemptSucceeded(spans: number, attempt: number, ms: number, rejected: number, message = '') {
    if (rejected > 0) {
      const reason = `partial success: the receiver rejected ${rejected} of ${plural(spans, 'span')}${message ? ` (${message})` : ''}`
      this.say('debug', `export attempt ${attempt + 1} to ${this.target}: ${reason}`)
      const again = this.againFor(reason)
      this.lastReason = reason
      this.failing = true
      this.lost(rejected)
      if (!this.warned || again) {
        this.warned = true
        this.saidReason = reason
        this.lastReportAt = Date.now()
        this.lostSinceReport = 0
        this.say('warn', `spans not delivered to ${this.target}: ${reason}. ${DOCTOR}.`)
      } else {
        this.givenUp(reason, rejected)
        this.summarize()
      }
      return
    }
    this.say(
      'debug',
      `export attempt ${attempt + 1} to ${this.target}: ${plural(spans, 'span')} delivered in ${Math.round(ms)} ms`,
    )
    // A partial success that rejected nothing carries the receiver's warning: said once per text.
    if (message && !this.saidWarnings.has(message) && this.saidWarnings.size < 16) {
      this.saidWarnings.add(message)
      this.say('warn', `${this.target} took the spans, with a warning: ${message}`)
    }
    if (this.failing) {
      this.failing = false
      this.recovered = true
      this.say(
        'warn',
        `spans reach ${this.target} again${this.lostTotal > 0 ? ` (${plural(this.lostTotal, 'span')} lost before)` : ''}`,
      )
      this.lastReportAt = Date.now()
      this.lostSinceReport = 0
      this.givenUpUnsaid.clear()
    }
  }

  /** A flush (or a shutdown's) hit its bound with spans for this destination still unsent. */
  flushTimedOut(
    timeoutMs: number,
    pending: number,
    inFlightMs: number | undefined,
    during: 'flush' | 'tracer.shutdown()' = 'flush',
    beforeFreeze = false,
    retryInMs?: number,
  ) {
    const why =
      this.failing && this.lastReason
        ? this.lastReason
        : inFlightMs !== undefined
          ? `no answer yet after ${Math.round(inFlightMs)} ms`
          : 'still sending'
    const text = `${flushEnd(timeoutMs, retryInMs, during)}: ${plural(pending, 'span')} for ${this.target} not delivered yet (${why})`
    this.say('debug', text)
    // On Workers the retry a failure's line promised ends with the request (workerd ends its
    // timers and fetches once the waitUntil settles), and on a platform that freezes the function
    // once a request's flush settles (Vercel, AWS Lambda) it waits for a next request that may
    // never come: said once, even after that line. Elsewhere the retries go on, and the failure's
    // line told the story.
    const workers = onWorkers()
    if (!this.warned || ((workers || beforeFreeze) && !this.timeoutWarned)) {
      this.warned = true
      this.timeoutWarned = true
      this.lastReportAt = Date.now()
      this.say(
        'warn',
        `${text}. ${
          workers
            ? "Their retries end with this request: a tracer kept for the isolate sends them with a later request's flush, one made per request loses them"
            : beforeFreeze
              ? 'The function may freeze now: their retries go on only if this instance serves another request, and are lost if it never does'
              : 'Spans still waiting when the function freezes are lost'
        }. ${DOCTOR}.`,
      )
    } else if (Date.now() - this.lastReportAt >= this.intervalMs) {
      this.lastReportAt = Date.now()
      this.say('warn', text)
    }
  }

  // A failure after delivery recovered, for a reason other than the one said last (a 401 after a
  // 503): said in full at once, not left to a summary a minute later that may never come. Also
  // spans a shutdown gave up (aborted on the wire, or waiting for a retry): the last word on them,
  // said even when an earlier failure was.
  private againFor(reason: string): boolean {
    if (reason !== this.saidReason && reason.startsWith('tracer.shutdown()')) return true
    return this.recovered && !this.failing && reason !== this.saidReason
  }

  private lost(spans: number) {
    this.lostTotal += spans
    this.lostSinceReport += spans
  }

  private summarize() {
    if (this.lostSinceReport === 0 || Date.now() - this.lastReportAt < this.intervalMs) return
    this.say(
      'warn',
      `still not delivering to ${this.target}: ${plural(this.lostSinceReport, 'span')} lost since the last report, ${this.lostTotal} in all (${this.lastReason})`,
    )
    this.lastReportAt = Date.now()
    this.lostSinceReport = 0
    this.givenUpUnsaid.clear()
  }

  private say(level: 'warn' | 'debug', message: string) {
    try {
      if (level === 'warn') this.sinks.warn?.(message)
      else this.sinks.debug?.(message)
    } catch {}
  }
}
