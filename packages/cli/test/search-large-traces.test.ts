// Text search in a trace of many spans, sent by core's tracer over OTLP/HTTP to a real collector:
// spans go out as they end, so the root comes last, after its children's names had filled the
// names the search text keeps (1,000 characters): its name, and an error that came late, were not
// found, though the list row showed them.
import { join } from 'node:path'
import { createTracer, otlpExporter } from '@tokentrail/core'
import { describe, expect, it } from 'vitest'
import { startCollector } from '../src/index.js'
import { onCleanup, tempDir } from './helpers.js'

async function found(url: string, text: string): Promise<string[]> {
  const response = await fetch(`${url}/api/traces?text=${encodeURIComponent(text)}`)
  const body = (await response.json()) as { traces: { rootName: string }[] }
  return body.traces.map((t) => t.rootName)
}

describe('search in a trace of many spans', () => {
  it.each([
    ['in batches of 50', 50],
    ['in one request', 512],
  ])('finds the root, which came last, and a late error (%s)', async (_, maxBatchSize) => {
    const c = await startCollector({ port: 0, db: join(tempDir(), 'traces.db'), log: () => {} })
    onCleanup(() => c.close())
    const tracer = createTracer({
      serviceName: 'search-order',
      exporters: [otlpExporter({ url: `${c.url}/v1/traces` })],
      maxBatchSize,
      metrics: false,
    })
    await tracer.withSpan('quarterly-report-root', async () => {
      for (let i = 0; i < 150; i++) tracer.startSpan(`fetch-section-${i}-of-the-report`).end()
      const failed = tracer.startSpan('render-chart')
      failed.recordError(new Error('quokka exploded in the renderer'))
      failed.end()
    })
    expect((await tracer.flush()).ok).toBe(true)
    await tracer.shutdown()
    // Names of spans that came early are still found.
    expect(await found(c.url, 'fetch-section-3-of')).toEqual(['quarterly-report-root'])
    expect(await found(c.url, 'quarterly-report')).toEqual(['quarterly-report-root'])
    expect(await found(c.url, 'quokka exploded')).toEqual(['quarterly-report-root'])
  })
})
