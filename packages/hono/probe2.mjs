import { Hono } from 'hono'
import { streamSSE, streamText } from 'hono/streaming'
import { HTTPException } from 'hono/http-exception'
import { createTracer } from '@tokentrail/core'
import { memoryExporter } from '@tokentrail/core/testing'
import { tracing } from './dist/index.js'
const exporter = memoryExporter()
const tracer = createTracer({ serviceName: 'p', exporters: [exporter], flushIntervalMs: 600000 })
const api = new Hono().basePath('/v1')
api.get('/chats/:id', (c) => c.json({ id: c.req.param('id') }))
api.get('/files/*', (c) => c.text('f'))
api.get('/opt/:a?', (c) => c.text('o'))
api.get('/boom', () => { throw new Error('boom') })
api.get('/http', () => { throw new HTTPException(418, { message: 'teapot' }) })
api.get('/sse-err', (c) => streamSSE(c, async (s) => { await s.writeSSE({ data: 'x' }); throw new Error('in sse') }))
api.get('/text', (c) => streamText(c, async (s) => { await s.write('a'); await s.sleep(10); await s.write('b') }))
const app = new Hono()
app.use(tracing({ tracer }))
app.route('/api', api)
app.onError((err, c) => c.text('handled ' + err.message, 500))
const sub = new Hono()
sub.use(tracing({ tracer }))
sub.get('/x/:id', (c) => c.text('sub'))
app.route('/sub', sub)
for (const p of ['/api/v1/chats/42', '/api/v1/files/a/b', '/api/v1/opt', '/api/v1/opt/z', '/api/v1/boom', '/api/v1/http', '/api/v1/sse-err', '/api/v1/text', '/sub/x/9', '/nope']) {
  const r = await app.request(p)
  console.log(p, r.status, JSON.stringify((await r.text()).slice(0, 40)))
}
await tracer.flush()
for (const s of exporter.spans) console.log(s.name, s.status, s.attributes['http.route'], s.error?.message ?? '')
