import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite'

/**
 * How far the two indexes are written: every trace with a rowid up to `indexed` has its rows, the
 * later ones are read from `traces` by the next catch-up (`TraceIndex.catchUp`). A file from before
 * this table had every trace indexed as it was stored.
 */
const INDEX_MARK_SCHEMA = `
CREATE TABLE IF NOT EXISTS trace_index_mark (indexed INTEGER NOT NULL);
INSERT INTO trace_index_mark (indexed) SELECT coalesce(max(rowid), 0) FROM traces WHERE NOT EXISTS (SELECT 1 FROM trace_index_mark);
`

/**
 * `trace_ids` finds a trace's row by its id (schema 5; `traces.trace_id` has no index of its own).
 * It is written by the catch-up, many traces at once in id order, like the two full-text indexes:
 * each trace added at its own random place cost a random leaf page per new trace in every commit.
 * Traces stored since the last catch-up are found through `TraceIndex`'s map of them instead.
 *
 * Two full-text indexes beside the `traces` table, both contentless (no copy of the text) with
 * doclists only (`detail=none`), kept in step by rowid:
 * - `trace_search`: trigrams of each trace's search text. It narrows the candidates; the
 *   `instr()` check on `traces.search` then keeps the exact substring meaning.
 * - `trace_attrs`: one token per distinct `key=value` of a trace's spans and tags (a 64-bit hash),
 *   for `--attr` and `--tag`. A table of (key, value, trace) rows cost 3× the ingest rate: each
 *   batch dirtied a B-tree page per row, where FTS5 buffers postings and writes segments.
 *
 * Both merge their segments 16 at a time rather than FTS5's 4: each commit writes a segment, and
 * merging fewer times rewrites each posting fewer times. In-process at 600k stored spans the main
 * thread's ingest CPU per span read 24.2–29.1 µs against 31.1–32.4 µs with 4; searches at 1M stay
 * in milliseconds (the collector bench prints them). Set when the file is made.
 */
export const TRACE_INDEX_SCHEMA = `
CREATE TABLE IF NOT EXISTS trace_ids (trace_id TEXT PRIMARY KEY, trace_row INTEGER NOT NULL) WITHOUT ROWID;
CREATE VIRTUAL TABLE IF NOT EXISTS trace_search USING fts5(text, tokenize='trigram', detail='none', content='', contentless_delete=1);
CREATE VIRTUAL TABLE IF NOT EXISTS trace_attrs USING fts5(tokens, tokenize='ascii', detail='none', content='', contentless_delete=1);
INSERT INTO trace_search (trace_search, rank) VALUES ('automerge', 16);
INSERT INTO trace_attrs (trace_attrs, rank) VALUES ('automerge', 16);
${INDEX_MARK_SCHEMA}
`

/**
 * From this many FTS matches on (and this share of all traces), a list walks traces by time
 * instead of sorting the matches. Measured at 60k traces: "rate limit" (5 % of traces) took 78 ms
 * driven by its matches and 18 ms walking by time; a rare hit with ~1,000 trigram candidates the
 * other way round.
 */
const MANY_MATCHES = 400
const MANY_SHARE = 0.02

/** The key tags are stored under in `trace_attrs` (no attribute name starts with `#`). */
export const TAG_KEY = '#tag'

/**
 * The key a trace's user is stored under in `trace_attrs`. `--user` finds traces through it rather
 * than a B-tree index on `user_id`: users are spread over the index, so each 512-span batch wrote
 * ~150 of its pages at 1M stored spans, a quarter of all the pages the batch wrote. Sessions the
 * same way (`SESSION_KEY`).
 */
export const USER_KEY = '#user'

/** The key a trace's session is stored under in `trace_attrs` (see `USER_KEY`). */
export const SESSION_KEY = '#session'

/**
 * Adds the SQL conditions (on `traces`) that keep the traces of one user or session: the token
 * finds them, the column keeps the exact meaning.
 */
export function identityTerm(
  column: 'user_id' | 'session_id',
  value: string,
  where: string[],
  params: SQLInputValue[],
  unindexedAfter?: number,
): void {
  const token = attrToken(column === 'user_id' ? USER_KEY : SESSION_KEY, value)
  if (unindexedAfter === undefined) {
    where.push(
      'rowid IN (SELECT rowid FROM trace_attrs WHERE trace_attrs MATCH ?)',
      `${column} = ?`,
    )
    params.push(token, value)
  } else {
    // The index could not catch up (`TraceStore.catchUpIndex`): later traces by their column.
    where.push(
      '(rowid IN (SELECT rowid FROM trace_attrs WHERE trace_attrs MATCH ?) OR rowid > ?)',
      `${column} = ?`,
    )
    params.push(token, unindexedAfter, value)
  }
}

/** Filters on what is promoted to a trace, beside those `listTraces` always had. */
export interface TraceIdentityQuery {
  /** Exact `user.id`. */
  user?: string
  /** Exact `session.id` / `gen_ai.conversation.id`. */
  session?: string
  /** Traces carrying every one of these tags. */
  tags?: string[]
  /** Traces with a span (or resource) attribute equal to each value, e.g. `{ 'http.route': '/api/chat' }`. */
  attributes?: Record<string, string>
  /** Traces at least this long, in milliseconds. */
  minDurationMs?: number
  /** Traces that cost at least this many US dollars. */
  minCostUsd?: number
}

// Most pairs repeat from trace to trace (model, provider, route, service, users): their tokens are
// kept, by key then value (no joined string to build per lookup).
const tokens = new Map<string, Map<string, string>>()
let cachedTokens = 0
const MAX_CACHED_TOKENS = 50_000

/** The token of one `key=value` pair in `trace_attrs`: FNV-1a, twice, as 16 hex digits. */
export function attrToken(key: string, value: string): string {
  let byValue = tokens.get(key)
  if (byValue === undefined) tokens.set(key, (byValue = new Map()))
  let token = byValue.get(value)
  if (token === undefined) {
    token = hashPair(key, value)
    if (cachedTokens >= MAX_CACHED_TOKENS) {
      tokens.clear()
      cachedTokens = 0
      tokens.set(key, (byValue = new Map()))
    }
    byValue.set(value, token)
    cachedTokens++
  }
  return token
}

function hashPair(key: string, value: string): string {
  let a = 0x811c9dc5
  let b = 0x01000193 ^ (key.length * 65_599 + value.length)
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i)
    a = Math.imul(a ^ c, 0x01000193)
    b = Math.imul(b ^ c, 0x5bd1e995)
    b ^= b >>> 15
  }
  // The separator: keys `a.b` + `c` and `a` + `.bc` hash apart.
  a = Math.imul(a ^ 0xff, 0x01000193)
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    a = Math.imul(a ^ c, 0x01000193)
    b = Math.imul(b ^ c, 0x5bd1e995)
    b ^= b >>> 15
  }
  return `a${(a >>> 0).toString(16).padStart(8, '0')}${(b >>> 0).toString(16).padStart(8, '0')}`
}

/** The trigram query that narrows a substring search, or undefined below 3 characters. */
export function trigramQuery(text: string): string | undefined {
  const chars = [...text]
  if (chars.length < 3) return undefined
  const grams = new Set<string>()
  for (let i = 0; i + 3 <= chars.length; i++) grams.add(chars.slice(i, i + 3).join(''))
  return [...grams].map((g) => `"${g.replaceAll('"', '""')}"`).join(' AND ')
}

/**
 * FTS5 merges a level's segments during a commit once `automerge` of them exist (default 4). At
 * 16 it merges a quarter as often: measured over 200k traces, the trigram index cost 25 µs CPU
 * per trace instead of 38–46, and a search miss took 0.24 ms instead of 0.10.
 */
const AUTOMERGE = 16

/**
 * Traces stored since the last catch-up that make the store index them within the ingest
 * transaction that reaches this many: the rest wait for the idle catch-up (`TraceStore`) or a query.
 */
export const CATCH_UP_TRACES = 4096

/**
 * Keeps `trace_search` and `trace_attrs` in step with the `traces` rows.
 *
 * A new trace's index rows are not written as it is stored: they are written later, many traces
 * at once, by `catchUp`, which reads them from `traces` (rowids above the mark, in order). FTS5
 * writes a segment per transaction and merges them as they pile up, so the index rows of 100
 * traces (one 512-span batch) cost ~35 µs CPU per trace, those of 2,000 ~21 µs; at 1M stored
 * spans the two indexes took ~12 µs of the ~40 µs per span the ingest thread spent on the
 * store. A trace split over batches is indexed once, with its last text, when it is still
 * waiting. Every query that reads the indexes catches up first, so a search sees every stored
 * span; the mark is written in the same transaction as the rows, so after a crash the next
 * catch-up starts where the last one ended.
 */
export class TraceIndex {
  private readonly statements: Record<string, StatementSync> = {}
  /** Every trace up to this rowid has its index rows. */
  private indexed: number
  /** The highest trace rowid stored. */
  private newest: number
  /** Written by this connection (no table before: a file from an older version). */
  private hasMark: boolean
  /**
   * The traces stored since the last catch-up (rowids above `indexed`), by trace id: their rowid.
   * They are not in `trace_ids` yet; read again from `traces` after a rollback.
   */
  private readonly recent = new Map<string, number>()

  constructor(private readonly db: DatabaseSync) {
    const newest = this.readNewest()
    this.newest = newest
    const mark = db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'trace_index_mark'")
      .get()
    const row = mark
      ? (db.prepare('SELECT indexed FROM trace_index_mark').get() as
          | { indexed: number }
          | undefined)
      : undefined
    this.hasMark = row !== undefined
    this.indexed = row?.indexed ?? newest
    this.readRecent()
    for (const table of ['trace_search', 'trace_attrs']) {
      const row = db.prepare(`SELECT v FROM ${table}_config WHERE k = 'automerge'`).get() as
        | { v: unknown }
        | undefined
      if (row?.v === AUTOMERGE) continue
      try {
        // A bound value is refused here ("SQL logic error"): the number goes in the text.
        db.exec(`INSERT INTO ${table} (${table}, rank) VALUES ('automerge', ${AUTOMERGE})`)
      } catch {
        // A file opened on a full or read-only disk keeps the default; it only reads anyway.
      }
    }
  }

  private statement(sql: string): StatementSync {
    let statement = this.statements[sql]
    if (!statement) this.statements[sql] = statement = this.db.prepare(sql)
    return statement
  }

  /**
   * Called after a trace row was written (inside the insert transaction). Calls within one
   * transaction go in rowid order: FTS5 flushes the terms it holds to a new segment whenever a
   * write's rowid is below the previous write's (a delete and a re-insert of one rowid are fine),
   * and writing a trace an earlier batch stored after the new ones flushed once more per such
   * trace: more segments to merge, and each contentless delete cost ~0.6 ms instead of ~0.07 ms
   * (at 200k stored spans).
   */
  update(
    previous: { rowid: number; search: string; attr_tokens: string } | undefined,
    rowid: number,
    row: { trace_id: string; search: string; attr_tokens: string },
  ): void {
    if (rowid > this.newest) this.newest = rowid
    if (rowid > this.indexed) this.recent.set(row.trace_id, rowid)
    // Not indexed yet: the catch-up reads the row as it is then.
    if (rowid > this.indexed) return
    const moved = !previous || previous.rowid !== rowid
    if (moved || previous.search !== row.search) {
      if (previous) this.statement('DELETE FROM trace_search WHERE rowid = ?').run(previous.rowid)
      this.statement('INSERT INTO trace_search (rowid, text) VALUES (?, ?)').run(rowid, row.search)
    }
    if (moved || previous.attr_tokens !== row.attr_tokens) {
      if (previous) this.statement('DELETE FROM trace_attrs WHERE rowid = ?').run(previous.rowid)
      this.statement('INSERT INTO trace_attrs (rowid, tokens) VALUES (?, ?)').run(
        rowid,
        row.attr_tokens,
      )
    }
  }

  /**
   * Catches up for a query that reads the indexes: undefined when every trace is indexed, else
   * (the index could not be written: a full or read-only disk) the rowid after which traces have
   * no index rows, for the query to check those one by one.
   */
  catchUpForQuery(): number | undefined {
    try {
      this.catchUp()
      return undefined
    } catch {
      return this.indexed
    }
  }

  /** Traces stored whose index rows are not written yet. */
  get waiting(): number {
    return this.newest - this.indexed
  }

  /**
   * Writes the index rows of every trace stored since the last catch-up, in rowid order, and moves
   * the mark. Inside the caller's transaction when one is open, else in its own.
   */
  catchUp(): void {
    if (this.newest <= this.indexed) return
    const from = this.indexed
    const to = this.newest
    const inTransaction = this.db.isTransaction
    if (!inTransaction) this.db.exec('BEGIN')
    try {
      this.statement(
        'INSERT INTO trace_search (rowid, text) SELECT rowid, search FROM traces WHERE rowid > ? AND rowid <= ? ORDER BY rowid',
      ).run(from, to)
      this.statement(
        'INSERT INTO trace_attrs (rowid, tokens) SELECT rowid, attr_tokens FROM traces WHERE rowid > ? AND rowid <= ? ORDER BY rowid',
      ).run(from, to)
      // In id order: each leaf of `trace_ids` is written once per catch-up. An id stored twice (two
      // collectors on one file) keeps its first row.
      this.statement(
        'INSERT OR IGNORE INTO trace_ids (trace_id, trace_row) SELECT trace_id, rowid FROM traces WHERE rowid > ? AND rowid <= ? ORDER BY trace_id',
      ).run(from, to)
      if (!this.hasMark) this.db.exec(INDEX_MARK_SCHEMA)
      this.statement('UPDATE trace_index_mark SET indexed = ?').run(to)
      if (!inTransaction) this.db.exec('COMMIT')
    } catch (error) {
      // SQLite rolls back by itself on some errors (a full disk).
      if (!inTransaction && this.db.isTransaction) this.db.exec('ROLLBACK')
      throw error
    }
    // Inside the caller's transaction, the caller calls `rolledBack` if it does not commit.
    this.hasMark = true
    this.indexed = to
    for (const [traceId, rowid] of this.recent) if (rowid <= to) this.recent.delete(traceId)
  }

  /** The traces stored after the mark, from the file (see `recent`). */
  private readRecent(): void {
    this.recent.clear()
    const rows = this.statement('SELECT trace_id, rowid FROM traces WHERE rowid > ?').all(
      this.indexed,
    ) as { trace_id: string; rowid: number }[]
    for (const row of rows) this.recent.set(row.trace_id, row.rowid)
  }

  /** The rowid of the trace stored with this id, or undefined. */
  rowidOf(traceId: string): number | undefined {
    const recent = this.recent.get(traceId)
    if (recent !== undefined) return recent
    const row = this.statement('SELECT trace_row FROM trace_ids WHERE trace_id = ?').get(traceId) as
      | { trace_row: number }
      | undefined
    return row?.trace_row
  }

  /** The rowids of the traces stored with these ids, by id (an id not stored is absent). */
  rowidsOf(traceIds: Iterable<string>): Map<string, number> {
    const found = new Map<string, number>()
    const rest: string[] = []
    for (const traceId of traceIds) {
      const recent = this.recent.get(traceId)
      if (recent === undefined) rest.push(traceId)
      else found.set(traceId, recent)
    }
    if (rest.length)
      for (const row of this.statement(
        'SELECT trace_id, trace_row FROM trace_ids WHERE trace_id IN (SELECT value FROM json_each(?))',
      ).all(JSON.stringify(rest)) as { trace_id: string; trace_row: number }[])
        found.set(row.trace_id, row.trace_row)
    return found
  }

  /** Up to `limit` stored trace ids that start with `prefix`. */
  idsWithPrefix(prefix: string, limit: number): string[] {
    const rows = this.statement(
      'SELECT trace_id FROM trace_ids WHERE trace_id >= ? AND trace_id < ? LIMIT ?',
    ).all(prefix, `${prefix}g`, limit) as { trace_id: string }[]
    const ids = new Set(rows.map((row) => row.trace_id))
    for (const traceId of this.recent.keys())
      if (ids.size < limit && traceId.startsWith(prefix)) ids.add(traceId)
    return [...ids]
  }

  /** The highest trace rowid in the file. */
  private readNewest(): number {
    const row = this.db.prepare('SELECT coalesce(max(rowid), 0) AS newest FROM traces').get() as {
      newest: number
    }
    return row.newest
  }

  /**
   * The caller's transaction that ran `catchUp` or `update` rolled back: the mark and the
   * newest rowid are read again from the file.
   */
  rolledBack(): void {
    if (!this.db.isOpen) return
    this.newest = this.readNewest()
    if (this.hasMark) {
      const row = this.db.prepare('SELECT indexed FROM trace_index_mark').get() as
        | { indexed: number }
        | undefined
      this.indexed = row?.indexed ?? this.indexed
    }
    this.readRecent()
  }

  /** Deletes the index rows of the traces `where` selects (run before deleting those traces). */
  deleteTraces(where: string, params: SQLInputValue[]): void {
    // Traces not indexed yet have no rows: they leave `recent` (the caller calls `rolledBack` if
    // it does not commit).
    for (const table of ['trace_search', 'trace_attrs'])
      this.statement(
        `DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM traces WHERE (${where}) AND rowid <= ?)`,
      ).run(...params, this.indexed)
    this.statement(
      `DELETE FROM trace_ids WHERE trace_id IN (SELECT trace_id FROM traces WHERE (${where}) AND rowid <= ?)`,
    ).run(...params, this.indexed)
    if (this.recent.size)
      for (const row of this.statement(
        `SELECT trace_id FROM traces WHERE (${where}) AND rowid > ?`,
      ).all(...params, this.indexed) as { trace_id: string }[])
        this.recent.delete(row.trace_id)
  }

  /**
   * The condition that keeps the traces an FTS query matches. Few matches: look them up and sort
   * them. Many: walk the traces newest first and keep the matching ones (`+rowid` stops SQLite
   * from driving the query by the match list), which stops after a page.
   */
  private matchTerm(table: 'trace_search' | 'trace_attrs', match: string, total: number): string {
    const many = Math.max(MANY_MATCHES, Math.ceil(total * MANY_SHARE))
    const { n } = this.statement(
      `SELECT count(*) AS n FROM (SELECT rowid FROM ${table} WHERE ${table} MATCH ? LIMIT ?)`,
    ).get(match, many) as { n: number }
    const rowid = n >= many ? '+rowid' : 'rowid'
    return `${rowid} IN (SELECT rowid FROM ${table} WHERE ${table} MATCH ?)`
  }

  /** Adds the SQL conditions (on `traces`) for a text search and the identity filters. */
  filter(
    query: TraceIdentityQuery & { text?: string; model?: string; models?: string[] },
    where: string[],
    params: SQLInputValue[],
    total: number,
  ): void {
    const text = query.text?.toLowerCase()
    const match = text ? trigramQuery(text) : undefined
    const reads =
      match !== undefined ||
      query.user !== undefined ||
      query.session !== undefined ||
      Boolean(query.model) ||
      (query.tags?.length ?? 0) > 0 ||
      Object.keys(query.attributes ?? {}).length > 0
    // A search sees every stored trace: the index catches up first. If it cannot (a full or
    // read-only disk), the traces it has not indexed are checked one by one.
    const unindexedAfter = reads ? this.catchUpForQuery() : undefined
    // User and session: their tokens narrow (below, with the tags'), the columns keep the exact
    // meaning.
    if (query.user !== undefined) {
      where.push('user_id = ?')
      params.push(query.user)
    }
    if (query.session !== undefined) {
      where.push('session_id = ?')
      params.push(query.session)
    }
    const tokens = [
      ...(query.user !== undefined ? [attrToken(USER_KEY, query.user)] : []),
      ...(query.session !== undefined ? [attrToken(SESSION_KEY, query.session)] : []),
      ...(query.tags ?? []).map((tag) => attrToken(TAG_KEY, tag)),
      ...Object.entries(query.attributes ?? {}).map(([key, value]) => attrToken(key, value)),
    ]
    if (tokens.length) {
      const term = this.matchTerm('trace_attrs', tokens.join(' AND '), total)
      params.push(tokens.join(' AND '))
      if (unindexedAfter === undefined) where.push(term)
      else {
        where.push(
          `(${term} OR (rowid > ? AND ${tokens.map(() => "instr(' ' || attr_tokens || ' ', ?) > 0").join(' AND ')}))`,
        )
        params.push(unindexedAfter, ...tokens.map((token) => ` ${token} `))
      }
    }
    // A model is any LLM call's, asked for or answered with (a dated snapshot such as
    // `gpt-4o-2024-08-06`), not only the first call's that the row shows: a trace that routes
    // from one model to another is found by either, as `stats` counts both.
    if (query.model) {
      // `models`: the spellings of it stored (the store looks them up), so any case finds it.
      const either = (query.models ?? [query.model]).flatMap((model) => [
        attrToken('gen_ai.request.model', model),
        attrToken('gen_ai.response.model', model),
      ])
      const match = either.join(' OR ')
      const term = this.matchTerm('trace_attrs', match, total)
      params.push(match)
      if (unindexedAfter === undefined) where.push(term)
      else {
        where.push(
          `(${term} OR (rowid > ? AND (${either.map(() => "instr(' ' || attr_tokens || ' ', ?) > 0").join(' OR ')})))`,
        )
        params.push(unindexedAfter, ...either.map((token) => ` ${token} `))
      }
    }
    if (query.minDurationMs !== undefined) {
      where.push('end_time - start_time >= ?')
      params.push(query.minDurationMs)
    }
    if (query.minCostUsd !== undefined) {
      where.push('cost_usd >= ?')
      params.push(query.minCostUsd)
    }
    if (text) {
      if (match) {
        const found = this.matchTerm('trace_search', match, total)
        const term =
          unindexedAfter === undefined
            ? `${found} AND instr(search, ?) > 0`
            : `(${found} OR rowid > ?) AND instr(search, ?) > 0`
        const termParams =
          unindexedAfter === undefined ? [match, text] : [match, unindexedAfter, text]
        if (/^[0-9a-f]{32}$/.test(text)) {
          where.push(`(rowid = ? OR (${term}))`)
          params.push(this.rowidOf(text) ?? -1, ...termParams)
        } else {
          where.push(term)
          params.push(...termParams)
        }
      } else {
        where.push('(instr(search, ?) > 0 OR trace_id = ?)')
        params.push(text, text)
      }
    }
  }
}
