import { readFile } from 'node:fs/promises'
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

let script: Promise<string> | undefined

/** The viewer file at `path`, or undefined when there is none. */
export async function viewerAsset(path: string): Promise<Asset | undefined> {
  if (path === '/' || path === '/index.html')
    return { type: 'text/html; charset=utf-8', body: VIEWER_HTML, headers: HEADERS }
  if (path === '/favicon.ico') return { type: 'image/svg+xml', body: ICON, headers: HEADERS }
  if (path === '/assets/style.css')
    return { type: 'text/css; charset=utf-8', body: VIEWER_CSS, headers: HEADERS }
  if (path === '/assets/app.js') {
    // app.js sits beside this module in both src/ and dist/ (tsc copies it with allowJs).
    script ??= readFile(new URL('./app.js', import.meta.url), 'utf8')
    return { type: 'text/javascript; charset=utf-8', body: await script, headers: HEADERS }
  }
  return undefined
}
