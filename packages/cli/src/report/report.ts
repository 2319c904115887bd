import { ATTR, type SpanData } from '@tokentrail/core'
import { formatCost, formatDuration, formatTime, oneLine } from '../commands/format.js'
import type { TraceDetail, TraceSummary, WaterfallRow } from '../store/store.js'
import { spanTtftMs } from '../store/store-schema.js'
import { type DebugHint, debugHints, type ModelBaseline } from './debug-hints.js'
import { failedDeepestFirst } from './failed-spans.js'
import { code, plain } from './markdown.js'

/** One span of a report: where it sits and the numbers that matter. */
export interface ReportSpan {
  spanId: string
  parentSpanId?: string
  depth: number
  /** Milliseconds from the trace start. */
  offsetMs: number
  durationMs: number
  kind: SpanData['kind']
  name: string
  status: SpanData['status']
  model?: string
  step?: number
  /** The attempt of its step, from 2 on (the SDK retried it). */
  attempt?: number
  inputTokens?: number
  outputTokens?: number
  ttftMs?: number
  costUsd?: number
  finishReason?: string
  tool?: string
  cancelledBy?: string
  error?: string
}

/** An error with where it started and which spans rethrew it. */
export interface ReportError {
  spanId: string
  span: string
  type: string
  message: string
  /** `[cause]` lines of the stack, outermost first. */
  causes: string[]
  /** Spans above it that failed with the same message. */
  rethrownBy: string[]
  /** The first lines of the stack, once per distinct stack. */
  stack?: string
  /** How many spans failed so, from 2 on: the same error in spans of the same name (retries). */
  times?: number
}

/** A compact account of one trace for a person or an AI assistant to debug from. */
export interface TraceReport {
  format: 'tokentrail.report.v1'
  trace: TraceSummary
  hints: DebugHint[]
  timeline: ReportSpan[]
  errors: ReportError[]
  /** Every span as stored; only with `raw`. Importable with `tokentrail import`. */
  spans?: SpanData[]
}

const num = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined

function reportSpan(span: SpanData, node: WaterfallRow): ReportSpan {
  const a = span.attributes
  const out: ReportSpan = {
    spanId: span.spanId,
    depth: node.depth,
    offsetMs: node.offset,
    durationMs: node.durationMs,
    kind: span.kind,
    name: span.name,
    status: span.status,
  }
  if (span.parentSpanId) out.parentSpanId = span.parentSpanId
  const model = a[ATTR.responseModel] ?? a[ATTR.requestModel]
  if (span.kind === 'llm' && typeof model === 'string') out.model = model
  const fields: [keyof ReportSpan, string][] = [
    ['step', ATTR.step],
    ['attempt', 'tokentrail.attempt'],
    ['inputTokens', ATTR.usageInputTokens],
    ['outputTokens', ATTR.usageOutputTokens],
    ['costUsd', ATTR.costUsd],
  ]
  for (const [field, key] of fields) {
    const value = num(a[key])
    if (value !== undefined) (out as unknown as Record<string, number>)[field] = value
  }
  const ttft = spanTtftMs(a)
  if (ttft !== undefined) out.ttftMs = ttft
  const finish = a[ATTR.responseFinishReasons]
  if (Array.isArray(finish) && finish.length) out.finishReason = finish.join(',')
  const tool = a[ATTR.toolName] ?? a['ai.toolCall.name']
  if (typeof tool === 'string') out.tool = tool
  if (typeof a[ATTR.cancelledBy] === 'string') out.cancelledBy = a[ATTR.cancelledBy] as string
  if (span.error) out.error = `${span.error.type}: ${span.error.message}`
  return out
}

/** Builds the report of a trace; `baseline` feeds the cost-outlier hint. */
export function buildReport(
  detail: TraceDetail,
  { baseline = {}, raw = false }: { baseline?: ModelBaseline; raw?: boolean } = {},
): TraceReport {
  const byId = new Map(detail.spans.map((s) => [s.spanId, s]))
  // The waterfall lists the span tree depth first.
  const timeline: ReportSpan[] = []
  for (const node of detail.waterfall) {
    const span = byId.get(node.spanId)
    if (span) timeline.push(reportSpan(span, node))
  }
  const failed = failedDeepestFirst(detail.spans, timeline)
  const errors: ReportError[] = []
  const seenStacks = new Set<string>()
  const claimed = new Set<string>()
  for (const span of failed) {
    if (claimed.has(span.spanId)) continue
    const error = span.error!
    const rethrownBy: string[] = []
    for (let parent = byId.get(span.parentSpanId ?? ''); parent; ) {
      if (parent.error?.message === error.message) {
        rethrownBy.push(parent.name)
        claimed.add(parent.spanId)
      }
      parent = byId.get(parent.parentSpanId ?? '')
    }
    // The same error of a span of the same name (a step's retries): said once, with how often.
    const same = errors.find(
      (e) =>
        e.span === span.name &&
        e.type === error.type &&
        e.message === error.message &&
        e.rethrownBy.join('\n') === rethrownBy.join('\n'),
    )
    if (same) {
      same.times = (same.times ?? 1) + 1
      continue
    }
    const entry: ReportError = {
      spanId: span.spanId,
      span: span.name,
      type: error.type,
      message: error.message,
      causes: (error.stack ?? '')
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => /^\[cause\]:|^caused by:/i.test(line)),
      rethrownBy,
    }
    if (error.stack && !seenStacks.has(error.stack)) {
      seenStacks.add(error.stack)
      entry.stack = error.stack.split('\n').slice(0, 8).join('\n')
    }
    errors.push(entry)
  }
  const report: TraceReport = {
    format: 'tokentrail.report.v1',
    trace: detail.trace,
    hints: debugHints(detail.spans, baseline),
    timeline,
    errors,
  }
  if (raw) report.spans = detail.spans
  return report
}

/** A code fence longer than any run of backticks in `text`, so captured text cannot close it. */
function fence(text: string): string {
  const longest = Math.max(2, ...(text.match(/`+/g) ?? []).map((run) => run.length))
  return '`'.repeat(longest + 1)
}

function spanLine(s: ReportSpan): string {
  const facts = [`+${formatDuration(s.offsetMs)}`, formatDuration(s.durationMs)]
  let name = `${s.kind} ${code(s.name, 80)}`
  // Counted from 1, as the viewer's waterfall labels the same span (`tokentrail.step` is 0-based).
  if (s.step !== undefined)
    name += ` (step ${s.step + 1}${s.attempt !== undefined ? `, attempt ${s.attempt}` : ''})`
  facts.push(name, s.status)
  if (s.inputTokens !== undefined || s.outputTokens !== undefined)
    facts.push(`${s.inputTokens ?? '?'}→${s.outputTokens ?? '?'} tokens`)
  if (s.ttftMs !== undefined) facts.push(`TTFT ${formatDuration(s.ttftMs)}`)
  if (s.costUsd !== undefined) facts.push(formatCost(s.costUsd))
  if (s.finishReason) facts.push(`finish ${s.finishReason}`)
  if (s.cancelledBy) facts.push(`cancelled by ${s.cancelledBy}`)
  if (s.error) facts.push(`**${plain(s.error, 160)}**`)
  // Nested as deep as the viewer's guides go, then the depth said: a 40,000-deep trace's report
  // was 2 bytes per level on each line (a string past V8's limit, an export that crashed).
  return `${'  '.repeat(Math.min(s.depth, MAX_LIST_DEPTH))}- ${s.depth > MAX_LIST_DEPTH ? `(depth ${s.depth}) ` : ''}${facts.join(' · ')}`
}

/**
 * The UTC offset of the time zone `formatTime` wrote `time` in (`UTC+01:00`): the report is read
 * elsewhere (an issue, a teammate in another zone), and the viewer's download is written in the
 * collector's zone, which may not be the page's.
 */
export function utcOffset(time: number): string {
  const minutes = -new Date(time).getTimezoneOffset()
  const abs = Math.abs(minutes)
  const pad = (n: number) => String(n).padStart(2, '0')
  return `UTC${minutes < 0 ? '−' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
}

// The deepest a timeline line is indented (see `spanLine`).
const MAX_LIST_DEPTH = 24

/** The report as Markdown: summary, hints, one line per span, errors, raw spans when kept. */
export function formatReportMarkdown(report: TraceReport): string {
  const t = report.trace
  const status =
    t.status === 'error' ? '✗ error' : t.status === 'cancelled' ? '⊘ cancelled' : '✓ ok'
  const lines = [
    `# Trace \`${t.traceId}\`: ${plain(t.rootName, 80)} (${status})`,
    '',
    `- started ${formatTime(t.startTime)} (${utcOffset(t.startTime)}) · ${formatDuration(t.durationMs)} · ${t.spanCount} spans · service ${code(t.service, 60)}`,
  ]
  if (t.model)
    lines.push(
      `- model ${code(t.model, 60)}${t.totalTokens ? ` · ${t.inputTokens}→${t.outputTokens} tokens` : ''}${t.costUsd ? ` · ${formatCost(t.costUsd)}` : ''}${t.ttftMs !== undefined ? ` · first TTFT ${formatDuration(t.ttftMs)}` : ''}`,
    )
  const who = [
    t.userId ? `user ${code(t.userId, 60)}` : '',
    t.sessionId ? `session ${code(t.sessionId, 60)}` : '',
    t.tags?.length ? `tags ${t.tags.map((tag) => code(tag, 40)).join(', ')}` : '',
  ].filter(Boolean)
  if (who.length) lines.push(`- ${who.join(' · ')}`)
  if (t.input) lines.push(`- input: ${code(t.input, 300)}`)
  if (t.output) lines.push(`- output: ${code(t.output, 300)}`)
  lines.push('', '## Debug hints', '')
  if (report.hints.length === 0) lines.push('- none found in the data')
  for (const hint of report.hints) lines.push(`- **${hint.id}**: ${hint.message}`)
  lines.push('', '## Timeline', '', ...report.timeline.map(spanLine))
  if (report.errors.length) {
    lines.push('', '## Errors')
    for (const error of report.errors) {
      lines.push(
        '',
        `### ${plain(`${error.type}: ${error.message}`, 200)}`,
        '',
        `- in ${code(error.span, 80)}${error.times ? ` (${error.times} times)` : ''}${error.rethrownBy.length ? `; rethrown by ${error.rethrownBy.map((n) => code(n, 60)).join(', ')}` : ''}`,
        ...error.causes.map((cause) => `- ${plain(cause, 200)}`),
      )
      if (error.stack) {
        const f = fence(error.stack)
        lines.push('', f, safeBlock(error.stack), f)
      }
    }
  }
  if (report.spans) {
    const json = JSON.stringify({ spans: report.spans }, null, 2)
    const f = fence(json)
    lines.push('', '## Raw spans', '', `${f}json`, json, f)
  }
  return `${lines.join('\n')}\n`
}

// Multi-line captured text inside a fence: control characters made visible, lines and their
// indentation kept (a stack's `    at …` frames read as a stack).
function safeBlock(text: string): string {
  return text
    .split('\n')
    .map((line) => `${' '.repeat(Math.min(/^ */.exec(line)![0].length, 16))}${oneLine(line, 400)}`)
    .join('\n')
}
