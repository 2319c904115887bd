// @tokentrail/ai-sdk's stall check (a stream whose consumer stopped reading without cancelling ends
// `consumer_stopped`) in the real workerd: it runs on one interval timer, and workerd ends a
// request's timers with the request. A timer made while serving a request that ended with such a
// stream open never ran again, and no later request made another: no stream of the isolate was
// checked again, and every one left open was kept.
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { findWorkerd, startWorkerd, type Workerd, workDir } from './workerd/serve.js'

const found = findWorkerd()
let work: Awaited<ReturnType<typeof workDir>>
let workerd: Workerd

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe.skipIf('missing' in found)('@tokentrail/ai-sdk in workerd', () => {
  beforeAll(async () => {
    work = await workDir()
    await build({
      entryPoints: [fileURLToPath(new URL('./workerd/ai-worker.ts', import.meta.url))],
      outfile: join(work.dir, 'worker.js'),
      bundle: true,
      format: 'esm',
      target: 'es2022',
      platform: 'browser',
      conditions: ['workerd', 'worker', 'browser'],
      external: ['node:*'],
      logLevel: 'error',
    })
    workerd = await startWorkerd((found as { binary: string }).binary, work.dir, {
      compatibilityDate: '2026-11-01',
      bindings: {},
    })
  })
  afterAll(async () => {
    await workerd?.close()
    await work?.remove()
  })

  const get = async (path: string) => {
    const response = await fetch(`${workerd.url}${path}`)
    expect(response.status).toBe(200)
    return response
  }

  it('a stream left unread by a request that ended, then one in a later request: both end consumer_stopped', async () => {
    const window = 200
    await get(`/window?ms=${window}`)
    // The check's timer is made in this request, which ends with the stream still open.
    expect(await (await get('/stop-reading')).text()).toBe('stopped')
    await sleep(window * 3)
    // A later request's stream stops being read and the request stays on past the window.
    await get(`/stop-reading?ms=${window * 8}`)
    const spans = await (await get('/spans')).json()
    expect(spans).toHaveLength(4)
    for (const span of spans)
      expect(span).toMatchObject({ status: 'cancelled', cancelledBy: 'consumer_stopped' })
    expect(workerd.output()).not.toMatch(/different request context|hung|uncaught/i)
  })
})
