import { ATTR, type SpanData, type SpanStatus } from '@tokentrail/core'
import { cutText } from '../text-cut.js'
import {
  indexedAttributes,
  mergeTags,
  spanInput,
  spanOutput,
  spanSession,
  spanTags,
  spanUser,
} from './trace-identity.js'
import { attrToken, SESSION_KEY, TAG_KEY, TRACE_INDEX_SCHEMA, USER_KEY } from './trace-index.js'

/** Bumped when the tables change; a file of another version is refused with a clear message. */
export const SCHEMA_VERSION = 5

// Spans are keyed by their trace's rowid in `traces` (schema 3), not by the 32-character trace id:
// traces get rowids in arrival order, so a new trace's spans go at the end of the spans' index
// instead of onto a random page of it (at 120k stored spans that index was a third of the pages
// each 512-span batch wrote). Schema 4 has no index on `traces.user_id` or `session_id`: a trace's
// user and session are tokens in `trace_attrs` (see `USER_KEY`). Schema 5 has no unique index on
// `traces.trace_id`: trace ids are random, so each batch's new traces landed on ~110 random leaves of
// it, 44 % of the pages a 512-span batch wrote at 1M stored spans. Traces are found by id through
// `trace_ids`, written many at once, in id order, by the index catch-up (see `TraceIndex`).
export const SCHEMA = `
CREATE TABLE IF NOT EXISTS spans (
  trace_row INTEGER NOT NULL,
  span_id TEXT NOT NULL,
  parent_span_id TEXT,
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  status TEXT NOT NULL,
  start_time REAL NOT NULL,
  end_time REAL NOT NULL,
  service TEXT NOT NULL,
  model TEXT,
  input_tokens INTEGER,
  output_tokens INTEGER,
  cost_usd REAL,
  ttft_ms REAL,
  data TEXT NOT NULL,
  UNIQUE (trace_row, span_id)
);
-- Covers the stats query (LLM calls by model in a time range) without touching span rows.
CREATE INDEX IF NOT EXISTS spans_llm_time ON spans (start_time, model, status, end_time, ttft_ms, input_tokens, output_tokens, cost_usd) WHERE model IS NOT NULL;
-- The rowid is declared so it can be AUTOINCREMENT: a trace's number is never given to another one
-- after retention deletes it, and it survives a dump and reload, so spans stay with their trace.
CREATE TABLE IF NOT EXISTS traces (
  rowid INTEGER PRIMARY KEY AUTOINCREMENT,
  trace_id TEXT NOT NULL,
  start_time REAL NOT NULL,
  end_time REAL NOT NULL,
  root_name TEXT NOT NULL,
  root_span_id TEXT NOT NULL,
  root_has_parent INTEGER NOT NULL,
  root_start REAL NOT NULL,
  status TEXT NOT NULL,
  service TEXT NOT NULL,
  model TEXT,
  llm_start REAL,
  ttft_ms REAL,
  span_count INTEGER NOT NULL,
  error_count INTEGER NOT NULL,
  cancelled_count INTEGER NOT NULL,
  input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  total_tokens INTEGER NOT NULL,
  cost_usd REAL NOT NULL,
  error_message TEXT,
  search TEXT NOT NULL,
  user_id TEXT,
  session_id TEXT,
  tags TEXT,
  input_text TEXT,
  input_start REAL,
  output_text TEXT,
  output_end REAL,
  attr_tokens TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS traces_time ON traces (start_time, trace_id, end_time, status);
CREATE INDEX IF NOT EXISTS traces_status_time ON traces (status, start_time, trace_id);
CREATE INDEX IF NOT EXISTS traces_model_time ON traces (model, start_time, trace_id);
CREATE INDEX IF NOT EXISTS traces_service_time ON traces (service, start_time, trace_id);
${TRACE_INDEX_SCHEMA}
`

/** One row of the trace list. */
export interface TraceSummary {
  traceId: string
  /** Epoch milliseconds of the earliest span. */
  startTime: number
  endTime: number
  durationMs: number
  /** Name of the root span (the span without a parent, else the earliest). */
  rootName: string
  rootSpanId: string
  /** `error` when any span failed, else `cancelled` when any was cancelled, else `ok`. */
  status: SpanStatus
  service: string
  /** Model of the first LLM call. */
  model?: string
  spanCount: number
  errorCount: number
  inputTokens: number
  outputTokens: number
  totalTokens: number
  costUsd: number
  /** Time to first token of the first LLM call, in milliseconds. */
  ttftMs?: number
  /** Message of the first error recorded in the trace. */
  errorMessage?: string
  /** `user.id` (or `enduser.id`, `langfuse.user.id`) of any span. */
  userId?: string
  /** `session.id` (or `gen_ai.conversation.id`) of any span. */
  sessionId?: string
  /** Tags of all spans (`tokentrail.tags`, `tag.tags`, `langfuse.trace.tags`). */
  tags?: string[]
  /** The last user message of the first LLM call's prompt (300 characters in lists, 4000 in a trace or session). */
  input?: string
  /** The output text of the last LLM call (300 characters in lists, 4000 in a trace or session). */
  output?: string
  /**
   * Every span stored has a parent: the root span has not arrived. The request is still running
   * (a root span is exported when it ends, after its children), or its parent was recorded by a
   * service that sends elsewhere. Absent once a span without a parent is stored.
   */
  rootMissing?: true
}

/** The columns of one span that lists, stats and live updates need. */
export interface SpanSummary {
  traceId: string
  spanId: string
  parentSpanId?: string
  name: string
  kind: SpanData['kind']
  status: SpanStatus
  startTime: number
  endTime: number
  durationMs: number
  service: string
  model?: string
  inputTokens?: number
  outputTokens?: number
  costUsd?: number
  ttftMs?: number
  /** An LLM span's `gen_ai.operation.name` (`chat`, `embeddings`, …). */
  operation?: string
  errorMessage?: string
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}

/**
 * A span's time to first token in milliseconds: Tokentrail's `tokentrail.ttft_ms`, else the GenAI
 * conventions' `gen_ai.response.time_to_first_chunk` or `gen_ai.client.operation.time_to_first_chunk`
 * (seconds; the latter is what ai@7's `@ai-sdk/otel` writes), else the AI SDK's own
 * `ai.response.msToFirstChunk` (ai@5, ai@6, ai@7's `LegacyOpenTelemetry`).
 */
export function spanTtftMs(a: SpanData['attributes']): number | undefined {
  const ms = num(a[ATTR.ttftMs])
  if (ms !== undefined) return ms
  const seconds =
    num(a[ATTR.responseTimeToFirstChunk]) ?? num(a['gen_ai.client.operation.time_to_first_chunk'])
  return seconds === undefined ? num(a['ai.response.msToFirstChunk']) : seconds * 1000
}

/** Reads the indexed columns of a span from its GenAI attributes. */
export function summarizeSpan(span: SpanData): SpanSummary {
  const a = span.attributes
  const llm = span.kind === 'llm'
  const summary: SpanSummary = {
    traceId: span.traceId,
    spanId: span.spanId,
    name: span.name,
    kind: span.kind,
    status: span.status,
    startTime: span.startTime,
    endTime: span.endTime,
    durationMs: span.endTime - span.startTime,
    service: span.resource.serviceName,
  }
  if (span.parentSpanId) summary.parentSpanId = span.parentSpanId
  if (llm) {
    const model = str(a[ATTR.requestModel]) ?? str(a[ATTR.responseModel])
    if (model) summary.model = model
    const input = num(a[ATTR.usageInputTokens])
    const output = num(a[ATTR.usageOutputTokens])
    const cost = num(a[ATTR.costUsd])
    if (input !== undefined) summary.inputTokens = input
    if (output !== undefined) summary.outputTokens = output
    if (cost !== undefined) summary.costUsd = cost
    const ttft = spanTtftMs(a)
    if (ttft !== undefined) summary.ttftMs = ttft
    const operation = str(a[ATTR.operationName])
    if (operation) summary.operation = operation
  }
  if (span.error?.message) summary.errorMessage = span.error.message
  else if (span.status === 'error') summary.errorMessage = 'error'
  return summary
}

/** Who and what one span is about, read once per span at ingest. */
export interface SpanIdentity {
  user?: string
  session?: string
  tags: string[]
  /** The user's last message, for LLM spans. */
  input?: string
  /** What an LLM span answered (its output messages are parsed once, here). */
  output?: string
}

/** Reads the identity of a span: user, session, tags and, for an LLM call, its input and output. */
export function spanIdentity(span: SpanData): SpanIdentity {
  const identity: SpanIdentity = { tags: spanTags(span) }
  const user = spanUser(span)
  const session = spanSession(span)
  if (user) identity.user = user
  if (session) identity.session = session
  if (span.kind === 'llm') {
    const input = spanInput(span)
    if (input) identity.input = input
    const output = spanOutput(span)
    if (output) identity.output = output
  }
  return identity
}

/**
 * Text a trace can be found by, in parts: what names the trace (span names, service, model,
 * errors, user, session, tags, tool names) and what it said (the first 300 characters of the
 * user's last message, else of the prompt, and of the output).
 */
export function searchParts(
  span: SpanData,
  summary: SpanSummary,
  identity: SpanIdentity = spanIdentity(span),
): { names: string[]; content: string[] } {
  const a = span.attributes
  const names = [span.name, summary.service]
  if (summary.model) names.push(summary.model)
  if (span.error) names.push(`${span.error.type} ${span.error.message}`)
  if (identity.user) names.push(identity.user)
  if (identity.session) names.push(identity.session)
  names.push(...identity.tags)
  const tool = a[ATTR.toolName] ?? a['ai.toolCall.name']
  if (typeof tool === 'string') names.push(tool.slice(0, 300))
  const content: string[] = []
  // The user's message, not the raw prompt JSON: its start is mostly the system prompt, the same
  // in every trace, and trigram-indexing it cost a fifth of the ingest rate.
  const prompt = a[ATTR.inputMessages]
  if (identity.input) content.push(identity.input.slice(0, 300))
  else if (typeof prompt === 'string') content.push(prompt.slice(0, 300))
  // The output: `tokentrail.output.text` from SDKs before 2026-12, else the output messages' text.
  const output = a[ATTR.outputText] ?? identity.output
  if (typeof output === 'string') content.push(output.slice(0, 300))
  return { names: names.map(searchable), content: content.map(searchable) }
}

// Lowercased, on one line: a line break parts the search text's names from its content.
const searchable = (part: string) => part.toLowerCase().replace(/[\r\n]+/g, ' ')

const STATUS_RANK: Record<SpanStatus, number> = { ok: 0, cancelled: 1, error: 2 }

/** The `traces` row as stored. */
export interface TraceRow {
  trace_id: string
  start_time: number
  end_time: number
  root_name: string
  root_span_id: string
  root_has_parent: number
  root_start: number
  status: string
  service: string
  model: string | null
  llm_start: number | null
  ttft_ms: number | null
  span_count: number
  error_count: number
  cancelled_count: number
  input_tokens: number
  output_tokens: number
  total_tokens: number
  cost_usd: number
  error_message: string | null
  search: string
  user_id: string | null
  session_id: string | null
  tags: string | null
  input_text: string | null
  input_start: number | null
  output_text: string | null
  output_end: number | null
  /** Space-separated `trace_attrs` tokens of the trace's `key=value` pairs and tags. */
  attr_tokens: string
}

/** The columns of `traces`, in the order `traceValues` lists them. */
export const TRACE_COLUMNS = [
  'trace_id',
  'start_time',
  'end_time',
  'root_name',
  'root_span_id',
  'root_has_parent',
  'root_start',
  'status',
  'service',
  'model',
  'llm_start',
  'ttft_ms',
  'span_count',
  'error_count',
  'cancelled_count',
  'input_tokens',
  'output_tokens',
  'total_tokens',
  'cost_usd',
  'error_message',
  'search',
  'user_id',
  'session_id',
  'tags',
  'input_text',
  'input_start',
  'output_text',
  'output_end',
  'attr_tokens',
] as const satisfies readonly (keyof TraceRow)[]

/** A trace row's values in `TRACE_COLUMNS` order. */
export function traceValues(row: TraceRow): (string | number | null)[] {
  return [
    row.trace_id,
    row.start_time,
    row.end_time,
    row.root_name,
    row.root_span_id,
    row.root_has_parent,
    row.root_start,
    row.status,
    row.service,
    row.model,
    row.llm_start,
    row.ttft_ms,
    row.span_count,
    row.error_count,
    row.cancelled_count,
    row.input_tokens,
    row.output_tokens,
    row.total_tokens,
    row.cost_usd,
    row.error_message,
    row.search,
    row.user_id,
    row.session_id,
    row.tags,
    row.input_text,
    row.input_start,
    row.output_text,
    row.output_end,
    row.attr_tokens,
  ]
}

/**
 * A trace's search text: what names it, then a line break, then what it said, 2,000 characters in
 * all. Names come first and keep up to 1,000 of them whatever order the spans arrive in (the root
 * span, which ends last, was left out of a trace whose earlier spans' prompts had filled the text),
 * the root's and the first failed spans' at their start, however many names came before (they were
 * left out of a trace of many spans); what it said has the rest. A text without a line break was
 * stored before: read as what it said.
 */
const MAX_SEARCH = 2000
const MAX_SEARCH_NAMES = 1000

/** What a span adds to its trace's row beyond its summary: read once, at `prepareSpan`. */
export interface SpanFacts {
  identity: SpanIdentity
  /** `trace_attrs` tokens of its `key=value` pairs (tags, user and session are added from `identity`). */
  tokens: string[]
  /** Those of its resource's pairs: one array for the spans of one resource in a batch. */
  resourceTokens: readonly string[]
  /** Text it can be found by, lowercased (`searchParts`). */
  search: { names: string[]; content: string[] }
  /** `gen_ai.usage.total_tokens` of an LLM span, when it records one. */
  totalTokens?: number
}

/**
 * What ingest reads from one span, once: its summary, its stored JSON and the facts its trace's
 * row is made from. Plain data, so the collector makes it from a request body on a worker thread
 * and the store's thread only writes. A batch the thread prepared comes without `facts`: the
 * thread merged its rows too (`PreparedBatch`), and handing each span's facts over (its search
 * text, input and output, up to a few KB) cost more than reading them again, from `data`, only
 * for a trace that must be merged with a row an earlier batch stored (`factsOf`).
 */
export interface PreparedSpan {
  summary: SpanSummary
  /** The span as stored: `JSON.stringify(span)`. */
  data: string
  facts?: SpanFacts
}

/** Spans prepared together, with each trace's row as these spans alone make it. */
export interface PreparedBatch {
  spans: PreparedSpan[]
  /** By trace id: `mergeTraceRow(undefined, <the trace's spans in this batch, in order>)`. */
  rows?: ReadonlyMap<string, TraceRow>
}

/** Reads what a span adds to its trace's row (see `SpanFacts`). */
function spanFacts(
  span: SpanData,
  summary: SpanSummary,
  resources?: Map<SpanData['resource'], readonly string[]>,
): SpanFacts {
  const identity = spanIdentity(span)
  const tokens = new Set<string>()
  const resourceTokens = indexedAttributes(span, tokens, attrToken, resources)
  const facts: SpanFacts = {
    identity,
    tokens: [...tokens],
    resourceTokens,
    search: searchParts(span, summary, identity),
  }
  if (span.kind === 'llm') {
    const total = num(span.attributes[ATTR.usageTotalTokens])
    if (total !== undefined) facts.totalTokens = total
  }
  return facts
}

/** Reads everything the store keeps of a span (see `PreparedSpan`). */
export function prepareSpan(span: SpanData): PreparedSpan {
  return prepareWith(span)
}

/**
 * What the spans of one batch share, read once: each resource object's tokens and, for spans
 * decoded from a body (the collector's own objects), its JSON.
 */
interface BatchResources {
  tokens: Map<SpanData['resource'], readonly string[]>
  json?: Map<SpanData['resource'], string>
}

function prepareWith(span: SpanData, resources?: BatchResources): PreparedSpan {
  const summary = summarizeSpan(span)
  return {
    summary,
    data: spanJson(span, resources?.json),
    facts: spanFacts(span, summary, resources?.tokens),
  }
}

/**
 * `JSON.stringify(span)`, with the JSON of its resource (about a fifth of a bench span's) made once
 * per batch (`resources`) instead of once per span. The span's `resource` is unset while the rest
 * is written, so only spans the collector decoded itself come here (never an app's objects, which
 * may be frozen). The resource goes last, where decoded spans have it, so the text is the same.
 */
function spanJson(span: SpanData, resources?: Map<SpanData['resource'], string>): string {
  if (!resources) return JSON.stringify(span)
  const { resource } = span
  let json = resources.get(resource)
  if (json === undefined) resources.set(resource, (json = JSON.stringify(resource)))
  // Left out by JSON.stringify while undefined; the span is ours (decoded from this body).
  const own = span as { resource: SpanData['resource'] | undefined }
  own.resource = undefined
  try {
    const rest = JSON.stringify(span)
    return rest === '{}' ? `{"resource":${json}}` : `${rest.slice(0, -1)},"resource":${json}}`
  } finally {
    own.resource = resource
  }
}

/**
 * `prepareSpan` of each span; what a resource object they share adds is read once. `decoded`: the
 * spans were decoded from a request body here, so `spanJson` may set their resource aside.
 */
export function prepareSpans(spans: readonly SpanData[], decoded = false): PreparedSpan[] {
  const resources: BatchResources = { tokens: new Map(), json: decoded ? new Map() : undefined }
  return spans.map((span) => prepareWith(span, resources))
}

/** The spans of each trace, in the order they came. */
export function groupByTrace<T extends { summary: SpanSummary }>(
  spans: readonly T[],
): Map<string, T[]> {
  const byTrace = new Map<string, T[]>()
  for (const span of spans) {
    const traceId = span.summary.traceId
    let group = byTrace.get(traceId)
    if (!group) byTrace.set(traceId, (group = []))
    group.push(span)
  }
  return byTrace
}

/**
 * Prepares a batch for sending to the store's thread: each trace's row merged here; the spans
 * without their facts (see `PreparedSpan`). `decoded` as for `prepareSpans`.
 */
export function prepareBatch(
  spans: readonly SpanData[],
  decoded = false,
): PreparedBatch & { rows: Map<string, TraceRow> } {
  const prepared = prepareSpans(spans, decoded)
  const rows = new Map<string, TraceRow>()
  for (const [traceId, items] of groupByTrace(prepared))
    rows.set(traceId, mergeTraceRow(undefined, items))
  return { spans: prepared.map(({ summary, data }) => ({ summary, data })), rows }
}

/** A span's facts: as prepared, else read again from its stored JSON. */
function factsOf(span: PreparedSpan): SpanFacts {
  span.facts ??= spanFacts(JSON.parse(span.data) as SpanData, span.summary)
  return span.facts
}

/** Folds newly stored spans of one trace into its row; `row` is undefined for a new trace. */
export function mergeTraceRow(row: TraceRow | undefined, items: readonly PreparedSpan[]): TraceRow {
  const first = items[0]!.summary
  const out: TraceRow = row
    ? { ...row }
    : {
        trace_id: first.traceId,
        start_time: Number.POSITIVE_INFINITY,
        end_time: Number.NEGATIVE_INFINITY,
        root_name: first.name,
        root_span_id: first.spanId,
        root_has_parent: 2,
        root_start: Number.POSITIVE_INFINITY,
        status: 'ok',
        service: first.service,
        model: null,
        llm_start: null,
        ttft_ms: null,
        span_count: 0,
        error_count: 0,
        cancelled_count: 0,
        input_tokens: 0,
        output_tokens: 0,
        total_tokens: 0,
        cost_usd: 0,
        error_message: null,
        search: '',
        user_id: null,
        session_id: null,
        tags: null,
        input_text: null,
        input_start: null,
        output_text: null,
        output_end: null,
        attr_tokens: '',
      }
  const tokens = new Set(out.attr_tokens ? out.attr_tokens.split(' ') : [])
  const before = tokens.size
  const at = out.search.indexOf('\n')
  const text = {
    names: at < 0 ? '' : out.search.slice(0, at),
    content: at < 0 ? out.search : out.search.slice(at + 1),
  }
  const found = new Set<string>()
  // The resource tokens last added: most traces' spans share one resource's array.
  let resourceTokens: readonly string[] | undefined
  for (const item of items) {
    const span = item.summary
    const facts = factsOf(item)
    const { identity, search, totalTokens } = facts
    for (const token of facts.tokens) tokens.add(token)
    if (facts.resourceTokens !== resourceTokens) {
      resourceTokens = facts.resourceTokens
      for (const token of resourceTokens) tokens.add(token)
    }
    out.span_count++
    if (span.startTime < out.start_time) out.start_time = span.startTime
    if (span.endTime > out.end_time) out.end_time = span.endTime
    const hasParent = span.parentSpanId ? 1 : 0
    if (
      hasParent < out.root_has_parent ||
      (hasParent === out.root_has_parent && span.startTime < out.root_start)
    ) {
      out.root_has_parent = hasParent
      out.root_start = span.startTime
      out.root_name = span.name
      out.root_span_id = span.spanId
      out.service = span.service
    }
    if (span.status === 'error') {
      out.error_count++
      if (out.error_message === null) out.error_message = span.errorMessage ?? 'error'
    } else if (span.status === 'cancelled') out.cancelled_count++
    if (STATUS_RANK[span.status] > STATUS_RANK[out.status as SpanStatus]) out.status = span.status
    if (span.model && (out.llm_start === null || span.startTime < out.llm_start)) {
      out.llm_start = span.startTime
      out.model = span.model
      out.ttft_ms = span.ttftMs ?? null
    }
    const input = span.inputTokens ?? 0
    const output = span.outputTokens ?? 0
    out.input_tokens += input
    out.output_tokens += output
    if (span.kind === 'llm') out.total_tokens += totalTokens ?? input + output
    out.cost_usd += span.costUsd ?? 0
    if (out.user_id === null && identity.user !== undefined) {
      out.user_id = identity.user
      tokens.add(attrToken(USER_KEY, identity.user))
    }
    if (out.session_id === null && identity.session !== undefined) {
      out.session_id = identity.session
      tokens.add(attrToken(SESSION_KEY, identity.session))
    }
    out.tags = mergeTags(out.tags, identity.tags)
    for (const tag of identity.tags) tokens.add(attrToken(TAG_KEY, tag))
    if (span.kind === 'llm') {
      if (out.input_start === null || span.startTime < out.input_start) {
        const input = identity.input
        if (input !== undefined) {
          out.input_text = input
          out.input_start = span.startTime
        }
      }
      if (out.output_end === null || span.endTime > out.output_end) {
        const output = identity.output
        if (output !== undefined) {
          out.output_text = output
          out.output_end = span.endTime
        }
      }
    }
    // Steps of one call repeat the same prompt: each part is kept once, so the search text (and
    // its trigram index) holds more of the trace.
    // The root span (it ends, and comes, last) and the first failed spans (the error the row
    // shows) go first, whatever came before them: names that arrived earlier filled the names.
    // Failed spans' parts are shorter, and three at most, so that they never push the root out.
    if (!span.parentSpanId) putFirst(text, search.names, found, 300)
    else if (span.status === 'error' && out.error_count <= 3)
      putFirst(text, search.names, found, 100)
    addSearchParts(text, 'names', search.names, MAX_SEARCH_NAMES, found)
    addSearchParts(text, 'content', search.content, MAX_SEARCH, found)
  }
  if (tokens.size !== before) out.attr_tokens = [...tokens].join(' ')
  out.search = `${text.names}\n${text.content.slice(0, MAX_SEARCH - 1 - text.names.length)}`
  return out
}

/**
 * Puts each part not in the text yet (either section) at the start of its names, at most `length`
 * characters of it, cutting names that came before from the end to keep within
 * `MAX_SEARCH_NAMES` (see `mergeTraceRow`).
 */
function putFirst(
  text: { names: string; content: string },
  parts: readonly string[],
  found: Set<string>,
  length: number,
): void {
  for (const whole of parts) {
    const part = whole.slice(0, length)
    if (text.names.includes(part) || text.content.includes(part)) continue
    text.names = (text.names ? `${part} ${text.names}` : part).slice(0, MAX_SEARCH_NAMES)
    found.add(whole)
  }
}

/**
 * Adds each part not in the text yet (either section) to `text[key]`, while it is under `max`. The text only grows (while under
 * `max`): a part found in it, or added whole, stays in it (`found`), and the spans of a trace
 * repeat most parts (service, model, user, prompt).
 */
function addSearchParts(
  text: { names: string; content: string },
  key: 'names' | 'content',
  parts: readonly string[],
  max: number,
  found: Set<string>,
): void {
  for (const part of parts) {
    if (text[key].length >= max) return
    if (found.has(part)) continue
    if (!text.names.includes(part) && !text.content.includes(part)) {
      text[key] = (text[key] ? `${text[key]} ${part}` : part).slice(0, max)
      if (text[key].length === max) continue
    }
    found.add(part)
  }
}

/** The public shape of a `traces` row. */
export function toTraceSummary(row: TraceRow): TraceSummary {
  const summary: TraceSummary = {
    traceId: row.trace_id,
    startTime: row.start_time,
    endTime: row.end_time,
    durationMs: row.end_time - row.start_time,
    rootName: row.root_name,
    rootSpanId: row.root_span_id,
    status: row.status as SpanStatus,
    service: row.service,
    spanCount: row.span_count,
    errorCount: row.error_count,
    inputTokens: row.input_tokens,
    outputTokens: row.output_tokens,
    totalTokens: row.total_tokens,
    costUsd: row.cost_usd,
  }
  if (row.model !== null) summary.model = row.model
  if (row.ttft_ms !== null) summary.ttftMs = row.ttft_ms
  if (row.error_message !== null) summary.errorMessage = row.error_message
  if (row.user_id !== null) summary.userId = row.user_id
  if (row.session_id !== null) summary.sessionId = row.session_id
  if (row.tags !== null) summary.tags = JSON.parse(row.tags)
  if (row.root_has_parent === 1) summary.rootMissing = true
  // Lists and live events carry a preview; one trace or a session carries the whole text.
  if (row.input_text !== null) summary.input = preview(row.input_text)
  if (row.output_text !== null) summary.output = preview(row.output_text)
  return summary
}

/** Longest `input` / `output` in trace lists and live events. */
export const MAX_PREVIEW = 300

function preview(text: string): string {
  return cutText(text, MAX_PREVIEW)
}

/** A trace row with its whole stored input and output (up to 4000 characters each). */
export function fullTraceSummary(row: TraceRow): TraceSummary {
  const summary = toTraceSummary(row)
  if (row.input_text !== null) summary.input = row.input_text
  if (row.output_text !== null) summary.output = row.output_text
  return summary
}
