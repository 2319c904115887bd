import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite'
import { type Attributes, TokentrailError } from '@tokentrail/core'
import type { MetricPoint } from '../otlp/otlp-metrics-decode.js'
import { MetricTimeline } from './metric-timeline.js'

// Additive to the trace schema (its own table, created if missing), so SCHEMA_VERSION stays.
const METRICS_SCHEMA = `
CREATE TABLE IF NOT EXISTS metric_points (
  service TEXT NOT NULL,
  name TEXT NOT NULL,
  attributes TEXT NOT NULL,
  resource TEXT NOT NULL,
  run_start REAL NOT NULL,
  scope TEXT NOT NULL,
  type TEXT NOT NULL,
  temporality TEXT NOT NULL,
  monotonic INTEGER NOT NULL,
  unit TEXT NOT NULL,
  description TEXT NOT NULL,
  start_time REAL NOT NULL,
  time REAL NOT NULL,
  value REAL,
  count INTEGER,
  sum REAL,
  min REAL,
  max REAL,
  bucket_counts TEXT,
  bounds TEXT,
  UNIQUE (service, name, attributes, resource, run_start)
);
CREATE INDEX IF NOT EXISTS metric_points_time ON metric_points (time);
`

/** The `metric_points` row as stored: the newest point of one series of one producer run. */
interface MetricRow {
  service: string
  name: string
  attributes: string
  resource: string
  run_start: number
  scope: string
  type: string
  temporality: string
  monotonic: number
  unit: string
  description: string
  start_time: number
  time: number
  value: number | null
  count: number | null
  sum: number | null
  min: number | null
  max: number | null
  bucket_counts: string | null
  bounds: string | null
}

/** One metric series (service, name, attribute set) with the runs of its producers combined. */
export interface MetricSeries {
  service: string
  name: string
  description: string
  unit: string
  scope: string
  type: 'sum' | 'gauge' | 'histogram'
  temporality: 'cumulative' | 'delta' | 'unspecified'
  monotonic: boolean
  attributes: Attributes
  /** Resource attributes (other than `service.name`) of the newest run. */
  resource: Attributes
  /**
   * Producer runs added up: a restarted producer starts its cumulative totals again with a new
   * start time, and each run's newest point counts once.
   */
  runs: number
  /** Epoch milliseconds: start of the earliest run, and time of the newest point. */
  startTime: number
  time: number
  /** Sums and gauges. */
  value?: number
  /** Histograms. */
  count?: number
  sum?: number
  min?: number
  max?: number
  bucketCounts?: number[]
  bounds?: number[]
}

/** Filters of `MetricStore.series`. */
export interface MetricQuery {
  service?: string
  /** Exact metric name. */
  name?: string
  /** Only runs whose newest point is at or after this time (epoch ms). */
  from?: number
}

/** What one `record` did. */
export interface MetricRecordResult {
  /** Points stored or added. */
  stored: number
  /** Cumulative points older than the one already stored for their run (a late retry): kept out. */
  stale: number
}

/** Sorted-key JSON, so the same attribute set always gives the same key. */
function canonical(attributes: Attributes): string {
  const keys = Object.keys(attributes).sort()
  return JSON.stringify(keys.map((k) => [k, attributes[k]]))
}

export function fromCanonical(text: string): Attributes {
  return Object.fromEntries(JSON.parse(text) as [string, Attributes[string]][])
}

/**
 * Whether points of this metric are totals since a start time that a restarted producer resets
 * (so each run is kept apart and runs add up), rather than one value where the newest wins.
 */
function isCumulativeTotal(point: Pick<MetricPoint, 'type' | 'temporality' | 'monotonic'>) {
  return point.type !== 'gauge' && point.temporality !== 'delta' && point.monotonic
}

export function sameBounds(
  a: readonly number[] | undefined,
  b: readonly number[] | undefined,
): boolean {
  if (!a || !b || a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function toRowValues(point: MetricPoint): Omit<MetricRow, 'attributes' | 'resource' | 'run_start'> {
  return {
    service: point.service,
    name: point.name,
    scope: point.scope,
    type: point.type,
    temporality: point.temporality,
    monotonic: point.monotonic ? 1 : 0,
    unit: point.unit,
    description: point.description,
    start_time: point.startTime,
    time: point.time,
    value: point.value ?? null,
    count: point.count ?? null,
    sum: point.sum ?? null,
    min: point.min ?? null,
    max: point.max ?? null,
    bucket_counts: point.bucketCounts ? JSON.stringify(point.bucketCounts) : null,
    bounds: point.bounds ? JSON.stringify(point.bounds) : null,
  }
}

/** Adds a delta point to the stored one (same run key); undefined when they cannot be added. */
function addDelta(row: MetricRow, point: MetricPoint): MetricPoint | undefined {
  if (row.type !== point.type) return undefined
  const merged: MetricPoint = {
    ...point,
    startTime: Math.min(row.start_time, point.startTime),
    time: Math.max(row.time, point.time),
  }
  if (point.type !== 'histogram') {
    merged.value = (row.value ?? 0) + (point.value ?? 0)
    return merged
  }
  const bounds = row.bounds ? (JSON.parse(row.bounds) as number[]) : undefined
  const counts = row.bucket_counts ? (JSON.parse(row.bucket_counts) as number[]) : []
  if (!sameBounds(bounds, point.bounds) || counts.length !== point.bucketCounts!.length)
    return undefined
  merged.count = (row.count ?? 0) + point.count!
  merged.bucketCounts = counts.map((c, i) => c + point.bucketCounts![i]!)
  if (row.sum !== null || point.sum !== undefined) merged.sum = (row.sum ?? 0) + (point.sum ?? 0)
  const mins = [row.min, point.min].filter((v): v is number => typeof v === 'number')
  const maxes = [row.max, point.max].filter((v): v is number => typeof v === 'number')
  if (mins.length) merged.min = Math.min(...mins)
  else delete merged.min
  if (maxes.length) merged.max = Math.max(...maxes)
  else delete merged.max
  return merged
}

/**
 * Metric points received at `/v1/metrics`, in the trace database's `metric_points` table: for
 * each series and producer run, the newest cumulative point (never added up), delta points
 * added up, gauges as their newest value.
 */
export class MetricStore {
  private readonly statements: Record<string, StatementSync> = {}
  private rows: number
  /** The GenAI metrics by minute, for charts over time. */
  readonly timeline: MetricTimeline

  constructor(
    private readonly db: DatabaseSync,
    private readonly maxSeries: number,
    private readonly maxAgeMs: number,
  ) {
    if (!Number.isInteger(maxSeries) || maxSeries < 0)
      throw new TokentrailError(`maxMetricSeries must be a whole number ≥ 0, got ${maxSeries}`)
    db.exec(METRICS_SCHEMA)
    this.timeline = new MetricTimeline(db, maxAgeMs)
    this.rows = Number(
      (db.prepare('SELECT count(*) AS n FROM metric_points').get() as { n: number }).n,
    )
  }

  private statement(sql: string): StatementSync {
    let statement = this.statements[sql]
    if (!statement) this.statements[sql] = statement = this.db.prepare(sql)
    return statement
  }

  /** Number of stored rows (series × producer runs). */
  get count(): number {
    return this.rows
  }

  /** Stores points in one transaction. */
  record(points: readonly MetricPoint[]): MetricRecordResult {
    const select = this.statement(
      'SELECT * FROM metric_points WHERE service = ? AND name = ? AND attributes = ? AND resource = ? AND run_start = ?',
    )
    const upsert = this.statement(
      'INSERT OR REPLACE INTO metric_points (service, name, attributes, resource, run_start, scope, type, temporality, monotonic, unit, description, start_time, time, value, count, sum, min, max, bucket_counts, bounds) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    )
    let stored = 0
    let stale = 0
    let added = 0
    this.db.exec('BEGIN')
    try {
      for (const point of points) {
        const attributes = canonical(point.attributes)
        const resource = canonical(point.resource)
        // A producer run is known by its start time; values that are not running totals keep one row.
        const runStart = isCumulativeTotal(point) ? point.startTime : 0
        const row = select.get(point.service, point.name, attributes, resource, runStart) as
          | MetricRow
          | undefined
        let next: MetricPoint = point
        if (row) {
          if (point.temporality === 'delta' && row.temporality === 'delta')
            next = addDelta(row, point) ?? point
          else if (point.time < row.time && row.type === point.type) {
            stale++
            continue
          }
        } else added++
        this.timeline.add(point, attributes, row)
        const v = toRowValues(next)
        upsert.run(
          v.service,
          v.name,
          attributes,
          resource,
          runStart,
          v.scope,
          v.type,
          v.temporality,
          v.monotonic,
          v.unit,
          v.description,
          v.start_time,
          v.time,
          v.value,
          v.count,
          v.sum,
          v.min,
          v.max,
          v.bucket_counts,
          v.bounds,
        )
        stored++
      }
      this.db.exec('COMMIT')
      this.rows += added
    } catch (error) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK')
      throw error
    }
    return { stored, stale }
  }

  /** Series with their runs combined, sorted by service, name and attributes. */
  series(query: MetricQuery = {}): MetricSeries[] {
    const where: string[] = []
    const params: SQLInputValue[] = []
    if (query.service) {
      where.push('service = ?')
      params.push(query.service)
    }
    if (query.name) {
      where.push('name = ?')
      params.push(query.name)
    }
    if (query.from !== undefined) {
      where.push('time >= ?')
      params.push(query.from)
    }
    const rows = this.statement(
      `SELECT * FROM metric_points ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY service, name, attributes, time DESC`,
    ).all(...params) as unknown as MetricRow[]
    const out: MetricSeries[] = []
    let current: MetricSeries | undefined
    let currentKey = ''
    for (const row of rows) {
      const key = `${row.service}\u0000${row.name}\u0000${row.attributes}`
      if (key !== currentKey || !current) {
        currentKey = key
        // Rows come newest first: the first row of a series sets its shape.
        current = {
          service: row.service,
          name: row.name,
          description: row.description,
          unit: row.unit,
          scope: row.scope,
          type: row.type as MetricSeries['type'],
          temporality: row.temporality as MetricSeries['temporality'],
          monotonic: row.monotonic === 1,
          attributes: fromCanonical(row.attributes),
          resource: fromCanonical(row.resource),
          runs: 1,
          startTime: row.start_time,
          time: row.time,
        }
        if (row.type === 'histogram') {
          current.count = row.count ?? 0
          if (row.sum !== null) current.sum = row.sum
          if (row.min !== null) current.min = row.min
          if (row.max !== null) current.max = row.max
          current.bucketCounts = row.bucket_counts ? JSON.parse(row.bucket_counts) : []
          current.bounds = row.bounds ? JSON.parse(row.bounds) : []
        } else current.value = row.value ?? 0
        out.push(current)
        continue
      }
      // Older runs of the same series: running totals add up; a newest-value series keeps its newest.
      if (row.type !== current.type || !isCumulativeOrDelta(current)) continue
      current.startTime = Math.min(current.startTime, row.start_time)
      if (current.type !== 'histogram') {
        current.value = (current.value ?? 0) + (row.value ?? 0)
        current.runs++
        continue
      }
      const bounds = row.bounds ? (JSON.parse(row.bounds) as number[]) : []
      const counts = row.bucket_counts ? (JSON.parse(row.bucket_counts) as number[]) : []
      if (!sameBounds(bounds, current.bounds) || counts.length !== current.bucketCounts!.length)
        continue
      current.runs++
      current.count = (current.count ?? 0) + (row.count ?? 0)
      current.bucketCounts = current.bucketCounts!.map((c, i) => c + counts[i]!)
      if (row.sum !== null) current.sum = (current.sum ?? 0) + row.sum
      if (row.min !== null) current.min = Math.min(current.min ?? row.min, row.min)
      if (row.max !== null) current.max = Math.max(current.max ?? row.max, row.max)
    }
    return out
  }

  /** Deletes runs not updated within `maxAgeMs`, then the least recently updated past `maxSeries`. */
  sweep(now = Date.now()): number {
    this.timeline.sweep(now)
    let deleted = 0
    if (this.maxAgeMs > 0)
      deleted += Number(
        this.statement('DELETE FROM metric_points WHERE time < ?').run(now - this.maxAgeMs).changes,
      )
    if (this.maxSeries > 0 && this.rows - deleted > this.maxSeries) {
      deleted += Number(
        this.statement(
          'DELETE FROM metric_points WHERE rowid IN (SELECT rowid FROM metric_points ORDER BY time LIMIT ?)',
        ).run(this.rows - deleted - this.maxSeries).changes,
      )
    }
    this.rows -= deleted
    return deleted
  }
}

function isCumulativeOrDelta(series: MetricSeries): boolean {
  return series.type !== 'gauge' && series.monotonic
}
