import type { DatabaseSync, StatementSync } from 'node:sqlite'
import { ATTR, type Attributes } from '@tokentrail/core'
import type { MetricPoint } from '../otlp/otlp-metrics-decode.js'
import { fromCanonical, sameBounds } from './metric-store.js'
import { histogramQuantile, str, TO_MS } from './metrics-summary.js'
import { bucketLayout, MAX_SERIES, type Series, type TimeSeries } from './timeseries.js'

// What each minute added to the GenAI metrics, kept beside `metric_points` (which holds only the
// newest total of each series). Additive, so SCHEMA_VERSION stays.
export const TIMELINE_SCHEMA = `
CREATE TABLE IF NOT EXISTS metric_timeline (
  name TEXT NOT NULL,
  service TEXT NOT NULL,
  attributes TEXT NOT NULL,
  minute REAL NOT NULL,
  unit TEXT NOT NULL,
  value REAL,
  count INTEGER,
  sum REAL,
  bucket_counts TEXT,
  bounds TEXT,
  UNIQUE (name, service, attributes, minute)
);
CREATE INDEX IF NOT EXISTS metric_timeline_minute ON metric_timeline (minute);
`

/** Metrics charted over time: Tokentrail's own and the GenAI convention's other SDKs send. */
const CHARTED = new Set([
  'gen_ai.client.token.usage',
  'gen_ai.client.operation.duration',
  'gen_ai.client.operation.time_to_first_chunk',
  'tokentrail.llm.cost',
])

const MINUTE = 60_000
/** Minutes kept: 8 days, so the stats page's "last 7 days" is whole. */
export const TIMELINE_RETENTION_MS = 8 * 86_400_000
/** Rows kept at most (series × minutes); the oldest minutes go first. */
export const TIMELINE_MAX_ROWS = 200_000

/** The stored newest point of a series run (`metric_points`), as far as increments need it. */
export interface PreviousPoint {
  type: string
  time: number
  value: number | null
  count: number | null
  sum: number | null
  bucket_counts: string | null
  bounds: string | null
}

interface Increment {
  value?: number
  count?: number
  sum?: number
  bucketCounts?: number[]
  bounds?: number[]
}

/**
 * What `point` added since `previous` (the newest point of the same producer run): the point
 * itself when it is a delta, a new run or a reset (a total that went down); else the difference.
 */
function increment(point: MetricPoint, previous: PreviousPoint | undefined): Increment | undefined {
  const fresh = point.temporality === 'delta' || !previous || previous.type !== point.type
  if (point.type === 'histogram') {
    if (!point.bucketCounts || !point.bounds) return undefined
    const whole = {
      count: point.count ?? 0,
      sum: point.sum ?? 0,
      bucketCounts: point.bucketCounts,
      bounds: point.bounds,
    }
    if (fresh) return whole
    const counts = previous.bucket_counts ? (JSON.parse(previous.bucket_counts) as number[]) : []
    const bounds = previous.bounds ? (JSON.parse(previous.bounds) as number[]) : []
    if (counts.length !== point.bucketCounts.length || !sameBounds(bounds, point.bounds))
      return whole
    const diff = point.bucketCounts.map((c, i) => c - counts[i]!)
    if (diff.some((d) => d < 0)) return whole
    return {
      count: (point.count ?? 0) - (previous.count ?? 0),
      sum: (point.sum ?? 0) - (previous.sum ?? 0),
      bucketCounts: diff,
      bounds: point.bounds,
    }
  }
  if (point.type !== 'sum' || point.value === undefined) return undefined
  if (fresh || !point.monotonic) return { value: point.value }
  const diff = point.value - (previous.value ?? 0)
  return { value: diff < 0 ? point.value : diff }
}

/**
 * GenAI metric points over time, by minute: each point received adds what it counted since the
 * previous one of its producer run to its minute. Kept 8 days and at most 200,000 rows.
 */
export class MetricTimeline {
  private readonly statements: Record<string, StatementSync> = {}
  private added = 0

  constructor(
    private readonly db: DatabaseSync,
    private readonly maxAgeMs: number,
  ) {
    db.exec(TIMELINE_SCHEMA)
  }

  private statement(sql: string): StatementSync {
    let statement = this.statements[sql]
    if (!statement) this.statements[sql] = statement = this.db.prepare(sql)
    return statement
  }

  /** Adds what `point` counted since `previous` to its minute; inside the caller's transaction. */
  add(point: MetricPoint, attributes: string, previous: PreviousPoint | undefined): void {
    if (!CHARTED.has(point.name)) return
    const inc = increment(point, previous)
    if (!inc) return
    if (point.type === 'histogram' && !inc.count) return
    if (point.type === 'sum' && !inc.value) return
    const minute = Math.floor((point.time || Date.now()) / MINUTE) * MINUTE
    const row = this.statement(
      'SELECT value, count, sum, bucket_counts, bounds FROM metric_timeline WHERE name = ? AND service = ? AND attributes = ? AND minute = ?',
    ).get(point.name, point.service, attributes, minute) as PreviousPoint | undefined
    if (row && inc.bucketCounts) {
      const counts = row.bucket_counts ? (JSON.parse(row.bucket_counts) as number[]) : []
      // Same series, same minute: the bounds only differ if the producer changed them; the
      // newest shape wins then.
      if (counts.length === inc.bucketCounts.length && row.bounds === JSON.stringify(inc.bounds)) {
        inc.bucketCounts = inc.bucketCounts.map((c, i) => c + counts[i]!)
        inc.count = (inc.count ?? 0) + (row.count ?? 0)
        inc.sum = (inc.sum ?? 0) + (row.sum ?? 0)
      }
    } else if (row) inc.value = (inc.value ?? 0) + (row.value ?? 0)
    this.statement(
      'INSERT OR REPLACE INTO metric_timeline (name, service, attributes, minute, unit, value, count, sum, bucket_counts, bounds) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ).run(
      point.name,
      point.service,
      attributes,
      minute,
      point.unit,
      inc.value ?? null,
      inc.count ?? null,
      inc.sum ?? null,
      inc.bucketCounts ? JSON.stringify(inc.bucketCounts) : null,
      inc.bounds ? JSON.stringify(inc.bounds) : null,
    )
    if (!row) this.added++
  }

  /** Deletes minutes past the retention (and `maxAgeMs`), then the oldest past the row cap. */
  sweep(now = Date.now()): void {
    if (this.added === 0) return
    this.added = 0
    const keep =
      this.maxAgeMs > 0 ? Math.min(this.maxAgeMs, TIMELINE_RETENTION_MS) : TIMELINE_RETENTION_MS
    this.statement('DELETE FROM metric_timeline WHERE minute < ?').run(now - keep)
    const rows = (
      this.statement('SELECT count(*) AS n FROM metric_timeline').get() as { n: number }
    ).n
    if (rows > TIMELINE_MAX_ROWS)
      this.statement(
        'DELETE FROM metric_timeline WHERE rowid IN (SELECT rowid FROM metric_timeline ORDER BY minute LIMIT ?)',
      ).run(rows - TIMELINE_MAX_ROWS)
  }

  /**
   * The GenAI metrics from `from` to `to` by model or service, in the shape of the trace charts:
   * calls and p50/p95 latency from `gen_ai.client.operation.duration` (errors: its points with
   * `error.type`), p50 TTFT from `…time_to_first_chunk`, tokens from `gen_ai.client.token.usage`,
   * cost from `tokentrail.llm.cost`. Percentiles are estimated from the histogram buckets.
   */
  series({
    by,
    from,
    to,
    count = 60,
  }: {
    by: 'model' | 'service'
    from: number
    to: number
    count?: number
  }): TimeSeries {
    const rows = this.statement(
      'SELECT name, service, attributes, minute, unit, value, count, sum, bucket_counts, bounds FROM metric_timeline WHERE minute >= ? AND minute < ? ORDER BY minute',
    ).all(Math.floor(from / MINUTE) * MINUTE, to) as unknown as (PreviousPoint & {
      name: string
      service: string
      attributes: string
      minute: number
      unit: string
    })[]
    const start = rows.length ? rows[0]!.minute : to
    const { bucketMs, buckets } = bucketLayout(start, to, count, MINUTE)
    type Hist = { bounds: number[]; counts: number[]; scale: number } | undefined
    interface Group {
      calls: number[]
      errors: number[]
      duration: Hist[]
      ttft: Hist[]
      tokens: number[]
      cost: number[]
      seen: boolean[]
    }
    const groups = new Map<string, Group>()
    const addHist = (
      hists: Hist[],
      i: number,
      bounds: number[],
      counts: number[],
      unit: string,
    ) => {
      const scale = TO_MS[unit] ?? 1000
      const h = hists[i]
      if (!h) hists[i] = { bounds, counts: [...counts], scale }
      else if (h.scale === scale && h.counts.length === counts.length)
        for (let k = 0; k < counts.length; k++) h.counts[k]! += counts[k]!
    }
    for (const row of rows) {
      const attributes = fromCanonical(row.attributes)
      const key =
        by === 'service'
          ? row.service
          : (str(attributes[ATTR.requestModel]) ??
            str(attributes[ATTR.responseModel]) ??
            '(unknown)')
      let g = groups.get(key)
      if (!g)
        groups.set(
          key,
          (g = {
            calls: buckets.map(() => 0),
            errors: buckets.map(() => 0),
            duration: buckets.map(() => undefined),
            ttft: buckets.map(() => undefined),
            tokens: buckets.map(() => 0),
            cost: buckets.map(() => 0),
            seen: buckets.map(() => false),
          }),
        )
      const i = Math.min(
        buckets.length - 1,
        Math.max(0, Math.floor((row.minute - buckets[0]!) / bucketMs)),
      )
      g.seen[i] = true
      const counts = row.bucket_counts ? (JSON.parse(row.bucket_counts) as number[]) : []
      const bounds = row.bounds ? (JSON.parse(row.bounds) as number[]) : []
      if (row.name === 'gen_ai.client.operation.duration') {
        g.calls[i]! += row.count ?? 0
        if (attributes[ATTR.errorType] !== undefined) g.errors[i]! += row.count ?? 0
        addHist(g.duration, i, bounds, counts, row.unit)
      } else if (row.name === 'gen_ai.client.operation.time_to_first_chunk')
        addHist(g.ttft, i, bounds, counts, row.unit)
      // Input and output only: cached, cache-writing and reasoning tokens are parts of those,
      // counted twice if added (Tokentrail's metrics send them as token types of their own).
      else if (row.name === 'gen_ai.client.token.usage') {
        const type = attributes['gen_ai.token.type']
        if (type === 'input' || type === 'output') g.tokens[i]! += row.sum ?? 0
      } else if (row.name === 'tokentrail.llm.cost') g.cost[i]! += row.value ?? 0
    }
    const quantile = (h: Hist, q: number) => {
      if (!h) return null
      const v = histogramQuantile(q, h.bounds, h.counts)
      return v === null ? null : v * h.scale
    }
    const series = [...groups]
      .map(([key, g]) => ({ key, g, total: g.calls.reduce((a, b) => a + b, 0) }))
      .sort((a, b) => b.total - a.total)
      .slice(0, MAX_SERIES)
      .map(
        ({ key, g }): Series => ({
          key,
          calls: g.calls,
          latencyP50: g.duration.map((h) => quantile(h, 0.5)),
          latencyP95: g.duration.map((h) => quantile(h, 0.95)),
          ttftP50: g.ttft.map((h) => quantile(h, 0.5)),
          tokens: g.tokens.map((t, i) => (g.seen[i] ? t : null)),
          costUsd: g.cost.map((c, i) => (g.seen[i] ? c : null)),
          errorRate: g.calls.map((c, i) => (c ? g.errors[i]! / c : null)),
        }),
      )
    return { by, from, to, bucketMs, buckets, series }
  }
}
