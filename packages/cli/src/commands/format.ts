import type { SpanData } from '@tokentrail/core'
import { clockSkews } from '../report/clock-skew.js'
import { failedDeepestFirst } from '../report/failed-spans.js'
import type { SpanSummary, TraceDetail, TraceStats, TraceSummary } from '../store/store.js'
import { spanTtftMs } from '../store/store-schema.js'
import { cutText } from '../text-cut.js'

/** Terminal colours; all identity functions when colour is off. */
export interface Palette {
  red(text: string): string
  green(text: string): string
  yellow(text: string): string
  magenta(text: string): string
  cyan(text: string): string
  dim(text: string): string
  bold(text: string): string
}

const codes = (open: number, close: number) => (text: string) =>
  `\x1b[${open}m${text}\x1b[${close}m`
const plain = (text: string) => text

/** A palette with ANSI colours, or without. */
export function palette(color: boolean): Palette {
  if (!color)
    return {
      red: plain,
      green: plain,
      yellow: plain,
      magenta: plain,
      cyan: plain,
      dim: plain,
      bold: plain,
    }
  return {
    red: codes(31, 39),
    green: codes(32, 39),
    yellow: codes(33, 39),
    magenta: codes(35, 39),
    cyan: codes(36, 39),
    dim: codes(2, 22),
    bold: codes(1, 22),
  }
}

// Captured text may hold terminal escape sequences; they are shown, never executed.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g

/**
 * Makes untrusted text safe to print: control characters become visible `\xNN`. The one escape
 * every captured or received string goes through before the CLI prints it; takes any value, as a
 * field can hold another type than its name suggests.
 */
export function safeText(text: unknown): string {
  return String(text).replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
}

/** One line of at most `max` characters, control characters made visible. */
export function oneLine(text: unknown, max: number): string {
  const flat = safeText(String(text).replace(/\s+/g, ' ').trim())
  return cutText(flat, max)
}

/** `850ms`, `1.52s`, `2m03s`. */
export function formatDuration(ms: number): string {
  if (typeof ms !== 'number') return oneLine(ms, 20)
  if (ms < 100) return `${Number(ms.toFixed(1))}ms`
  if (ms < 1000) return `${Math.round(ms)}ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)}s`
  const seconds = Math.round(ms / 1000)
  return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`
}

/** `$0.0000044`, `$0.00012` (two significant digits below a cent), `$1.234`, or `-` for nothing. */
export function formatCost(usd: number): string {
  if (typeof usd !== 'number') return oneLine(usd, 20)
  if (!usd) return '-'
  if (usd >= 0.01) return `$${usd.toFixed(3)}`
  const digits = Math.min(12, Math.ceil(-Math.log10(usd)) + 1)
  return `$${usd.toFixed(digits)}`
}

/** Local `YYYY-MM-DD HH:MM:SS.mmm`. */
export function formatTime(time: number): string {
  const d = new Date(time)
  const pad = (n: number, w = 2) => String(n).padStart(w, '0')
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`
}

function statusText(status: string, p: Palette): string {
  if (status === 'error') return p.red('✗ error')
  if (status === 'cancelled') return p.yellow('⊘ cancelled')
  return p.green('✓ ok')
}

const ANSI = /\x1b\[\d+m/g
const visible = (text: string) => text.replace(ANSI, '').length
const pad = (text: string, width: number) => text + ' '.repeat(Math.max(0, width - visible(text)))
const padStart = (text: string, width: number) =>
  ' '.repeat(Math.max(0, width - visible(text))) + text

/** Rows as aligned columns; the last column is never padded. */
export function table(rows: string[][], rightAligned: ReadonlySet<number>): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => visible(r[i] ?? ''))))
  return rows
    .map((row) =>
      row
        .map((cell, i) =>
          i === row.length - 1
            ? cell
            : rightAligned.has(i)
              ? padStart(cell, widths[i]!)
              : pad(cell, widths[i]!),
        )
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}

/** The trace list as a table. */
export function formatTraceList(traces: readonly TraceSummary[], p: Palette): string {
  if (traces.length === 0) return p.dim('no traces match')
  const rows = [
    ['TIME', 'TRACE', 'DURATION', 'STATUS', 'MODEL', 'TOKENS', 'COST', 'USER', 'NAME · INPUT'].map(
      p.dim,
    ),
    ...traces.map((t) => [
      formatTime(t.startTime).slice(5),
      safeText(t.traceId.slice(0, 12)),
      formatDuration(t.durationMs),
      statusText(t.status, p),
      t.model ? oneLine(t.model, 28) : '-',
      t.totalTokens ? safeText(t.totalTokens) : '-',
      formatCost(t.costUsd),
      t.userId ? oneLine(t.userId, 20) : '-',
      // A failed row shows why; others what was asked.
      t.status === 'error' && t.errorMessage
        ? `${oneLine(t.rootName, 40)} · ${p.red(oneLine(t.errorMessage, 60))}`
        : t.input
          ? `${oneLine(t.rootName, 40)} · ${oneLine(t.input, 60)}`
          : oneLine(t.rootName, 60),
    ]),
  ]
  return table(rows, new Set([2, 5, 6]))
}

const BAR_WIDTH = 24
const MAX_INDENT = 24

function bar(
  offset: number,
  duration: number,
  total: number,
  p: Palette,
  color: (s: string) => string,
) {
  const start = Math.min(BAR_WIDTH - 1, Math.floor((offset / total) * BAR_WIDTH))
  const length = Math.max(
    1,
    Math.min(BAR_WIDTH - start, Math.round((duration / total) * BAR_WIDTH)),
  )
  return (
    p.dim('·'.repeat(start)) +
    color('█'.repeat(length)) +
    p.dim('·'.repeat(BAR_WIDTH - start - length))
  )
}

/** An LLM span's token counts (`7→3 tok`); an embedding has input tokens only: `7 tok`. */
function tokenText(input: unknown, output: unknown, operation: unknown): string | undefined {
  if (output === undefined && input !== undefined && operation === 'embeddings')
    return `${oneLine(input, 20)} tok`
  if (input !== undefined || output !== undefined)
    return `${oneLine(input ?? '?', 20)}→${oneLine(output ?? '?', 20)} tok`
  return undefined
}

function spanFacts(span: SpanData, p: Palette): string {
  const a = span.attributes
  const facts: string[] = []
  if (span.kind === 'llm') {
    const tokens = tokenText(
      a['gen_ai.usage.input_tokens'],
      a['gen_ai.usage.output_tokens'],
      a['gen_ai.operation.name'],
    )
    if (tokens) facts.push(tokens)
    const ttft = spanTtftMs(a)
    if (ttft !== undefined) facts.push(`ttft ${formatDuration(ttft)}`)
    const cost = a['tokentrail.cost.usd']
    if (typeof cost === 'number') facts.push(formatCost(cost))
    const finish = a['gen_ai.response.finish_reasons']
    if (Array.isArray(finish) && finish.length)
      facts.push(`finish ${oneLine(finish.join(','), 60)}`)
  }
  if (span.status === 'error' && span.error)
    facts.push(p.red(oneLine(`${span.error.type}: ${span.error.message}`, 80)))
  else if (span.status === 'cancelled') facts.push(p.yellow('cancelled'))
  // What the sender left out at its span limit: numbers only, checked (they come from a server).
  // Links to other spans (a batch's inputs, a message's producer): `link <trace>/<span>`, the
  // trace id whole so that `tokentrail trace <id>` opens it.
  const links = (span as { links?: unknown }).links
  if (Array.isArray(links) && links.length) {
    const shown = links
      .slice(0, 3)
      .map((link) =>
        link?.traceId ? oneLine(`${link.traceId}/${link.spanId}`, 60) : '(no span context)',
      )
      .join(' ')
    facts.push(
      p.cyan(
        `link${links.length === 1 ? '' : 's'} ${shown}${links.length > 3 ? ` +${links.length - 3}` : ''}`,
      ),
    )
  }
  const dropped = [
    droppedText(span.droppedAttributesCount, 'attribute'),
    droppedText(span.droppedEventsCount, 'event'),
    droppedText((span as { droppedLinksCount?: unknown }).droppedLinksCount, 'link'),
  ].filter(Boolean)
  if (dropped.length) facts.push(p.yellow(`${dropped.join(', ')} dropped (limit)`))
  return facts.join('  ')
}

function droppedText(count: unknown, what: string): string {
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count <= 0) return ''
  return `${count} ${what}${count === 1 ? '' : 's'}`
}

const KIND_COLOR: Record<string, keyof Palette> = {
  llm: 'magenta',
  tool: 'cyan',
  http: 'bold',
  queue: 'yellow',
  internal: 'dim',
}

/** A trace as a timeline and span tree with durations, tokens and errors. */
export function formatTrace(detail: TraceDetail, p: Palette): string {
  const { trace, spans } = detail
  const byId = new Map(spans.map((s) => [s.spanId, s]))
  const total = Math.max(trace.durationMs, 0.001)
  const lines: string[] = [
    `${p.bold(oneLine(trace.rootName, 80))}  ${statusText(trace.status, p)}  ${formatDuration(trace.durationMs)}` +
      // Its root is exported when it ends: the request may still run (or its parent is elsewhere).
      (trace.rootMissing ? `  ${p.yellow('root span not received yet')}` : ''),
    p.dim(
      `trace ${safeText(trace.traceId)} · ${oneLine(trace.service, 60)} · ${formatTime(trace.startTime)} · ${safeText(trace.spanCount)} spans` +
        (trace.totalTokens
          ? ` · ${safeText(trace.inputTokens)}→${safeText(trace.outputTokens)} tokens`
          : '') +
        (trace.costUsd ? ` · ${formatCost(trace.costUsd)}` : ''),
    ),
  ]
  const who = [
    trace.userId ? `user ${oneLine(trace.userId, 40)}` : '',
    trace.sessionId ? `session ${oneLine(trace.sessionId, 40)}` : '',
    trace.tags?.length ? `tags ${oneLine(trace.tags.join(', '), 60)}` : '',
    trace.input ? `input "${oneLine(trace.input, 80)}"` : '',
  ].filter(Boolean)
  if (who.length) lines.push(p.dim(who.join(' · ')))
  for (const { span, parent, earlyMs } of clockSkews(spans))
    lines.push(
      p.yellow(
        `clock skew: ${oneLine(span.name, 40)} (${oneLine(span.resource.serviceName, 30)}) starts ${formatDuration(earlyMs)} before its parent ${oneLine(parent.name, 40)} (${oneLine(parent.resource.serviceName, 30)}); duration and offsets across them are off by at least that`,
      ),
    )
  lines.push('')
  const rows: string[][] = []
  const { waterfall } = detail
  // Whether a later sibling follows the row at each depth, found walking backwards: draws `├─` or
  // `└─` and the `│` of open branches without recursion, whatever the depth.
  const lastAt: boolean[] = new Array(waterfall.length)
  // A page cut before the trace's end: what follows it is not known, so no branch is drawn closed
  // at the cut (`└─` said "last child" of a span whose next children come after it).
  const spanTotal = Number(detail.page?.total)
  const first = Number(detail.page?.offset) || 0
  const cut = Number.isFinite(spanTotal) && first + waterfall.length < spanTotal
  const siblingBelow: boolean[] = cut
    ? new Array(Math.max(0, ...waterfall.map((node) => node.depth)) + 1).fill(true)
    : []
  for (let i = waterfall.length - 1; i >= 0; i--) {
    const depth = waterfall[i]!.depth
    siblingBelow.length = Math.min(siblingBelow.length, depth + 1)
    lastAt[i] = !siblingBelow[depth]
    siblingBelow[depth] = true
  }
  const open: boolean[] = []
  for (let i = 0; i < waterfall.length; i++) {
    const node = waterfall[i]!
    const span = byId.get(node.spanId)!
    open.length = node.depth
    let prefix = ''
    // Past MAX_INDENT levels the guides stop growing and the depth is printed instead.
    for (let d = 1; d < Math.min(node.depth, MAX_INDENT); d++) prefix += open[d] ? '│  ' : '   '
    if (node.depth >= MAX_INDENT) prefix += `…${node.depth - MAX_INDENT + 1} levels… `
    const branch = node.depth === 0 ? '' : lastAt[i] ? '└─ ' : '├─ '
    open[node.depth] = !lastAt[i]
    const color =
      span.status === 'error'
        ? p.red
        : span.status === 'cancelled'
          ? p.yellow
          : p[KIND_COLOR[span.kind] ?? 'dim']
    rows.push([
      p.dim(`+${formatDuration(node.offset)}`),
      `${p.dim(prefix + branch)}${color(oneLine(span.kind, 12))} ${oneLine(span.name, 48)}`,
      formatDuration(node.durationMs),
      bar(node.offset, node.durationMs, total, p, color),
      spanFacts(span, p),
    ])
  }
  if (rows.length) lines.push(table(rows, new Set([0, 2])))
  // Numbers only: the page comes from a server, like every string printed here.
  if (cut) {
    const n = (value: number) => value.toLocaleString('en')
    lines.push(
      p.dim(
        `… ${n(spanTotal - first - waterfall.length)} more spans not shown (${n(first + 1)}–${n(first + waterfall.length)} of ${n(spanTotal)}); --all shows every span`,
      ),
    )
  }
  const failed = failedDeepestFirst(spans, waterfall)
  const shownStacks = new Set<string>()
  for (const span of failed) {
    lines.push(
      '',
      p.red(
        `✗ ${oneLine(span.name, 60)}: ${safeText(`${span.error!.type}: ${span.error!.message}`)}`,
      ),
    )
    // An error rethrown through parent spans carries the same stack; print it once.
    if (span.error!.stack && !shownStacks.has(span.error!.stack)) {
      shownStacks.add(span.error!.stack)
      lines.push(
        ...safeText(span.error!.stack)
          .split('\n')
          .slice(1, 8)
          .map((line) => p.dim(`    ${line.trim()}`)),
      )
    }
  }
  return lines.join('\n')
}

/** One line per span, for `tokentrail tail`. */
export function formatSpanLine(span: SpanSummary, p: Palette): string {
  const parts = [
    p.dim(formatTime(span.startTime).slice(11)),
    p.dim(safeText(span.traceId.slice(0, 12))),
    statusText(span.status, p),
    `${oneLine(span.kind, 12)} ${oneLine(span.name, 60)}`,
    formatDuration(span.durationMs),
  ]
  if (span.model) parts.push(oneLine(span.model, 30))
  const tokens = tokenText(span.inputTokens, span.outputTokens, span.operation)
  if (tokens) parts.push(tokens)
  if (span.ttftMs !== undefined) parts.push(`ttft ${formatDuration(span.ttftMs)}`)
  if (span.costUsd) parts.push(formatCost(span.costUsd))
  if (span.errorMessage && span.status === 'error')
    parts.push(p.red(oneLine(span.errorMessage, 80)))
  return parts.join('  ')
}

/** A percentile in milliseconds, or `-`. */
export const pct = (value: number | null) => (value === null ? '-' : formatDuration(value))

/** Counts, error rate, latency and TTFT percentiles, tokens and cost by model. */
export function formatStats(stats: TraceStats, p: Palette): string {
  const t = stats.traces
  const lines = [
    `${p.bold('traces')} ${t.count}  errors ${t.errors} (${(t.errorRate * 100).toFixed(1)}%)  duration p50 ${pct(t.durationMs.p50)}  p95 ${pct(t.durationMs.p95)}  p99 ${pct(t.durationMs.p99)}`,
    p.dim(`stored: ${stats.store.traces} traces, ${stats.store.spans} spans`),
    '',
  ]
  if (stats.models.length === 0) {
    lines.push(p.dim('no LLM calls recorded'))
    return lines.join('\n')
  }
  const rows = [
    [
      'MODEL',
      'CALLS',
      'ERR%',
      'P50',
      'P95',
      'P99',
      'TTFT P50',
      'TTFT P95',
      'TTFT P99',
      'IN TOK',
      'OUT TOK',
      'COST',
    ].map(p.dim),
    ...stats.models.map((m) => [
      oneLine(m.model, 32),
      String(m.calls),
      (m.errorRate * 100).toFixed(1),
      pct(m.latencyMs.p50),
      pct(m.latencyMs.p95),
      pct(m.latencyMs.p99),
      pct(m.ttftMs.p50),
      pct(m.ttftMs.p95),
      pct(m.ttftMs.p99),
      String(m.inputTokens),
      String(m.outputTokens),
      formatCost(m.costUsd),
    ]),
  ]
  lines.push(table(rows, new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])))
  return lines.join('\n')
}
