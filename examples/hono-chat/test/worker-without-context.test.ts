// A Workers entry that calls `app.fetch(request)` and drops env and ctx, as a hand-written fetch
// handler easily does, run in the real workerd runtime: no waitUntil keeps the flush alive, so the
// spans are lost when the request ends; that must be said, once, while the requests are served.
import type { Readable } from 'node:stream'
import { startOtlpReceiver } from '@tokentrail/otlp-receiver'
import { build } from 'esbuild'
import { Miniflare } from 'miniflare'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>
const workers: Miniflare[] = []

function entry(fetchCall: string): string {
  return `
import { createTracer, otlpExporter } from '@tokentrail/core'
import { tracing } from '@tokentrail/hono'
import { Hono } from 'hono'

export default {
  fetch(request, env, ctx) {
    const tracer = createTracer({
      serviceName: 'worker-without-context',
      exporters: [otlpExporter({ url: env.OTLP + '/v1/traces' })],
      flushIntervalMs: 50,
    })
    const app = new Hono()
    app.use(tracing({ tracer }))
    app.get('/hello', (c) => c.text('hello'))
    return ${fetchCall}
  },
}`
}

async function start(fetchCall: string) {
  const bundle = await build({
    stdin: { contents: entry(fetchCall), resolveDir: process.cwd(), loader: 'js' },
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    conditions: ['workerd', 'worker', 'browser'],
    external: ['node:*'],
    logLevel: 'warning',
  })
  let output = ''
  const collect = (stream: Readable) => stream.on('data', (chunk: Buffer) => (output += chunk))
  const mf = new Miniflare({
    modules: true,
    script: bundle.outputFiles[0]!.text,
    compatibilityDate: '2026-07-01',
    compatibilityFlags: ['nodejs_compat', 'enable_request_signal'],
    bindings: { OTLP: receiver.origin },
    handleRuntimeStdio(stdout: Readable, stderr: Readable) {
      collect(stdout)
      collect(stderr)
    },
  })
  workers.push(mf)
  await mf.ready
  return { mf, output: () => output }
}

beforeAll(async () => {
  receiver = await startOtlpReceiver()
})

afterAll(async () => {
  for (const mf of workers) await mf.dispose()
  await receiver?.close()
})

const NOTICE =
  /\[tokentrail\] tracing\(\): this Cloudflare Workers request reached Hono without its execution context/g

describe('tracing() in workerd, app.fetch called without env and ctx', () => {
  it('answers as before and says once that the spans are lost', async () => {
    const { mf, output } = await start('app.fetch(request)')
    for (let i = 0; i < 3; i++) {
      const response = await mf.dispatchFetch('http://localhost/hello')
      expect(await response.text()).toBe('hello')
    }
    await expect.poll(() => output().match(NOTICE)?.length ?? 0).toBe(1)
    // What the notice says: nothing arrived.
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(receiver.spans.filter((s) => s.service === 'worker-without-context')).toEqual([])
    expect(output().match(NOTICE)).toHaveLength(1)
  })

  it('says nothing when env and ctx are passed on, and every trace arrives', async () => {
    const { mf, output } = await start('app.fetch(request, env, ctx)')
    for (let i = 0; i < 3; i++) {
      const response = await mf.dispatchFetch('http://localhost/hello')
      expect(await response.text()).toBe('hello')
    }
    await receiver.waitFor(
      (spans) => spans.filter((s) => s.service === 'worker-without-context').length === 3,
    )
    expect(output()).not.toMatch(NOTICE)
  })
})
