// The same env var that marks a Vercel function is set where nothing freezes: under `vercel dev`
// and `next dev` with the env files `vercel env pull` writes (VERCEL_ENV=development), and during
// `next build` on Vercel. No notice there. The platform is read once per process, so each case
// loads the adapter afresh.
import { afterEach, describe, expect, it, vi } from 'vitest'

const KEYS = [
  'VERCEL',
  'VERCEL_ENV',
  'NEXT_PHASE',
  'FUNCTIONS_WORKER_RUNTIME',
  'WEBSITE_INSTANCE_ID',
] as const
const previous = Object.fromEntries(KEYS.map((key) => [key, process.env[key]]))
afterEach(() => {
  for (const key of KEYS) {
    if (previous[key] === undefined) delete process.env[key]
    else process.env[key] = previous[key]
  }
})

async function warningsWith(env: Partial<Record<(typeof KEYS)[number], string>>) {
  for (const key of KEYS) delete process.env[key]
  Object.assign(process.env, env)
  vi.resetModules()
  const { Hono } = await import('hono')
  const { createTracer } = await import('@tokentrail/core')
  const { memoryExporter } = await import('@tokentrail/core/testing')
  const { tracing } = await import('../src/index.js')
  const warnings: string[] = []
  const tracer = createTracer({
    serviceName: 'dev',
    exporters: [memoryExporter()],
    warnings: (message) => warnings.push(message),
  })
  const app = new Hono().use(tracing({ tracer }))
  app.get('/x', (c) => c.text('ok'))
  expect(await (await app.request('/x')).text()).toBe('ok')
  await tracer.flush()
  return warnings
}

describe('VERCEL set where nothing freezes', () => {
  it('says nothing under vercel dev or a pulled env file', async () => {
    expect(await warningsWith({ VERCEL: '1', VERCEL_ENV: 'development' })).toEqual([])
  })

  it('says nothing during next build', async () => {
    expect(
      await warningsWith({
        VERCEL: '1',
        VERCEL_ENV: 'production',
        NEXT_PHASE: 'phase-production-build',
      }),
    ).toEqual([])
  })

  it('still says it in a deployed Vercel function', async () => {
    const warnings = await warningsWith({ VERCEL: '1', VERCEL_ENV: 'preview' })
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/^tracing\(\): Vercel freezes the function after the response/)
  })
})

describe('Azure Functions', () => {
  it('says nothing under a local `func start` (the worker runtime is set there too)', async () => {
    expect(await warningsWith({ FUNCTIONS_WORKER_RUNTIME: 'node' })).toEqual([])
  })

  it('says it in Azure itself', async () => {
    const warnings = await warningsWith({
      FUNCTIONS_WORKER_RUNTIME: 'node',
      WEBSITE_INSTANCE_ID: 'a1b2c3',
    })
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/^tracing\(\): Azure Functions freezes the function/)
  })
})
