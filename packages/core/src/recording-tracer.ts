import { sanitizeValue, truncate, truncateValue } from './attributes.js'
import { isEpochMs, MAX_TIMER_MS, now } from './clock.js'
import type { ResolvedConfig } from './config.js'
import { INPUT_CONTENT_KEYS, OUTPUT_CONTENT_KEYS } from './content-keys.js'
import { getActiveContextSpan, runWithSpan } from './context.js'
import type { BadInput, LimitDrops, TracerLoss } from './delivery-log.js'
import { runFlushHooks } from './flush-hooks.js'
import { newSpanId, newTraceId } from './ids.js'
import { lazy } from './lazy.js'
import type { LazyMetrics } from './lazy-metrics.js'
import { closestKey, SPAN_KINDS } from './options.js'
import type { BatchProcessor, FlushOutcome, FlushWait } from './processor.js'
import type { LazyRedactor } from './redaction/lazy-redactor.js'
import type { LazySampler } from './sampling/lazy-sampler.js'
import type { SamplingStats } from './sampling/trace-sampler.js'
import {
  DEFERRED_TRACESTATE,
  isDeferred,
  SAMPLING_ATTR,
  traceIdRatio,
} from './sampling/trace-state.js'
import { isSecretKey, REDACTED } from './secret-key.js'
import {
  NOOP_SPAN,
  NonRecordingSpan,
  RecordingSpan,
  type Span,
  type SpanOwner,
  storedAsGiven,
  type TextScrub,
  textOf,
} from './span.js'
import { foreignTraceState } from './trace-state.js'
import type { FlushResult, StartSpanOptions, Tracer, TracerStats } from './tracer.js'
import type {
  Attributes,
  AttributeValue,
  Resource,
  SpanContext,
  SpanData,
  SpanKind,
  SpanStatus,
} from './types.js'
import { VERSION } from './version.js'

// Whether `value` (a promise, or not) settled within `ms`: true, false at the bound; rejects as it
// does.
async function within(value: unknown, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    return await Promise.race([
      Promise.resolve(value).then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(resolve, ms, false)
      }),
    ])
  } finally {
    clearTimeout(timer)
  }
}

// A Promise (of this realm or another, or a subclass): withSpan ends its span when it settles. Any
// other thenable is returned as it is, unawaited: a lazy one (a Prisma, Knex or Drizzle query,
// which runs when awaited, and which a batch such as `$transaction([...])` takes only as itself)
// would otherwise run at once and come back as a plain Promise.
function isPromise(value: unknown): value is Promise<unknown> {
  // A returned Proxy whose traps throw is the caller's to meet, not withSpan's.
  try {
    return (
      value instanceof Promise ||
      (typeof value === 'object' &&
        value !== null &&
        Object.prototype.toString.call(value) === '[object Promise]')
    )
  } catch {
    return false
  }
}

// Sampling stats while nothing is decided yet: before the sampler has loaded.
const noSampling = (bufferedSpans: number): SamplingStats => ({
  openTraces: 0,
  bufferedSpans,
  bufferedBytes: 0,
  keptTraces: 0,
  droppedTraces: 0,
  kept: {},
  droppedSpans: 0,
  spanCapDrops: 0,
  decidedEarly: 0,
  headFallback: 0,
  textLeftOut: 0,
  partialSpans: 0,
})

// What the optional features (tracer-features.ts) share with start-up code, handed to them rather
// than imported by them: esbuild splits a module that start-up and lazy code both import into a
// chunk of its own, fetched and compressed apart from the entry (see bundle-split.node.test.ts).
const FEATURE_HELPERS = {
  lazy,
  within,
  noSampling,
  traceIdRatio,
  SAMPLING_ATTR,
  INPUT_CONTENT_KEYS,
  OUTPUT_CONTENT_KEYS,
  isSecretKey,
  REDACTED,
  truncate,
  truncateValue,
  sanitizeValue,
  storedAsGiven,
}
export type FeatureHelpers = typeof FEATURE_HELPERS

/** What the optional features would have seen before they loaded: kept in order, then replayed. */
type Early =
  | [
      kind: 'start',
      traceId: string,
      spanId: string,
      localRoot: boolean,
      upstream?: 'kept' | 'dropped',
    ]
  | [kind: 'end' | 'export' | 'metrics', span: SpanData]

// Bound on what waits for the features or the span-end code to load (a local chunk: milliseconds).
const MAX_EARLY = 10_000

/**
 * A random UUID (v4) for `service.instance.id`: `crypto.randomUUID`, else (a page served over plain
 * HTTP, where browsers leave it out) one made from `getRandomValues`; undefined where no random
 * value can be made now (Workers' global scope).
 */
function instanceId(): string | undefined {
  try {
    return crypto.randomUUID()
  } catch {}
  try {
    const b = crypto.getRandomValues(new Uint8Array(16))
    b[6] = (b[6]! & 0x0f) | 0x40
    b[8] = (b[8]! & 0x3f) | 0x80
    const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
  } catch {
    return undefined
  }
}

// The scrub every span gets as it ends (span-end.ts, with the text scrub, secret-text.ts): loaded
// as a tracer is made, not awaited, so start-up code does not parse it. Tracers made once it has
// loaded take it at once.
type SpanEnd = typeof import('./span-end.js')

// An attribute value with its texts scrubbed by `text`: the same value when nothing changed.
function scrubbedTexts(value: AttributeValue, text: (value: string) => string): AttributeValue {
  if (typeof value === 'string') return text(value)
  if (!Array.isArray(value)) return value
  const items = value.map((item) => (typeof item === 'string' ? text(item) : item))
  return items.some((item, i) => item !== value[i]) ? (items as AttributeValue) : value
}
type ScrubLost = import('./delivery-log.js').ScrubLost
type SpanEndPath = ReturnType<SpanEnd['spanEndOf']>
type LateSpan = import('./span-end.js').LateSpan
let spanEndLoaded: SpanEnd | undefined
const spanEnd = lazy(() => import('./span-end.js').then((m) => (spanEndLoaded = m)))

/**
 * The text scrub, once the span-end code (which brings it) has loaded, as a tracer that records
 * is made; until then, an adapter's text that needs it waits with its span (`scrubLater`). For
 * the adapters.
 */
export function textScrub(): TextScrub | undefined {
  return spanEndLoaded?.textScrub
}

/**
 * Runs `write` with the text scrub before `span` goes to its exporters: as the span ends if the
 * scrub has loaded by then, else once it has, before the span's own scrub (the span is held until
 * then, as every span that ends before the span-end code has loaded is, in order). For an
 * adapter's text that needs scrubbing before it is cut or embedded (tool arguments in a prompt's
 * JSON, a text cut to a budget): `write` sets what it makes (`setAttribute`,
 * `setTrustedAttributes`), taken as while the span ends. Nothing on a span that does not record or
 * has ended, nor on one of another copy of core. For the adapters. (Here, not in span.ts: only an
 * adapter's start-up code has it.)
 */
export function scrubLater(span: Span, write: (scrub: TextScrub) => void): void {
  if (!(span instanceof RecordingSpan)) {
    // A span of another copy of core (an app with two installed), whose tracer cannot hold it for
    // this copy's scrub, which no tracer of this copy may have asked for (an adapter asks for it as
    // it is set up: `loadTextScrub`): its texts are left out (never sent unscrubbed), the span says
    // so and its tracer's debug output once, and the scrub loads for the next.
    if (span.isRecording) {
      spanEnd().catch(() => {})
      leftOut(span)
    }
    return
  }
  if (span.ended) return
  ;(span.scrubWrites ??= []).push(write)
  span.lateData = scrubbedData
}

/**
 * Starts loading the text scrub (with the span-end code) if it has not loaded: an adapter asks as
 * it is set up, so the spans of another copy of core (an app with two installed), which cannot
 * wait for it (`scrubLater`), have their texts. For the adapters.
 */
export function loadTextScrub(): void {
  if (!spanEndLoaded) spanEnd().catch(() => {})
}

// A span of another copy of core whose texts were left out: marked
// (`tokentrail.content.not_recorded`), and said once through its tracer's debug output
// (`onInternalError`, which every copy's tracer has).
function leftOut(span: Span): void {
  try {
    span.setAttribute('tokentrail.content.not_recorded', true)
    ;(span as { owner?: RecordingTracer }).owner?.onInternalError?.(
      'text scrub',
      Error(
        "not loaded in time by the adapter's copy of @tokentrail/core: a span's content left out (tokentrail.content.not_recorded)",
      ),
    )
  } catch {}
}

// The data of a span with writes waiting for the text scrub: made after they have run. Not loaded
// yet (nor is the span-end code): the tracer holds the span until it has (`onSpanEnd`), and
// span-end.ts takes its data from here then (`LateSpan`).
function scrubbedData(
  span: RecordingSpan,
  status: SpanStatus | undefined,
  endTime: number,
): SpanData {
  const made = (scrub: TextScrub): SpanData => {
    const writes = span.scrubWrites!
    span.scrubWrites = undefined
    // Taken as writes while it ends.
    span.ended = false
    for (const write of writes) {
      try {
        write(scrub)
      } catch (error) {
        span.owner.onInternalError('span.scrubLater', error)
      }
    }
    span.ended = true
    return span.endData(status, endTime)
  }
  const scrub = spanEndLoaded?.textScrub
  return scrub ? made(scrub) : ({ scrubbedData: made } satisfies LateSpan as unknown as SpanData)
}

// Spans still queued when a Node process runs out of work are flushed, and any lost at exit are
// told (exit-watch.ts). Only where Node's process events exist; loaded apart from start-up.
const exitWatch = lazy(() => import('./exit-watch.js'))
type ExitWatch = typeof import('./exit-watch.js')
type NodeProcess = Parameters<ExitWatch['watchExit']>[1]
// Tracers made while exit-watch.ts loads (a few ms): a `process.exit()` then, even in the tick
// that made the tracer, would find no listener. One is added at once and, if exit-watch has not
// loaded by the exit, says their losses in one short line itself; once it has, tracers are handed
// to it as they are made.
let exitEarly: Set<RecordingTracer> | undefined
let exitLoaded: ExitWatch | undefined
function watchExitOf(tracer: RecordingTracer): void {
  const process = (globalThis as { process?: { on?: unknown; release?: { name?: unknown } } })
    .process
  if (typeof process?.on !== 'function' || process.release?.name !== 'node') return
  if (typeof WeakRef !== 'function') return
  const node = process as NodeProcess
  if (exitLoaded) {
    exitLoaded.watchExit(tracer, node)
    return
  }
  if (!exitEarly) {
    const set = (exitEarly = new Set())
    node.on('exit', () => exitLoaded || sayEarlyExit(set))
  }
  const early = exitEarly
  early.add(tracer)
  exitWatch().then(
    (m) => {
      exitLoaded = m
      if (early.delete(tracer)) m.watchExit(tracer, node)
    },
    (error) => {
      early.delete(tracer)
      tracer.onInternalError('exit watch load', error)
    },
  )
}
function sayEarlyExit(tracers: Set<RecordingTracer>): void {
  let lost = 0
  let open = 0
  let warn: ((message: string) => void) | undefined
  for (const t of tracers) {
    if (!t.config.warn) continue
    if (t.config.exporters.some((e) => e.name !== 'memory')) {
      for (const p of t.processors) if (p.exporter.name !== 'memory') lost += p.undelivered
      warn = t.config.warn
      lost += t.waiting
      open += t.counts.started - t.counts.ended
    }
  }
  // exit-watch.ts's line, short: its text stays out of start-up.
  if (warn && lost + open > 0)
    try {
      warn(
        `the process is exiting with spans lost: ${lost} not delivered, ${open} never ended. End every span, then await tracer.flush() or tracer.shutdown() before it exits.`,
      )
    } catch {}
}

// A parent the tracer can continue (1): a span (of any copy of the package, or OpenTelemetry's)
// or a SpanContext with valid ids. A no-op span's all-zero ids (a disabled tracer's, from any
// copy) start a new trace as ours do (0). Anything else (-1: a carrier passed where
// extractTraceContext(carrier) belonged) would give the span no trace id, or ids every receiver
// refuses with the whole batch.
function parentKind(parent: unknown): 1 | 0 | -1 {
  try {
    const span = typeof parent === 'object' && parent !== null && 'spanContext' in parent
    const context = (span ? (parent as Span).spanContext() : parent) as SpanContext
    const ids = `${context.traceId}-${context.spanId}`
    if (typeof context.traceFlags !== 'number' || !/^[0-9a-f]{32}-[0-9a-f]{16}$/.test(ids))
      return -1
    if (!/0{32}|-0{16}/.test(ids)) return 1
    return span && /^0+-0+$/.test(ids) ? 0 : -1
  } catch {
    return -1
  }
}

// What a tracer says about spans it dropped before any exporter: loaded the first time it has some.
// Spans lost for `why`, added to those before (the first error kept).
function tally(
  into: Partial<Record<TracerLoss, [spans: number, error: unknown]>>,
  why: TracerLoss,
  spans: number,
  error: unknown,
): void {
  const known = into[why]
  if (known) known[0] += spans
  else into[why] = [spans, error]
}

const lossReport = lazy(() => import('./delivery-log.js'))
type DeliveryLogModule = typeof import('./delivery-log.js')

// The options each method takes, for the line that names one it does not.
const START_OPTIONS = ['parent', 'kind', 'attributes', 'startTime']
const FLUSH_OPTIONS = ['timeoutMs', 'metrics']
// An adapter's per-request flush on a long-lived server, or where the function may freeze once it
// settles (see requestFlushOptions in http.ts).
const WAIT_WHILE_FAILING = Symbol.for('tokentrail.flush.waitWhileFailing')
const BEFORE_FREEZE = Symbol.for('tokentrail.flush.beforeFreeze')
const SHUTDOWN_OPTIONS = ['timeoutMs']

// A flush or shutdown bound as a timer takes it: `Infinity` (or anything past the longest timer)
// waits as long as a timer can, about 24.8 days, instead of firing at once.
const boundMs = (ms: number): number => (ms > MAX_TIMER_MS ? MAX_TIMER_MS : ms)

/** The tracer that records: spans go through redaction to one batch processor per exporter. */
export class RecordingTracer implements Tracer, SpanOwner {
  readonly enabled = true
  // Made again, once, with `service.instance.id` when that could not be made with the tracer.
  resource: Resource
  // No random values where the tracer was made (Workers' global scope): the id is made at the
  // first span, which runs in a request.
  private needsInstanceId = false
  readonly limits: ResolvedConfig['limits']
  // Read by tracer-features.ts too (processors, counts, drops, config). One batch processor per
  // exporter, made when the span-end code loads (no span reaches them before).
  readonly processors: BatchProcessor[] = []
  readonly counts = { started: 0, ended: 0, notSampled: 0, lateWrites: 0 }
  private readonly lateSeen = new Set<string>()
  // Unknown option keys said so far: keys made at run time cannot grow `reported` without bound.
  private optionsSaid = 0
  // queueFull: spans past the bound held for the span-end, features' or redaction code.
  readonly drops = { redacted: 0, redactError: 0, queueFull: 0 }
  // Attributes and events spans refused at their limits (stats().limits).
  private readonly limitDrops = { attributesDropped: 0, eventsDropped: 0 }
  private readonly reported = new Set<string>()
  // Sampling, redaction and metrics, when on, load by import() as the tracer is made
  // (tracer-features.ts); until they land, what they would see waits in `early`, in order.
  // (Read by span-end.ts too.)
  sampler: LazySampler | undefined
  redactor: LazyRedactor | undefined
  metrics: LazyMetrics | undefined
  early: Early[] | undefined
  private features: (() => Promise<void>) | undefined
  private featuresLoading: Promise<void> | undefined
  // Spans that could not be redacted and not yet said, by why (see `sayLosses`), and the saying
  // under way: a flush or shutdown awaits it, so the line is out before a function freezes.
  unsaid: Partial<Record<TracerLoss, [spans: number, error: unknown]>> | undefined
  // The first span that dropped attributes or events at its limit, until said (once per tracer).
  unsaidLimits: LimitDrops | undefined
  private saying: Promise<void> | undefined
  // What ended spans go through (span-end.ts), once loaded; the spans that ended before, in
  // order, not scrubbed yet; and the load under way.
  private end: SpanEndPath | undefined
  private unscrubbed: SpanData[] = []
  // Flushes waiting for the first `held` of those to go on: run as they have, in that order.
  private scrubMarks: [held: number, reached: () => void][] | undefined
  private scrubLoading: Promise<void> | undefined
  // Flushes that timed out waiting for it (in stats().flushTimeouts with the queues' own).
  scrubTimeouts = 0
  // Spans dropped because the span-end or the redaction code could not load, not yet in a flush's
  // result, and why: the next flush resolves `ok: false` naming them, as one whose spans failed to
  // export. (Declared only: no start-up bytes for a field that stays unset unless a load fails.)
  declare scrubLost: ScrubLost | undefined
  // A bad-input notice under way (badInput).
  private noticing: Promise<void> | undefined

  /**
   * The most spans held while lazily loaded code (the span-end, features or redaction code) lands:
   * as many as a processor's queue takes (maxQueueSize, the same for every exporter, each of which
   * gets every span), at least MAX_EARLY; more are dropped as a full queue's are.
   */
  readonly holdBound: number

  constructor(readonly config: ResolvedConfig) {
    this.holdBound = Math.max(MAX_EARLY, config.maxQueueSize)
    this.limits = config.limits
    const attributes: Attributes = {}
    for (const [key, value] of Object.entries(config.resource)) {
      const clean = sanitizeValue(value, config.limits)
      // Credentials leave no process, in the resource either (`db.password` in
      // OTEL_RESOURCE_ATTRIBUTES); the text scrub follows once it has loaded (takeSpanEnd).
      if (clean !== undefined) attributes[key] = isSecretKey(key) ? REDACTED : clean
    }
    // The SDK resource attributes OpenTelemetry SDKs send; a value given in config wins.
    attributes['telemetry.sdk.name'] ??= 'tokentrail'
    attributes['telemetry.sdk.language'] ??=
      typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions
        ?.node === 'string'
        ? 'nodejs'
        : 'webjs'
    attributes['telemetry.sdk.version'] ??= VERSION
    // Tells apart two processes of one service, e.g. for cumulative metrics. Workers refuse random
    // values outside a request: a tracer made at global scope gets it at its first span.
    if (attributes['service.instance.id'] === undefined) {
      const id = instanceId()
      if (id === undefined) this.needsInstanceId = true
      else attributes['service.instance.id'] = id
    }
    this.resource = Object.freeze({
      serviceName: config.serviceName,
      attributes: Object.freeze(attributes),
    })
    if (config.exporters.length > 0) watchExitOf(this)
    if (spanEndLoaded) this.takeSpanEnd(spanEndLoaded)
    else void this.scrubReady()
    if (config.sampling || config.redaction || config.metrics.exporters.length > 0) {
      this.early = []
      // Cumulative metrics start with the tracer, not with the load.
      const startTime = now()
      this.features = lazy(() =>
        import('./tracer-features.js').then((m) => {
          const features = m.startFeatures(this, startTime, FEATURE_HELPERS)
          this.sampler = features.sampler
          this.redactor = features.redactor
          this.metrics = features.metrics
          this.replayEarly(undefined)
        }),
      )
      void this.featuresReady()
    }
  }

  /**
   * Resolves once the optional features have loaded and been handed what waited for them, or
   * their load failed (see `replayEarly`); undefined when nothing waits. Never rejects.
   */
  featuresReady(): Promise<void> | undefined {
    if (!this.features || this.early === undefined) return undefined
    // One wait for every caller; after a failure, the next caller tries the load again.
    this.featuresLoading ??= this.features().then(undefined, (error) => {
      this.featuresLoading = undefined
      this.replayEarly(error)
    })
    return this.featuresLoading
  }

  /**
   * Resolves once the span-end code has loaded and the spans that ended before went on, in order,
   * or its load failed: those spans are then dropped and counted (never sent unscrubbed), and the
   * next span to end tries the load again. Undefined once loaded. Never rejects.
   */
  private scrubReady(): Promise<void> | undefined {
    if (this.end) return undefined
    this.scrubLoading ??= spanEnd().then(
      (m) => {
        this.scrubLoading = undefined
        const unscrubbedResource = this.resource
        this.takeSpanEnd(m)
        const held = this.unscrubbed
        this.unscrubbed = []
        const marks = this.scrubMarks
        this.scrubMarks = undefined
        let mark = 0
        for (let i = 0; i < held.length; i++) {
          try {
            // A span that ended before: it holds the resource as it was, unscrubbed.
            const span = held[i]!
            this.end!.ended(
              span.resource === unscrubbedResource && this.resource !== unscrubbedResource
                ? { ...span, resource: this.resource }
                : span,
            )
          } catch (error) {
            this.onInternalError('span end', error)
          }
          while (marks && mark < marks.length && marks[mark]![0] <= i + 1) marks[mark++]![1]()
        }
        while (marks && mark < marks.length) marks[mark++]![1]()
      },
      (error) => {
        this.scrubLoading = undefined
        this.dropUnscrubbed(error)
      },
    )
    return this.scrubLoading
  }

  // The span-end code, loaded: the path ended spans take, which makes the batch processors.
  private takeSpanEnd(m: SpanEnd): void {
    // The resource's texts scrubbed as a span's are (`vcs.url: https://ci:…@git`), before the
    // batch processors, which the span-end code makes, can send it.
    let scrubbed: Attributes | undefined
    for (const [key, value] of Object.entries(this.resource.attributes)) {
      const clean = scrubbedTexts(value, m.textScrub.text)
      if (clean !== value) (scrubbed ??= { ...this.resource.attributes })[key] = clean
    }
    if (scrubbed)
      this.resource = Object.freeze({
        serviceName: this.resource.serviceName,
        attributes: Object.freeze(scrubbed),
      })
    this.end = m.spanEndOf(this, FEATURE_HELPERS)
  }

  // The spans waiting for the span-end code, when it cannot load (or not in time): dropped and
  // counted, and said once, as spans that could not be redacted are.
  private dropUnscrubbed(error: unknown): void {
    const held = this.unscrubbed.length
    this.unscrubbed = []
    const marks = this.scrubMarks
    this.scrubMarks = undefined
    for (const [, reached] of marks ?? []) reached()
    if (held > 0) this.redactFailed(held, 'scrub load', error)
    else this.onInternalError('scrub load', error)
  }

  holdEarly(item: Early): void {
    const early = this.early!
    const { sampling, redaction, metrics } = this.config
    // As many spans as the other holds (holdBound), with what each brings here (its start and end
    // with sampling, its export with redaction, its metrics record). Past it a span is dropped as
    // a full queue's is.
    const bound = this.holdBound
    if (
      early.length <
      bound * ((sampling ? 2 : redaction ? 1 : 0) + (metrics.exporters.length > 0 ? 1 : 0))
    )
      early.push(item)
    else if (item[0] === 'end' || item[0] === 'export')
      this.redactFailed(1, 'features queueFull', bound)
    void this.featuresReady()
  }

  // Loaded: hands every waiting item to its feature, in order. Failed (the chunk could not be
  // fetched): as each feature does when its own code cannot load, spans waiting for the sampler
  // are sent as kept, spans waiting for redaction are dropped and counted (never sent unredacted),
  // and the next span tries the load again.
  private replayEarly(error: unknown, items = this.early ?? []): void {
    if (error === undefined) this.early = undefined
    else if (items === this.early) this.early = []
    if (error !== undefined) this.onInternalError('sampling, redaction or metrics load', error)
    for (const item of items) {
      try {
        if (item[0] === 'start') this.sampler?.onStart(item[1], item[2], item[3], item[4])
        else if (item[0] === 'metrics') this.metrics?.record(item[1])
        else if (item[0] === 'end' && this.sampler) this.sampler.onEnd(item[1])
        else if (error === undefined || item[0] === 'end') this.export(item[1], error)
        else this.redactFailed(1, 'redaction load', error)
      } catch (caught) {
        this.onInternalError(item[0] === 'metrics' ? 'metrics' : 'sampling', caught)
      }
    }
  }

  /** Spans ended while the span-end code, optional features or redaction load, not handed to the processors yet. */
  get waiting(): number {
    let n = this.unscrubbed.length + (this.redactor?.held.length ?? 0)
    for (const item of this.early ?? []) if (item[0] === 'end' || item[0] === 'export') n++
    return n
  }

  get serviceName() {
    return this.config.serviceName
  }
  get recordInputs() {
    return this.config.recordInputs
  }
  get recordOutputs() {
    return this.config.recordOutputs
  }

  startSpan(name: string, options?: StartSpanOptions): Span {
    return this.open(name, options, 'tracer.startSpan()')
  }

  /** Starts a span; `where` names the method the options were given to, in what is said of them. */
  private open(name: string, options: StartSpanOptions | undefined, where: string): Span {
    if (this.needsInstanceId) this.addInstanceId()
    let parent: Span | SpanContext | undefined | null = options?.parent
    if (parent === undefined) parent = getActiveContextSpan() as Span | undefined
    else if (parent && !(parent instanceof RecordingSpan) && parent !== NOOP_SPAN) {
      const kind = parentKind(parent)
      if (kind < 1) {
        if (kind < 0) this.badInput('parent', name, parent, where)
        parent = null
      }
    }
    let traceId: string
    let parentSpanId: string | undefined
    let traceState: string | undefined
    let sampled: boolean
    let localParent: RecordingSpan | undefined
    // What a remote parent decided, for trace-complete sampling: kept, dropped, or deferred.
    let upstream: 'kept' | 'dropped' | undefined
    let traceFlags = 1
    if (parent) {
      const context = 'spanContext' in parent ? parent.spanContext() : parent
      traceId = context.traceId
      parentSpanId = context.spanId
      traceState = context.traceState
      sampled = (context.traceFlags & 1) === 1
      if (parent instanceof RecordingSpan) {
        localParent = parent
        // A recording parent records its children, whatever it tells other services.
        sampled = true
        traceFlags = context.traceFlags & 1
      } else {
        // An OpenTelemetry span (or its spanContext()) holds a TraceState object, which would
        // reach the exporters as it is and fail the whole batch it went out in.
        traceState = foreignTraceState(traceState)
      }
      // A disabled tracer's span carries no trace: start a new one.
      if (parent === NOOP_SPAN) {
        traceId = newTraceId()
        parentSpanId = undefined
        sampled = this.sampleRoot(traceId)
        traceState = this.config.sampling ? DEFERRED_TRACESTATE : undefined
      } else if (this.config.sampling && !localParent) {
        if (!sampled) {
          // Recorded all the same so GenAI metrics stay exact; never exported, and sampled=0 goes on.
          upstream = 'dropped'
          sampled = true
          traceFlags = 0
        } else if (!isDeferred(traceState)) upstream = 'kept'
      } else if (!localParent && !this.config.parentBased) {
        // OTEL_TRACES_SAMPLER=always_on, always_off or traceidratio: the caller's flag does not
        // decide (OpenTelemetry's plain samplers), the trace id does.
        sampled = this.sampleRoot(traceId)
      }
    } else {
      traceId = newTraceId()
      sampled = this.sampleRoot(traceId)
      // Downstream services learn that this trace's decision comes at its end (see README).
      if (this.config.sampling) traceState = DEFERRED_TRACESTATE
    }
    if (!sampled) {
      this.counts.notSampled++
      return new NonRecordingSpan({ traceId, spanId: newSpanId(), traceFlags: 0, traceState })
    }
    this.counts.started++
    if (typeof name !== 'string') this.badInput('spanName', name, name, where)
    const span = new RecordingSpan(
      this,
      traceId,
      newSpanId(),
      parentSpanId,
      textOf(name),
      options ? this.startOptions(name, options, where) : 'internal',
      options?.startTime === undefined
        ? now()
        : this.timeOf('startTime', name, options.startTime, where),
      traceState,
      localParent,
      traceFlags,
    )
    if (this.sampler) this.sampler.onStart(traceId, span.spanId, !localParent, upstream)
    else if (this.config.sampling && this.early)
      this.holdEarly(['start', traceId, span.spanId, !localParent, upstream])
    // A wrong value is said as the option it was given as, not as setAttributes()'s argument.
    if (options?.attributes !== undefined) span.setAttributesGiven(options.attributes, where)
    return span
  }

  /**
   * The kind from `startSpan` options, said once when unknown (`internal` then: a made-up kind
   * such as `constructor` broke the OTLP body of its whole batch); an option key it does not take
   * (`atributes`, OpenTelemetry's `root`) is said once too, not ignored in silence.
   */
  private startOptions(name: string, options: StartSpanOptions, where: string): SpanKind {
    this.methodOptions(where, options, START_OPTIONS)
    const kind = options.kind
    if (kind === undefined) return 'internal'
    if (SPAN_KINDS.includes(kind)) return kind
    this.badInput('kind', name, kind, where)
    return 'internal'
  }

  private sampleRoot(traceId: string): boolean {
    // Trace-complete sampling records every trace: the decision waits for its end.
    if (this.config.sampling) return true
    const rate = this.config.sampleRate
    return rate >= 1 || (rate > 0 && traceIdRatio(traceId) < rate)
  }

  withSpan<T>(
    name: string,
    optionsOrFn: StartSpanOptions | ((span: Span) => T),
    maybeFn?: (span: Span) => T,
  ): T {
    const fn = typeof optionsOrFn === 'function' ? optionsOrFn : maybeFn!
    const options = typeof optionsOrFn === 'function' ? undefined : optionsOrFn
    const span = this.open(name, options, 'tracer.withSpan()')
    let result: T
    try {
      result = runWithSpan(span, () => fn(span))
    } catch (error) {
      span.recordError(error)
      span.end({ status: 'error' })
      throw error
    }
    if (isPromise(result)) {
      // fn's own promise is returned, the span's end hung beside it: a chained copy would lose a
      // subclass's methods (an SDK's `APIPromise.withResponse()`) and its properties, and reject
      // unhandled in an app that handled fn's promise and left withSpan's result alone.
      try {
        result.then(
          () => span.end(),
          (error) => {
            span.recordError(error)
            span.end({ status: 'error' })
          },
        )
      } catch {
        // A subclass whose then() throws: the span ends now, and the promise is the caller's.
        span.end()
      }
      return result
    }
    span.end()
    return result
  }

  // The resource again with `service.instance.id`, once random values can be made.
  private addInstanceId(): void {
    const id = instanceId()
    if (id === undefined) return
    this.needsInstanceId = false
    this.resource = Object.freeze({
      serviceName: this.resource.serviceName,
      attributes: Object.freeze({ ...this.resource.attributes, 'service.instance.id': id }),
    })
  }

  getActiveSpan(): Span | undefined {
    const active = getActiveContextSpan()
    return active && 'setAttribute' in active ? (active as Span) : undefined
  }

  runInSpan<T>(span: Span, fn: () => T): T {
    return runWithSpan(span, fn)
  }

  onSpanEnd(data: SpanData): void {
    this.counts.ended++
    if (this.end) {
      this.end.ended(data)
      return
    }
    // Before the span-end code has loaded (a local chunk: milliseconds): held, in order, up to
    // holdBound; more are dropped as a full queue's are.
    if (this.unscrubbed.length < this.holdBound) this.unscrubbed.push(data)
    else this.redactFailed(1, 'queueFull', this.holdBound)
    void this.scrubReady()
  }

  // The export boundary (span-end.ts): redaction rules, the user's hook, then every processor.
  // `lost`: why the redaction code could not load, so a span that needs it is dropped and counted.
  // Only spans that went through the span-end code get here, so it has loaded.
  export(span: SpanData, lost?: unknown): void {
    this.end!.export(span, lost)
  }

  /** Spans that could not be redacted: dropped (never sent unredacted), counted, and said once. */
  // ('queueFull', 'redaction queueFull', 'features queueFull': spans past the bound held for the
  // span-end, the redaction or the features' code, `error` the bound; a full queue's drop,
  // counted as one.)
  // A failed load's ('scrub load', 'redaction load'): the next flush is not ok (see scrubLost).
  redactFailed(spans: number, why: TracerLoss, error: unknown): void {
    this.drops[why.endsWith('Full') ? 'queueFull' : 'redactError'] += spans
    if (why.endsWith('load')) tally((this.scrubLost ??= {}), why, spans, error)
    this.onInternalError(why, error)
    if (!this.config.warn) return
    tally((this.unsaid ??= {}), why, spans, error)
    this.sayLater()
  }

  onLimitDrops(span: RecordingSpan, attributes: number, events: number): void {
    const drops = this.limitDrops
    // The first span with drops is said; later ones are counted only.
    const first = drops.attributesDropped + drops.eventsDropped === 0
    drops.attributesDropped += attributes
    drops.eventsDropped += events
    if (!first || !this.config.warn) return
    this.unsaidLimits = [span.name, attributes, events]
    this.sayLater()
  }

  // Said from a microtask at the earliest, so a burst makes one line with its count; a flush or
  // shutdown awaits it.
  private sayLater(): void {
    this.saying ??= lossReport().then(
      (m) => {
        this.saying = undefined
        m.sayLosses(this)
      },
      (error) => {
        this.saying = undefined
        this.onInternalError('loss report', error)
      },
    )
  }

  onLateWrite(method: string, span: RecordingSpan, key?: string): void {
    this.counts.lateWrites++
    const { debug } = this.config
    if (!debug) return
    // One line per span name and method, so a loop of late writes cannot flood the log.
    const seen = `${method}\u0000${span.name}`
    if (this.lateSeen.has(seen) || this.lateSeen.size >= 100) return
    this.lateSeen.add(seen)
    debug(
      `${method}(${key === undefined ? '' : JSON.stringify(key)}) on span "${span.name}" after it ended: ignored (counted in tracer.stats().lateWrites)`,
    )
  }

  /**
   * A value of the span API it cannot use: the span goes on with a safe one, and the tracer says
   * once per option what was wrong, through `warnings` (the text loads with delivery-log.ts).
   */
  badInput(option: BadInput, span: unknown, got: unknown, where?: string): void {
    this.sayOnce(`input ${option}${where ? ` ${where}` : ''}`, (m) =>
      m.badInputLine(option, textOf(span), got, where, SPAN_KINDS),
    )
  }

  /** Says through `warnings`, once per key, a line made with delivery-log.ts (loaded lazily). */
  private sayOnce(key: string, line: (m: DeliveryLogModule) => string): void {
    const warn = this.config.warn
    if (!warn || this.reported.has(key)) return
    this.reported.add(key)
    // Awaited by a flush or shutdown, as losses are: out before a function freezes.
    const said: Promise<void> = (this.noticing = lossReport()
      .then((m) => warn(line(m)))
      .catch((error) => this.onInternalError('bad input report', error))
      .then(() => {
        if (this.noticing === said) this.noticing = undefined
      }))
  }

  /** Says once each key of `options` that `valid` does not list (at most 32 keys in all). */
  methodOptions(where: string, options: object, valid: readonly string[]): void {
    for (const key in options)
      if (!valid.includes(key) && this.optionsSaid < 32) {
        const said = `option ${where} ${key}`
        if (this.reported.has(said)) continue
        this.optionsSaid++
        this.sayOnce(said, (m) => m.unknownOptionLine(where, key, valid, closestKey))
      }
  }

  /**
   * A flush's or shutdown's options: a number is its `timeoutMs` (`flush(5000)`, as a user means
   * it); anything else that is not an options object is said once and read as none.
   */
  private boundOptions<T extends { timeoutMs?: number }>(
    where: string,
    given: T | number | undefined,
    valid: readonly string[],
  ): T | undefined {
    if (given === undefined || given === null) return undefined
    if (typeof given === 'number') return { timeoutMs: given } as T
    if (typeof given === 'object') {
      this.methodOptions(where, given, valid)
      return given
    }
    this.sayOnce(`options ${where}`, (m) => m.notOptionsLine(where, given, valid))
    return undefined
  }

  /** A flush or shutdown bound: the exporter timeout when not given; said once when unusable. */
  private boundOf(where: string, ms: unknown): number {
    if (ms === undefined) return boundMs(this.config.exportTimeoutMs)
    if (typeof ms === 'number' && ms >= 0) return boundMs(ms)
    this.sayOnce(`bound ${where}`, (m) => m.badBoundLine(where, ms, this.config.exportTimeoutMs))
    return boundMs(this.config.exportTimeoutMs)
  }

  /**
   * Epoch milliseconds from a `startTime` or `endTime` given (a number, or a Date); the current
   * time, said, for one OTLP cannot carry as unsigned 64-bit nanoseconds (NaN, a string, a
   * negative or huge number): its text would make the whole batch's body invalid.
   */
  timeOf(option: 'startTime' | 'endTime', span: unknown, time: unknown, where?: string): number {
    const ms = time instanceof Date ? time.getTime() : time
    if (isEpochMs(ms)) return ms
    this.badInput(option, span, time, where)
    return now()
  }

  // An adapter's notice (tracerNotice in http.ts): said once per key through `warnings`.
  [Symbol.for('tokentrail.tracer.notice')](key: string, message: string): void {
    if (this.reported.has(`notice ${key}`)) return
    this.reported.add(`notice ${key}`)
    try {
      this.config.warn?.(message)
    } catch {}
  }

  onInternalError(where: string, error: unknown): void {
    if (!this.config.debug || this.reported.has(where)) return
    this.reported.add(where)
    try {
      this.config.debug(`${where} failed (reported once)`, error)
    } catch {}
  }

  async flush(given?: { timeoutMs?: number; metrics?: boolean } | number): Promise<FlushResult> {
    const options = this.boundOptions('tracer.flush()', given, FLUSH_OPTIONS)
    const timeoutMs = this.boundOf('tracer.flush()', options?.timeoutMs)
    runFlushHooks(this)
    const marked = options as Record<symbol, unknown> | undefined
    const wait: FlushWait =
      marked?.[WAIT_WHILE_FAILING] === false
        ? 'not-while-failing'
        : marked?.[BEFORE_FREEZE] === true
          ? 'before-freeze'
          : 'always'
    let spans: Promise<FlushOutcome[]> | undefined
    // The whole flush keeps to its bound, the wait for the span-end code included.
    const startedAt = Date.now()
    try {
      // Spans held while the span-end code loads go on first (within the bound; still held at
      // its end, they are the flush's pending). Without sampling, redaction or metrics, which hold
      // spans of their own, the flush counts in the queues the spans held before it, as the
      // spans ended after it go on: not those.
      // With sampling, redaction or metrics on, a flush waits for the code as it has nothing
      // held too: a first flush waits for the sampler (a loop measuring its budget expects it
      // there) and sends the metrics, as before the span-end code moved out of start-up.
      const held = this.unscrubbed.length
      if (!this.end && (held > 0 || this.features)) {
        let late = false
        if (held > 0 && !this.features)
          (this.scrubMarks ??= []).push([
            held,
            () => {
              if (!late)
                spans = Promise.all(
                  this.processors.map((p) => p.flushOutcome(timeoutMs, wait, startedAt)),
                )
            },
          ])
        if (!(await within(this.scrubReady(), timeoutMs))) {
          late = true
          this.scrubTimeouts++
          return {
            ok: false,
            pending: this.unscrubbed.length,
            reason: `flush timed out after ${timeoutMs} ms: the span-end code had not loaded`,
          }
        }
      }
      // The rest (features, the queues, metrics, the result) is span-end.ts's. Not loaded (no span
      // has reached a queue): only the notices under way to wait for.
      // Spans dropped since the last flush because the span-end code could not load make it not
      // ok (lostFlush; span-end.ts's flush does the same once the code has loaded).
      if (this.end) return await this.end.flush(options, timeoutMs, wait, startedAt, spans)
      await this.said()
      return this.scrubLost ? (await lossReport()).lostFlush(this) : { ok: true, pending: 0 }
    } catch (error) {
      this.onInternalError('flush', error)
      return { ok: false, pending: this.processors.reduce((n, p) => n + p.undelivered, 0) }
    }
  }

  /**
   * The flush when a Node process runs out of work (exit-watch.ts): open AI SDK calls are ended
   * (flush hooks), and what is queued is sent at once, without a wait of its own that would keep
   * the process alive for a receiver that is down.
   */
  flushAtExit(): void {
    runFlushHooks(this)
    const send = () => {
      for (const processor of this.processors) processor.sendAll()
      return Promise.all(this.processors.map((processor) => processor.sending))
    }
    const queue = () => {
      const features = this.early?.length ? this.featuresReady() : undefined
      return features ? features.then(send) : send()
    }
    // Spans held until the span-end code loads go on first.
    const scrub = this.unscrubbed.length > 0 ? this.scrubReady() : undefined
    const spans = scrub ? scrub.then(queue) : queue()
    // The metrics once the spans have gone, as a flush sends them: their delivery counts
    // (otel.sdk.*) sent beside the spans said none exported (`tokentrail stats`).
    if (this.metrics) void this.metrics.exportAfter(spans, this.config.exportTimeoutMs)
  }

  /** `shutdown()` was called: no longer counted among the tracers a process has open (exit-watch.ts). */
  shutDown = false
  // A shutdown has closed the exporters: processors made later (the span-end code landed late) are
  // shut too.
  closed = false

  /** Waits for the lines under way (losses, bad input): out before a function freezes. */
  async said(): Promise<void> {
    if (this.saying) await this.saying
    if (this.noticing) await this.noticing
  }

  async shutdown(given?: { timeoutMs?: number } | number): Promise<void> {
    this.shutDown = true
    const options = this.boundOptions('tracer.shutdown()', given, SHUTDOWN_OPTIONS)
    const timeoutMs = this.boundOf('tracer.shutdown()', options?.timeoutMs)
    // As a flush does: AI SDK calls that only wait for a step that may never come end now.
    runFlushHooks(this)
    // The whole shutdown keeps to its bound, the wait for the span-end code included.
    const startedAt = Date.now()
    try {
      // Spans held until the span-end code loads go on first; still held at the bound, they are
      // dropped and counted (never sent unscrubbed).
      // Nothing held: it still waits for the load, so the processors it makes are shut down here.
      if (!(await within(this.scrubReady(), timeoutMs)))
        this.dropUnscrubbed(new Error('the span-end code did not load in time'))
      // Traces still waiting are decided with what is known, so nothing kept is lost (span-end.ts;
      // without it no span waits for the optional features: only their load, within the bound).
      if (this.end) await this.end.settle(timeoutMs, startedAt)
      else await within(this.featuresReady(), timeoutMs - (Date.now() - startedAt))
      // The span-end code could not load (or not in time): no processor was made, and the
      // exporters' own shutdowns still run (a user's exporter may close a file or a socket there),
      // once, as a processor's do.
      const spans = this.end
        ? Promise.all(this.processors.map((p) => p.shutdown(timeoutMs, startedAt)))
        : this.closed
          ? Promise.resolve()
          : this.closeExporters(timeoutMs, startedAt)
      this.closed = true
      await Promise.all([spans, this.metrics?.exportAfter(spans, timeoutMs, startedAt)])
      this.metrics?.stop()
      await this.said()
    } catch (error) {
      this.onInternalError('shutdown', error)
    }
  }

  // The exporters' own shutdowns, within what is left of the bound, when no processor was made to
  // run them (as BatchProcessor.closeExporter: a failure or time-out is reported, never thrown).
  private closeExporters(timeoutMs: number, startedAt: number): Promise<unknown> {
    return Promise.all(
      this.config.exporters.map(async (exporter) => {
        try {
          // (A negative time-out is none.)
          const left = timeoutMs - (Date.now() - startedAt)
          if (!(await within(exporter.shutdown?.(), left))) throw new Error('timed out')
        } catch (error) {
          this.onInternalError(`${exporter.name} shutdown`, error)
        }
      }),
    )
  }

  stats(): TracerStats {
    const stats: TracerStats = {
      ...this.counts,
      exported: 0,
      retried: 0,
      failed: 0,
      rejected: 0,
      dropped: { shutdown: 0, ...this.drops },
      queued: 0,
      inflight: 0,
      flushTimeouts: 0,
      metrics: { ...(this.metrics?.stats ?? { exports: 0, failures: 0 }) },
      limits: { ...this.limitDrops },
    }
    const { sampling, redaction } = this.config
    if (sampling) {
      // Before the sampler loads, the spans waiting for it are its buffer.
      stats.sampling =
        this.sampler?.stats() ??
        noSampling(this.early?.filter((item) => item[0] === 'end').length ?? 0)
      stats.notSampled += stats.sampling.droppedSpans
    }
    if (redaction) {
      const counts = this.redactor?.counts
      if (counts) stats.redaction = { ...counts }
      else {
        // Nothing replaced yet (the redactor has not loaded): each rule at zero.
        stats.redaction = {}
        for (const name of [
          ...redaction.detectors,
          ...redaction.patterns.map((rule) => rule.name),
          ...redaction.paths.map((path) => `path:${path}`),
        ])
          stats.redaction[name] = 0
      }
    }
    for (const processor of this.processors) {
      const s = processor.snapshot()
      stats.exported += s.exported
      stats.retried += s.retried
      stats.failed += s.failed
      stats.rejected += s.rejected
      stats.dropped.queueFull += s.dropped.queueFull
      stats.dropped.shutdown += s.dropped.shutdown
      stats.queued += s.queued
      stats.inflight += s.inflight
      stats.flushTimeouts += s.flushTimeouts
    }
    // Spans held until the span-end code loads are on their way to the queues (with sampling on
    // too: the sampler, loaded apart, may be there before that code, and its buffer would not
    // count them).
    // So are those held for the features' or the redaction code, except before the sampler has
    // loaded: what waits for the features then waits for it, its buffer (stats.sampling).
    stats.queued += sampling && !this.sampler ? this.unscrubbed.length : this.waiting
    stats.flushTimeouts += this.scrubTimeouts
    return stats
  }
}
