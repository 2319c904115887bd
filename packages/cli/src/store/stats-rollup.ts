import type { DatabaseSync, StatementSync } from 'node:sqlite'
import type { SpanSummary, TraceRow } from './store-schema.js'

/** Tables of `StatsRollup`: totals and duration histograms per minute and per hour. */
export const ROLLUP_SCHEMA = `
CREATE TABLE IF NOT EXISTS stat_totals (
  scale INTEGER NOT NULL,
  bucket INTEGER NOT NULL,
  model TEXT NOT NULL,
  calls INTEGER NOT NULL,
  errors INTEGER NOT NULL,
  input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  cost_usd REAL NOT NULL,
  PRIMARY KEY (scale, bucket, model)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS stat_hist (
  scale INTEGER NOT NULL,
  bucket INTEGER NOT NULL,
  series TEXT NOT NULL,
  bin INTEGER NOT NULL,
  n INTEGER NOT NULL,
  top REAL NOT NULL,
  PRIMARY KEY (scale, bucket, series, bin)
) WITHOUT ROWID;
`

const MINUTE = 60_000
const HOUR = 3_600_000
const SCALES = [MINUTE, HOUR] as const
// Sixteen bins per doubling: a percentile is the largest value seen in its bin, within 4.4 %
// of the exact one (and exact when the bin holds one distinct value).
const BINS_PER_DOUBLING = 16
const TRACE_SERIES = ''

function binOf(value: number): number {
  return value > 0 ? Math.floor(Math.log2(value) * BINS_PER_DOUBLING) : -100_000
}

/** Totals of one model (or of traces, model `''`) in a time range. */
export interface RollupTotals {
  calls: number
  errors: number
  inputTokens: number
  outputTokens: number
  costUsd: number
}

/** Histograms of one range: bin → [count, largest value]. */
export type Histogram = Map<number, [number, number]>

/** What `StatsRollup.query` answers. */
export interface RollupResult {
  totals: Map<string, RollupTotals>
  /** Keyed `''` (trace durations), `l<model>` (LLM latency), `t<model>` (time to first token). */
  histograms: Map<string, Histogram>
}

/** Nearest-rank percentile from a histogram, or null when empty. */
export function histogramPercentile(histogram: Histogram | undefined, p: number): number | null {
  if (!histogram) return null
  const bins = [...histogram].filter(([, [n]]) => n > 0).sort((a, b) => a[0] - b[0])
  const total = bins.reduce((sum, [, [n]]) => sum + n, 0)
  if (total === 0) return null
  const rank = Math.max(1, Math.ceil((p / 100) * total))
  let seen = 0
  for (const [, [n, top]] of bins) {
    seen += n
    if (seen >= rank) return top
  }
  return bins[bins.length - 1]![1][1]
}

function addTotals(into: Map<string, RollupTotals>, model: string, t: RollupTotals) {
  const entry = into.get(model)
  if (!entry) into.set(model, { ...t })
  else {
    entry.calls += t.calls
    entry.errors += t.errors
    entry.inputTokens += t.inputTokens
    entry.outputTokens += t.outputTokens
    entry.costUsd += t.costUsd
  }
}

function addBin(into: Map<string, Histogram>, series: string, bin: number, n: number, top: number) {
  let histogram = into.get(series)
  if (!histogram) into.set(series, (histogram = new Map()))
  const entry = histogram.get(bin)
  if (!entry) histogram.set(bin, [n, top])
  else {
    entry[0] += n
    if (top > entry[1]) entry[1] = top
  }
}

/** A `stat_totals` row's change, buffered until `write`. */
interface TotalsChange extends RollupTotals {
  scale: number
  bucket: number
  model: string
}

/** A `stat_hist` row's change, buffered until `write`. */
interface BinChange {
  scale: number
  bucket: number
  series: string
  bin: number
  n: number
  top: number
}

/** The histogram series: trace durations, LLM call latency, time to first token. */
const TRACE_KIND = 0
const LATENCY_KIND = 1
const TTFT_KIND = 2
/** Each kind's series name is this prefix and the model (`''` for traces). */
const SERIES_PREFIX = ['', 'l', 't'] as const

/**
 * Trace and LLM-call stats pre-aggregated at ingest, per minute and per hour, so a stats query
 * reads a few thousand rows whatever the number of spans: whole hours from the hour rows, whole
 * minutes at the edges from the minute rows, and the partial minutes at the very edges from the
 * spans themselves. Changes are buffered and written by `write()` inside the caller's transaction.
 */
export class StatsRollup {
  // The changes are found by number and model, level by level (scale, bucket, model; kind and bin
  // for the histograms), not by a key string built per call: building `scale:bucket:series:bin`
  // strings and hashing them cost more than the rest of the rollup at ingest. They are written in
  // the order they were first made (`totalsList`, `binsList`).
  /** Per scale (`SCALES` order): bucket → model (`''` for traces) → change. */
  private readonly totals: Map<number, Map<string, TotalsChange>>[] = SCALES.map(() => new Map())
  private readonly totalsList: TotalsChange[] = []
  /** Per scale: bucket → per kind (`SERIES_PREFIX` order): model → bin → change. */
  private readonly bins: Map<number, Map<string, Map<number, BinChange>>[]>[] = SCALES.map(
    () => new Map(),
  )
  private readonly binsList: BinChange[] = []
  private readonly upsertTotals: StatementSync
  private readonly upsertBin: StatementSync
  // The newest start time a retention sweep counted out: `prune` looks no further.
  private removedThrough = Number.NEGATIVE_INFINITY

  constructor(private readonly db: DatabaseSync) {
    this.upsertTotals = db.prepare(
      'INSERT INTO stat_totals VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET calls = calls + excluded.calls, errors = errors + excluded.errors, input_tokens = input_tokens + excluded.input_tokens, output_tokens = output_tokens + excluded.output_tokens, cost_usd = cost_usd + excluded.cost_usd',
    )
    this.upsertBin = db.prepare(
      'INSERT INTO stat_hist VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET n = n + excluded.n, top = max(top, excluded.top)',
    )
  }

  private total(
    time: number,
    model: string,
    sign: number,
    errors: number,
    inputTokens: number,
    outputTokens: number,
    costUsd: number,
  ) {
    for (let s = 0; s < SCALES.length; s++) {
      const scale = SCALES[s]!
      const bucket = Math.floor(time / scale)
      let byModel = this.totals[s]!.get(bucket)
      if (byModel === undefined) this.totals[s]!.set(bucket, (byModel = new Map()))
      let entry = byModel.get(model)
      if (entry === undefined) {
        entry = {
          scale,
          bucket,
          model,
          calls: 0,
          errors: 0,
          inputTokens: 0,
          outputTokens: 0,
          costUsd: 0,
        }
        byModel.set(model, entry)
        this.totalsList.push(entry)
      }
      entry.calls += sign
      entry.errors += sign * errors
      entry.inputTokens += sign * inputTokens
      entry.outputTokens += sign * outputTokens
      entry.costUsd += sign * costUsd
    }
  }

  private bin(time: number, kind: number, model: string, value: number, sign: number) {
    const bin = binOf(value)
    for (let s = 0; s < SCALES.length; s++) {
      const scale = SCALES[s]!
      const bucket = Math.floor(time / scale)
      let kinds = this.bins[s]!.get(bucket)
      if (kinds === undefined)
        this.bins[s]!.set(bucket, (kinds = SERIES_PREFIX.map(() => new Map())))
      const byModel = kinds[kind]!
      let byBin = byModel.get(model)
      if (byBin === undefined) byModel.set(model, (byBin = new Map()))
      const entry = byBin.get(bin)
      if (entry === undefined) {
        const change = {
          scale,
          bucket,
          series: SERIES_PREFIX[kind]! + model,
          bin,
          n: sign,
          top: value,
        }
        byBin.set(bin, change)
        this.binsList.push(change)
      } else {
        entry.n += sign
        if (value > entry.top) entry.top = value
      }
    }
  }

  /** Counts a trace row in (`sign` 1) or out (`sign` -1, its old state before an update). */
  trace(row: Pick<TraceRow, 'start_time' | 'end_time' | 'status'>, sign: 1 | -1): void {
    this.total(row.start_time, TRACE_SERIES, sign, row.status === 'error' ? 1 : 0, 0, 0, 0)
    this.bin(row.start_time, TRACE_KIND, TRACE_SERIES, row.end_time - row.start_time, sign)
  }

  /** Counts an LLM span (one with a model) in or out. */
  span(
    span: Pick<
      SpanSummary,
      | 'model'
      | 'status'
      | 'startTime'
      | 'durationMs'
      | 'ttftMs'
      | 'inputTokens'
      | 'outputTokens'
      | 'costUsd'
    >,
    sign: 1 | -1,
  ): void {
    if (!span.model) return
    this.total(
      span.startTime,
      span.model,
      sign,
      span.status === 'error' ? 1 : 0,
      span.inputTokens ?? 0,
      span.outputTokens ?? 0,
      span.costUsd ?? 0,
    )
    this.bin(span.startTime, LATENCY_KIND, span.model, span.durationMs, sign)
    if (span.ttftMs !== undefined)
      this.bin(span.startTime, TTFT_KIND, span.model, span.ttftMs, sign)
  }

  /** Writes the buffered changes; call inside the transaction that stored the spans. */
  write(): void {
    for (const t of this.totalsList)
      this.upsertTotals.run(
        t.scale,
        t.bucket,
        t.model,
        t.calls,
        t.errors,
        t.inputTokens,
        t.outputTokens,
        t.costUsd,
      )
    for (const b of this.binsList)
      this.upsertBin.run(b.scale, b.bucket, b.series, b.bin, b.n, b.top)
    this.discard()
  }

  /** Drops buffered changes (after a rollback). */
  discard(): void {
    for (const byBucket of this.totals) byBucket.clear()
    for (const byBucket of this.bins) byBucket.clear()
    this.totalsList.length = 0
    this.binsList.length = 0
  }

  /**
   * Removes rows that dropped to nothing after `removeTraces`. Only buckets up to the newest one
   * touched are read: a range of the primary key, not the whole table.
   */
  prune(): void {
    if (this.removedThrough === Number.NEGATIVE_INFINITY) return
    for (const scale of SCALES) {
      const last = Math.floor(this.removedThrough / scale)
      this.db
        .prepare('DELETE FROM stat_hist WHERE scale = ? AND bucket <= ? AND n <= 0')
        .run(scale, last)
      this.db
        .prepare('DELETE FROM stat_totals WHERE scale = ? AND bucket <= ? AND calls <= 0')
        .run(scale, last)
    }
    this.removedThrough = Number.NEGATIVE_INFINITY
  }

  /** Totals and histograms of traces and LLM calls that started in `[from, to)`. */
  query(from: number, to: number): RollupResult {
    const result: RollupResult = { totals: new Map(), histograms: new Map() }
    if (!(to > from)) return result
    // Bucket ranges per scale: hours in the middle, minutes around them, raw spans at the edges.
    const ranges: [scale: number, first: number, end: number][] = []
    const minuteFrom = Math.ceil(from / MINUTE)
    const minuteTo = Math.floor(to / MINUTE)
    const raw: [number, number][] = []
    if (minuteFrom >= minuteTo) raw.push([from, to])
    else {
      raw.push([from, minuteFrom * MINUTE], [minuteTo * MINUTE, to])
      const hourFrom = Math.ceil((minuteFrom * MINUTE) / HOUR)
      const hourTo = Math.floor((minuteTo * MINUTE) / HOUR)
      if (hourFrom >= hourTo) ranges.push([MINUTE, minuteFrom, minuteTo])
      else {
        ranges.push(
          [MINUTE, minuteFrom, (hourFrom * HOUR) / MINUTE],
          [HOUR, hourFrom, hourTo],
          [MINUTE, (hourTo * HOUR) / MINUTE, minuteTo],
        )
      }
    }
    const totals = this.db.prepare(
      'SELECT model, sum(calls) AS calls, sum(errors) AS errors, sum(input_tokens) AS input, sum(output_tokens) AS output, sum(cost_usd) AS cost FROM stat_totals WHERE scale = ? AND bucket >= ? AND bucket < ? GROUP BY model',
    )
    const bins = this.db.prepare(
      'SELECT series, bin, sum(n) AS n, max(top) AS top FROM stat_hist WHERE scale = ? AND bucket >= ? AND bucket < ? GROUP BY series, bin',
    )
    for (const [scale, first, end] of ranges) {
      if (end <= first) continue
      for (const r of totals.all(scale, first, end) as {
        model: string
        calls: number
        errors: number
        input: number
        output: number
        cost: number
      }[])
        addTotals(result.totals, r.model, {
          calls: r.calls,
          errors: r.errors,
          inputTokens: r.input,
          outputTokens: r.output,
          costUsd: r.cost,
        })
      for (const r of bins.all(scale, first, end) as {
        series: string
        bin: number
        n: number
        top: number
      }[])
        addBin(result.histograms, r.series, r.bin, r.n, r.top)
    }
    const rawTraces = this.db.prepare(
      'SELECT start_time, end_time, status FROM traces WHERE start_time >= ? AND start_time < ?',
    )
    const rawSpans = this.db.prepare(
      'SELECT model, status, end_time - start_time AS d, ttft_ms, input_tokens, output_tokens, cost_usd FROM spans WHERE model IS NOT NULL AND start_time >= ? AND start_time < ?',
    )
    for (const [start, end] of raw) {
      if (end <= start) continue
      for (const r of rawTraces.iterate(start, end) as Iterable<{
        start_time: number
        end_time: number
        status: string
      }>) {
        const d = r.end_time - r.start_time
        addTotals(result.totals, TRACE_SERIES, {
          calls: 1,
          errors: r.status === 'error' ? 1 : 0,
          inputTokens: 0,
          outputTokens: 0,
          costUsd: 0,
        })
        addBin(result.histograms, TRACE_SERIES, binOf(d), 1, d)
      }
      for (const r of rawSpans.iterate(start, end) as Iterable<{
        model: string
        status: string
        d: number
        ttft_ms: number | null
        input_tokens: number | null
        output_tokens: number | null
        cost_usd: number | null
      }>) {
        addTotals(result.totals, r.model, {
          calls: 1,
          errors: r.status === 'error' ? 1 : 0,
          inputTokens: r.input_tokens ?? 0,
          outputTokens: r.output_tokens ?? 0,
          costUsd: r.cost_usd ?? 0,
        })
        addBin(result.histograms, `l${r.model}`, binOf(r.d), 1, r.d)
        if (r.ttft_ms !== null)
          addBin(result.histograms, `t${r.model}`, binOf(r.ttft_ms), 1, r.ttft_ms)
      }
    }
    return result
  }

  /** Rebuilds the rollup from the stored rows (a database from before it existed). */
  rebuild(): void {
    this.db.exec('DELETE FROM stat_totals; DELETE FROM stat_hist')
    for (const r of this.db
      .prepare('SELECT start_time, end_time, status FROM traces')
      .iterate() as Iterable<Pick<TraceRow, 'start_time' | 'end_time' | 'status'>>)
      this.trace(r, 1)
    this.write()
    for (const r of this.db
      .prepare(
        'SELECT model, status, start_time, end_time, ttft_ms, input_tokens, output_tokens, cost_usd FROM spans WHERE model IS NOT NULL',
      )
      .iterate() as Iterable<Record<string, any>>)
      this.span(rawSpan(r), 1)
    this.write()
  }

  /** Counts out the traces (and their LLM spans) a retention sweep is about to delete. */
  removeTraces(where: string, params: (number | string)[]): void {
    for (const r of this.db
      .prepare(`SELECT start_time, end_time, status FROM traces WHERE ${where}`)
      .iterate(...params) as Iterable<Pick<TraceRow, 'start_time' | 'end_time' | 'status'>>) {
      this.trace(r, -1)
      if (r.start_time > this.removedThrough) this.removedThrough = r.start_time
    }
    for (const r of this.db
      .prepare(
        `SELECT model, status, start_time, end_time, ttft_ms, input_tokens, output_tokens, cost_usd FROM spans WHERE model IS NOT NULL AND trace_row IN (SELECT rowid FROM traces WHERE ${where})`,
      )
      .iterate(...params) as Iterable<Record<string, any>>) {
      this.span(rawSpan(r), -1)
      if (r.start_time > this.removedThrough) this.removedThrough = r.start_time
    }
  }
}

function rawSpan(r: Record<string, any>) {
  return {
    model: r.model as string,
    status: r.status,
    startTime: r.start_time as number,
    durationMs: (r.end_time as number) - (r.start_time as number),
    ttftMs: r.ttft_ms ?? undefined,
    inputTokens: r.input_tokens ?? undefined,
    outputTokens: r.output_tokens ?? undefined,
    costUsd: r.cost_usd ?? undefined,
  }
}
