// @ts-check
// Shared by the viewer's pages: the element builder and the number formats. Every captured
// string reaches the page through text nodes (`h`), never through HTML parsing.

export const TOKEN_KEY = 'tokentrail.token'

/** @typedef {{ traceId: string, startTime: number, endTime: number, durationMs: number, rootName: string, status: string, service: string, model?: string, spanCount: number, errorCount: number, inputTokens: number, outputTokens: number, totalTokens: number, costUsd: number, ttftMs?: number, errorMessage?: string, userId?: string, sessionId?: string, tags?: string[], input?: string, output?: string, rootMissing?: true }} Trace */
/** @typedef {{ traceId: string, spanId: string, parentSpanId?: string, name: string, kind: string, status: string, startTime: number, endTime: number, attributes: Record<string, any>, droppedAttributesCount?: number, events: { name: string, time: number, attributes?: Record<string, any>, droppedAttributesCount?: number }[], droppedEventsCount?: number, links?: { traceId?: string, spanId?: string, traceState?: string, attributes?: Record<string, any>, droppedAttributesCount?: number }[], droppedLinksCount?: number, error?: { type: string, message: string, stack?: string }, resource: { serviceName: string, attributes: Record<string, any> }, scope?: { name: string, version?: string } }} Span */
/** @typedef {{ spanId: string, parentSpanId?: string, depth: number, offset: number, durationMs: number }} WaterfallRow */

/** Where pages render. */
export const app = /** @type {HTMLElement} */ (document.getElementById('app'))

/**
 * Builds an element. Strings become text nodes, so captured text is never parsed as HTML.
 * @param {string} tag
 * @param {Record<string, any> | null} [props]
 * @param {...any} children
 * @returns {HTMLElement}
 */
export function h(tag, props, ...children) {
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
export async function api(path) {
  const token = sessionStorage.getItem(TOKEN_KEY)
  const headers = token ? { authorization: `Bearer ${token}` } : undefined
  const response = await fetch(path, { headers })
  const body = await response.json().catch(() => ({}))
  // The server's words are for API clients ("send Authorization: Bearer"); a person in a browser
  // needs the link: the token is kept per tab, so a trace link pasted into a new tab has none.
  if (response.status === 401)
    throw new Error(
      token
        ? 'this token is not the collector’s: open this address with ?token=<token> before the # (as in the link tokentrail dev printed)'
        : 'this collector needs its token: open this address with ?token=<token> before the # (as in the link tokentrail dev printed)',
    )
  if (!response.ok) throw new Error(body.error ?? `${path} answered ${response.status}`)
  return body
}

/**
 * An LLM span's time to first token in milliseconds, under any name the collector reads (as
 * `spanTtftMs` in store-schema.ts): Tokentrail's, the GenAI conventions' (seconds) or the AI SDK's.
 * @param {Record<string, unknown>} a
 * @returns {number | undefined}
 */
export function ttftOf(a) {
  const ms = a['tokentrail.ttft_ms']
  if (typeof ms === 'number') return ms
  const seconds =
    a['gen_ai.response.time_to_first_chunk'] ?? a['gen_ai.client.operation.time_to_first_chunk']
  if (typeof seconds === 'number') return seconds * 1000
  const aiSdk = a['ai.response.msToFirstChunk']
  return typeof aiSdk === 'number' ? aiSdk : undefined
}

// Captured attributes can hold any type (a cost sent as a string, an array of token counts): the
// formatters take any value and show what is not a finite number as text.

/** `0.42 ms`, `12 ms`, `1.52 s`, `2 m 03 s`. @param {unknown} ms */
export function duration(ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return String(ms)
  if (ms < 1) return `${ms.toFixed(2)} ms`
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`
  return `${Math.floor(ms / 60_000)} m ${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')} s`
}

/** `$0.0000044`, `$0.00012` (two significant digits under a cent), `$1.234`, `–`. @param {unknown} usd */
export function cost(usd) {
  if (typeof usd !== 'number' || !Number.isFinite(usd)) return usd === undefined ? '–' : String(usd)
  if (!usd) return '–'
  if (usd >= 0.01) return `$${usd.toFixed(3)}`
  return `$${usd.toFixed(Math.min(12, Math.ceil(-Math.log10(usd)) + 1))}`
}

// One formatter for every row: `toLocaleString` sets one up per call.
const grouped = new Intl.NumberFormat('en')

/** Whole numbers grouped (`12,345`), others to four significant digits (`30.92`). @param {unknown} n */
export function number(n) {
  if (typeof n !== 'number' || !Number.isFinite(n)) return String(n)
  if (Number.isInteger(n)) return grouped.format(n)
  const abs = Math.abs(n)
  if (abs >= 1000) return grouped.format(Math.round(n))
  return String(Number(n.toPrecision(4)))
}

/** `2026-12-01 14:03:07`, local time. @param {number} time */
export function dateTime(time) {
  const d = new Date(time)
  const pad = (/** @type {number} */ n) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
}

/** @param {string} status */
export function statusBadge(status) {
  return h('span', { class: `status ${status}` }, status)
}

// A trace without its root this long after its newest span is no longer taken for one still running.
const RUNNING_MS = 10 * 60_000
const ROOT_MISSING =
  'The root span has not arrived: a span is exported when it ends, so the request is still running, or its parent was recorded by a service that does not send here.'

/**
 * "in progress" beside the status of a trace whose root span has not arrived (a request still
 * streaming), "no root span" once its newest span is old. @param {Trace} trace
 */
export function progressBadge(trace) {
  if (!trace.rootMissing) return null
  const running = Date.now() - trace.endTime < RUNNING_MS
  return h(
    'span',
    { class: 'status open', title: ROOT_MISSING },
    running ? 'in progress' : 'no root span',
  )
}

/** The same, said in a line over a trace's waterfall. @param {Trace} trace */
export function progressNotice(trace) {
  if (!trace.rootMissing) return null
  const running = Date.now() - trace.endTime < RUNNING_MS
  return h(
    'div',
    { class: 'notice', id: 'root-missing' },
    running
      ? 'In progress: the root span has not arrived yet (a span is exported when it ends; this page adds spans as they arrive), unless its parent was recorded by a service that does not send here.'
      : 'No root span: every span here has a parent that never arrived; it may have been recorded by a service that does not send here.',
  )
}

/** An attribute key that wraps only after `.` and `_`, never mid-word. @param {string} key */
export function breakableKey(key) {
  const parts = key.split(/(?<=[._])/)
  return parts.flatMap((part, i) => (i === 0 ? [part] : [h('wbr'), part]))
}

/** One line of at most `max` characters. @param {string | undefined} text @param {number} max */
export function preview(text, max) {
  if (!text) return ''
  const flat = text.replace(/\s+/g, ' ').trim()
  if (flat.length <= max) return flat
  // Never between the two halves of an emoji: a lone half shows as �.
  const end = /[\uD800-\uDBFF]/.test(flat[max - 2] ?? '') ? max - 2 : max - 1
  return `${flat.slice(0, end)}…`
}

/**
 * Runs `task` `first` ms after a call, then at most once every `spacing` ms while calls keep
 * coming. A debounce (each call restarting the wait) never ran under a steady stream of live
 * updates: a trace receiving spans every 200 ms stayed as first drawn until the stream paused.
 * @param {() => void} task @param {number} [first] @param {number} [spacing]
 */
export function throttle(task, first = 300, spacing = 1000) {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer
  let last = Number.NEGATIVE_INFINITY
  return () => {
    if (timer !== undefined) return
    timer = setTimeout(
      () => {
        timer = undefined
        last = performance.now()
        task()
      },
      Math.max(first, last + spacing - performance.now()),
    )
  }
}

/** The query of a hash route such as `#/sessions?user=bob`. */
export function hashParams() {
  const cut = location.hash.indexOf('?')
  return new URLSearchParams(cut < 0 ? '' : location.hash.slice(cut + 1))
}

/** @param {unknown} error */
export function showError(error) {
  app.replaceChildren(
    h(
      'div',
      { class: 'error-box', id: 'app-error' },
      h('div', { class: 'title' }, String(/** @type {Error} */ (error)?.message ?? error)),
    ),
  )
}

/** j/k move through the rows of a list page, Enter opens the highlighted one. */
export const keyboard = {
  index: -1,
  /** The rows shown (the live list keeps the rest of its window hidden, after them). */
  rows() {
    return /** @type {HTMLElement[]} */ ([
      ...document.querySelectorAll('table.nav-list tbody tr:not([hidden])'),
    ])
  },
  /** Keeps the highlighted row after a re-render; touches only the rows whose highlight changes. */
  clamp() {
    const rows = this.rows()
    if (this.index >= rows.length) this.index = rows.length - 1
    const selected = rows[this.index]
    for (const row of document.querySelectorAll('table.nav-list tbody tr.selected'))
      if (row !== selected) row.classList.remove('selected')
    selected?.classList.add('selected')
  },
  /** @param {number} delta */
  move(delta) {
    const rows = this.rows()
    if (!rows.length) return
    this.index = Math.max(0, Math.min(rows.length - 1, this.index + delta))
    this.clamp()
    rows[this.index]?.scrollIntoView({ block: 'nearest' })
  },
  open() {
    const href = this.rows()[this.index]?.getAttribute('data-href')
    if (href) location.hash = href
  },
}
