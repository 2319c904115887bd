// @ts-check
// The stats page: charts over time, tables from traces and from metrics.

import { renderCharts } from './charts.js'
import { api, app, cost, duration, h, number, showError } from './dom.js'
import { SINCE, state, timeRange } from './list.js'

/** Whether the stats page is shown, and the period it shows. */
export const statsView = { open: false, since: '24h' }
// Stats are refreshed on a slow clock while shown, never per live event: with many tabs open and
// traces streaming in, per-event queries were what slowed ingest down.
const STATS_REFRESH_MS = 15_000
setInterval(() => {
  if (document.hidden) return
  if (statsView.open) renderStats(statsView.since).catch(showError)
  loadStats().catch(() => {})
}, STATS_REFRESH_MS)

/** @param {number | null} ms */
function ms(ms) {
  return ms === null ? '–' : duration(ms)
}

/** @param {number} rate */
function percent(rate) {
  return `${(rate * 100).toFixed(1)}%`
}

/**
 * @param {string} id
 * @param {string[]} headers
 * @param {(string | number)[][]} rows
 * @param {Record<string, string>[]} [rowProps]
 */
function statsTable(id, headers, rows, rowProps = []) {
  return h(
    'table',
    { id },
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        headers.map((c, i) => h('th', { class: i > 0 ? 'num' : undefined }, c)),
      ),
    ),
    h(
      'tbody',
      null,
      rows.map((row, r) =>
        h(
          'tr',
          rowProps[r] ?? null,
          row.map((c, i) => h('td', { class: i > 0 ? 'num' : undefined }, String(c))),
        ),
      ),
    ),
  )
}

const EXTRA_TOKENS = [
  ['cached_input', 'Cached'],
  ['cache_creation_input', 'Cache write'],
  ['reasoning', 'Reasoning'],
]

/**
 * The range a stats page shows: an age (`24h`), or `range` for the list filters' from – to.
 * @param {string} since
 * @returns {{ from?: string, to?: string, label: string }}
 */
function statsRange(since) {
  if (since === 'range') return timeRange(state.filters)
  return { from: since, label: SINCE[/** @type {keyof typeof SINCE} */ (since)] ?? since }
}

/** `from=…&to=…` of a range, for the API. @param {{ from?: string, to?: string }} range */
export function rangeQuery(range) {
  const params = new URLSearchParams()
  if (range.from) params.set('from', range.from)
  if (range.to) params.set('to', range.to)
  return params.toString()
}

/** @param {string} since an age such as `24h`, or `range` for the list's from – to */
export async function renderStats(since) {
  statsView.open = true
  statsView.since = since
  const range = statsRange(since)
  const stats = await api(`/api/stats?${rangeQuery(range)}`)
  if (!statsView.open) return
  /** @type {{ series: number, services: string[], updatedAt: number | null, models: any[], tools: any[] }} */
  const metrics = stats.metrics ?? {
    series: 0,
    services: [],
    updatedAt: null,
    models: [],
    tools: [],
  }
  const extra = EXTRA_TOKENS.filter(([type]) =>
    metrics.models.some((m) => (m.tokens[/** @type {string} */ (type)] ?? 0) > 0),
  )
  const fromTraces = stats.models.length
    ? statsTable(
        'stats-traces',
        [
          'Model',
          'Calls',
          'Errors',
          'p50',
          'p95',
          'TTFT p50',
          'TTFT p95',
          'In tokens',
          'Out tokens',
          'Cost',
        ],
        stats.models.map((/** @type {any} */ m) => [
          m.model,
          m.calls,
          percent(m.errorRate),
          ms(m.latencyMs.p50),
          ms(m.latencyMs.p95),
          ms(m.ttftMs.p50),
          ms(m.ttftMs.p95),
          m.inputTokens.toLocaleString(),
          m.outputTokens.toLocaleString(),
          cost(m.costUsd),
        ]),
      )
    : h('div', { class: 'empty' }, 'No LLM calls in stored traces for this period.')
  const fromMetrics = metrics.models.length
    ? statsTable(
        'stats-metrics',
        [
          'Model',
          'Calls',
          'Errors',
          'p50',
          'p95',
          'TTFT p50',
          'TTFT p95',
          'In tokens',
          'Out tokens',
          ...extra.map(([, label]) => /** @type {string} */ (label)),
          'Cost',
        ],
        metrics.models.map((m) => [
          m.model,
          m.calls,
          percent(m.errorRate),
          ms(m.durationMs.p50),
          ms(m.durationMs.p95),
          ms(m.ttftMs.p50),
          ms(m.ttftMs.p95),
          (m.tokens.input ?? 0).toLocaleString(),
          (m.tokens.output ?? 0).toLocaleString(),
          ...extra.map(([type]) => (m.tokens[/** @type {string} */ (type)] ?? 0).toLocaleString()),
          cost(m.costUsd),
        ]),
        metrics.models.map((m) => ({ class: 'metric-model', 'data-model': m.model })),
      )
    : h(
        'div',
        { class: 'empty', id: 'metrics-empty' },
        'No GenAI metrics received. Point an OTLP metrics exporter at ',
        h('code', null, `${location.origin}/v1/metrics`),
        '.',
      )
  const tools = metrics.tools.length
    ? statsTable(
        'stats-tools',
        ['Tool', 'Calls', 'Errors', 'p50', 'p95'],
        metrics.tools.map((t) => [
          t.tool,
          t.calls,
          percent(t.calls ? t.errors / t.calls : 0),
          ms(t.durationMs.p50),
          ms(t.durationMs.p95),
        ]),
      )
    : null
  /** @type {{ service: string, started: number, exported: number, failed: number, rejected: number, dropped: number, queued: number, updatedAt: number, lastError?: { type: string, target?: string, at: number } }[]} */
  const delivery = stats.delivery ?? []
  const deliveryTable = delivery.length
    ? statsTable(
        'stats-delivery',
        [
          'Service',
          'Started',
          'Exported',
          'Failed',
          'Rejected',
          'Dropped',
          'Queued',
          'Last error',
          'Updated',
        ],
        delivery.map((d) => [
          d.service,
          d.started,
          d.exported,
          d.failed,
          d.rejected,
          d.dropped,
          d.queued,
          d.lastError
            ? `${d.lastError.type}${d.lastError.target ? ` from ${d.lastError.target}` : ''}`
            : '–',
          new Date(d.updatedAt).toLocaleTimeString(),
        ]),
        delivery.map((d) => ({
          class: d.failed + d.rejected + d.dropped > 0 ? 'delivery-problem' : 'delivery-ok',
          'data-service': d.service,
        })),
      )
    : h(
        'div',
        { class: 'empty', id: 'delivery-empty' },
        'No delivery reports: tracers send otel.sdk.* metrics with their GenAI metrics once a span is lost or metrics export to ',
        h('code', null, `${location.origin}/v1/metrics`),
        '.',
      )
  const charts = h('div', { class: 'charts', id: 'charts' })
  const metricCharts = h('div', { class: 'charts', id: 'metric-charts' })
  app.replaceChildren(
    h(
      'div',
      { class: 'trace-head' },
      h('a', { href: '#/' }, '← traces'),
      h('h1', null, 'Stats'),
      h(
        'span',
        { class: 'muted', id: 'stats-range' },
        `traces ${since === 'range' ? range.label : `since ${range.label}`}`,
      ),
      h(
        'button',
        { id: 'stats-refresh', onclick: () => renderStats(since).catch(showError) },
        'Refresh',
      ),
    ),
    h(
      'h3',
      { class: 'section' },
      'Over time ',
      h(
        'select',
        {
          id: 'charts-by',
          onchange: (/** @type {Event} */ event) => {
            chartsBy =
              /** @type {HTMLSelectElement} */ (event.target).value === 'service'
                ? 'service'
                : 'model'
            renderCharts(charts, { ...range, by: chartsBy }).catch(showError)
            renderCharts(metricCharts, { ...range, by: chartsBy, source: 'metrics' }).catch(
              showError,
            )
          },
        },
        h('option', { value: 'model', selected: chartsBy === 'model' }, 'per model (LLM calls)'),
        h('option', { value: 'service', selected: chartsBy === 'service' }, 'per service (traces)'),
      ),
    ),
    charts,
    h(
      'h3',
      { class: 'section' },
      'Over time, from metrics ',
      h(
        'span',
        { class: 'muted' },
        'gen_ai.client.operation.duration, …time_to_first_chunk, gen_ai.client.token.usage, tokentrail.llm.cost by minute · p50/p95 estimated from histogram buckets',
      ),
    ),
    metricCharts,
    h('h3', { class: 'section' }, 'From traces'),
    fromTraces,
    h(
      'h3',
      { class: 'section' },
      'From metrics ',
      h(
        'span',
        { class: 'muted' },
        metrics.series
          ? `${metrics.series} series from ${metrics.services.join(', ')} · totals since each producer started · p50/p95 estimated from histogram buckets`
          : '',
      ),
    ),
    fromMetrics,
    ...(tools ? [h('h3', { class: 'section' }, 'Tools (from metrics)'), tools] : []),
    h(
      'h3',
      { class: 'section' },
      'Delivery ',
      h(
        'span',
        { class: 'muted' },
        'spans each service exported, lost and dropped, from its tracer’s otel.sdk.* metrics',
      ),
    ),
    deliveryTable,
  )
  await Promise.all([
    renderCharts(charts, { ...range, by: chartsBy }),
    renderCharts(metricCharts, { ...range, by: chartsBy, source: 'metrics' }),
  ])
}

/** @type {'model' | 'service'} */
let chartsBy = 'model'

/** The header's 24 h summary and the model suggestions of the list filter. */
export async function loadStats() {
  const stats = await api('/api/stats?from=24h')
  const t = stats.traces
  const summary = /** @type {HTMLElement} */ (document.getElementById('summary'))
  summary.textContent = `${t.count} traces in 24 h · ${(t.errorRate * 100).toFixed(1)}% errors · p95 ${t.durationMs.p95 === null ? '–' : duration(t.durationMs.p95)}`
  const list = document.getElementById('models')
  if (list)
    list.replaceChildren(
      ...stats.models.map((/** @type {{ model: string }} */ m) => h('option', { value: m.model })),
    )
}
