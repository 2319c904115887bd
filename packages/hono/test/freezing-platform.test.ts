// On a platform that freezes the function after the response (AWS Lambda here, by its
// environment), a request whose flush has no waitUntil loses its spans: said once per tracer.
// The platform is read once per process, so this file sets it before loading the adapter.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const previous = process.env.AWS_LAMBDA_FUNCTION_NAME
beforeAll(() => {
  process.env.AWS_LAMBDA_FUNCTION_NAME = 'chat-route'
})
afterAll(() => {
  if (previous === undefined) delete process.env.AWS_LAMBDA_FUNCTION_NAME
  else process.env.AWS_LAMBDA_FUNCTION_NAME = previous
})

async function app(options: Record<string, unknown>) {
  const { Hono } = await import('hono')
  const { createTracer } = await import('@tokentrail/core')
  const { memoryExporter } = await import('@tokentrail/core/testing')
  const { tracing } = await import('../src/index.js')
  const warnings: string[] = []
  const tracer = createTracer({
    serviceName: 'lambda',
    exporters: [memoryExporter()],
    warnings: (message) => warnings.push(message),
  })
  const hono = new Hono().use(tracing({ tracer, ...options }))
  hono.get('/x', (c) => c.text('ok'))
  return { hono, warnings }
}

describe('a freezing platform without waitUntil', () => {
  it('is said once, naming the platform and what to do, and the response is unchanged', async () => {
    const { hono, warnings } = await app({})
    for (let i = 0; i < 3; i++) expect(await (await hono.request('/x')).text()).toBe('ok')
    expect(warnings).toEqual([
      "tracing(): AWS Lambda freezes the function after the response, and no waitUntil was found for this request: its spans wait for the tracer's interval and are lost when the function freezes. Pass tracing({ waitUntil }), or await tracer.flush() before the response is returned.",
    ])
  })

  it('says nothing when a waitUntil is given, or when flushing is off', async () => {
    const handed: Promise<unknown>[] = []
    const given = await app({ waitUntil: (promise: Promise<unknown>) => handed.push(promise) })
    expect(await (await given.hono.request('/x')).text()).toBe('ok')
    await Promise.all(handed)
    expect(handed).toHaveLength(1)
    expect(given.warnings).toEqual([])
    const off = await app({ flush: false })
    expect(await (await off.hono.request('/x')).text()).toBe('ok')
    expect(off.warnings).toEqual([])
  })
})
