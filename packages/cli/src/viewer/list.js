// @ts-check
// The trace list: filters, newest first, live rows, paging.
import {
  api,
  app,
  cost,
  dateTime,
  duration,
  h,
  hashParams,
  keyboard,
  number,
  preview,
  progressBadge,
  showError,
  statusBadge,
  throttle,
} from './dom.js'
import { parseCost, parseMinDuration } from './units.js'

/** @typedef {import('./dom.js').Trace} Trace */
/** @typedef {import('./dom.js').Span} Span */
/** @typedef {import('./dom.js').WaterfallRow} WaterfallRow */

export const state = {
  /** @type {Record<string, string>} */
  filters: {
    status: '',
    model: '',
    service: '',
    text: '',
    since: '',
    from: '',
    to: '',
    user: '',
    session: '',
    tag: '',
    attr: '',
    minDuration: '',
    minCost: '',
  },
  /** Newest first, at most `keep` rows: the list is a window on the store, not a copy of it. @type {Trace[]} */
  traces: [],
  /** @type {string | undefined} */
  nextCursor: undefined,
}

// The live list keeps this many rows; older traces are a click on "Load older" away.
const MAX_ROWS = 200
// Rows the live list keeps now: more once "Load older" brought older pages in, so a live update
// does not take away the rows just asked for. Back to MAX_ROWS when the list loads anew.
let keep = MAX_ROWS

export const SINCE = {
  '': 'any time',
  '15m': 'last 15 min',
  '1h': 'last hour',
  '24h': 'last 24 h',
  '7d': 'last 7 days',
  range: 'from – to…',
}

/** Epoch milliseconds of a `datetime-local` value (local time), or undefined. @param {string} value */
function epoch(value) {
  const ms = value ? new Date(value).getTime() : Number.NaN
  return Number.isFinite(ms) ? ms : undefined
}

/**
 * The time range the filters choose, as `/api/*` takes it (`from`, `to`: an age or epoch ms), and
 * in words. The stats page shows the same range.
 * @param {Record<string, string>} f
 * @returns {{ from?: string, to?: string, label: string }}
 */
export function timeRange(f) {
  if (f.since !== 'range')
    return f.since
      ? { from: f.since, label: SINCE[/** @type {keyof typeof SINCE} */ (f.since)] ?? f.since }
      : { label: 'any time' }
  const from = epoch(f.from ?? '')
  const to = epoch(f.to ?? '')
  const words = (/** @type {number} */ ms) => new Date(ms).toLocaleString('sv').slice(0, 16)
  return {
    from: from === undefined ? undefined : String(from),
    to: to === undefined ? undefined : String(to),
    label:
      from !== undefined && to !== undefined
        ? `${words(from)} – ${words(to)}`
        : from !== undefined
          ? `since ${words(from)}`
          : to !== undefined
            ? `until ${words(to)}`
            : 'any time',
  }
}

function listQuery(cursor = '') {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(state.filters)) {
    if (!value || key === 'since' || key === 'from' || key === 'to') continue
    params.set(key, value)
  }
  const range = timeRange(state.filters)
  if (range.from) params.set('from', range.from)
  if (range.to) params.set('to', range.to)
  if (cursor) params.set('cursor', cursor)
  params.set('limit', '50')
  return `/api/traces?${params}`
}

/** @param {Trace} trace */
function matchesFilters(trace) {
  const f = state.filters
  // Names (and the status: `#/?status=ERROR`) match in any case, as the server's filters do.
  if (f.status && trace.status !== f.status.toLowerCase()) return false
  if (f.model && trace.model?.toLowerCase() !== f.model.toLowerCase()) return false
  if (f.service && trace.service.toLowerCase() !== f.service.toLowerCase()) return false
  if (f.user && trace.userId !== f.user) return false
  if (f.session && trace.sessionId !== f.session) return false
  if (f.tag && !(trace.tags ?? []).includes(f.tag)) return false
  // As the server reads them: `2s` or 2000 (ms), `$0.01` or 0.01 (one that does not read keeps none).
  if (f.minDuration && !(trace.durationMs >= (parseMinDuration(f.minDuration) ?? Number.NaN)))
    return false
  if (f.minCost && !(trace.costUsd >= (parseCost(f.minCost) ?? Number.NaN))) return false
  const range = timeRange(f)
  if (range.to && /^\d+$/.test(range.to) && trace.startTime >= Number(range.to)) return false
  if (range.from && /^\d+$/.test(range.from) && trace.startTime < Number(range.from)) return false
  if (f.text || f.attr) return false // these need the server's indexes: refetch instead
  return true
}

/** What a row says under the name: the error of a failed trace, else its input → output. @param {Trace} trace */
function rowPreview(trace) {
  if (trace.status === 'error' && trace.errorMessage)
    return h('div', { class: 'row-preview error-text' }, preview(trace.errorMessage, 140))
  if (!trace.input && !trace.output) return null
  return h(
    'div',
    { class: 'row-preview' },
    trace.input ? h('span', { class: 'in' }, preview(trace.input, 80)) : null,
    trace.input && trace.output ? h('span', { class: 'muted' }, ' → ') : null,
    trace.output ? h('span', { class: 'out' }, preview(trace.output, 80)) : null,
  )
}

/**
 * The row of a trace. A hidden row is an empty shell (its cells are made when it is first shown):
 * while traces stream in, most rows of the window are pushed out again before anyone scrolls to them.
 * @param {Trace} trace @param {boolean} fresh @param {boolean} [hidden]
 */
function traceRow(trace, fresh, hidden = false) {
  const row = h('tr', {
    // A row first shown later does not fade in then.
    class: `trace-row${fresh && !hidden ? ' fresh' : ''}`,
    'data-trace-id': trace.traceId,
    'data-href': `#/trace/${trace.traceId}`,
  })
  if (hidden) row.hidden = true
  else fillRow(row, trace)
  return row
}

/** @param {HTMLElement} row @param {Trace} trace */
function fillRow(row, trace) {
  row.append(
    h('td', { class: 'mono when' }, dateTime(trace.startTime)),
    h(
      'td',
      { class: 'name' },
      h('a', { href: `#/trace/${trace.traceId}` }, trace.rootName),
      (trace.tags ?? []).map((tag) => h('span', { class: 'tag' }, tag)),
      rowPreview(trace),
    ),
    h('td', { class: 'num' }, duration(trace.durationMs)),
    h('td', null, statusBadge(trace.status), progressBadge(trace)),
    h('td', null, trace.model ?? '–'),
    h(
      'td',
      { class: 'user' },
      trace.userId
        ? h('a', { href: `#/?user=${encodeURIComponent(trace.userId)}` }, preview(trace.userId, 24))
        : '–',
    ),
    h('td', { class: 'num' }, trace.totalTokens ? number(trace.totalTokens) : '–'),
    h('td', { class: 'num' }, cost(trace.costUsd)),
    h('td', { class: 'num' }, String(trace.spanCount)),
    h('td', { class: 'muted' }, trace.service),
  )
}

/** One listener for every row: a click outside a link opens the trace. @param {MouseEvent} event */
function openClickedRow(event) {
  const target = /** @type {HTMLElement} */ (event.target)
  if (target.closest('a')) return
  const href = target.closest('tr.trace-row')?.getAttribute('data-href')
  if (href) location.hash = href
}

/** @type {HTMLElement | undefined} */
let listBody
/** The row element of each listed trace, so a live update touches only its own row. @type {Map<string, HTMLElement>} */
const rowOf = new Map()

// The window holds up to `keep` rows, but only the first `shown` are displayed; the rest stay in
// the page with `hidden` (display: none), so the style, layout and paint of a live update cost what
// the screen shows, not the whole window. Rows come into view as the list is scrolled toward them
// (the sentinel below), by the keyboard, and all at once with "Load older traces".
let shown = 0
/** Height of a shown row in px, measured at each live update. */
let rowHeight = 45

/** Rows that cover a screen and a half: what is shown while the top of the list is in view. */
function screenRows() {
  return Math.max(20, Math.min(MAX_ROWS, Math.ceil((1.5 * innerHeight) / rowHeight)))
}

/** Displays the first `shown` rows, hides the rest; only rows that change are touched. */
function applyShown() {
  if (!listBody) return
  const rows = listBody.children
  shown = Math.min(shown, rows.length)
  for (let i = 0; i < rows.length; i++) {
    const row = /** @type {HTMLElement} */ (rows[i])
    const hide = i >= shown
    if (row.hidden === hide) continue
    row.hidden = hide
    // Rows and state.traces are in the same order.
    if (!hide && !row.firstChild) fillRow(row, /** @type {Trace} */ (state.traces[i]))
  }
}

/** Shows the next rows of the window when the end of the shown rows comes near the screen. */
function revealMore() {
  if (!listBody || shown >= listBody.children.length) return
  shown += 50
  applyShown()
  keyboard.clamp()
  watchEnd()
}

const nearEnd = new IntersectionObserver(
  (entries) => {
    if (entries.some((entry) => entry.isIntersecting)) revealMore()
  },
  { rootMargin: '0px 0px 50% 0px' },
)

/**
 * Looks again whether the end of the shown rows is near the screen: an observer reports only
 * changes, and rows shown or added can leave the end where it was (a tall screen, short rows).
 */
function watchEnd() {
  const end = document.getElementById('list-end')
  if (!end) return
  nearEnd.unobserve(end)
  nearEnd.observe(end)
}

function renderListRows() {
  if (!listBody) return
  rowOf.clear()
  shown = screenRows()
  listBody.replaceChildren(
    ...state.traces.map((t, i) => {
      const row = traceRow(t, false, i >= shown)
      rowOf.set(t.traceId, row)
      return row
    }),
  )
  updateListChrome()
  watchEnd()
}

function updateListChrome() {
  const empty = document.getElementById('list-empty')
  const none = document.getElementById('list-none')
  const filtered = Object.values(state.filters).some(Boolean)
  if (empty) empty.hidden = state.traces.length > 0 || filtered
  if (none) none.hidden = state.traces.length > 0 || !filtered
  keyboard.clamp()
  const more = document.getElementById('more')
  if (more) more.hidden = !state.nextCursor
}

async function loadList() {
  const page = await api(listQuery())
  state.traces = page.traces
  state.nextCursor = page.nextCursor
  keep = MAX_ROWS
  renderListRows()
}

export function renderList() {
  const f = state.filters
  // Links such as #/?user=bob set filters.
  const linked = hashParams()
  if ([...linked.keys()].length) for (const key of Object.keys(f)) f[key] = linked.get(key) ?? ''
  /** @param {string} key */
  const onInput = (key) => (/** @type {Event} */ event) => {
    f[key] = /** @type {HTMLInputElement} */ (event.target).value.trim()
    const range = document.getElementById('range')
    if (range) range.hidden = f.since !== 'range'
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
  listBody = h('tbody', { id: 'trace-rows', onclick: openClickedRow })
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
      h('input', { name: 'user', placeholder: 'user', value: f.user, onchange: onInput('user') }),
      h('input', {
        name: 'session',
        placeholder: 'session',
        value: f.session,
        onchange: onInput('session'),
      }),
      h('input', { name: 'tag', placeholder: 'tag', value: f.tag, onchange: onInput('tag') }),
      h('input', {
        name: 'attr',
        placeholder: 'attribute key=value',
        value: f.attr,
        onchange: onInput('attr'),
      }),
      h('input', {
        name: 'minDuration',
        placeholder: 'min ms',
        value: f.minDuration,
        onchange: onInput('minDuration'),
        class: 'narrow',
        inputmode: 'numeric',
      }),
      h('input', {
        name: 'minCost',
        placeholder: 'min $',
        value: f.minCost,
        onchange: onInput('minCost'),
        class: 'narrow',
        inputmode: 'decimal',
      }),
      select('since', SINCE),
      h(
        'span',
        { id: 'range', class: 'range', hidden: f.since !== 'range' },
        h('input', {
          name: 'from',
          type: 'datetime-local',
          title: 'from (local time)',
          value: f.from,
          onchange: onInput('from'),
        }),
        '–',
        h('input', {
          name: 'to',
          type: 'datetime-local',
          title: 'until (local time)',
          value: f.to,
          onchange: onInput('to'),
        }),
      ),
      h(
        'button',
        {
          id: 'clear-filters',
          type: 'button',
          onclick: () => {
            for (const key of Object.keys(f)) f[key] = ''
            if (location.hash.includes('?')) location.hash = '#/'
            else renderList()
          },
        },
        'Clear',
      ),
      h('datalist', { id: 'models' }),
    ),
    h(
      'table',
      { id: 'trace-list', class: 'nav-list' },
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
            'User',
            'Tokens',
            'Cost',
            'Spans',
            'Service',
          ].map((c, i) => h('th', { class: [2, 6, 7, 8].includes(i) ? 'num' : undefined }, c)),
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
      'div',
      { id: 'list-none', class: 'empty', hidden: true },
      'No traces match these filters. ',
      h(
        'a',
        {
          href: '#/',
          onclick: (/** @type {Event} */ event) => {
            event.preventDefault()
            for (const key of Object.keys(f)) f[key] = ''
            if (location.hash.includes('?')) location.hash = '#/'
            else renderList()
          },
        },
        'Clear the filters',
      ),
      '.',
    ),
    // Comes near the screen as the list is scrolled down: the hidden rows of the window follow.
    h('div', { id: 'list-end' }),
    h(
      'button',
      {
        id: 'more',
        class: 'more',
        hidden: true,
        onclick: async () => {
          let cursor = state.nextCursor
          let page
          // Live traces can move the window while a page is on its way: its rows no longer follow
          // the oldest row shown, so the page is asked for again from the new oldest row.
          for (let tries = 0; ; tries++) {
            if (!cursor || !listBody) return
            page = await api(listQuery(cursor))
            if (!listBody) return
            if (state.nextCursor === cursor) break
            if (tries === 2) return
            cursor = state.nextCursor
          }
          state.nextCursor = page.nextCursor
          for (const trace of page.traces) {
            if (rowOf.has(trace.traceId)) continue
            state.traces.push(trace)
            const row = traceRow(trace, false)
            rowOf.set(trace.traceId, row)
            listBody.append(row)
          }
          // Older traces asked for: every row held is shown, down to the new page, and kept.
          keep = Math.max(MAX_ROWS, state.traces.length)
          shown = state.traces.length
          applyShown()
          updateListChrome()
        },
      },
      'Load older traces',
    ),
  )
  nearEnd.disconnect()
  loadList().catch(showError)
}

/**
 * Live updates wait here and are applied in an animation frame at most every LIVE_INTERVAL_MS, or
 * STREAM_INTERVAL_MS while traces stream in faster than anyone reads them, however fast they
 * arrive: each application styles, lays out and paints the rows on screen once, and with traces
 * streaming in that work (not the collector's) is what several open tabs cost the machine.
 * @type {Map<string, Trace>}
 */
const pendingTraces = new Map()
let frameRequested = false
const LIVE_INTERVAL_MS = 250
const STREAM_INTERVAL_MS = 1000
// More waiting than the window could show (a tab in the background, where frames do not run):
// the newest page is fetched instead of applying them one by one.
const MAX_PENDING = 2000
let lastApplied = Number.NEGATIVE_INFINITY
/** When recent live traces arrived (ms), to tell a trickle from a stream. @type {number[]} */
let arrivals = []

/** Whether more than 10 traces arrived in the last second. */
function streaming() {
  const now = performance.now()
  if (arrivals.length && now - /** @type {number} */ (arrivals[0]) >= 1000)
    arrivals = arrivals.filter((time) => now - time < 1000)
  return arrivals.length > 10
}

/** Applies live trace rows to the list, if it is shown. @param {Trace[]} updates */
export function liveList(updates) {
  if (!listBody) return
  // A model filter matches any LLM call of a trace; a row names only its first call's model, so a
  // trace whose row names another may still match: the server decides.
  const { model } = state.filters
  if (
    state.filters.text ||
    state.filters.attr ||
    (model && updates.some((trace) => trace.model?.toLowerCase() !== model.toLowerCase()))
  ) {
    scheduleListReload()
    return
  }
  for (const trace of updates) pendingTraces.set(trace.traceId, trace)
  // Only whether more than 10 arrived matters: the list stays short.
  const now = performance.now()
  streaming() // drops arrivals older than a second
  for (let i = 0; i < Math.min(updates.length, 11); i++) arrivals.push(now)
  if (pendingTraces.size > MAX_PENDING) {
    pendingTraces.clear()
    scheduleListReload()
    return
  }
  if (frameRequested) return
  frameRequested = true
  const wait =
    lastApplied + (streaming() ? STREAM_INTERVAL_MS : LIVE_INTERVAL_MS) - performance.now()
  if (wait <= 0) requestAnimationFrame(applyLiveTraces)
  else setTimeout(() => requestAnimationFrame(applyLiveTraces), wait)
}

/** Brings the list up to date after live updates were missed (the tab was in the background). */
export function refreshList() {
  if (listBody) scheduleListReload()
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
  lastApplied = performance.now()
  const updates = [...pendingTraces.values()]
  pendingTraces.clear()
  if (!listBody || !updates.length) return
  const body = listBody
  // The last frame's layout, read before anything changes (so it costs no layout of its own):
  // the height of a row, and whether the top of the list is in view.
  const box = body.getBoundingClientRect()
  if (shown > 0 && box.height > 0) rowHeight = box.height / Math.min(shown, body.children.length)
  const atTop = box.top >= 0
  const selectedId = body.children[keyboard.index]?.getAttribute('data-trace-id')
  // New rows fade in, unless traces stream in faster than anyone reads them.
  const flash = !streaming()
  for (const trace of updates) {
    const old = rowOf.get(trace.traceId)
    if (old) {
      const index = state.traces.findIndex((t) => t.traceId === trace.traceId)
      if (index >= 0) state.traces.splice(index, 1)
      if (index >= 0 && index < shown) shown--
      old.remove()
      rowOf.delete(trace.traceId)
    }
    if (!matchesFilters(trace)) continue
    const index = insertionIndex(trace)
    // Older than every row of a full window: it belongs to "Load older".
    if (index >= keep) continue
    state.traces.splice(index, 0, trace)
    // Scrolled down the list, the rows on screen stay shown as new ones push them down.
    const row = traceRow(trace, flash, index >= shown)
    if (index < shown) shown++
    rowOf.set(trace.traceId, row)
    body.insertBefore(row, body.children[index] ?? null)
  }
  if (state.traces.length > keep) {
    for (const dropped of state.traces.splice(keep)) {
      rowOf.get(dropped.traceId)?.remove()
      rowOf.delete(dropped.traceId)
    }
    // The window moved: older traces are paged from the oldest row shown.
    const last = /** @type {Trace} */ (state.traces[keep - 1])
    state.nextCursor = `${last.startTime}_${last.traceId}`
  }
  // With the top of the list in view, two screens of rows are shown whatever was scrolled before.
  if (atTop) shown = screenRows()
  applyShown()
  // The highlighted trace stays highlighted where live rows moved it.
  if (selectedId && rowOf.has(selectedId))
    keyboard.index = state.traces.findIndex((t) => t.traceId === selectedId)
  updateListChrome()
  watchEnd()
}

// Soon, and at most once a second under a steady stream of updates (see `throttle`).
const scheduleListReload = throttle(() => {
  if (listBody) loadList().catch(showError)
})

/** Leaves the list page: live updates stop touching it. */
export function closeList() {
  listBody = undefined
}
