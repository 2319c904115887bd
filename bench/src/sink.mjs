// The local sink every exporter sends to: a node:http server on 127.0.0.1 that reads each body,
// answers at once the way the contender's SDK expects, and only then counts what arrived.
import { spawn } from 'node:child_process'
import { createServer } from 'node:http'
import zlib from 'node:zlib'

const braintrustOrg = (url) => ({
  org_info: [{ id: 'org-bench', name: 'bench', api_url: url, proxy_url: url, git_metadata: null }],
})

// LangSmith's multipart ingest: one `post.<run id>` part per run created (its inputs, outputs,
// extra… follow as `post.<run id>.<field>` parts; `patch.<run id>` parts update a run sent before).
const LANGSMITH_RUN_PART = /\r\nContent-Disposition: form-data; name="post\.[0-9a-f-]+"\r\n/g

// Spans (or rows/events/runs) in one request body, for the delivered-spans count.
function countItems(path, encoding, bytes) {
  try {
    const body = decoded(encoding, bytes)
    if (path.endsWith('/runs/multipart')) return body.match(LANGSMITH_RUN_PART)?.length ?? 0
    if (path.endsWith('/runs/batch')) return JSON.parse(body).post?.length ?? 0
    if (path.endsWith('/v1/traces') || path.endsWith('/otel')) {
      const json = JSON.parse(body)
      let n = 0
      for (const rs of json.resourceSpans ?? [])
        for (const ss of rs.scopeSpans ?? []) n += ss.spans?.length ?? 0
      return n
    }
    if (path.endsWith('/logs3')) return JSON.parse(body).rows?.length ?? 0
  } catch {}
  return 0
}

// The body as text, decompressed when the SDK compressed it (bytes are counted as sent).
function decoded(encoding, body) {
  if (encoding === 'gzip') return zlib.gunzipSync(body).toString('utf8')
  if (encoding === 'zstd') return zlib.zstdDecompressSync(body).toString('utf8')
  return body.toString('utf8')
}

/** Starts the sink on an ephemeral port. `stats` counts requests, bytes and spans per path. */
export async function startSink() {
  const stats = { requests: 0, bytes: 0, spans: 0, paths: {} }
  let url = ''
  const server = createServer((request, response) => {
    const chunks = []
    request.on('data', (chunk) => chunks.push(chunk))
    request.on('end', () => {
      const path = (request.url ?? '/').split('?')[0]
      let answer = '{}'
      if (path.endsWith('/api/apikey/login')) answer = JSON.stringify(braintrustOrg(url))
      else if (path.endsWith('/api/project/register'))
        answer = JSON.stringify({
          project: { id: 'project-bench', name: 'bench', org_id: 'org-bench' },
        })
      else if (path.endsWith('/version')) answer = JSON.stringify({ logs3_payload_max_bytes: null })
      // LangSmith's server info (`/info`) is `{}` too: no flag set, so its SDK takes its defaults
      // (multipart ingest, no compression).
      response.writeHead(200, { 'content-type': 'application/json' }).end(answer)
      setImmediate(() => {
        const body = Buffer.concat(chunks)
        stats.requests++
        stats.bytes += body.length
        stats.paths[path] = (stats.paths[path] ?? 0) + 1
        stats.spans += countItems(path, request.headers['content-encoding'], body)
      })
    })
  })
  server.keepAliveTimeout = 60_000
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${server.address().port}`
  return {
    url,
    stats,
    reset() {
      Object.assign(stats, { requests: 0, bytes: 0, spans: 0, paths: {} })
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** A URL on 127.0.0.1 where nothing listens: the "exporter down" case. */
export async function closedPortUrl() {
  const server = createServer()
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  await new Promise((resolve) => server.close(resolve))
  return `http://127.0.0.1:${port}`
}

/**
 * The sink in a child process, for scripts whose own CPU time or latency is measured: its parsing
 * then runs in another process. Resolves to its URL and `close()`; it also goes when this process
 * exits.
 */
export async function startSinkProcess() {
  const child = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `const { startSink } = await import(${JSON.stringify(import.meta.url)}); const s = await startSink(); console.log(s.url)`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  process.on('exit', () => child.kill())
  const url = await new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`the sink process exited (${code})`)))
    child.stdout.once('data', (d) => resolve(String(d).trim()))
  })
  return { url, close: () => child.kill() }
}
