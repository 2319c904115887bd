// @ts-check
// One trace: the waterfall with its time axis and legend, and the span panel.
import {
  api,
  app,
  cost,
  dateTime,
  duration,
  h,
  number,
  preview,
  progressBadge,
  progressNotice,
  showError,
  statusBadge,
  throttle,
  ttftOf,
} from './dom.js'
import { renderSpan } from './span-panel.js'

/** @typedef {import('./dom.js').Trace} Trace */
/** @typedef {import('./dom.js').Span} Span */
/** @typedef {import('./dom.js').WaterfallRow} WaterfallRow */

/** The trace shown and its selected span. */
export const traceState = {
  /** @type {string | undefined} */
  openTraceId: undefined,
  /** @type {string | undefined} */
  selectedSpanId: undefined,
}

/** Redraws the open trace soon, and at most once a second while its spans keep arriving. */
export const scheduleTraceReload = throttle(() => {
  if (traceState.openTraceId) renderTrace(traceState.openTraceId).catch(showError)
})

// Waterfall rows asked for at first, and added by each "show more": a trace can hold tens of
// thousands of spans; the answer holds only the rows shown.
const PAGE_ROWS = 1000
let rowLimit = PAGE_ROWS

// Past this depth the waterfall stops indenting (a trace can be thousands of levels deep).
const MAX_INDENT = 40

/** @typedef {{ trace: Trace, spans: Span[], waterfall: WaterfallRow[], page?: { offset: number, limit: number, total: number } }} Detail */

/** @param {Detail} detail */
function pickSpan(detail) {
  const { spans } = detail
  const chosen =
    spans.find((s) => s.kind === 'llm' && s.status === 'error') ??
    spans.find((s) => s.status === 'error') ??
    spans.find((s) => s.kind === 'llm') ??
    spans.find((s) => !s.parentSpanId) ??
    spans[0]
  return chosen?.spanId
}

/** @param {string} traceId */
export async function renderTrace(traceId) {
  const changed = traceState.openTraceId !== traceId
  traceState.openTraceId = traceId
  if (changed) rowLimit = PAGE_ROWS
  /** @type {Detail} */
  const detail = await api(`/api/traces/${encodeURIComponent(traceId)}?limit=${rowLimit}`)
  if (traceState.openTraceId !== traceId) return
  // A link may hold a prefix of the id: live rows name the trace by its whole id.
  traceState.openTraceId = detail.trace.traceId
  if (changed || !detail.spans.some((s) => s.spanId === traceState.selectedSpanId))
    traceState.selectedSpanId = pickSpan(detail)
  const { trace, spans, waterfall } = detail
  const byId = new Map(spans.map((s) => [s.spanId, s]))
  const total = Math.max(trace.durationMs, 0.001)
  const panel = h('section', { id: 'span-panel', class: 'panel' })
  const rows = waterfall.map((node) => {
    const span = /** @type {Span} */ (byId.get(node.spanId))
    const left = (node.offset / total) * 100
    const width = Math.max((node.durationMs / total) * 100, 0.3)
    const ttft = span.kind === 'llm' ? ttftOf(span.attributes) : undefined
    const barClass = span.status === 'ok' ? span.kind : span.status
    const row = h(
      'div',
      {
        class: `wf-row${node.spanId === traceState.selectedSpanId ? ' selected' : ''}`,
        'data-span-id': node.spanId,
        onclick: () => {
          traceState.selectedSpanId = node.spanId
          for (const r of document.querySelectorAll('.wf-row'))
            r.classList.toggle('selected', r === row)
          renderSpan(panel, span, trace, detail)
        },
      },
      h(
        'div',
        {
          class: 'wf-name',
          style: { paddingLeft: `${Math.min(node.depth, MAX_INDENT) * 14}px` },
          title: node.depth > MAX_INDENT ? `depth ${node.depth}: ${span.name}` : span.name,
        },
        h('span', { class: `kind ${span.kind}` }, span.kind),
        span.name,
        typeof span.attributes['tokentrail.step'] === 'number'
          ? h('span', { class: 'step' }, `step ${span.attributes['tokentrail.step'] + 1}`)
          : null,
      ),
      h(
        'div',
        { class: 'wf-track' },
        h('div', {
          class: `wf-bar ${barClass}`,
          style: { left: `${left.toFixed(3)}%`, width: `${width.toFixed(3)}%` },
        }),
        typeof ttft === 'number'
          ? h('div', {
              class: 'wf-ttft',
              title: `first token after ${duration(ttft)}`,
              style: { left: `${(((node.offset + ttft) / total) * 100).toFixed(3)}%` },
            })
          : null,
      ),
      h('div', { class: 'wf-dur' }, duration(node.durationMs)),
    )
    return row
  })
  const shownOf = detail.page?.total ?? waterfall.length
  const more =
    shownOf > waterfall.length
      ? h(
          'div',
          { class: 'wf-more muted' },
          `${waterfall.length.toLocaleString('en')} of ${shownOf.toLocaleString('en')} spans shown `,
          h(
            'button',
            {
              id: 'more-spans',
              onclick: () => {
                rowLimit += PAGE_ROWS
                renderTrace(detail.trace.traceId).catch(showError)
              },
            },
            `show ${Math.min(PAGE_ROWS, shownOf - waterfall.length).toLocaleString('en')} more`,
          ),
        )
      : null
  const hasTtft = spans.some((s) => s.kind === 'llm' && ttftOf(s.attributes) !== undefined)
  const waterfallEl = h(
    'div',
    { class: 'waterfall', id: 'waterfall' },
    timeAxis(total),
    rows,
    more,
    h(
      'div',
      { class: 'wf-legend', id: 'wf-legend' },
      ['llm', 'tool', 'http', 'internal'].map((kind) =>
        h('span', null, h('i', { class: `swatch wf-bar-${kind}` }), kind),
      ),
      h('span', null, h('i', { class: 'swatch error' }), 'error'),
      hasTtft ? h('span', null, h('i', { class: 'swatch ttft' }), 'first token (TTFT)') : null,
    ),
  )
  const notice = progressNotice(trace)
  app.replaceChildren(
    h(
      'div',
      { class: 'trace-head' },
      h('a', { href: '#/' }, '← traces'),
      h('h1', { id: 'trace-title' }, trace.rootName),
      statusBadge(trace.status),
      progressBadge(trace),
      h(
        'div',
        { class: 'facts' },
        h('span', null, 'duration ', h('b', null, duration(trace.durationMs))),
        h('span', null, 'started ', h('b', null, dateTime(trace.startTime))),
        trace.userId
          ? h(
              'span',
              null,
              'user ',
              h(
                'a',
                { href: `#/?user=${encodeURIComponent(trace.userId)}`, id: 'trace-user' },
                trace.userId,
              ),
            )
          : null,
        trace.sessionId
          ? h(
              'span',
              null,
              'session ',
              h(
                'a',
                { href: `#/session/${encodeURIComponent(trace.sessionId)}`, id: 'trace-session' },
                preview(trace.sessionId, 40),
              ),
            )
          : null,
        (trace.tags ?? []).map((tag) => h('span', { class: 'tag' }, tag)),
        h('span', null, 'service ', h('b', null, trace.service)),
        trace.model ? h('span', null, 'model ', h('b', null, trace.model)) : null,
        h(
          'span',
          null,
          'tokens ',
          h('b', null, `${number(trace.inputTokens)} in · ${number(trace.outputTokens)} out`),
        ),
        h('span', null, 'cost ', h('b', null, cost(trace.costUsd))),
        h('span', { class: 'mono' }, trace.traceId),
        h(
          'button',
          {
            id: 'bug-report',
            title:
              'the Markdown report `tokentrail trace --export` writes, for a person or an AI assistant',
            onclick: () => downloadReport(trace.traceId).catch(showError),
          },
          'Bug report',
        ),
        h(
          'button',
          { id: 'export', onclick: () => exportTrace(detail).catch(showError) },
          'Export JSON',
        ),
      ),
    ),
    ...(notice ? [notice] : []),
    ...skewNotices(spans, byId),
    h('div', { class: 'layout' }, waterfallEl, panel),
  )
  const selected = byId.get(traceState.selectedSpanId ?? '')
  if (selected) renderSpan(panel, selected, trace, detail)
}

/**
 * Says where a span starts before its parent on another service (as `tokentrail trace` and the
 * bug report do): nothing starts before what started it, so those two machines' clocks differ.
 * The largest of each caller → callee pair. @param {Span[]} spans @param {Map<string, Span>} byId
 */
function skewNotices(spans, byId) {
  /** @type {Map<string, { span: Span, parent: Span, early: number }>} */
  const worst = new Map()
  for (const span of spans) {
    const parent = span.parentSpanId ? byId.get(span.parentSpanId) : undefined
    if (!parent || parent.resource.serviceName === span.resource.serviceName) continue
    const early = parent.startTime - span.startTime
    if (!(early >= SKEW_MS)) continue
    const pair = JSON.stringify([parent.resource.serviceName, span.resource.serviceName])
    const seen = worst.get(pair)
    if (!seen || early > seen.early) worst.set(pair, { span, parent, early })
  }
  return [...worst.values()].map(({ span, parent, early }) =>
    h(
      'div',
      { class: 'notice clock-skew' },
      `Clock skew: ${span.name} (${span.resource.serviceName}) starts ${duration(early)} before its parent ${parent.name} (${parent.resource.serviceName}); the two clocks differ by at least that, so the duration and offsets across them are off by as much.`,
    ),
  )
}

/** A child this much earlier than its parent, on another service, counts as clock skew (ms). */
const SKEW_MS = 10

/** A round step (1, 2, 2.5 or 5 × 10ⁿ) giving four to seven ticks over `total` ms. @param {number} total */
function tickStep(total) {
  const raw = total / 6
  const power = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((m) => m >= raw) ?? raw
  return step
}

/** The waterfall's time axis: ticks at round offsets from the trace start. @param {number} total */
function timeAxis(total) {
  const step = tickStep(total)
  const ticks = []
  for (let t = 0; t <= total + step * 1e-9; t += step) ticks.push(t)
  return h(
    'div',
    // Not a `.wf-row`: those are spans, one each.
    { class: 'wf-axis', id: 'wf-axis' },
    h('div', { class: 'wf-name muted' }, 'time from start'),
    h(
      'div',
      { class: 'wf-track axis' },
      ticks.map((t) =>
        h(
          'span',
          { class: 'tick', style: { left: `${((t / total) * 100).toFixed(3)}%` } },
          t === 0 ? '0' : duration(t),
        ),
      ),
    ),
    h('div', { class: 'wf-dur muted' }, duration(total)),
  )
}

/** Downloads the trace's Markdown bug report (summary, debug hints, timeline, errors). @param {string} traceId */
async function downloadReport(traceId) {
  const { markdown } = await api(`/api/traces/${traceId}/report?format=md`)
  download(new Blob([markdown], { type: 'text/markdown' }), `trace-${traceId}.md`)
}

/** @param {Blob} blob @param {string} name */
function download(blob, name) {
  const url = URL.createObjectURL(blob)
  h('a', { href: url, download: name }).click()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}

/** Downloads every span of the trace, fetching the rows not shown. @param {Detail} detail */
async function exportTrace(detail) {
  const full =
    (detail.page?.total ?? 0) > detail.spans.length ||
    detail.spans.some((s) => /** @type {any} */ (s).truncated === true)
      ? /** @type {Detail} */ (
          await api(`/api/traces/${encodeURIComponent(detail.trace.traceId)}?limit=all&full=1`)
        )
      : detail
  const file = {
    format: 'tokentrail.trace.v1',
    exportedAt: new Date().toISOString(),
    trace: full.trace,
    spans: full.spans,
  }
  const url = URL.createObjectURL(
    new Blob([JSON.stringify(file, null, 2)], { type: 'application/json' }),
  )
  const link = h('a', { href: url, download: `trace-${detail.trace.traceId}.json` })
  link.click()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}

/** Clicks the waterfall row of a span, as a person would. @param {string} spanId */
export function selectSpan(spanId) {
  const row = document.querySelector(`.wf-row[data-span-id="${CSS.escape(spanId)}"]`)
  if (row instanceof HTMLElement) {
    row.click()
    row.scrollIntoView({ block: 'nearest' })
  }
}
