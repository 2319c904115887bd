import { modelOf } from '../report/debug-hints.js'
import { buildReport, formatReportMarkdown } from '../report/report.js'
import type { TraceDetail, TraceStore } from '../store/store.js'
import { timeSeries } from '../store/timeseries.js'
import { getSession, listSessions, listUsers, modelBaseline } from '../store/trace-views.js'
import { HttpError } from './http-error.js'
import { readLimit, readTime } from './query-params.js'

function decode(text: string, what: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    throw new HttpError(400, `${what} is not valid percent-encoding`)
  }
}

/**
 * The read API of the users, sessions, charts and report views. Answers `undefined` for a path
 * it does not serve, so the collector's own routes apply.
 */
export function viewRoute(
  store: TraceStore,
  path: string,
  params: URLSearchParams,
  traceDetail: (id: string) => TraceDetail,
): unknown {
  if (path === '/api/users')
    return {
      users: listUsers(store.db, {
        from: readTime(params, 'from'),
        limit: readLimit(params) ?? 200,
      }),
    }
  if (path === '/api/sessions')
    return {
      sessions: listSessions(store.db, {
        from: readTime(params, 'from'),
        user: params.get('user') || undefined,
        limit: readLimit(params) ?? 200,
        unindexedAfter: store.catchUpIndex(),
      }),
    }
  if (path.startsWith('/api/sessions/')) {
    const id = decode(path.slice('/api/sessions/'.length), 'session id')
    const session = getSession(store.db, id, store.catchUpIndex())
    if (!session) throw new HttpError(404, `no session with id "${id.slice(0, 200)}"`)
    return session
  }
  if (path === '/api/timeseries') {
    const by = params.get('by') || 'model'
    if (by !== 'model' && by !== 'service')
      throw new HttpError(400, `by must be model or service, got "${by.slice(0, 20)}"`)
    const to = readTime(params, 'to') ?? Date.now()
    const from = readTime(params, 'from') ?? to - 86_400_000
    if (!(from < to)) throw new HttpError(400, 'from must be before to')
    const source = params.get('source') || 'traces'
    if (source === 'metrics') return store.metrics.timeline.series({ by, from, to })
    if (source !== 'traces')
      throw new HttpError(400, `source must be traces or metrics, got "${source.slice(0, 20)}"`)
    return timeSeries(store.db, { by, from, to })
  }
  const report = /^\/api\/traces\/([^/]+)\/report$/.exec(path)
  if (report) {
    const detail = traceDetail(decode(report[1]!, 'trace id'))
    const models = detail.spans.flatMap((s) => {
      const model = s.kind === 'llm' ? modelOf(s) : undefined
      return model !== undefined ? [model] : []
    })
    const raw = params.get('raw')
    const built = buildReport(detail, {
      baseline: modelBaseline(store.db, models),
      raw: raw === '1' || raw === 'true',
    })
    // The viewer's "Bug report" button downloads the same Markdown the CLI writes.
    return params.get('format') === 'md' ? { markdown: formatReportMarkdown(built) } : built
  }
  return undefined
}
