import type { DatabaseSync, SQLInputValue } from 'node:sqlite'
import { ATTR, type SpanData } from '@tokentrail/core'
import type { ModelBaseline } from '../report/debug-hints.js'
import { cutText } from '../text-cut.js'
import { fullTraceSummary, type TraceRow, type TraceSummary } from './store-schema.js'
import { identityTerm } from './trace-index.js'

/** One user: how many traces, sessions, errors, tokens and dollars. */
export interface UserSummary {
  userId: string
  traces: number
  sessions: number
  errors: number
  totalTokens: number
  costUsd: number
  firstSeen: number
  lastSeen: number
}

/** One session (conversation): its turns, who, when, and what it started with. */
export interface SessionSummary {
  sessionId: string
  userId?: string
  turns: number
  errors: number
  totalTokens: number
  costUsd: number
  startTime: number
  endTime: number
  /** The first turn's input. */
  firstInput?: string
}

/** A tool call made during a turn. */
export interface TurnToolCall {
  spanId: string
  tool: string
  status: SpanData['status']
  durationMs: number
  arguments?: string
  result?: string
  error?: string
}

/** One turn of a session: its trace row and the tool calls it made. */
export interface SessionTurn {
  trace: TraceSummary
  llmCalls: number
  toolCalls: TurnToolCall[]
}

export interface SessionDetail {
  session: SessionSummary
  turns: SessionTurn[]
}

const MAX_TOOL_TEXT = 1000
const clip = (value: unknown) => {
  if (value === undefined || value === null) return undefined
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  return cutText(text, MAX_TOOL_TEXT)
}

function range(from: number | undefined, where: string[], params: SQLInputValue[]) {
  if (from !== undefined) {
    where.push('start_time >= ?')
    params.push(from)
  }
}

/** Users seen in traces, most recently active first. */
export function listUsers(
  db: DatabaseSync,
  { from, limit = 200 }: { from?: number; limit?: number } = {},
): UserSummary[] {
  const where = ['user_id IS NOT NULL']
  const params: SQLInputValue[] = []
  range(from, where, params)
  const rows = db
    .prepare(
      `SELECT user_id, count(*) AS traces, count(DISTINCT session_id) AS sessions, sum(status = 'error') AS errors, total(total_tokens) AS tokens, total(cost_usd) AS cost, min(start_time) AS first, max(start_time) AS last FROM traces WHERE ${where.join(' AND ')} GROUP BY user_id ORDER BY last DESC LIMIT ?`,
    )
    .all(...params, limit) as {
    user_id: string
    traces: number
    sessions: number
    errors: number
    tokens: number
    cost: number
    first: number
    last: number
  }[]
  return rows.map((r) => ({
    userId: r.user_id,
    traces: r.traces,
    sessions: r.sessions,
    errors: r.errors,
    totalTokens: r.tokens,
    costUsd: r.cost,
    firstSeen: r.first,
    lastSeen: r.last,
  }))
}

interface SessionRow {
  session_id: string
  user_id: string | null
  turns: number
  errors: number
  tokens: number
  cost: number
  first: number
  last: number
}

function toSession(r: SessionRow, firstInput: string | undefined): SessionSummary {
  const out: SessionSummary = {
    sessionId: r.session_id,
    turns: r.turns,
    errors: r.errors,
    totalTokens: r.tokens,
    costUsd: r.cost,
    startTime: r.first,
    endTime: r.last,
  }
  if (r.user_id !== null) out.userId = r.user_id
  if (firstInput !== undefined) out.firstInput = firstInput
  return out
}

const SESSION_COLUMNS = `session_id, max(user_id) AS user_id, count(*) AS turns, sum(status = 'error') AS errors, total(total_tokens) AS tokens, total(cost_usd) AS cost, min(start_time) AS first, max(end_time) AS last`

/**
 * Sessions, most recently active first; `user` keeps one user's. `unindexedAfter`: see
 * `TraceStore.catchUpIndex` (call it first).
 */
export function listSessions(
  db: DatabaseSync,
  {
    from,
    user,
    limit = 200,
    unindexedAfter,
  }: { from?: number; user?: string; limit?: number; unindexedAfter?: number | undefined } = {},
): SessionSummary[] {
  const where = ['session_id IS NOT NULL']
  const params: SQLInputValue[] = []
  range(from, where, params)
  if (user !== undefined) identityTerm('user_id', user, where, params, unindexedAfter)
  const rows = db
    .prepare(
      `SELECT ${SESSION_COLUMNS} FROM traces WHERE ${where.join(' AND ')} GROUP BY session_id ORDER BY max(start_time) DESC LIMIT ?`,
    )
    .all(...params, limit) as unknown as SessionRow[]
  return rows.map((row) => toSession(row, firstInput(db, row.session_id, unindexedAfter)))
}

/** The first input of a whole session (the list's time range does not cut it). */
function firstInput(
  db: DatabaseSync,
  sessionId: string,
  unindexedAfter: number | undefined,
): string | undefined {
  const session = ofSession(sessionId, unindexedAfter)
  const row = db
    .prepare(
      `SELECT input_text FROM traces WHERE ${session.where} AND input_text IS NOT NULL ORDER BY start_time LIMIT 1`,
    )
    .get(...session.params) as { input_text: string } | undefined
  return row?.input_text
}

/** The rows of one session's traces, as `where` and `params` (the session's token, then its column). */
function ofSession(
  sessionId: string,
  unindexedAfter: number | undefined,
): { where: string; params: SQLInputValue[] } {
  const where: string[] = []
  const params: SQLInputValue[] = []
  identityTerm('session_id', sessionId, where, params, unindexedAfter)
  return { where: where.join(' AND '), params }
}

const MAX_TURNS = 500

/**
 * A session's turns in order, with each turn's tool calls; undefined when unknown.
 * `unindexedAfter`: see `TraceStore.catchUpIndex` (call it first).
 */
export function getSession(
  db: DatabaseSync,
  sessionId: string,
  unindexedAfter?: number,
): SessionDetail | undefined {
  const session = ofSession(sessionId, unindexedAfter)
  const summary = db
    .prepare(`SELECT ${SESSION_COLUMNS} FROM traces WHERE ${session.where} GROUP BY session_id`)
    .get(...session.params) as SessionRow | undefined
  if (!summary) return undefined
  const rows = db
    .prepare(`SELECT rowid, * FROM traces WHERE ${session.where} ORDER BY start_time LIMIT ?`)
    .all(...session.params, MAX_TURNS) as unknown as (TraceRow & { rowid: number })[]
  const turns: SessionTurn[] = []
  const spansOf = db.prepare(
    "SELECT kind, data FROM spans WHERE trace_row = ? AND kind IN ('llm', 'tool') ORDER BY start_time",
  )
  for (const row of rows) {
    const spans = spansOf.all(row.rowid) as { kind: string; data: string }[]
    const toolCalls: TurnToolCall[] = []
    let llmCalls = 0
    for (const { kind, data } of spans) {
      if (kind === 'llm') {
        llmCalls++
        continue
      }
      const span = JSON.parse(data) as SpanData
      const a = span.attributes
      const call: TurnToolCall = {
        spanId: span.spanId,
        tool:
          typeof a[ATTR.toolName] === 'string'
            ? (a[ATTR.toolName] as string)
            : typeof a['ai.toolCall.name'] === 'string'
              ? (a['ai.toolCall.name'] as string)
              : span.name,
        status: span.status,
        durationMs: span.endTime - span.startTime,
      }
      // The GenAI attributes, else the AI SDK telemetry's own (as the span panel reads them).
      const args = clip(a[ATTR.toolCallArguments] ?? a['ai.toolCall.args'])
      const result = clip(a[ATTR.toolCallResult] ?? a['ai.toolCall.result'])
      if (args !== undefined) call.arguments = args
      if (result !== undefined) call.result = result
      if (span.error) call.error = `${span.error.type}: ${span.error.message}`
      toolCalls.push(call)
    }
    turns.push({ trace: fullTraceSummary(row), llmCalls, toolCalls })
  }
  return { session: toSession(summary, firstInput(db, sessionId, unindexedAfter)), turns }
}

/** Median cost of one call for each model, from its newest 1000 priced calls. */
export function modelBaseline(db: DatabaseSync, models: readonly string[]): ModelBaseline {
  const out: ModelBaseline = {}
  const query = db.prepare(
    'SELECT cost_usd FROM spans WHERE model = ? AND cost_usd IS NOT NULL ORDER BY start_time DESC LIMIT 1000',
  )
  for (const model of new Set(models)) {
    const costs = (query.all(model) as { cost_usd: number }[])
      .map((r) => r.cost_usd)
      .sort((a, b) => a - b)
    if (costs.length)
      out[model] = { medianCostUsd: costs[(costs.length - 1) >> 1]!, calls: costs.length }
  }
  return out
}
