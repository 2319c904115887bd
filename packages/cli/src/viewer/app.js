// @ts-check
// The trace viewer. Every captured string reaches the page through text nodes (`h` below), never
// through HTML parsing: prompts and outputs are untrusted input.

/** @typedef {{ traceId: string, startTime: number, endTime: number, durationMs: number, rootName: string, status: string, service: string, model?: string, spanCount: number, errorCount: number, inputTokens: number, outputTokens: number, totalTokens: number, costUsd: number, ttftMs?: number, errorMessage?: string }} Trace */
/** @typedef {{ traceId: string, spanId: string, parentSpanId?: string, name: string, kind: string, status: string, startTime: number, endTime: number, attributes: Record<string, any>, events: { name: string, time: number, attributes?: Record<string, any> }[], error?: { type: string, message: string, stack?: string }, resource: { serviceName: string, attributes: Record<string, any> } }} Span */
/** @typedef {{ spanId: string, parentSpanId?: string, depth: number, offset: number, durationMs: number }} WaterfallRow */

const TOKEN_KEY = 'tokentrail.token'
const initial = new URLSearchParams(location.search)
if (initial.has('token')) {
  sessionStorage.setItem(TOKEN_KEY, initial.get('token') ?? '')
  // Keeps the token out of the address bar and of anything copied from it.
  history.replaceState(null, '', location.pathname + location.hash)
}
const token = sessionStorage.getItem(TOKEN_KEY)

const app = /** @type {HTMLElement} */ (document.getElementById('app'))
const liveBadge = /** @type {HTMLElement} */ (document.getElementById('live'))
const summaryEl = /** @type {HTMLElement} */ (document.getElementById('summary'))

/**
 * Builds an element. Strings become text nodes, so captured text is never parsed as HTML.
 * @param {string} tag
 * @param {Record<string, any> | null} [props]
 * @param {...any} children
 * @returns {HTMLElement}
 */
function h(tag, props, ...children) {
  const el = document.createElement(tag)
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue
    if (key === 'class') el.className = String(value)
    // CSSOM, not a style attribute: the page's CSP allows no inline styles.
    else if (key === 'style') Object.assign(el.style, value)
    else if (key.startsWith('on')) el.addEventListener(key.slice(2), value)
    else el.setAttribute(key, String(value))
  }
  const add = (/** @type {any} */ child) => {
    if (child === undefined || child === null || child === false) return
    if (Array.isArray(child)) child.forEach(add)
    else if (child instanceof Node) el.append(child)
    else el.append(document.createTextNode(String(child)))
  }
  children.forEach(add)
  return el
}

/** @param {string} path */
async function api(path) {
  const headers = token ? { authorization: `Bearer ${token}` } : undefined
  const response = await fetch(path, { headers })
  const body = await response.json().catch(() => ({}))
  if (!response.ok) throw new Error(body.error ?? `${path} answered ${response.status}`)
  return body
}

// Captured attributes can hold any type (a cost sent as a string, an array of token counts): the
// formatters below take any value and show what is not a number as text.

/** @param {unknown} ms */
function duration(ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return String(ms)
  if (ms < 1) return `${ms.toFixed(2)} ms`
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`
  return `${Math.floor(ms / 60_000)} m ${Math.round((ms % 60_000) / 1000)} s`
}

/** @param {unknown} usd */
function cost(usd) {
  if (typeof usd !== 'number' || !Number.isFinite(usd)) return usd === undefined ? '–' : String(usd)
  if (!usd) return '–'
  return usd < 0.01 ? `$${usd.toFixed(5)}` : `$${usd.toFixed(3)}`
}

/** @param {unknown} value */
function count(value) {
  if (typeof value !== 'number') return value ? String(value) : '–'
  return value ? value.toLocaleString() : '–'
}

/** @param {number} time */
function clock(time) {
  const d = new Date(time)
  const today = new Date().toDateString() === d.toDateString()
  const t = d.toLocaleTimeString([], { hour12: false })
  return today ? t : `${d.toLocaleDateString()} ${t}`
}

/** @param {string} status */
function statusBadge(status) {
  return h('span', { class: `status ${status}` }, status)
}

// ---- trace list ----

const state = {
  /** @type {Record<string, string>} */
  filters: { status: '', model: '', service: '', text: '', since: '' },
  /** Newest first, at most MAX_ROWS: the list is a window on the store, not a copy of it. @type {Trace[]} */
  traces: [],
  /** @type {string | undefined} */
  nextCursor: undefined,
  /** @type {string | undefined} */
  openTraceId: undefined,
  /** @type {string | undefined} */
  selectedSpanId: undefined,
}

// The live list keeps this many rows; older traces are a click on "Load older" away.
const MAX_ROWS = 200

const SINCE = {
  '': 'any time',
  '15m': 'last 15 min',
  '1h': 'last hour',
  '24h': 'last 24 h',
  '7d': 'last 7 days',
}

function listQuery(cursor = '') {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(state.filters)) {
    if (!value) continue
    if (key === 'since') params.set('from', value)
    else params.set(key, value)
  }
  if (cursor) params.set('cursor', cursor)
  params.set('limit', '50')
  return `/api/traces?${params}`
}

/** @param {Trace} trace */
function matchesFilters(trace) {
  const f = state.filters
  if (f.status && trace.status !== f.status) return false
  if (f.model && trace.model !== f.model) return false
  if (f.service && trace.service !== f.service) return false
  if (f.text) return false // text matching needs the server's index: refetch instead
  return true
}

/** @param {Trace} trace @param {boolean} fresh */
function traceRow(trace, fresh) {
  return h(
    'tr',
    {
      class: `trace-row${fresh ? ' fresh' : ''}`,
      'data-trace-id': trace.traceId,
      onclick: () => {
        location.hash = `#/trace/${trace.traceId}`
      },
    },
    h('td', { class: 'mono' }, clock(trace.startTime)),
    h('td', { class: 'name' }, h('a', { href: `#/trace/${trace.traceId}` }, trace.rootName)),
    h('td', { class: 'num' }, duration(trace.durationMs)),
    h('td', null, statusBadge(trace.status)),
    h('td', null, trace.model ?? '–'),
    h('td', { class: 'num' }, count(trace.totalTokens)),
    h('td', { class: 'num' }, cost(trace.costUsd)),
    h('td', { class: 'num' }, String(trace.spanCount)),
    h('td', { class: 'muted' }, trace.service),
  )
}

/** @type {HTMLElement | undefined} */
let listBody
/** The row element of each listed trace, so a live update touches only its own row. @type {Map<string, HTMLElement>} */
const rowOf = new Map()

function renderListRows() {
  if (!listBody) return
  rowOf.clear()
  listBody.replaceChildren(
    ...state.traces.map((t) => {
      const row = traceRow(t, false)
      rowOf.set(t.traceId, row)
      return row
    }),
  )
  updateListChrome()
}

function updateListChrome() {
  const empty = document.getElementById('list-empty')
  if (empty) empty.hidden = state.traces.length > 0
  const more = document.getElementById('more')
  if (more) more.hidden = !state.nextCursor
}

async function loadList() {
  const page = await api(listQuery())
  state.traces = page.traces
  state.nextCursor = page.nextCursor
  renderListRows()
}

function renderList() {
  state.openTraceId = undefined
  const f = state.filters
  /** @param {string} key */
  const onInput = (key) => (/** @type {Event} */ event) => {
    f[key] = /** @type {HTMLInputElement} */ (event.target).value.trim()
    loadList().catch(showError)
  }
  const select = (/** @type {string} */ key, /** @type {Record<string, string>} */ options) =>
    h(
      'select',
      { name: key, onchange: onInput(key) },
      Object.entries(options).map(([value, label]) =>
        h('option', { value, selected: f[key] === value }, label),
      ),
    )
  listBody = h('tbody', { id: 'trace-rows' })
  app.replaceChildren(
    h(
      'form',
      { class: 'filters', onsubmit: (/** @type {Event} */ e) => e.preventDefault() },
      select('status', { '': 'any status', ok: 'ok', error: 'error', cancelled: 'cancelled' }),
      h('input', {
        name: 'model',
        placeholder: 'model',
        value: f.model,
        onchange: onInput('model'),
        list: 'models',
      }),
      h('input', {
        name: 'service',
        placeholder: 'service',
        value: f.service,
        onchange: onInput('service'),
      }),
      h('input', {
        name: 'text',
        placeholder: 'search text',
        value: f.text,
        onchange: onInput('text'),
        type: 'search',
      }),
      select('since', SINCE),
      h('datalist', { id: 'models' }),
    ),
    h(
      'table',
      { id: 'trace-list' },
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          [
            'Time',
            'Trace',
            'Duration',
            'Status',
            'Model',
            'Tokens',
            'Cost',
            'Spans',
            'Service',
          ].map((c, i) => h('th', { class: [2, 5, 6, 7].includes(i) ? 'num' : undefined }, c)),
        ),
      ),
      listBody,
    ),
    h(
      'div',
      { id: 'list-empty', class: 'empty', hidden: true },
      'No traces yet. Point an exporter at ',
      h('code', null, `${location.origin}/v1/traces`),
      '.',
    ),
    h(
      'button',
      {
        id: 'more',
        class: 'more',
        hidden: true,
        onclick: async () => {
          if (!state.nextCursor || !listBody) return
          const page = await api(listQuery(state.nextCursor))
          state.nextCursor = page.nextCursor
          for (const trace of page.traces) {
            if (rowOf.has(trace.traceId)) continue
            state.traces.push(trace)
            const row = traceRow(trace, false)
            rowOf.set(trace.traceId, row)
            listBody.append(row)
          }
          updateListChrome()
        },
      },
      'Load older traces',
    ),
  )
  loadList().catch(showError)
}

/** Live updates wait here and are applied once per frame, however fast they arrive. @type {Map<string, Trace>} */
const pendingTraces = new Map()
let frameRequested = false
/** When recent live traces arrived (ms), to tell a trickle from a stream. @type {number[]} */
let arrivals = []

/** @param {Trace[]} updates */
function liveTraces(updates) {
  if (statsOpen) return // the stats page refreshes on its own interval, never per event
  if (state.openTraceId) {
    if (updates.some((t) => t.traceId === state.openTraceId)) scheduleTraceReload()
    return
  }
  if (!listBody) return
  if (state.filters.text) {
    scheduleListReload()
    return
  }
  for (const trace of updates) pendingTraces.set(trace.traceId, trace)
  if (frameRequested) return
  frameRequested = true
  requestAnimationFrame(applyLiveTraces)
}

// Newest first; a trace is placed by its start time among the rows shown.
/** @param {Trace} a @param {Trace} b */
const newerFirst = (a, b) => b.startTime - a.startTime || (a.traceId < b.traceId ? 1 : -1)

/** Finds where `trace` goes in the newest-first list (binary search). @param {Trace} trace */
function insertionIndex(trace) {
  let low = 0
  let high = state.traces.length
  while (low < high) {
    const mid = (low + high) >> 1
    if (newerFirst(/** @type {Trace} */ (state.traces[mid]), trace) < 0) low = mid + 1
    else high = mid
  }
  return low
}

// Touches only the rows that changed: O(updates × log rows) work and DOM changes, whatever the
// number of traces stored or received.
function applyLiveTraces() {
  frameRequested = false
  const updates = [...pendingTraces.values()]
  pendingTraces.clear()
  if (!listBody) return
  const body = listBody
  // New rows flash briefly, unless traces stream in faster than anyone reads them: then the
  // animation would only keep the page repainting.
  const now = performance.now()
  arrivals = arrivals.filter((time) => now - time < 1000)
  // Only whether more than 10 arrived matters: the list stays short.
  for (let i = 0; i < Math.min(updates.length, 11); i++) arrivals.push(now)
  const flash = arrivals.length <= 10
  for (const trace of updates) {
    const old = rowOf.get(trace.traceId)
    if (old) {
      const index = state.traces.findIndex((t) => t.traceId === trace.traceId)
      if (index >= 0) state.traces.splice(index, 1)
      old.remove()
      rowOf.delete(trace.traceId)
    }
    if (!matchesFilters(trace)) continue
    const index = insertionIndex(trace)
    // Older than every row of a full window: it belongs to "Load older".
    if (index >= MAX_ROWS) continue
    state.traces.splice(index, 0, trace)
    const row = traceRow(trace, flash)
    rowOf.set(trace.traceId, row)
    body.insertBefore(row, body.children[index] ?? null)
  }
  if (state.traces.length > MAX_ROWS) {
    for (const dropped of state.traces.splice(MAX_ROWS)) {
      rowOf.get(dropped.traceId)?.remove()
      rowOf.delete(dropped.traceId)
    }
    // The window moved: older traces are paged from the oldest row shown.
    const last = /** @type {Trace} */ (state.traces[MAX_ROWS - 1])
    state.nextCursor = `${last.startTime}_${last.traceId}`
  }
  updateListChrome()
}

/** @type {ReturnType<typeof setTimeout> | undefined} */
let listTimer
function scheduleListReload() {
  clearTimeout(listTimer)
  listTimer = setTimeout(() => loadList().catch(showError), 300)
}

// ---- one trace ----

/** @type {ReturnType<typeof setTimeout> | undefined} */
let traceTimer
function scheduleTraceReload() {
  clearTimeout(traceTimer)
  traceTimer = setTimeout(() => {
    if (state.openTraceId) renderTrace(state.openTraceId).catch(showError)
  }, 300)
}

// Past this depth the waterfall stops indenting (a trace can be thousands of levels deep).
const MAX_INDENT = 40

/** @param {{ trace: Trace, spans: Span[], waterfall: WaterfallRow[] }} detail */
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
async function renderTrace(traceId) {
  const changed = state.openTraceId !== traceId
  state.openTraceId = traceId
  listBody = undefined
  /** @type {{ trace: Trace, spans: Span[], waterfall: WaterfallRow[] }} */
  const detail = await api(`/api/traces/${encodeURIComponent(traceId)}`)
  if (state.openTraceId !== traceId) return
  if (changed || !detail.spans.some((s) => s.spanId === state.selectedSpanId))
    state.selectedSpanId = pickSpan(detail)
  const { trace, spans, waterfall } = detail
  const byId = new Map(spans.map((s) => [s.spanId, s]))
  const total = Math.max(trace.durationMs, 0.001)
  const panel = h('section', { id: 'span-panel', class: 'panel' })
  const rows = waterfall.map((node) => {
    const span = /** @type {Span} */ (byId.get(node.spanId))
    const left = (node.offset / total) * 100
    const width = Math.max((node.durationMs / total) * 100, 0.3)
    const ttft = span.attributes['tokentrail.ttft_ms']
    const barClass = span.status === 'ok' ? span.kind : span.status
    const row = h(
      'div',
      {
        class: `wf-row${node.spanId === state.selectedSpanId ? ' selected' : ''}`,
        'data-span-id': node.spanId,
        onclick: () => {
          state.selectedSpanId = node.spanId
          for (const r of document.querySelectorAll('.wf-row'))
            r.classList.toggle('selected', r === row)
          renderSpan(panel, span, trace)
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
  app.replaceChildren(
    h(
      'div',
      { class: 'trace-head' },
      h('a', { href: '#/' }, '← traces'),
      h('h1', { id: 'trace-title' }, trace.rootName),
      statusBadge(trace.status),
      h(
        'div',
        { class: 'facts' },
        h('span', null, 'duration ', h('b', null, duration(trace.durationMs))),
        h('span', null, 'started ', h('b', null, new Date(trace.startTime).toLocaleString())),
        h('span', null, 'service ', h('b', null, trace.service)),
        trace.model ? h('span', null, 'model ', h('b', null, trace.model)) : null,
        h(
          'span',
          null,
          'tokens ',
          h('b', null, `${String(trace.inputTokens)} in · ${String(trace.outputTokens)} out`),
        ),
        h('span', null, 'cost ', h('b', null, cost(trace.costUsd))),
        h('span', { class: 'mono' }, trace.traceId),
        h('button', { id: 'export', onclick: () => exportTrace(detail) }, 'Export JSON'),
      ),
    ),
    h('div', { class: 'layout' }, h('div', { class: 'waterfall', id: 'waterfall' }, rows), panel),
  )
  const selected = byId.get(state.selectedSpanId ?? '')
  if (selected) renderSpan(panel, selected, trace)
}

/** Shows a span; if its data defeats the layout, its raw JSON instead of a broken page. @param {HTMLElement} panel @param {Span} span @param {Trace} trace */
function renderSpan(panel, span, trace) {
  try {
    renderSpanDetail(panel, span, trace)
  } catch (error) {
    panel.replaceChildren(
      h('h2', { id: 'span-title' }, String(span?.name)),
      h('p', { class: 'muted' }, `shown raw: ${String(/** @type {Error} */ (error)?.message)}`),
      h('pre', null, JSON.stringify(span, null, 2)),
    )
  }
}

/** @param {{ trace: Trace, spans: Span[] }} detail */
function exportTrace(detail) {
  const file = {
    format: 'tokentrail.trace.v1',
    exportedAt: new Date().toISOString(),
    trace: detail.trace,
    spans: detail.spans,
  }
  const url = URL.createObjectURL(
    new Blob([JSON.stringify(file, null, 2)], { type: 'application/json' }),
  )
  const link = h('a', { href: url, download: `trace-${detail.trace.traceId}.json` })
  link.click()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}

/** @param {unknown} value */
function pretty(value) {
  if (typeof value !== 'string') return JSON.stringify(value, null, 2)
  try {
    const parsed = JSON.parse(value)
    return typeof parsed === 'object' && parsed !== null ? JSON.stringify(parsed, null, 2) : value
  } catch {
    return value
  }
}

/** @param {Array<[string, any]>} entries */
function facts(entries) {
  const shown = entries.filter(([, v]) => v !== undefined && v !== null && v !== '')
  if (shown.length === 0) return null
  return h(
    'dl',
    { class: 'grid' },
    shown.map(([k, v]) => [h('dt', null, k), h('dd', null, String(v))]),
  )
}

/** Renders GenAI messages (`{ role, parts }[]` JSON) or falls back to the raw text. @param {unknown} value */
function messages(value) {
  if (typeof value !== 'string') return null
  let parsed
  try {
    parsed = JSON.parse(value)
  } catch {
    return h('pre', { class: 'msg' }, value)
  }
  if (!Array.isArray(parsed)) return h('pre', { class: 'msg' }, pretty(value))
  return parsed.map((message) => {
    const parts = Array.isArray(message?.parts) ? message.parts : [message?.content ?? message]
    return h(
      'div',
      { class: 'msg' },
      h('div', { class: 'role' }, String(message?.role ?? 'message')),
      parts.map((/** @type {any} */ part) => {
        if (typeof part === 'string') return h('pre', null, part)
        if (part?.type === 'text') return h('pre', null, String(part.content ?? ''))
        if (part?.type === 'tool_call')
          return h('pre', null, `→ ${part.name}(${pretty(part.arguments ?? '')})`)
        if (part?.type === 'tool_call_response')
          return h('pre', null, `← ${pretty(part.response ?? part.result ?? '')}`)
        return h('pre', null, pretty(part))
      }),
    )
  })
}

/** @param {HTMLElement} panel @param {Span} span @param {Trace} trace */
function renderSpanDetail(panel, span, trace) {
  const a = span.attributes ?? {}
  const ms = span.endTime - span.startTime
  /** @type {any[]} */
  const body = [
    h('h2', { id: 'span-title' }, h('span', { class: `kind ${span.kind}` }, span.kind), span.name),
    facts([
      ['status', span.status],
      ['duration', duration(ms)],
      ['starts at', `+${duration(span.startTime - trace.startTime)}`],
      ['span id', span.spanId],
      ['service', span.resource?.serviceName],
    ]),
  ]
  if (span.error)
    body.push(
      h(
        'div',
        { class: 'error-box', id: 'span-error' },
        h('div', { class: 'title' }, `${span.error.type}: ${span.error.message}`),
        span.error.stack ? h('pre', { class: 'stack' }, span.error.stack) : null,
      ),
    )
  if (span.kind === 'llm') {
    const input = a['gen_ai.usage.input_tokens']
    const output = a['gen_ai.usage.output_tokens']
    const ttft = a['tokentrail.ttft_ms']
    let perSecond = a['tokentrail.output_tokens_per_second']
    const ttftMs = typeof ttft === 'number' ? ttft : 0
    if (perSecond === undefined && typeof output === 'number' && ms > ttftMs)
      perSecond = output / ((ms - ttftMs) / 1000)
    body.push(
      h('h3', null, 'LLM call'),
      facts([
        ['model', a['gen_ai.request.model']],
        [
          'response model',
          a['gen_ai.response.model'] !== a['gen_ai.request.model']
            ? a['gen_ai.response.model']
            : undefined,
        ],
        ['provider', a['gen_ai.provider.name']],
        [
          'finish reason',
          [].concat(a['gen_ai.response.finish_reasons'] ?? []).join(', ') ||
            a['tokentrail.finish_reason.raw'],
        ],
        ['time to first token', typeof ttft === 'number' ? duration(ttft) : undefined],
        ['tokens / s', typeof perSecond === 'number' ? perSecond.toFixed(1) : perSecond],
        [
          'cost',
          a['tokentrail.cost.usd'] !== undefined ? cost(a['tokentrail.cost.usd']) : undefined,
        ],
        ['temperature', a['gen_ai.request.temperature']],
        ['max tokens', a['gen_ai.request.max_tokens']],
      ]),
      h('h3', null, 'Tokens'),
      facts([
        ['input', input],
        ['cache read', a['gen_ai.usage.cache_read.input_tokens']],
        ['cache write', a['gen_ai.usage.cache_creation.input_tokens']],
        ['output', output],
        ['reasoning', a['gen_ai.usage.reasoning.output_tokens']],
        ['total', a['tokentrail.usage.total_tokens']],
      ]) ?? h('p', { class: 'muted' }, 'no usage reported'),
    )
    if (a['gen_ai.system_instructions'] !== undefined)
      body.push(h('h3', null, 'System'), messages(a['gen_ai.system_instructions']))
    if (a['gen_ai.input.messages'] !== undefined)
      body.push(
        h('h3', null, 'Prompt'),
        h('div', { id: 'prompt' }, messages(a['gen_ai.input.messages'])),
      )
    if (a['tokentrail.reasoning.text'] !== undefined)
      body.push(h('h3', null, 'Reasoning'), h('pre', null, String(a['tokentrail.reasoning.text'])))
    if (a['tokentrail.output.text'] !== undefined)
      body.push(
        h('h3', null, 'Output'),
        h('pre', { id: 'output' }, String(a['tokentrail.output.text'])),
      )
    else if (a['gen_ai.output.messages'] !== undefined)
      body.push(
        h('h3', null, 'Output'),
        h('div', { id: 'output' }, messages(a['gen_ai.output.messages'])),
      )
    if (a['tokentrail.tool_calls'] !== undefined)
      body.push(h('h3', null, 'Tool calls'), h('pre', null, pretty(a['tokentrail.tool_calls'])))
  }
  if (span.kind === 'tool' || a['gen_ai.tool.name'] !== undefined) {
    body.push(
      h('h3', null, 'Tool'),
      facts([
        ['tool', a['gen_ai.tool.name']],
        ['call id', a['gen_ai.tool.call.id']],
      ]),
    )
    if (a['gen_ai.tool.call.arguments'] !== undefined)
      body.push(
        h('h3', null, 'Arguments'),
        h('pre', { id: 'tool-arguments' }, pretty(a['gen_ai.tool.call.arguments'])),
      )
    if (a['gen_ai.tool.call.result'] !== undefined)
      body.push(
        h('h3', null, 'Result'),
        h('pre', { id: 'tool-result' }, pretty(a['gen_ai.tool.call.result'])),
      )
  }
  const keys = Object.keys(a).sort()
  body.push(
    h('h3', null, `Attributes (${keys.length})`),
    h(
      'table',
      { class: 'attrs' },
      h(
        'tbody',
        null,
        keys.map((k) =>
          h(
            'tr',
            null,
            h('td', { class: 'mono' }, k),
            h(
              'td',
              null,
              typeof a[k] === 'string' && a[k].length > 120
                ? h('pre', null, a[k])
                : Array.isArray(a[k])
                  ? JSON.stringify(a[k])
                  : String(a[k]),
            ),
          ),
        ),
      ),
    ),
  )
  const events = Array.isArray(span.events) ? span.events : []
  if (events.length)
    body.push(
      h('h3', null, `Events (${events.length})`),
      events.map((e) =>
        h(
          'div',
          { class: 'msg' },
          h('div', { class: 'role' }, `+${duration(e.time - span.startTime)} ${e.name}`),
          e.attributes ? h('pre', null, JSON.stringify(e.attributes, null, 2)) : null,
        ),
      ),
    )
  const resourceKeys = Object.keys(span.resource?.attributes ?? {})
  if (resourceKeys.length)
    body.push(
      h('h3', null, 'Resource'),
      h('pre', null, JSON.stringify(span.resource.attributes, null, 2)),
    )
  panel.replaceChildren(...body.flat().filter(Boolean))
}

// ---- stats view: from stored traces and from the metrics received at /v1/metrics ----

let statsOpen = false
// Stats are refreshed on a slow clock while shown, never per live event: with many tabs open and
// traces streaming in, per-event queries were what slowed ingest down.
const STATS_REFRESH_MS = 15_000
setInterval(() => {
  if (document.hidden) return
  if (statsOpen) renderStats().catch(showError)
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

async function renderStats() {
  statsOpen = true
  state.openTraceId = undefined
  listBody = undefined
  const since = state.filters.since || '24h'
  const stats = await api(`/api/stats?from=${encodeURIComponent(since)}`)
  if (!statsOpen) return
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
  app.replaceChildren(
    h(
      'div',
      { class: 'trace-head' },
      h('a', { href: '#/' }, '← traces'),
      h('h1', null, 'Stats'),
      h(
        'span',
        { class: 'muted' },
        `traces since ${SINCE[/** @type {keyof typeof SINCE} */ (since)] ?? since}`,
      ),
      h(
        'button',
        { id: 'stats-refresh', onclick: () => renderStats().catch(showError) },
        'Refresh',
      ),
    ),
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
  )
}

// ---- header stats, live stream, routing ----

async function loadStats() {
  const stats = await api('/api/stats?from=24h')
  const t = stats.traces
  summaryEl.textContent = `${t.count} traces in 24 h · ${(t.errorRate * 100).toFixed(1)}% errors · p95 ${t.durationMs.p95 === null ? '–' : duration(t.durationMs.p95)}`
  const list = document.getElementById('models')
  if (list)
    list.replaceChildren(
      ...stats.models.map((/** @type {{ model: string }} */ m) => h('option', { value: m.model })),
    )
}

function connectLive() {
  const url = token ? `/api/live?token=${encodeURIComponent(token)}` : '/api/live'
  const source = new EventSource(url)
  source.onopen = () => {
    liveBadge.textContent = 'live'
    liveBadge.className = 'live on'
  }
  source.onerror = () => {
    liveBadge.textContent = 'reconnecting…'
    liveBadge.className = 'live off'
  }
  source.addEventListener('traces', (event) => {
    liveTraces(JSON.parse(/** @type {MessageEvent} */ (event).data))
  })
}

/** @param {unknown} error */
function showError(error) {
  app.replaceChildren(
    h(
      'div',
      { class: 'error-box', id: 'app-error' },
      h('div', { class: 'title' }, String(/** @type {Error} */ (error)?.message ?? error)),
    ),
  )
}

function route() {
  const match = /^#\/trace\/([0-9a-f]{6,32})$/.exec(location.hash)
  statsOpen = false
  if (match) renderTrace(/** @type {string} */ (match[1])).catch(showError)
  else if (location.hash === '#/stats') renderStats().catch(showError)
  else renderList()
}

window.addEventListener('hashchange', route)
route()
connectLive()
loadStats().catch(() => {})
