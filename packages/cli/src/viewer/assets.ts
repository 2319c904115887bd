import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { VIEWER_CSS, VIEWER_HTML } from './page.js'

/** A static file of the viewer. */
export interface Asset {
  type: string
  body: string
  headers: Record<string, string>
}

// Captured text is rendered with textContent only; the policy is a second wall: no inline
// script, no third-party origin, nothing but this collector.
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

const HEADERS = { 'content-security-policy': CSP, 'referrer-policy': 'no-referrer' }

const ICON =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#a371f7"/></svg>'

const MODULES = new Set([
  'app.js',
  'dom.js',
  'list.js',
  'trace.js',
  'span-panel.js',
  'stats.js',
  'sessions.js',
  'users.js',
  'charts.js',
  'units.js',
])
const scripts = new Map<string, Promise<string>>()

/** A file of the uPlot build: copied into dist/viewer/vendor at build, else read from the package. */
function vendor(file: string): Promise<string> {
  let text = scripts.get(file)
  if (!text) {
    text = readFile(new URL(`./vendor/${file}`, import.meta.url), 'utf8').catch(() =>
      readFile(createRequire(import.meta.url).resolve(`uplot/dist/${file}`), 'utf8'),
    )
    scripts.set(file, text)
  }
  return text
}

/** The viewer file at `path`, or undefined when there is none. */
export async function viewerAsset(path: string): Promise<Asset | undefined> {
  if (path === '/' || path === '/index.html')
    return { type: 'text/html; charset=utf-8', body: VIEWER_HTML, headers: HEADERS }
  if (path === '/favicon.ico') return { type: 'image/svg+xml', body: ICON, headers: HEADERS }
  if (path === '/assets/style.css')
    return { type: 'text/css; charset=utf-8', body: VIEWER_CSS, headers: HEADERS }
  const name = path.startsWith('/assets/') ? path.slice(8) : ''
  if (MODULES.has(name)) {
    // The page modules sit beside this one in both src/ and dist/ (tsc copies them with allowJs).
    let script = scripts.get(name)
    if (!script)
      scripts.set(name, (script = readFile(new URL(`./${name}`, import.meta.url), 'utf8')))
    return { type: 'text/javascript; charset=utf-8', body: await script, headers: HEADERS }
  }
  if (name === 'uplot.js')
    return {
      type: 'text/javascript; charset=utf-8',
      body: await vendor('uPlot.iife.min.js'),
      headers: HEADERS,
    }
  if (name === 'uplot.css')
    return {
      type: 'text/css; charset=utf-8',
      body: await vendor('uPlot.min.css'),
      headers: HEADERS,
    }
  return undefined
}
