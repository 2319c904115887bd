import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite'
import { type SpanData, type SpanStatus, TokentrailError } from '@tokentrail/core'
import { buildSpanTree, flattenSpanTree } from '@tokentrail/core/tree'
import { sqlite } from '../node-support.js'
import { Checkpointer } from './checkpointer.js'
import { MetricStore } from './metric-store.js'
import { migrateSchema, type SchemaMigration } from './schema-migration.js'
import { histogramPercentile, ROLLUP_SCHEMA, StatsRollup } from './stats-rollup.js'
import { describeStorageFailure, folderProblem, storageFailure } from './storage-error.js'
import {
  fullTraceSummary,
  groupByTrace,
  mergeTraceRow,
  type PreparedBatch,
  type PreparedSpan,
  prepareSpan,
  prepareSpans,
  SCHEMA,
  SCHEMA_VERSION,
  type SpanSummary,
  TRACE_COLUMNS,
  type TraceRow,
  type TraceSummary,
  toTraceSummary,
  traceValues,
} from './store-schema.js'
import { CATCH_UP_TRACES, type TraceIdentityQuery, TraceIndex } from './trace-index.js'
import { waterfallPage } from './waterfall-page.js'

export type { SpanSummary, TraceSummary } from './store-schema.js'

/** Options of `openTraceStore`. */
export interface TraceStoreOptions {
  /**
   * SQLite file; its folder is created. `:memory:` keeps nothing on disk.
   * @default '.tokentrail/traces.db'
   */
  path?: string
  /**
   * Most traces kept; the oldest are deleted past this. `0` keeps all.
   * @default 100000
   */
  maxTraces?: number
  /**
   * Traces older than this many milliseconds are deleted. `0` keeps all.
   * @default 0
   */
  maxAgeMs?: number
  /**
   * Most metric series kept (each producer run of a series counts once); the least recently
   * updated are deleted past this. `0` keeps all. `maxAgeMs` applies to their newest point.
   * @default 50000
   */
  maxMetricSeries?: number
  /**
   * Largest the database may grow, in bytes (what its pages hold: traces, their indexes and
   * metrics; the write-ahead log beside it adds up to about 40 MB). Past it the oldest traces are
   * deleted, and SQLite reuses their room, so the file stays about this size. `0` keeps all; else at
   * least 1 MiB.
   * @default 2147483648 (2 GiB)
   */
  maxBytes?: number
  /**
   * Once the store has grown, copy the write-ahead log into the file from a worker thread, off
   * the ingest path (file databases only).
   * @default true
   */
  backgroundCheckpoints?: boolean
}

/** Filters and paging of `listTraces`. */
export interface TraceQuery extends TraceIdentityQuery {
  status?: SpanStatus
  /** Traces with an LLM call that asked for, or was answered by, this model. */
  model?: string
  service?: string
  /** Case-insensitive text found in span names, errors, models, users, sessions, tags or the start of prompts. */
  text?: string
  /** Epoch milliseconds, inclusive. */
  from?: number
  /** Epoch milliseconds, exclusive. */
  to?: number
  /** @default 50 */
  limit?: number
  /** `nextCursor` of the previous page. */
  cursor?: string
}

export interface TracePage {
  traces: TraceSummary[]
  /** Pass as `cursor` for the next (older) page; absent on the last page. */
  nextCursor?: string
}

/**
 * One row of a trace's waterfall: a span placed in the span tree, which the rows list depth-first
 * (parents before their children). Flat, so a trace thousands of levels deep is plain JSON.
 */
export interface WaterfallRow {
  spanId: string
  /** Absent for a root (no parent, a parent not stored, or a parent link that formed a cycle). */
  parentSpanId?: string
  /** 0 for a root. */
  depth: number
  /** Milliseconds from the trace start. */
  offset: number
  durationMs: number
}

/** Which waterfall rows of a trace to answer: `limit` rows from `offset` (depth-first order). */
export interface TracePageRequest {
  /** @default 0 */
  offset?: number
  /** @default every row */
  limit?: number
  /**
   * Cuts string attributes longer than 2,000 characters (whole prompts, outputs, tool results)
   * in spans stored as more than 16 KB, marking them `truncated: true`: `getSpanJson` has them whole.
   * @default false
   */
  lean?: boolean
}

/** The rows a trace answer holds: `limit` from `offset`, of `total` (the trace's span count). */
export interface TracePageInfo {
  offset: number
  limit: number
  total: number
}

/**
 * One trace with its waterfall and the spans of its rows (sorted by start time). A paged answer
 * holds the rows `page` names and only their spans.
 */
export interface TraceDetail {
  trace: TraceSummary
  spans: SpanData[]
  waterfall: WaterfallRow[]
  /** Absent from collectors before paging. */
  page?: TracePageInfo
}

export interface Percentiles {
  p50: number | null
  p95: number | null
  p99: number | null
}

export interface ModelStats {
  model: string
  calls: number
  errors: number
  errorRate: number
  latencyMs: Percentiles
  ttftMs: Percentiles
  inputTokens: number
  outputTokens: number
  costUsd: number
}

export interface TraceStats {
  traces: { count: number; errors: number; errorRate: number; durationMs: Percentiles }
  models: ModelStats[]
  store: { traces: number; spans: number }
}

/** What one `insert` stored. */
export interface InsertResult {
  /** Spans stored now. */
  inserted: number
  /** Spans already stored (an exporter retried a batch); kept once. */
  duplicates: number
  spans: SpanSummary[]
  traces: TraceSummary[]
}

/** The result of looking up a trace id or a unique prefix of one. */
export type ResolvedId =
  | { found: true; traceId: string }
  | { found: false; reason: 'unknown' | 'ambiguous'; matches?: number }

/** Page size of a new database file, in bytes. */
const PAGE_SIZE = 8192

/** The WAL size at which the ingest connection checkpoints by itself. */
const WAL_BYTES = 40 * 1024 * 1024

const HEX_PREFIX = /^[0-9a-f]{6,32}$/

/** A trace's search and attribute index rows to write: `TraceIndex.update`'s arguments. */
interface IndexUpdate {
  previous: (TraceRow & { rowid: number }) | undefined
  rowid: number
  row: TraceRow
}

/** The statements of `insert`, prepared once. */
interface IngestStatements {
  /** Spans repeat when an exporter retries a batch: kept once. */
  insertSpan: StatementSync
  /** A new trace's row (a trace an earlier batch stored is found first: `TraceIndex.rowidsOf`). */
  insertTrace: StatementSync
  /** Rows of a JSON list of trace rowids. */
  selectTraces: StatementSync
  /** `UPDATE traces SET <the changed columns> WHERE rowid = ?`, by the columns' names. */
  updates: Map<string, StatementSync>
}

function prepareIngest(db: DatabaseSync): IngestStatements {
  return {
    insertSpan: db.prepare(
      'INSERT INTO spans (trace_row, span_id, parent_span_id, name, kind, status, start_time, end_time, service, model, input_tokens, output_tokens, cost_usd, ttft_ms, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
    ),
    insertTrace: db.prepare(
      `INSERT INTO traces (${TRACE_COLUMNS.join(', ')}) VALUES (${TRACE_COLUMNS.map(() => '?').join(', ')})`,
    ),
    selectTraces: db.prepare(
      'SELECT rowid, * FROM traces WHERE rowid IN (SELECT value FROM json_each(?))',
    ),
    updates: new Map(),
  }
}

function encodeCursor(row: { start_time: number; trace_id: string }): string {
  return `${row.start_time}_${row.trace_id}`
}

function decodeCursor(cursor: string): [number, string] {
  const match = /^(\d+(?:\.\d+)?)_([0-9a-f]{32})$/.exec(cursor)
  if (!match)
    throw new TokentrailError(`cursor "${cursor.slice(0, 60)}" is not a nextCursor from this API`)
  return [Number(match[1]), match[2]!]
}

/** The waterfall of a trace's spans: the span tree, flattened depth-first. */
export function waterfall(spans: readonly SpanData[]): WaterfallRow[] {
  const rows: WaterfallRow[] = []
  const parents = new Map<string, string>()
  for (const node of flattenSpanTree(buildSpanTree(spans))) {
    for (const child of node.children) parents.set(child.span.spanId, node.span.spanId)
    const row: WaterfallRow = {
      spanId: node.span.spanId,
      depth: node.depth,
      offset: node.offset,
      durationMs: node.duration,
    }
    const parent = parents.get(node.span.spanId)
    if (parent !== undefined) row.parentSpanId = parent
    rows.push(row)
  }
  return rows
}

// A span stored as more than 16 KB with a string attribute over 2,000 characters is answered with
// those strings cut (and `truncated: true`), built by SQLite from the stored JSON: a trace page
// lists many spans but shows one prompt at a time.
const LEAN_SPAN = `CASE WHEN length(data) <= 16384 OR NOT EXISTS (
    SELECT 1 FROM json_each(data, '$.attributes') WHERE type = 'text' AND length(value) > 2000
  ) THEN data ELSE json_set(data, '$.attributes', (
    SELECT json_group_object(key, CASE
      WHEN type = 'text' AND length(value) > 2000 THEN substr(value, 1, 2000) || '…'
      WHEN type = 'true' THEN json('true')
      WHEN type = 'false' THEN json('false')
      ELSE value END)
    FROM json_each(data, '$.attributes')
  ), '$.truncated', json('true')) END`

/** How long after the last insert the traces it stored are indexed (see `TraceIndex`). */
const CATCH_UP_IDLE_MS = 250

/** The smallest `maxBytes` but 0: an empty database's tables and indexes take about 230 KB. */
export const MIN_MAX_BYTES = 1024 * 1024

/** Spans and traces in one SQLite file, indexed for listing by time, status, model and service. */
export class TraceStore {
  readonly path: string
  /** Metric points received at `/v1/metrics`, in the same file. */
  readonly metrics: MetricStore
  /** @internal The open database, for the query modules beside this one (views, time series). */
  readonly db: DatabaseSync
  /** Set when opening brought a file of an older schema to this one (said once, at that start). */
  readonly migration?: SchemaMigration
  private readonly index: TraceIndex
  private readonly maxTraces: number
  private readonly maxAgeMs: number
  private readonly maxBytes: number
  private traceCount: number
  private spanCount: number
  private readonly statements: Record<string, StatementSync> = {}
  private readonly rollup: StatsRollup
  private readonly ingest: IngestStatements
  /** Copies the WAL into the file off the ingest path (file databases only). */
  private readonly checkpointer: Checkpointer | undefined
  /** An insert failed with SQLITE_FULL since the last one that succeeded. */
  private diskWasFull = false
  /** The pending catch-up of the search and attribute indexes (`scheduleCatchUp`). */
  private catchUpTimer: ReturnType<typeof setTimeout> | undefined

  constructor({
    path = '.tokentrail/traces.db',
    maxTraces = 100_000,
    maxAgeMs = 0,
    maxMetricSeries = 50_000,
    maxBytes = 2 * 1024 ** 3,
    backgroundCheckpoints = true,
  }: TraceStoreOptions = {}) {
    if (!Number.isInteger(maxTraces) || maxTraces < 0)
      throw new TokentrailError(`maxTraces must be a whole number ≥ 0, got ${maxTraces}`)
    if (!Number.isFinite(maxAgeMs) || maxAgeMs < 0)
      throw new TokentrailError(`maxAgeMs must be a number of milliseconds ≥ 0, got ${maxAgeMs}`)
    if (!Number.isInteger(maxMetricSeries) || maxMetricSeries < 0)
      throw new TokentrailError(
        `maxMetricSeries must be a whole number ≥ 0, got ${maxMetricSeries}`,
      )
    if (!Number.isInteger(maxBytes) || (maxBytes !== 0 && maxBytes < MIN_MAX_BYTES))
      throw new TokentrailError(
        `maxBytes must be 0 (no limit) or a whole number of bytes ≥ ${MIN_MAX_BYTES} (1 MiB), got ${maxBytes}`,
      )
    const { DatabaseSync } = sqlite()
    this.path = path
    this.maxTraces = maxTraces
    this.maxAgeMs = maxAgeMs
    this.maxBytes = maxBytes
    try {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
      this.db = new DatabaseSync(path)
    } catch (cause) {
      const folder = path === ':memory:' ? undefined : folderProblem(path)
      throw new TokentrailError(
        `cannot open the trace database at ${path}: ${folder ? `${folder} (${(cause as Error).message})` : (cause as Error).message}; pass another --db path`,
        { cause },
      )
    }
    try {
      this.db.exec('PRAGMA busy_timeout = 5000')
      let version = Number(
        (this.db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version,
      )
      const tables = this.db
        .prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'")
        .get() as { n: number }
      if (tables.n > 0 && version >= 1 && version < SCHEMA_VERSION && path !== ':memory:') {
        // Schema 1 (before identity, search and the rollup), 2 (spans keyed by the hex trace id),
        // 3 (users and sessions in B-tree indexes) or 4 (a unique index on the trace id): rebuilt
        // in place, a backup kept.
        const from = version
        this.db.close()
        try {
          this.migration = migrateSchema(
            path,
            from,
            SCHEMA_VERSION,
            // No worker: the file is renamed once closed, which must fold the WAL in first.
            (target) =>
              new TraceStore({
                path: target,
                maxTraces: 0,
                maxMetricSeries: 0,
                maxBytes: 0,
                backgroundCheckpoints: false,
              }),
          )
        } catch (error) {
          throw new TokentrailError(
            storageFailure(error)
              ? describeStorageFailure(path, error)
              : `${path} holds data of tokentrail schema ${from} that could not be brought to schema ${SCHEMA_VERSION} (${(error as Error).message}); the file is unchanged; pass another --db path`,
            { cause: error },
          )
        }
        this.db = new DatabaseSync(path)
        this.db.exec('PRAGMA busy_timeout = 5000')
        version = SCHEMA_VERSION
      }
      if (tables.n > 0 && version !== SCHEMA_VERSION)
        throw new TokentrailError(
          `${path} holds data of another tokentrail version (schema ${version}, this one reads ${SCHEMA_VERSION}); move it away or pass another --db path`,
        )
      // 8 KB pages for a new file (an existing one keeps its size): every page a commit changed is
      // one write of the WAL, and at 1M stored spans a 512-span batch wrote ~470 pages of 4 KB.
      // Measured in-process at 1M stored spans: 15–20 % less CPU per span, most of it system time,
      // and a 10 % smaller file.
      if (tables.n === 0) this.db.exec(`PRAGMA page_size = ${PAGE_SIZE}`)
      if (path !== ':memory:') this.db.exec('PRAGMA journal_mode = WAL')
      // Checkpoints every ~40 MB of WAL instead of 4 MB: a batch dirties a page in each index at
      // a random place, and over a longer stretch of batches the checkpoint writes each such page
      // once instead of once per batch (ingest 8–12 % less CPU at 100k spans). Once a store has
      // grown, a worker thread checkpoints at half that size (`Checkpointer`), so this one runs
      // only when the worker falls behind. Durability is the same: a committed batch is in the
      // WAL either way.
      const { page_size: pageSize } = this.db.prepare('PRAGMA page_size').get() as {
        page_size: number
      }
      this.db.exec(`PRAGMA wal_autocheckpoint = ${Math.round(WAL_BYTES / pageSize)}`)
      this.db.exec(
        'PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY',
      )
      // Nothing is written when the schema is current, so a full disk still opens for reading.
      const hadRollup = this.hasRollup()
      if (tables.n === 0 || !hadRollup) {
        this.db.exec(SCHEMA + ROLLUP_SCHEMA)
        this.db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`)
      }
      this.rollup = new StatsRollup(this.db)
      if (tables.n > 0 && !hadRollup) {
        // A database from before the stats rollup: built once from its rows.
        this.db.exec('BEGIN')
        this.rollup.rebuild()
        this.db.exec('COMMIT')
      }
      this.metrics = new MetricStore(this.db, maxMetricSeries, maxAgeMs)
      this.index = new TraceIndex(this.db)
      this.ingest = prepareIngest(this.db)
      // The first read of every trace row: a damaged file is found here (and said as such), not
      // as a stack trace from the caller.
      const counts = this.db
        .prepare('SELECT count(*) AS traces, total(span_count) AS spans FROM traces')
        .get() as { traces: number; spans: number }
      this.traceCount = counts.traces
      this.spanCount = counts.spans
      this.checkpointer =
        path === ':memory:' || !backgroundCheckpoints ? undefined : new Checkpointer(path)
    } catch (error) {
      if (this.db.isOpen) this.db.close()
      if (TokentrailError.isInstance(error)) throw error
      // Only a file SQLite cannot read is "not a database": a full or read-only disk is said as such.
      throw new TokentrailError(
        storageFailure(error)
          ? describeStorageFailure(path, error)
          : `${path} is not a tokentrail trace database (${(error as Error).message}); pass another --db path`,
        { cause: error },
      )
    }
  }

  private hasRollup(): boolean {
    return (
      this.db
        .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'stat_hist'")
        .get() !== undefined
    )
  }

  // SQLite rolls back by itself on some errors (a full disk): a second ROLLBACK would throw and
  // hide the real error.
  private rollback(): void {
    if (this.db.isTransaction) this.db.exec('ROLLBACK')
  }

  private statement(sql: string): StatementSync {
    let statement = this.statements[sql]
    if (!statement) this.statements[sql] = statement = this.db.prepare(sql)
    return statement
  }

  /**
   * Stores spans in one transaction and updates their traces' rows. A span already stored (same
   * trace and span id) is kept once, so retried batches are harmless.
   *
   * Written for speed: statements prepared once; a new trace is one plain INSERT (the batch's trace
   * ids are looked up first, together); only traces stored by an earlier batch are read, in one query,
   * and updated in place (same rowid, only the changed columns, so untouched indexes and the
   * search rows stay as they are).
   */
  insert(spans: readonly SpanData[]): InsertResult {
    return this.insertPrepared({ spans: prepareSpans(spans) })
  }

  /**
   * `insert` of spans already read by `prepareSpan` (the collector prepares large bodies on a
   * worker thread).
   */
  insertPrepared(batch: PreparedBatch): InsertResult {
    const { spans, rows } = this.demoteOperations(batch)
    const byTrace = groupByTrace(spans)
    const kept = new Set<PreparedSpan>()
    const size = { bytes: 0 }
    let added = 0
    const traces: (TraceSummary | undefined)[] = []
    // The search and attribute index rows, written last in rowid order (see `TraceIndex.update`).
    const indexed: IndexUpdate[] = []
    this.db.exec('BEGIN')
    try {
      // New traces: the row first (its rowid keys the spans), then the spans. Traces an earlier
      // batch stored: read together below.
      const storedBefore = this.index.rowidsOf(byTrace.keys())
      const later: { at: number; traceId: string; items: PreparedSpan[] }[] = []
      for (const [traceId, items] of byTrace) {
        if (storedBefore.has(traceId)) {
          later.push({ at: traces.length, traceId, items })
          traces.push(undefined)
          continue
        }
        const row = rows?.get(traceId) ?? mergeTraceRow(undefined, items)
        const written = this.ingest.insertTrace.run(...traceValues(row))
        const rowid = Number(written.lastInsertRowid)
        const storedNow = this.insertSpans(rowid, items, kept, size)
        let final = row
        if (storedNow.length < items.length) {
          // The same span twice in one batch: the row counts what was stored.
          final = mergeTraceRow(undefined, storedNow)
          this.updateTrace({ ...row, rowid }, final)
        }
        added++
        this.rollup.trace(final, 1)
        indexed.push({ previous: undefined, rowid, row: final })
        traces.push(toTraceSummary(final))
      }
      if (later.length) {
        const existing = new Map<string, TraceRow & { rowid: number }>()
        for (const row of this.ingest.selectTraces.all(
          JSON.stringify(later.map((l) => storedBefore.get(l.traceId))),
        ) as unknown as (TraceRow & { rowid: number })[])
          existing.set(row.trace_id, row)
        for (const { at, traceId, items } of later) {
          const previous = existing.get(traceId)!
          const storedNow = this.insertSpans(previous.rowid, items, kept, size)
          // Every span already stored (an exporter retried the batch): nothing changed.
          if (storedNow.length === 0) continue
          const row = mergeTraceRow(previous, storedNow)
          this.rollup.trace(previous, -1)
          this.rollup.trace(row, 1)
          this.updateTrace(previous, row)
          indexed.push({ previous, rowid: previous.rowid, row })
          traces[at] = toTraceSummary(row)
        }
      }
      // Earlier traces (lower rowids) come after the new ones above: sorted, no write goes below
      // one made before it, which would make FTS5 flush its pending terms mid-transaction.
      if (later.length) indexed.sort((a, b) => a.rowid - b.rowid)
      for (const { previous, rowid, row } of indexed) this.index.update(previous, rowid, row)
      // New traces are indexed later, many at once (see `TraceIndex`): here once many wait.
      if (this.index.waiting >= CATCH_UP_TRACES) this.index.catchUp()
      this.rollup.write()
      this.db.exec('COMMIT')
    } catch (error) {
      this.rollup.discard()
      this.rollback()
      this.index.rolledBack()
      if (storageFailure(error) === 'full') this.diskWasFull = true
      throw error
    }
    this.scheduleCatchUp()
    // Spans in the order they came (live viewers and `tokentrail tail` show them so).
    const stored: SpanSummary[] = []
    for (const span of spans) {
      if (!kept.has(span)) continue
      stored.push(span.summary)
      kept.delete(span)
    }
    this.traceCount += added
    this.spanCount += stored.length
    // The first commit after a full disk: checkpointed now (see `Checkpointer.committed`).
    if (stored.length || this.diskWasFull)
      this.checkpointer?.committed(stored.length, size.bytes, this.diskWasFull)
    this.diskWasFull = false
    return {
      inserted: stored.length,
      duplicates: spans.length - stored.length,
      spans: stored,
      traces: traces.filter((t) => t !== undefined),
    }
  }

  /**
   * An LLM span without tokens that has an LLM span under it is the operation, not a call: ai@7's
   * `@ai-sdk/otel` `OpenTelemetry` writes `embeddings <model>` (with the model, no tokens) for an
   * `embed` and the same again for each provider call under it. Stored as `internal`, so that the
   * stats count each call once. The calls end first: they are in this batch or stored already.
   * Only spans without tokens are looked at (rare: failures, such operations).
   */
  private demoteOperations(batch: PreparedBatch): PreparedBatch {
    const bare = batch.spans.filter(
      ({ summary: s }) =>
        s.kind === 'llm' && s.inputTokens === undefined && s.outputTokens === undefined,
    )
    if (bare.length === 0) return batch
    const parents = new Set<string>()
    for (const { summary: s } of batch.spans)
      if (s.kind === 'llm' && s.parentSpanId) parents.add(`${s.traceId}/${s.parentSpanId}`)
    const rowids = this.index.rowidsOf(new Set(bare.map((item) => item.summary.traceId)))
    const demoted = new Map<PreparedSpan, PreparedSpan>()
    for (const item of bare) {
      const { traceId, spanId } = item.summary
      const rowid = rowids.get(traceId)
      if (
        !parents.has(`${traceId}/${spanId}`) &&
        (rowid === undefined ||
          this.statement(
            "SELECT 1 FROM spans WHERE trace_row = ? AND parent_span_id = ? AND kind = 'llm' LIMIT 1",
          ).get(rowid, spanId) === undefined)
      )
        continue
      demoted.set(item, prepareSpan({ ...(JSON.parse(item.data) as SpanData), kind: 'internal' }))
    }
    if (demoted.size === 0) return batch
    // The trace rows prepared with the batch counted these as calls: merged again from the spans.
    const changed = new Set([...demoted.keys()].map((item) => item.summary.traceId))
    const rows = batch.rows && new Map([...batch.rows].filter(([id]) => !changed.has(id)))
    return { spans: batch.spans.map((item) => demoted.get(item) ?? item), rows }
  }

  /**
   * Stores a trace's spans under its rowid; answers those stored now (a span already stored, same
   * trace and span id, is kept once, so retried batches are harmless). Each stored span goes in
   * `kept`, its JSON's length in `size`.
   */
  private insertSpans(
    traceRow: number,
    items: PreparedSpan[],
    kept: Set<PreparedSpan>,
    size: { bytes: number },
  ): PreparedSpan[] {
    const insertSpan = this.ingest.insertSpan
    const storedNow: PreparedSpan[] = []
    for (const item of items) {
      const { summary: s, data } = item
      const result = insertSpan.run(
        traceRow,
        s.spanId,
        s.parentSpanId ?? null,
        s.name,
        s.kind,
        s.status,
        s.startTime,
        s.endTime,
        s.service,
        s.model ?? null,
        s.inputTokens ?? null,
        s.outputTokens ?? null,
        s.costUsd ?? null,
        s.ttftMs ?? null,
        data,
      )
      if (result.changes === 0) continue
      storedNow.push(item)
      kept.add(item)
      size.bytes += data.length
      this.rollup.span(s, 1)
    }
    return storedNow
  }

  /** Writes the columns of a stored trace row that changed, by rowid. */
  private updateTrace(previous: TraceRow & { rowid: number }, row: TraceRow): void {
    const changed = TRACE_COLUMNS.filter((column) => previous[column] !== row[column])
    if (changed.length === 0) return
    const key = changed.join(',')
    let update = this.ingest.updates.get(key)
    if (!update) {
      // A few shapes recur (times and counts; now and then the status or the search text).
      if (this.ingest.updates.size >= 256) this.ingest.updates.clear()
      update = this.db.prepare(
        `UPDATE traces SET ${changed.map((column) => `${column} = ?`).join(', ')} WHERE rowid = ?`,
      )
      this.ingest.updates.set(key, update)
    }
    update.run(...changed.map((column) => row[column]), previous.rowid)
  }

  /** Deletes the oldest traces past `maxTraces` and those older than `maxAgeMs`; returns how many. */
  sweep(now = Date.now()): number {
    let deleted = 0
    if (this.maxAgeMs > 0) deleted += this.deleteThrough(now - this.maxAgeMs, '', false)
    // A 1% slack lets one sweep delete a chunk instead of a few traces after every batch.
    if (this.maxTraces > 0 && this.traceCount > this.maxTraces + Math.floor(this.maxTraces / 100)) {
      const cutoff = this.statement(
        'SELECT start_time, trace_id FROM traces ORDER BY start_time DESC, trace_id DESC LIMIT 1 OFFSET ?',
      ).get(this.maxTraces) as { start_time: number; trace_id: string } | undefined
      if (cutoff) deleted += this.deleteThrough(cutoff.start_time, cutoff.trace_id, true)
    }
    if (this.maxBytes > 0 && this.traceCount > 0) {
      const used = this.usedBytes()
      if (used > this.maxBytes) {
        // As many of the oldest traces as the room over 95% of the cap takes at the average
        // trace's size (metrics and indexes counted in: it errs toward deleting more), so that one
        // sweep makes room for many batches.
        const over = used - this.maxBytes * 0.95
        const count = Math.min(this.traceCount, Math.ceil((over * this.traceCount) / used))
        const cutoff = this.statement(
          'SELECT start_time, trace_id FROM traces ORDER BY start_time, trace_id LIMIT 1 OFFSET ?',
        ).get(count - 1) as { start_time: number; trace_id: string } | undefined
        if (cutoff) deleted += this.deleteThrough(cutoff.start_time, cutoff.trace_id, true)
      }
    }
    return deleted
  }

  /** Bytes the database's pages hold (its size less the pages free for reuse). */
  usedBytes(): number {
    const pages = this.statement('PRAGMA page_count').get() as { page_count: number }
    const free = this.statement('PRAGMA freelist_count').get() as { freelist_count: number }
    const size = this.statement('PRAGMA page_size').get() as { page_size: number }
    return (Number(pages.page_count) - Number(free.freelist_count)) * Number(size.page_size)
  }

  private deleteThrough(startTime: number, traceId: string, inclusive: boolean): number {
    const where = inclusive
      ? '(start_time < ? OR (start_time = ? AND trace_id <= ?))'
      : '(start_time < ? OR (start_time = ? AND trace_id < ?))'
    this.db.exec('BEGIN')
    try {
      this.index.deleteTraces(where, [startTime, startTime, traceId])
      this.rollup.removeTraces(where, [startTime, startTime, traceId])
      this.rollup.write()
      const spans = this.statement(
        `DELETE FROM spans WHERE trace_row IN (SELECT rowid FROM traces WHERE ${where})`,
      ).run(startTime, startTime, traceId)
      const { changes } = this.statement(`DELETE FROM traces WHERE ${where}`).run(
        startTime,
        startTime,
        traceId,
      )
      if (Number(changes) > 0) this.rollup.prune()
      this.db.exec('COMMIT')
      this.traceCount -= Number(changes)
      this.spanCount -= Number(spans.changes)
      return Number(changes)
    } catch (error) {
      this.rollup.discard()
      this.rollback()
      this.index.rolledBack()
      throw error
    }
  }

  /** Newest traces first, filtered, one page at a time. */
  listTraces(query: TraceQuery = {}): TracePage {
    const limit = query.limit ?? 50
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
      throw new TokentrailError(`limit must be a whole number from 1 to 1000, got ${query.limit}`)
    const where: string[] = []
    const params: SQLInputValue[] = []
    if (query.status) {
      where.push('status = ?')
      params.push(query.status)
    }
    // Names match in any case (`--service Chat-API` finds `chat-api`), as the viewer's and other
    // trace tools' pickers never make case matter: the spellings stored are looked up first.
    if (query.service) {
      const services = this.storedSpellings('service', query.service)
      where.push(`service IN (${services.map(() => '?').join(', ')})`)
      params.push(...services)
    }
    if (query.from !== undefined) {
      where.push('start_time >= ?')
      params.push(query.from)
    }
    if (query.to !== undefined) {
      where.push('start_time < ?')
      params.push(query.to)
    }
    if (query.cursor) {
      const [time, id] = decodeCursor(query.cursor)
      where.push('(start_time < ? OR (start_time = ? AND trace_id < ?))')
      params.push(time, time, id)
    }
    this.index.filter(
      query.model ? { ...query, models: this.storedSpellings('model', query.model) } : query,
      where,
      params,
      this.traceCount,
    )
    const sql = `SELECT * FROM traces ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY start_time DESC, trace_id DESC LIMIT ?`
    const rows = this.statement(sql).all(...params, limit + 1) as unknown as TraceRow[]
    const page: TracePage = { traces: rows.slice(0, limit).map(toTraceSummary) }
    if (rows.length > limit) page.nextCursor = encodeCursor(rows[limit - 1]!)
    return page
  }

  /**
   * `name` and the spellings of it, in another case, that `column` of `traces` holds (read through
   * its index, one step per distinct value: a few dozen services or models, whatever the traces).
   */
  private storedSpellings(column: 'service' | 'model', name: string): string[] {
    const wanted = name.toLowerCase()
    const found = new Set([name, wanted])
    const rows = this.statement(
      `WITH RECURSIVE v(x) AS (SELECT min(${column}) FROM traces UNION ALL SELECT (SELECT min(${column}) FROM traces WHERE ${column} > x) FROM v WHERE x IS NOT NULL LIMIT 10000) SELECT x FROM v WHERE x IS NOT NULL`,
    ).all() as { x: string }[]
    // Any LLM call's model, not only each trace's first: the hourly stats rollup names them all
    // (a row per model and hour).
    if (column === 'model')
      rows.push(
        ...(this.statement(
          "SELECT DISTINCT model AS x FROM stat_totals WHERE scale = 3600000 AND model != ''",
        ).all() as { x: string }[]),
      )
    for (const { x } of rows) if (x.toLowerCase() === wanted) found.add(x)
    return [...found]
  }

  /** Finds a trace by its full id or a unique prefix of at least 6 hex characters. */
  resolveTraceId(id: string): ResolvedId {
    const value = id.toLowerCase()
    if (!HEX_PREFIX.test(value)) return { found: false, reason: 'unknown' }
    if (value.length === 32)
      return this.index.rowidOf(value) !== undefined
        ? { found: true, traceId: value }
        : { found: false, reason: 'unknown' }
    const ids = this.index.idsWithPrefix(value, 2)
    if (ids.length === 1) return { found: true, traceId: ids[0]! }
    return ids.length === 0
      ? { found: false, reason: 'unknown' }
      : { found: false, reason: 'ambiguous', matches: ids.length }
  }

  /** One trace with all its spans and its waterfall, or undefined. */
  getTrace(traceId: string): TraceDetail | undefined {
    const json = this.getTraceJson(traceId)
    return json === undefined ? undefined : (JSON.parse(json) as TraceDetail)
  }

  /**
   * `getTrace` as JSON text, built without parsing the stored spans: the tree needs only their ids
   * and times, and the answer joins the stored JSON of the page's spans as it is. With `limit`,
   * only that many waterfall rows from `offset` and their spans are in the answer (`page.total`
   * counts them all), so a trace of tens of thousands of spans is quick to serve and to read.
   */
  getTraceJson(traceId: string, page: TracePageRequest = {}): string | undefined {
    return this.getTraceAnswer(traceId, page)?.toString()
  }

  /**
   * @internal `getTraceJson` as UTF-8 bytes, what the collector sends: the stored span JSON is
   * copied as bytes, never decoded into strings and encoded again.
   */
  getTraceAnswer(traceId: string, page: TracePageRequest = {}): Buffer | undefined {
    const rowid = this.index.rowidOf(traceId)
    if (rowid === undefined) return undefined
    const row = this.statement('SELECT rowid, * FROM traces WHERE rowid = ?').get(rowid) as
      | (TraceRow & { rowid: number })
      | undefined
    if (!row) return undefined
    const offset = page.offset ?? 0
    const limit = page.limit ?? Number.POSITIVE_INFINITY
    const data = `CAST(${page.lean ? LEAN_SPAN : 'data'} AS BLOB)`
    // A page that holds (about) every span reads each span row once, with its JSON, in index
    // order, and sorts in JS: an ORDER BY would have SQLite sort megabytes of span JSON. A page
    // of a bigger trace reads ids and times first and the JSON of its own spans only.
    const whole = offset === 0 && limit >= row.span_count
    const columns = this.statement(
      whole
        ? `SELECT span_id, parent_span_id, start_time, end_time, rowid, ${data} FROM spans WHERE trace_row = ?`
        : 'SELECT span_id, parent_span_id, start_time, end_time FROM spans WHERE trace_row = ? ORDER BY start_time, rowid',
    )
    columns.setReturnArrays(true)
    let list = columns.all(row.rowid) as unknown as [
      string,
      string | null,
      number,
      number,
      number?,
      Uint8Array?,
    ][]
    if (whole) {
      // In start order, ties by rowid (insertion order), as the ORDER BY above.
      const n = list.length
      const starts = new Float64Array(n)
      const rowids = new Float64Array(n)
      const order = new Uint32Array(n)
      for (let i = 0; i < n; i++) {
        const span = list[i]!
        starts[i] = span[2]
        rowids[i] = span[4] as number
        order[i] = i
      }
      order.sort((a, b) => starts[a]! - starts[b]! || rowids[a]! - rowids[b]!)
      const unsorted = list
      list = Array.from(order, (i) => unsorted[i]!)
    }
    const { rows, total } = waterfallPage(
      {
        ids: list.map((r) => r[0]),
        parents: list.map((r) => r[1]),
        starts: list.map((r) => r[2]),
        ends: list.map((r) => r[3]),
      },
      offset,
      limit,
    )
    let spans: Uint8Array[]
    if (whole && rows.length === total) spans = list.map((r) => r[5] as Uint8Array)
    else if (whole) {
      const shown = new Set(rows.map((r) => r.spanId))
      spans = list.filter((r) => shown.has(r[0])).map((r) => r[5] as Uint8Array)
    } else {
      const joined = (
        this.statement(
          `SELECT CAST(group_concat(${page.lean ? LEAN_SPAN : 'data'}, ',' ORDER BY start_time) AS BLOB) AS json
           FROM spans WHERE trace_row = ? AND span_id IN (SELECT value FROM json_each(?))`,
        ).get(row.rowid, JSON.stringify(rows.map((r) => r.spanId))) as
          | { json: Uint8Array | null }
          | undefined
      )?.json
      spans = joined ? [joined] : []
    }
    const info: TracePageInfo = {
      offset,
      limit: Number.isFinite(limit) ? limit : total,
      total,
    }
    const head = Buffer.from(`{"trace":${JSON.stringify(fullTraceSummary(row))},"spans":[`)
    const tail = Buffer.from(
      `],"waterfall":${JSON.stringify(rows)},"page":${JSON.stringify(info)}}`,
    )
    let size = head.length + tail.length + Math.max(0, spans.length - 1)
    for (const span of spans) size += span.length
    const answer = Buffer.allocUnsafe(size)
    answer.set(head)
    let at = head.length
    spans.forEach((span, i) => {
      if (i > 0) answer[at++] = 0x2c // ,
      answer.set(span, at)
      at += span.length
    })
    answer.set(tail, at)
    return answer
  }

  /** One span's stored JSON, whole, or undefined. */
  getSpanJson(traceId: string, spanId: string): string | undefined {
    const rowid = this.index.rowidOf(traceId)
    if (rowid === undefined) return undefined
    const row = this.statement('SELECT data FROM spans WHERE trace_row = ? AND span_id = ?').get(
      rowid,
      spanId,
    ) as { data: string } | undefined
    return row?.data
  }

  private lastTraceId(status?: SpanStatus): string | undefined {
    const row = (
      status
        ? this.statement(
            'SELECT trace_id FROM traces WHERE status = ? ORDER BY start_time DESC LIMIT 1',
          ).get(status)
        : this.statement('SELECT trace_id FROM traces ORDER BY start_time DESC LIMIT 1').get()
    ) as { trace_id: string } | undefined
    return row?.trace_id
  }

  /** The newest trace, or the newest with this status. */
  lastTrace(status?: SpanStatus): TraceDetail | undefined {
    const id = this.lastTraceId(status)
    return id === undefined ? undefined : this.getTrace(id)
  }

  /** `lastTrace` as JSON text, paged like `getTraceJson`. */
  lastTraceJson(status?: SpanStatus, page?: TracePageRequest): string | undefined {
    return this.lastTraceAnswer(status, page)?.toString()
  }

  /** @internal `lastTraceJson` as UTF-8 bytes, like `getTraceAnswer`. */
  lastTraceAnswer(status?: SpanStatus, page?: TracePageRequest): Buffer | undefined {
    const id = this.lastTraceId(status)
    return id === undefined ? undefined : this.getTraceAnswer(id, page)
  }

  /**
   * Counts, error rates, latency and TTFT percentiles, tokens and cost by model, from the rollup
   * kept at ingest: cheap at any size. Percentiles are the largest value of the histogram bin
   * holding the rank, within 4.4 % of the exact value.
   */
  stats(query: { from?: number; to?: number } = {}): TraceStats {
    const from = query.from ?? 0
    const to = query.to ?? Number.MAX_SAFE_INTEGER
    const { totals, histograms } = this.rollup.query(from, to)
    const percentilesOf = (series: string): Percentiles => ({
      p50: histogramPercentile(histograms.get(series), 50),
      p95: histogramPercentile(histograms.get(series), 95),
      p99: histogramPercentile(histograms.get(series), 99),
    })
    const traces = totals.get('') ?? { calls: 0, errors: 0 }
    const models: ModelStats[] = [...totals]
      .filter(([model, t]) => model !== '' && t.calls > 0)
      .map(([model, t]) => ({
        model,
        calls: t.calls,
        errors: t.errors,
        errorRate: t.errors / t.calls,
        latencyMs: percentilesOf(`l${model}`),
        ttftMs: percentilesOf(`t${model}`),
        inputTokens: t.inputTokens,
        outputTokens: t.outputTokens,
        costUsd: t.costUsd,
      }))
      .sort((a, b) => b.calls - a.calls || (a.model < b.model ? -1 : 1))
    return {
      traces: {
        count: traces.calls,
        errors: traces.errors,
        errorRate: traces.calls ? traces.errors / traces.calls : 0,
        durationMs: percentilesOf(''),
      },
      models,
      store: { traces: this.traceCount, spans: this.spanCount },
    }
  }

  /** Numbers of traces and spans stored. */
  get counts(): { traces: number; spans: number } {
    return { traces: this.traceCount, spans: this.spanCount }
  }

  /**
   * @internal Writes the search and attribute index rows of the traces stored since the last
   * catch-up (see `TraceIndex`); the query modules beside this one call it before reading them.
   * When it could not (a full or read-only disk), answers the rowid after which traces have no
   * index rows yet, for the query to check those one by one (`identityTerm`).
   */
  catchUpIndex(): number | undefined {
    if (this.catchUpTimer) {
      clearTimeout(this.catchUpTimer)
      this.catchUpTimer = undefined
    }
    return this.index.catchUpForQuery()
  }

  /**
   * Indexes the traces waiting once ingest pauses for `CATCH_UP_IDLE_MS` (under steady ingest,
   * that often): a search then rarely waits for it.
   */
  private scheduleCatchUp(): void {
    if (this.catchUpTimer || this.index.waiting === 0) return
    this.catchUpTimer = setTimeout(() => {
      this.catchUpTimer = undefined
      // A failure (a full disk) leaves them waiting: the next insert or query tries again, and
      // until then queries check them one by one.
      if (this.db.isOpen) this.catchUpIndex()
    }, CATCH_UP_IDLE_MS)
    this.catchUpTimer.unref()
  }

  close(): void {
    // Indexed now, or by the next open's first query (see `TraceIndex`).
    if (this.db.isOpen) this.catchUpIndex()
    clearTimeout(this.catchUpTimer)
    this.checkpointer?.close()
    if (this.db.isOpen) this.db.close()
  }
}

/**
 * Opens (or creates) a trace database.
 *
 * @example
 * const store = openTraceStore({ path: '.tokentrail/traces.db', maxTraces: 10_000 })
 */
export function openTraceStore(options: TraceStoreOptions = {}): TraceStore {
  return new TraceStore(options)
}
