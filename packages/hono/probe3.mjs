import { createServer } from 'node:http'
import { Hono } from 'hono'
import { createTracer, otlpExporter } from '@tokentrail/core'
import { tracing } from './dist/index.js'
const delay = +process.env.DELAY
let received = 0
const server = createServer((req, res) => { let b = ''; req.on('data', d => b += d); req.on('end', () => setTimeout(() => { received += JSON.parse(b).resourceSpans[0].scopeSpans[0].spans.length; res.end('{}') }, delay)) })
await new Promise(r => server.listen(0, '127.0.0.1', r))
const tracer = createTracer({ serviceName: 'p', exporters: [otlpExporter({ url: `http://127.0.0.1:${server.address().port}/v1/traces` })], flushIntervalMs: 600000 })
const app = new Hono()
app.use(tracing({ tracer, flushTimeoutMs: +process.env.FLUSH }))
app.get('/stream/:ms', (c) => { const ms = +c.req.param('ms'); let n = 0; return c.body(new ReadableStream({ async pull(ctl) { await new Promise(r => setTimeout(r, ms / 5)); ctl.enqueue(new TextEncoder().encode('x')); if (++n === 5) ctl.close() } })) })
const t0 = performance.now()
const log = (...a) => console.log(Math.round(performance.now() - t0), ...a)
const origWarn = console.warn; console.warn = (...a) => log('WARN', ...a)
const req = async (ms) => {
  const promises = []
  const r = await app.fetch(new Request(`http://x/stream/${ms}`), {}, { waitUntil: (p) => promises.push(p), passThroughOnException() {} })
  await r.text(); log('body end', ms)
  await Promise.all(promises); log('waitUntil settled', ms)
}
await Promise.all([req(2000), req(200)])
log('stats', JSON.stringify({ ...tracer.stats(), dropped: undefined, limits: undefined, metrics: undefined }), 'received', received)
server.close(); process.exit(0)
