// On a platform that freezes the function after the response (AWS Lambda here, by its
// environment), a flush that can only run in the background (no waitUntil, no after()) loses its
// spans: said once per tracer. The platform is read once per process, so this file sets it before
// loading the adapter.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const previous = process.env.AWS_LAMBDA_FUNCTION_NAME
beforeAll(() => {
  process.env.AWS_LAMBDA_FUNCTION_NAME = 'chat-route'
})
afterAll(() => {
  if (previous === undefined) delete process.env.AWS_LAMBDA_FUNCTION_NAME
  else process.env.AWS_LAMBDA_FUNCTION_NAME = previous
})

async function setup() {
  const { createTracer } = await import('@tokentrail/core')
  const { memoryExporter } = await import('@tokentrail/core/testing')
  const { withTracing } = await import('../src/index.js')
  const warnings: string[] = []
  const tracer = createTracer({
    serviceName: 'lambda',
    exporters: [memoryExporter()],
    warnings: (message) => warnings.push(message),
  })
  return { withTracing, tracer, warnings }
}

describe('a freezing platform where the flush runs in the background', () => {
  it('is said once, naming the platform, and the response is unchanged', async () => {
    const { withTracing, tracer, warnings } = await setup()
    const GET = withTracing(async () => new Response('ok'), { tracer })
    for (let i = 0; i < 3; i++)
      expect(await (await GET(new Request('http://localhost/api/x'))).text()).toBe('ok')
    await tracer.flush()
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(
      /^withTracing\(\): AWS Lambda freezes the function after the response, and neither a waitUntil nor Next's after\(\) was found for this request: its flush runs in the background and its spans are lost when the function freezes\./,
    )
  })

  it('says nothing where the platform gives a waitUntil', async () => {
    const { fakeVercelContext } = await import('./helpers.js')
    const { withTracing, tracer, warnings } = await setup()
    const vercel = fakeVercelContext()
    try {
      const GET = withTracing(async () => new Response('ok'), { tracer })
      expect(await (await GET(new Request('http://localhost/api/x'))).text()).toBe('ok')
      await vercel.settle()
    } finally {
      vercel.uninstall()
    }
    expect(vercel.promises).toHaveLength(1)
    expect(warnings).toEqual([])
  })
})
