import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

/** One span as it arrived over OTLP/HTTP JSON, with attributes flattened. */
export interface ReceivedSpan {
  traceId: string
  spanId: string
  parentSpanId?: string
  name: string
  kind: number
  status: { code?: number }
  attributes: Record<string, unknown>
  serviceName: unknown
}

function value(v: any): unknown {
  if ('stringValue' in v) return v.stringValue
  if ('intValue' in v) return Number(v.intValue)
  if ('doubleValue' in v) return v.doubleValue
  if ('boolValue' in v) return v.boolValue
  if ('arrayValue' in v) return (v.arrayValue.values ?? []).map(value)
  return v
}

function flatten(list: any[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const kv of list ?? []) out[kv.key] = value(kv.value)
  return out
}

/** A local OTLP/HTTP JSON receiver on 127.0.0.1 and an ephemeral port. */
export async function startOtlpReceiver() {
  const spans: ReceivedSpan[] = []
  let requests = 0
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (c) => chunks.push(c))
    request.on('end', () => {
      if (request.method !== 'POST' || request.url !== '/v1/traces') {
        // Metrics (/v1/metrics) are accepted and ignored.
        response.writeHead(request.url === '/v1/metrics' ? 200 : 404).end('{}')
        return
      }
      requests++
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
      for (const rs of body.resourceSpans ?? []) {
        const resource = flatten(rs.resource?.attributes)
        for (const ss of rs.scopeSpans ?? [])
          for (const s of ss.spans ?? [])
            spans.push({
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId || undefined,
              name: s.name,
              kind: s.kind,
              status: s.status ?? {},
              attributes: flatten(s.attributes),
              serviceName: resource['service.name'],
            })
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    origin,
    spans,
    get requests() {
      return requests
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** Checks one trace is whole: one root, every other span's parent is in the trace. */
export function assertWholeTrace(spans: ReceivedSpan[]): ReceivedSpan {
  const ids = new Set(spans.map((s) => s.spanId))
  const roots = spans.filter((s) => !s.parentSpanId || !ids.has(s.parentSpanId))
  if (roots.length !== 1)
    throw new Error(`expected one root, got ${roots.map((s) => s.name).join(', ') || 'none'}`)
  return roots[0]!
}
