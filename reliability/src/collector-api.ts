// Reads what reached the collector through its HTTP API, as any user of `tokentrail dev` would.

/** A trace row of `GET /api/traces`. */
export interface TraceRow {
  traceId: string
  rootName: string
  status: string
  service: string
  spanCount: number
  errorCount: number
}

/** Every trace of a service, newest first, through `nextCursor` pages. */
export async function listAllTraces(
  collectorUrl: string,
  service: string,
  token?: string,
): Promise<TraceRow[]> {
  const rows: TraceRow[] = []
  let cursor: string | undefined
  for (let page = 0; page < 10_000; page++) {
    const url = new URL('/api/traces', collectorUrl)
    url.searchParams.set('service', service)
    url.searchParams.set('limit', '1000')
    if (cursor) url.searchParams.set('cursor', cursor)
    const response = await fetch(url, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    })
    if (!response.ok)
      throw new Error(`${url} answered ${response.status}: ${await response.text()}`)
    const body = (await response.json()) as { traces: TraceRow[]; nextCursor?: string }
    rows.push(...body.traces)
    cursor = body.nextCursor
    if (!cursor) break
  }
  return rows
}

/**
 * Spans in one traced chat request with a tool: the request root, the AI SDK call span, two LLM
 * steps and the tool.
 */
export const SPANS_PER_CHAT_TRACE = 5

/** How many of the expected traces arrived complete: the request root plus `spansPerTrace - 1` children. */
export function countComplete(
  rows: readonly TraceRow[],
  traceIds: readonly string[],
  spansPerTrace: number,
  rootName = 'POST /api/chat',
) {
  const byId = new Map(rows.map((row) => [row.traceId, row]))
  let complete = 0
  let partial = 0
  let missing = 0
  for (const id of traceIds) {
    const row = byId.get(id)
    if (!row) missing++
    else if (row.spanCount === spansPerTrace && row.rootName === rootName && row.status === 'ok')
      complete++
    else partial++
  }
  const spans = rows.reduce((n, row) => n + row.spanCount, 0)
  return { complete, partial, missing, spans, traces: rows.length }
}

/** One trace with its spans, from `GET /api/traces/:id`. */
export async function getTrace(collectorUrl: string, traceId: string) {
  const response = await fetch(new URL(`/api/traces/${traceId}`, collectorUrl))
  if (!response.ok) throw new Error(`trace ${traceId}: ${response.status} ${await response.text()}`)
  return (await response.json()) as {
    trace: TraceRow
    spans: {
      spanId: string
      parentSpanId?: string
      name: string
      kind: string
      status: string
      attributes: Record<string, unknown>
    }[]
  }
}
