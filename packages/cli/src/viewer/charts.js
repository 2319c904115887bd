// @ts-check
// Charts of the stats page, drawn by uPlot (bundled as /assets/uplot.js; it writes labels with
// textContent and styles through the CSSOM, so the strict CSP holds).
import { api, cost, duration, h, number } from './dom.js'

/** @type {any} */
const uPlot = /** @type {any} */ (globalThis).uPlot

const COLORS = [
  '#58a6ff',
  '#a371f7',
  '#3fb950',
  '#d29922',
  '#f85149',
  '#3fb9a8',
  '#db61a2',
  '#8b93a7',
]

/** @typedef {{ key: string, calls: number[], latencyP50: (number|null)[], latencyP95: (number|null)[], ttftP50: (number|null)[], tokens: number[], costUsd: number[], errorRate: (number|null)[] }} Series */

/**
 * @type {{ id: string, title: string, lines: [keyof Series, string][], value: (v: number) => string }[]}
 */
const CHARTS = [
  {
    id: 'latency',
    title: 'Latency p50 / p95',
    lines: [
      ['latencyP50', 'p50'],
      ['latencyP95', 'p95'],
    ],
    value: duration,
  },
  { id: 'ttft', title: 'Time to first token p50', lines: [['ttftP50', '']], value: duration },
  { id: 'tokens', title: 'Tokens', lines: [['tokens', '']], value: number },
  { id: 'cost', title: 'Cost', lines: [['costUsd', '']], value: (v) => (v === 0 ? '$0' : cost(v)) },
  {
    id: 'errors',
    title: 'Error rate',
    lines: [['errorRate', '']],
    value: (v) => `${(v * 100).toFixed(1)}%`,
  },
]

/** The uPlot instances drawn in each chart container. @type {Map<HTMLElement, any[]>} */
const plots = new Map()

/**
 * The y axis's width in CSS pixels for its labels: its longest label as the axis draws it, with
 * the tick and the gap before it. A fixed 70 px cut the first digits of `2,000,000` off.
 * @param {any} plot
 * @param {string[] | null} labels
 * @param {number} index
 * @param {number} cycle
 */
function axisWidth(plot, labels, index, cycle) {
  const axis = plot.axes[index]
  // Past its first passes uPlot asks again while it settles: the width it has is kept.
  if (cycle > 1) return axis._size
  let widest = 0
  plot.ctx.font = axis.font[0]
  for (const label of labels ?? [])
    widest = Math.max(widest, plot.ctx.measureText(label).width / devicePixelRatio)
  return Math.max(40, Math.ceil(widest + axis.ticks.size + axis.gap + 4))
}

/** @param {HTMLElement} [container] one container's charts, or all */
function destroy(container) {
  for (const [at, list] of plots) {
    if (container && at !== container) continue
    for (const plot of list) plot.destroy()
    plots.delete(at)
  }
}

/**
 * Fetches `/api/timeseries` and draws one chart per figure, one line per model or service.
 * @param {HTMLElement} container
 * From traces (LLM spans by model, traces by service) or from the GenAI metrics (`source:
 * 'metrics'`, their charts' ids start with `metric-`).
 * @param {{ from?: string, to?: string, by: 'model' | 'service', source?: 'traces' | 'metrics' }} options
 */
export async function renderCharts(container, { from, to, by, source = 'traces' }) {
  const params = new URLSearchParams({ by, source })
  if (from) params.set('from', from)
  if (to) params.set('to', to)
  const data = await api(`/api/timeseries?${params}`)
  destroy(container)
  const prefix = source === 'metrics' ? 'metric-' : ''
  /** @type {Series[]} */
  const series = data.series
  if (!series.length) {
    container.replaceChildren(
      h(
        'div',
        { class: 'empty', id: `${prefix}charts-empty` },
        source === 'metrics'
          ? 'No GenAI metrics in this period. Tracers send them to /v1/metrics (metrics: { exporters: [otlpMetricsExporter()] }).'
          : `No ${by === 'model' ? 'LLM calls' : 'traces'} in this period.`,
      ),
    )
    return
  }
  if (!uPlot) {
    container.replaceChildren(h('div', { class: 'empty' }, 'The charting library did not load.'))
    return
  }
  const x = data.buckets.map((/** @type {number} */ t) => t / 1000)
  // One bucket only (a minute of metrics): uPlot would stretch a lone time over years; an empty
  // bucket after it keeps the axis on the data.
  const lone = x.length === 1
  if (lone) x.push(x[0] + data.bucketMs / 1000)
  const cards = CHARTS.map((chart) =>
    h('div', { class: 'chart', id: `${prefix}chart-${chart.id}` }, h('h4', null, chart.title)),
  )
  // Laid out first, so that each chart takes its card's width.
  container.replaceChildren(...cards)
  CHARTS.forEach((chart, c) => {
    const card = /** @type {HTMLElement} */ (cards[c])
    const width = Math.max(280, card.clientWidth - 16)
    /** @type {any[]} */
    const lines = [{}]
    /** @type {any[]} */
    const columns = [x]
    series.forEach((s, i) => {
      for (const [field, suffix] of chart.lines) {
        lines.push({
          label: suffix ? `${s.key} ${suffix}` : s.key,
          stroke: COLORS[i % COLORS.length],
          width: 1.5,
          dash: suffix === 'p95' ? [5, 4] : undefined,
          spanGaps: false,
          // Always: uPlot hides points where buckets are many for the width, and a bucket with
          // data between empty ones has no line either: sparse data drew nothing at all.
          points: { size: 4, show: true },
          value: (/** @type {any} */ _u, /** @type {number | null} */ v) =>
            v === null || v === undefined ? '–' : chart.value(v),
        })
        columns.push(lone ? [...s[field], null] : s[field])
      }
    })
    const plot = new uPlot(
      {
        width,
        height: 200,
        series: lines,
        cursor: { drag: { x: false, y: false } },
        legend: { live: true },
        axes: [
          { stroke: '#8b93a7', grid: { stroke: '#262b36' }, ticks: { stroke: '#262b36' } },
          {
            stroke: '#8b93a7',
            grid: { stroke: '#262b36' },
            ticks: { stroke: '#262b36' },
            size: axisWidth,
            values: (/** @type {any} */ _u, /** @type {number[]} */ ticks) =>
              ticks.map((v) => chart.value(v)),
          },
        ],
        scales: {
          y: {
            range: (
              /** @type {any} */ _u,
              /** @type {number} */ _min,
              /** @type {number} */ max,
            ) => [0, max > 0 ? max * 1.1 : 1],
          },
        },
      },
      columns,
      card,
    )
    plots.set(container, [...(plots.get(container) ?? []), plot])
  })
}

/** Destroys every chart (leaving the stats page). */
export function destroyCharts() {
  destroy()
}
