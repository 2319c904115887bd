// @ts-check
// The trace viewer's entry: token, live stream, keyboard and routing to the pages (list.js,
// trace.js, sessions.js, users.js, stats.js). Every captured string reaches the page through text nodes (`h` below), never
// through HTML parsing: prompts and outputs are untrusted input.

import { destroyCharts } from './charts.js'
import { app, keyboard, showError, TOKEN_KEY, throttle } from './dom.js'
import { closeList, liveList, refreshList, renderList, state } from './list.js'
import { renderSession, renderSessions } from './sessions.js'
import { loadStats, renderStats, statsView } from './stats.js'
import { renderTrace, scheduleTraceReload, selectSpan, traceState } from './trace.js'
import { renderUsers } from './users.js'

/** @typedef {import('./dom.js').Trace} Trace */

const initial = new URLSearchParams(location.search)
if (initial.has('token')) {
  sessionStorage.setItem(TOKEN_KEY, initial.get('token') ?? '')
  // Keeps the token out of the address bar and of anything copied from it.
  history.replaceState(null, '', location.pathname + location.hash)
}
const token = sessionStorage.getItem(TOKEN_KEY)

const liveBadge = /** @type {HTMLElement} */ (document.getElementById('live'))

/** Routes live trace rows to the page shown. @param {Trace[]} updates */
function liveTraces(updates) {
  if (statsView.open) return // the stats page refreshes on its own interval, never per event
  if (openSessionId !== undefined) {
    // A new or updated turn of the open conversation.
    if (updates.some((t) => t.sessionId === openSessionId)) scheduleSessionReload()
    return
  }
  if (traceState.openTraceId) {
    if (updates.some((t) => t.traceId === traceState.openTraceId)) scheduleTraceReload()
    return
  }
  liveList(updates)
}

// ---- header stats, live stream, routing ----

/** @type {EventSource | undefined} */
let source

function connectLive() {
  // Trace rows only: the span rows of each batch are for `tokentrail tail`.
  const url = token
    ? `/api/live?events=traces&token=${encodeURIComponent(token)}`
    : '/api/live?events=traces'
  source = new EventSource(url)
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

// A tab in the background does no work for live traces: after a while hidden it closes the stream
// (the browser would still parse every event), and when shown again it reconnects and reloads what
// it shows.
const HIDDEN_CLOSE_MS = 10_000
/** @type {ReturnType<typeof setTimeout> | undefined} */
let hiddenTimer
document.addEventListener('visibilitychange', () => {
  clearTimeout(hiddenTimer)
  if (document.hidden) {
    hiddenTimer = setTimeout(() => {
      source?.close()
      source = undefined
      liveBadge.textContent = 'paused'
      liveBadge.className = 'live'
    }, HIDDEN_CLOSE_MS)
    return
  }
  if (source) return
  connectLive()
  loadStats().catch(() => {})
  if (openSessionId !== undefined) scheduleSessionReload()
  else if (traceState.openTraceId) scheduleTraceReload()
  else if (!statsView.open) refreshList()
})

// ---- keyboard: j/k move, Enter opens, Esc goes back ----

document.addEventListener('keydown', (event) => {
  if (event.metaKey || event.ctrlKey || event.altKey) return
  const target = /** @type {HTMLElement} */ (event.target)
  if (target.closest('input, select, textarea')) {
    if (event.key === 'Escape') target.blur()
    return
  }
  const onTrace = location.hash.startsWith('#/trace/')
  if (event.key === 'Escape') {
    if (onTrace) history.length > 1 ? history.back() : (location.hash = '#/')
    else if (location.hash.startsWith('#/session/')) location.hash = '#/sessions'
    return
  }
  if (event.key !== 'j' && event.key !== 'k' && event.key !== 'Enter') return
  if (onTrace) {
    if (event.key === 'Enter') return
    const rows = /** @type {HTMLElement[]} */ ([
      ...document.querySelectorAll('.wf-row[data-span-id]'),
    ])
    const at = rows.findIndex((r) => r.classList.contains('selected'))
    const next = rows[Math.max(0, Math.min(rows.length - 1, at + (event.key === 'j' ? 1 : -1)))]
    if (next) selectSpan(/** @type {string} */ (next.getAttribute('data-span-id')))
    event.preventDefault()
    return
  }
  if (event.key === 'Enter') keyboard.open()
  else keyboard.move(event.key === 'j' ? 1 : -1)
  event.preventDefault()
})

/** The conversation shown, reloaded when one of its turns arrives. @type {string | undefined} */
let openSessionId

// Soon, and at most once a second while its turns keep arriving (see `throttle`).
const scheduleSessionReload = throttle(() => {
  if (openSessionId !== undefined) renderSession(app, openSessionId).catch(showError)
})

function route() {
  const hash = location.hash
  // Trace ids pasted from logs or other tools may be upper case; the API and live rows use lower.
  const match = /^#\/trace\/([0-9a-f]{6,32})$/i.exec(hash)
  const session = /^#\/session\/(.+)$/.exec(hash)
  statsView.open = false
  destroyCharts()
  keyboard.index = -1
  const page = match
    ? 'traces'
    : session || hash.startsWith('#/sessions')
      ? 'sessions'
      : hash.startsWith('#/users')
        ? 'users'
        : hash === '#/stats'
          ? 'stats'
          : 'traces'
  for (const link of document.querySelectorAll('nav.pages a'))
    link.classList.toggle('active', link.getAttribute('data-page') === page)
  if (!match) traceState.openTraceId = undefined
  if (match || session || page !== 'traces') closeList()
  openSessionId = undefined
  if (match) renderTrace(/** @type {string} */ (match[1]).toLowerCase()).catch(showError)
  else if (session) {
    try {
      openSessionId = decodeURIComponent(/** @type {string} */ (session[1]))
    } catch {
      return showError(new Error('this session link is not valid percent-encoding'))
    }
    renderSession(app, openSessionId).catch(showError)
  } else if (page === 'sessions') renderSessions(app).then(() => keyboard.clamp(), showError)
  else if (page === 'users') renderUsers(app).then(() => keyboard.clamp(), showError)
  else if (page === 'stats') renderStats(state.filters.since || '24h').catch(showError)
  else renderList()
}

window.addEventListener('hashchange', route)
route()
connectLive()
loadStats().catch(() => {})
