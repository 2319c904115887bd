import { createServer } from 'node:http'

function decode(value) {
  if (value === undefined || value === null) return undefined
  if ('stringValue' in value) return value.stringValue
  if ('boolValue' in value) return value.boolValue
  if ('intValue' in value) return Number(value.intValue)
  if ('doubleValue' in value) return value.doubleValue
  if ('arrayValue' in value) return (value.arrayValue.values ?? []).map(decode)
  return undefined
}

function flatten(list) {
  const out = {}
  for (const kv of list ?? []) out[kv.key] = decode(kv.value)
  return out
}

/** Starts the receiver on 127.0.0.1 and an ephemeral port. */
export async function startOtlpReceiver() {
  const spans = []
  const metrics = []
  let requests = 0
  const server = createServer((request, response) => {
    const chunks = []
    request.on('data', (chunk) => chunks.push(chunk))
    request.on('end', () => {
      let body
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
      } catch {
        response
          .writeHead(400, { 'content-type': 'application/json' })
          .end('{"error":"body is not JSON"}')
        return
      }
      if (request.method === 'POST' && request.url === '/v1/metrics') {
        metrics.push(body)
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}')
        return
      }
      if (request.method !== 'POST' || request.url !== '/v1/traces') {
        response.writeHead(404).end()
        return
      }
      requests++
      for (const resourceSpans of body.resourceSpans ?? []) {
        const service = flatten(resourceSpans.resource?.attributes)['service.name']
        for (const scope of resourceSpans.scopeSpans ?? [])
          for (const span of scope.spans ?? [])
            spans.push({
              traceId: span.traceId,
              spanId: span.spanId,
              parentSpanId: span.parentSpanId || undefined,
              name: span.name,
              kind: span.kind,
              status: span.status ?? {},
              attributes: flatten(span.attributes),
              service: typeof service === 'string' ? service : undefined,
            })
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${server.address().port}`
  return {
    origin,
    url: origin,
    spans,
    metrics,
    get requests() {
      return requests
    },
    trace: (traceId) => spans.filter((s) => s.traceId === traceId),
    async waitFor(predicate, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs
      while (!predicate(spans)) {
        if (Date.now() > deadline)
          throw new Error(
            `timed out; received: ${spans.map((s) => `${s.name}@${s.traceId.slice(0, 8)}`).join(', ') || 'nothing'}`,
          )
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** Checks one trace is whole (one root; every other span's parent is in it) and returns the root. */
export function assertWholeTrace(spans) {
  const ids = new Set(spans.map((s) => s.spanId))
  const roots = spans.filter((s) => !s.parentSpanId || !ids.has(s.parentSpanId))
  if (roots.length !== 1)
    throw new Error(`expected one root, got ${roots.map((s) => s.name).join(', ') || 'none'}`)
  return roots[0]
}
