// `next build` on Vercel prerenders route handlers with VERCEL=1 set, and `next dev` reads
// VERCEL=1 from the env files `vercel env pull` writes: neither freezes, so neither hears the
// notice for a flush in the background. The platform is read once per process, so each case
// loads the adapter afresh.
import { afterEach, describe, expect, it, vi } from 'vitest'

const KEYS = ['VERCEL', 'VERCEL_ENV', 'NEXT_PHASE'] as const
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
  const { createTracer } = await import('@tokentrail/core')
  const { memoryExporter } = await import('@tokentrail/core/testing')
  const { withTracing } = await import('../src/index.js')
  const warnings: string[] = []
  const tracer = createTracer({
    serviceName: 'build',
    exporters: [memoryExporter()],
    warnings: (message) => warnings.push(message),
  })
  const GET = withTracing(async () => new Response('ok'), { tracer })
  expect(await (await GET(new Request('http://localhost/api/x'))).text()).toBe('ok')
  await tracer.flush()
  return warnings
}

describe('VERCEL set where nothing freezes', () => {
  it('says nothing during next build', async () => {
    expect(
      await warningsWith({
        VERCEL: '1',
        VERCEL_ENV: 'production',
        NEXT_PHASE: 'phase-production-build',
      }),
    ).toEqual([])
  })

  it('says nothing under next dev with a pulled env file', async () => {
    expect(await warningsWith({ VERCEL: '1', VERCEL_ENV: 'development' })).toEqual([])
  })

  it('still says it in a deployed Vercel function', async () => {
    const warnings = await warningsWith({ VERCEL: '1', VERCEL_ENV: 'production' })
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/^withTracing\(\): Vercel freezes the function after the response/)
  })
})

describe('a tracer with nowhere to send during next build', () => {
  const endpointKeys = ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']
  const saved = Object.fromEntries(endpointKeys.map((key) => [key, process.env[key]]))
  afterEach(() => {
    for (const key of endpointKeys) {
      if (saved[key] === undefined) delete process.env[key]
      else process.env[key] = saved[key]
    }
  })

  async function nowhere(env: Partial<Record<(typeof KEYS)[number], string>>) {
    for (const key of [...KEYS, ...endpointKeys]) delete process.env[key]
    Object.assign(process.env, env)
    // Said once per process: each case starts as a fresh process would.
    delete (globalThis as Record<symbol, unknown>)[Symbol.for('tokentrail.notice.no-exporter')]
    vi.resetModules()
    const { createTracer } = await import('@tokentrail/core')
    const { withTracing } = await import('../src/index.js')
    const warnings: string[] = []
    // No exporter and no OTLP endpoint: tracing is on, but spans would go nowhere.
    const tracer = createTracer({ serviceName: 'build', warnings: (m) => warnings.push(m) })
    const GET = withTracing(async () => Response.json({ ok: true }), { tracer })
    expect(await (await GET(new Request('http://localhost/api/static'))).json()).toEqual({
      ok: true,
    })
    return warnings
  }

  it('says nothing while prerendering, as the README says', async () => {
    expect(await nowhere({ NEXT_PHASE: 'phase-production-build' })).toEqual([])
  })

  it('still says it for a request at run time', async () => {
    const warnings = await nowhere({})
    expect(warnings.join('\n')).toMatch(/spans would go nowhere/)
  })
})
