import { Hono } from 'hono'
import { streamSSE } from 'hono/streaming'
import { createTracer } from '@tokentrail/core'
import { memoryExporter } from '@tokentrail/core/testing'
import { tracing } from './dist/index.js'
const exporter = memoryExporter()
const tracer = createTracer({ serviceName: 'p', exporters: [exporter], flushIntervalMs: 600000 })
const app = new Hono()
app.use(tracing({ tracer }))
app.get('/text', (c) => c.text('hello'))
app.get('/sse', (c) => streamSSE(c, async (s) => { await s.writeSSE({ data: 'x' }) }))
const promises = []
const ctx = { waitUntil: (p) => promises.push(p), passThroughOnException() {} }
let r = await app.fetch(new Request('http://x/text', { method: 'HEAD' }), {}, ctx)
console.log('HEAD status', r.status, r.body)
r = await app.fetch(new Request('http://x/sse', { method: 'HEAD' }), {}, ctx)
console.log('HEAD sse status', r.status)
await new Promise(r => setTimeout(r, 300))
console.log('stats', JSON.stringify(tracer.stats()))
const settled = await Promise.race([Promise.all(promises).then(() => 'settled'), new Promise(r => setTimeout(() => r('pending after 1s'), 1000))])
console.log('waitUntil promises:', settled, 'exported', exporter.spans.map(s => s.name))
process.exit(0)
