// On Vercel (the request context's waitUntil) the function may freeze once withTracing()'s flush
// settles: spans still waiting for a retry then wait for a next request that may never come. The
// failure's first line promised retries ("retrying up to 5 more times"); the flush that ran out
// of time before the freeze now says the loss, once. A real OTLP exporter against a closed port.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createTracer, otlpExporter } from '@tokentrail/core'
import { expect, it } from 'vitest'
import { withTracing } from '../src/index.js'
import { fakeVercelContext } from './helpers.js'

async function closedPortUrl(): Promise<string> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return `http://127.0.0.1:${port}/v1/traces`
}

it("a request's flush handed to Vercel's waitUntil that runs out of time says its spans may be lost at the freeze, once", async () => {
  const url = await closedPortUrl()
  const warnings: string[] = []
  const tracer = createTracer({
    serviceName: 'freeze-said',
    exporters: [otlpExporter({ url })],
    metrics: false,
    warnings: (message) => warnings.push(message),
  })
  const vercel = fakeVercelContext()
  try {
    const handler = withTracing(async () => new Response('hello'), {
      tracer,
      flushTimeoutMs: 400,
    })
    for (let i = 0; i < 2; i++) {
      const response = await handler(new Request('http://localhost/api/chat', { method: 'POST' }))
      expect(await response.text()).toBe('hello')
      await vercel.settle()
    }
    expect(vercel.promises).toHaveLength(2)
    expect(warnings).toHaveLength(2)
    expect(warnings[0]).toMatch(
      /^spans not delivered to .*: connection refused .*retrying up to 5 more times/,
    )
    expect(warnings[1]).toMatch(
      /^flush stopped waiting \(the next attempt is in [01]\.\d s, after its 400 ms bound\): 1 span for .* not delivered yet \(connection refused .*\)\. The function may freeze now: their retries go on only if this instance serves another request, and are lost if it never does\./,
    )
  } finally {
    vercel.uninstall()
    await tracer.shutdown({ timeoutMs: 10 })
  }
})
