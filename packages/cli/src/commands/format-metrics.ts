import type { MetricsSummary } from '../store/metrics-summary.js'
import { formatCost, formatTime, oneLine, type Palette, pct, table } from './format.js'

// Token types shown as their own columns when any model has them, in this order.
const EXTRA_TOKEN_TYPES: [string, string][] = [
  ['cached_input', 'CACHED'],
  ['cache_creation_input', 'CACHE WRITE'],
  ['reasoning', 'REASONING'],
]

const percent = (rate: number) => (rate * 100).toFixed(1)

/** The GenAI metrics received at `/v1/metrics`: calls, errors, latency and TTFT, tokens and cost by model; tools. */
export function formatMetricsSummary(metrics: MetricsSummary, p: Palette): string {
  if (metrics.series === 0) return p.dim('metrics: none received (OTLP metrics go to /v1/metrics)')
  const lines = [
    `${p.bold('metrics')} ${metrics.series} series from ${metrics.services.map((s) => oneLine(s, 40)).join(', ')} · updated ${formatTime(metrics.updatedAt ?? 0).slice(11, 19)}`,
    p.dim('totals since each producer started; p50/p95 estimated from histogram buckets'),
  ]
  if (metrics.models.length > 0) {
    const extra = EXTRA_TOKEN_TYPES.filter(([type]) =>
      metrics.models.some((m) => (m.tokens[type] ?? 0) > 0),
    )
    const rows = [
      [
        'MODEL',
        'CALLS',
        'ERR%',
        'P50',
        'P95',
        'TTFT P50',
        'TTFT P95',
        'IN TOK',
        'OUT TOK',
        ...extra.map(([, label]) => label),
        'COST',
      ].map(p.dim),
      ...metrics.models.map((m) => [
        oneLine(m.model, 32),
        String(m.calls),
        percent(m.errorRate),
        pct(m.durationMs.p50),
        pct(m.durationMs.p95),
        pct(m.ttftMs.p50),
        pct(m.ttftMs.p95),
        String(m.tokens.input ?? 0),
        String(m.tokens.output ?? 0),
        ...extra.map(([type]) => String(m.tokens[type] ?? 0)),
        formatCost(m.costUsd),
      ]),
    ]
    lines.push('', table(rows, new Set(rows[0]!.map((_, i) => i).filter((i) => i > 0))))
  }
  if (metrics.tools.length > 0) {
    const rows = [
      ['TOOL', 'CALLS', 'ERR%', 'P50', 'P95'].map(p.dim),
      ...metrics.tools.map((t) => [
        oneLine(t.tool, 32),
        String(t.calls),
        percent(t.calls ? t.errors / t.calls : 0),
        pct(t.durationMs.p50),
        pct(t.durationMs.p95),
      ]),
    ]
    lines.push('', table(rows, new Set([1, 2, 3, 4])))
  }
  return lines.join('\n')
}
