import { isSecretKey, REDACTED, redactSecretsInText, sanitizeValue } from './attributes.js'
import { now } from './clock.js'
import type { ResolvedConfig } from './config.js'
import { INPUT_CONTENT_KEYS, OUTPUT_CONTENT_KEYS } from './content-keys.js'
import { getActiveContextSpan, runWithSpan } from './context.js'
import { runFlushHooks } from './flush-hooks.js'
import { newSpanId, newTraceId } from './ids.js'
import { LazyDeliveryLog } from './lazy-delivery-log.js'
import { LazyMetrics } from './lazy-metrics.js'
import { BatchProcessor } from './processor.js'
import { LazyRedactor } from './redaction/lazy-redactor.js'
import { LazySampler } from './sampling/lazy-sampler.js'
import { DEFERRED_TRACESTATE, isDeferred, traceIdRatio } from './sampling/trace-state.js'
import {
  NOOP_SPAN,
  NonRecordingSpan,
  RecordingSpan,
  type Span,
  type SpanOwner,
  textOf,
} from './span.js'
import type { FlushResult, StartSpanOptions, Tracer, TracerStats } from './tracer.js'
import type { Attributes, Resource, SpanContext, SpanData } from './types.js'

/** Where an exporter sends: its URL when it has one, else its name. */
function exporterTarget(exporter: { name: string; url?: unknown }): string {
  return typeof exporter.url === 'string' ? exporter.url : `the ${exporter.name} exporter`
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown>)?.then === 'function'
}

/** The tracer that records: spans go through redaction to one batch processor per exporter. */
export class RecordingTracer implements Tracer, SpanOwner {
  readonly enabled = true
  readonly resource: Resource
  readonly limits: ResolvedConfig['limits']
  private readonly processors: BatchProcessor[]
  private readonly metrics: LazyMetrics | undefined
  private readonly counts = { started: 0, ended: 0, notSampled: 0, lateWrites: 0 }
  private readonly lateSeen = new Set<string>()
  private readonly drops = { redacted: 0, redactError: 0 }
  private readonly reported = new Set<string>()
  // Optional features load on first use (see lazy-sampler.ts, lazy-redactor.ts, lazy-metrics.ts).
  private readonly sampler: LazySampler | undefined
  private readonly redactor: LazyRedactor | undefined

  constructor(private readonly config: ResolvedConfig) {
    this.limits = config.limits
    const attributes: Attributes = {}
    for (const [key, value] of Object.entries(config.resource)) {
      const clean = sanitizeValue(value, config.limits)
      if (clean !== undefined) attributes[key] = clean
    }
    // Tells apart two processes of one service, e.g. for cumulative metrics. Workers refuse random
    // values outside a request, so a tracer made at global scope goes without.
    if (attributes['service.instance.id'] === undefined) {
      try {
        attributes['service.instance.id'] = crypto.randomUUID()
      } catch {}
    }
    this.resource = Object.freeze({
      serviceName: config.serviceName,
      attributes: Object.freeze(attributes),
    })
    this.processors = config.exporters.map(
      (exporter) =>
        new BatchProcessor(exporter, {
          maxQueueSize: config.maxQueueSize,
          maxBatchSize: config.maxBatchSize,
          flushIntervalMs: config.flushIntervalMs,
          exportTimeoutMs: config.exportTimeoutMs,
          retry: config.retry,
          onError: (where, error) => this.onInternalError(where, error),
          log: new LazyDeliveryLog(
            exporterTarget(exporter),
            { warn: config.warn, debug: config.debug },
            config.retry.maxRetries,
          ),
        }),
    )
    if (config.sampling)
      this.sampler = new LazySampler(
        config.sampling,
        config.sampleRate,
        (span) => this.export(span),
        (where, error) => this.onInternalError(where, error),
      )
    if (config.redaction)
      this.redactor = new LazyRedactor(
        config.redaction,
        (span) => this.export(span),
        (spans, error) => {
          // Spans that could not be redacted must not leave unredacted.
          this.drops.redactError += spans
          this.onInternalError('redaction', error)
        },
      )
    const { metrics } = config
    if (metrics.exporters.length > 0)
      this.metrics = new LazyMetrics({
        resource: this.resource,
        exporters: metrics.exporters,
        exportIntervalMs: metrics.exportIntervalMs,
        cardinalityLimit: metrics.cardinalityLimit,
        exportTimeoutMs: config.exportTimeoutMs,
        onError: (where, error) => this.onInternalError(where, error),
        warn: config.warn,
        counts: () => ({
          ...this.counts,
          ...this.drops,
          processors: this.processors.map((p) => ({
            exporter: p.exporter.name,
            url: p.exporter.url,
            capacity: config.maxQueueSize,
            stats: p.snapshot(),
          })),
        }),
        losses: () => {
          const s = this.stats()
          return (
            s.failed + s.rejected + s.dropped.queueFull + s.dropped.shutdown + s.dropped.redactError
          )
        },
      })
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
    let parent: Span | SpanContext | undefined | null = options?.parent
    if (parent === undefined) parent = getActiveContextSpan() as Span | undefined
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
      }
      // A disabled tracer's span carries no trace: start a new one.
      if (parent === NOOP_SPAN) {
        traceId = newTraceId()
        parentSpanId = undefined
        sampled = this.sampleRoot(traceId)
        traceState = this.sampler ? DEFERRED_TRACESTATE : undefined
      } else if (this.sampler && !localParent) {
        if (!sampled) {
          // Recorded all the same so GenAI metrics stay exact; never exported, and sampled=0 goes on.
          upstream = 'dropped'
          sampled = true
          traceFlags = 0
        } else if (!isDeferred(traceState)) upstream = 'kept'
      }
    } else {
      traceId = newTraceId()
      sampled = this.sampleRoot(traceId)
      // Downstream services learn that this trace's decision comes at its end (see README).
      if (this.sampler) traceState = DEFERRED_TRACESTATE
    }
    if (!sampled) {
      this.counts.notSampled++
      return new NonRecordingSpan({ traceId, spanId: newSpanId(), traceFlags: 0, traceState })
    }
    this.counts.started++
    const span = new RecordingSpan(
      this,
      traceId,
      newSpanId(),
      parentSpanId,
      textOf(name),
      options?.kind ?? 'internal',
      options?.startTime ?? now(),
      traceState,
      localParent,
      traceFlags,
    )
    this.sampler?.onStart(traceId, span.spanId, !localParent, upstream)
    if (options?.attributes) span.setAttributes(options.attributes)
    return span
  }

  private sampleRoot(traceId: string): boolean {
    // Trace-complete sampling records every trace: the decision waits for its end.
    if (this.sampler) return true
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
    const span = this.startSpan(name, options)
    let result: T
    try {
      result = runWithSpan(span, () => fn(span))
    } catch (error) {
      span.recordError(error)
      span.end({ status: 'error' })
      throw error
    }
    if (isPromiseLike(result)) {
      return Promise.resolve(result).then(
        (value) => {
          span.end()
          return value
        },
        (error) => {
          span.recordError(error)
          span.end({ status: 'error' })
          throw error
        },
      ) as T
    }
    span.end()
    return result
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
    const span: SpanData = this.scrub(data)
    if (this.metrics) {
      try {
        this.metrics.record(span)
      } catch (error) {
        this.onInternalError('metrics', error)
      }
    }
    if (!this.sampler) this.export(span)
    else {
      try {
        this.sampler.onEnd(span)
      } catch (error) {
        this.onInternalError('sampling', error)
      }
    }
  }

  // The export boundary: redaction rules, then the user's hook, once for every exporter.
  private export(span: SpanData): void {
    if (this.redactor) {
      if (!this.redactor.loaded) {
        this.redactor.hold(span)
        return
      }
      try {
        span = this.redactor.loaded.span(span)
      } catch (error) {
        // A span that could not be redacted must not leave unredacted.
        this.drops.redactError++
        this.onInternalError('redaction', error)
        return
      }
    }
    if (this.config.redact) {
      let result: SpanData | null | undefined
      try {
        result = this.config.redact(span)
      } catch (error) {
        this.drops.redactError++
        this.onInternalError('redact hook', error)
        return
      }
      if (result === null) {
        this.drops.redacted++
        return
      }
      if (result !== undefined) span = result
    }
    for (const processor of this.processors) processor.onEnd(span)
  }

  // Credentials never leave; prompt and output text leave only when switched on.
  private scrub(data: SpanData): SpanData {
    const attributes = data.attributes as Attributes
    const { recordInputs, recordOutputs } = this.config
    for (const key in attributes) {
      if (
        (!recordInputs && INPUT_CONTENT_KEYS.has(key)) ||
        (!recordOutputs && OUTPUT_CONTENT_KEYS.has(key))
      ) {
        delete attributes[key]
        continue
      }
      if (isSecretKey(key)) attributes[key] = REDACTED
      else {
        const value = attributes[key]
        if (typeof value === 'string') attributes[key] = redactSecretsInText(value)
      }
    }
    if (data.error) {
      const error = {
        type: data.error.type,
        message: redactSecretsInText(data.error.message),
        ...(data.error.stack ? { stack: redactSecretsInText(data.error.stack) } : {}),
      }
      return { ...data, error }
    }
    return data
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

  onInternalError(where: string, error: unknown): void {
    if (!this.config.debug || this.reported.has(where)) return
    this.reported.add(where)
    try {
      this.config.debug(`${where} failed (reported once)`, error)
    } catch {}
  }

  async flush(options?: { timeoutMs?: number; metrics?: boolean }): Promise<FlushResult> {
    const timeoutMs = options?.timeoutMs ?? this.config.exportTimeoutMs
    runFlushHooks(this)
    try {
      // Spans held while sampling or redaction load reach the queues first. Nothing held: no
      // await, so the flush counts the spans queued before it, not those that come after.
      const sampling = this.sampler?.ready()
      if (sampling) await sampling
      const redaction = this.redactor?.ready()
      if (redaction) await redaction
      const [outcomes, metricsOk] = await Promise.all([
        Promise.all(this.processors.map((p) => p.flushOutcome(timeoutMs))),
        this.metrics && options?.metrics !== false ? this.metrics.export(timeoutMs) : true,
      ])
      const pending = this.processors.reduce((n, p) => n + p.pending, 0)
      const reasons: string[] = []
      outcomes.forEach((outcome, i) => {
        if (!outcome.ok)
          reasons.push(`${exporterTarget(this.processors[i]!.exporter)}: ${outcome.reason}`)
      })
      if (!metricsOk) reasons.push('metrics export failed')
      return reasons.length === 0
        ? { ok: true, pending }
        : { ok: false, pending, reason: reasons.join('; ') }
    } catch (error) {
      this.onInternalError('flush', error)
      return { ok: false, pending: this.processors.reduce((n, p) => n + p.pending, 0) }
    }
  }

  async shutdown(options?: { timeoutMs?: number }): Promise<void> {
    const timeoutMs = options?.timeoutMs ?? this.config.exportTimeoutMs
    try {
      // Traces still waiting are decided with what is known, so nothing kept is lost.
      await this.sampler?.ready()
      this.sampler?.decideAll()
      await this.redactor?.ready()
      await Promise.all([
        ...this.processors.map((p) => p.shutdown(timeoutMs)),
        this.metrics?.export(timeoutMs),
      ])
      this.metrics?.stop()
    } catch (error) {
      this.onInternalError('shutdown', error)
    }
  }

  stats(): TracerStats {
    const stats: TracerStats = {
      ...this.counts,
      exported: 0,
      retried: 0,
      failed: 0,
      rejected: 0,
      dropped: { queueFull: 0, shutdown: 0, ...this.drops },
      queued: 0,
      inflight: 0,
      flushTimeouts: 0,
      metrics: { ...(this.metrics?.stats ?? { exports: 0, failures: 0 }) },
    }
    if (this.sampler) {
      stats.sampling = this.sampler.stats()
      stats.notSampled += stats.sampling.droppedSpans
    }
    if (this.redactor) stats.redaction = { ...this.redactor.counts }
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
    return stats
  }
}
