import { describe, expect, it } from 'vitest'
import { createTracer } from '../src/index.js'
import { memoryExporter } from '../src/testing.js'

describe('smoke', () => {
  it('nests spans across await', async () => {
    const exporter = memoryExporter()
    const tracer = createTracer({ serviceName: 'smoke', exporters: [exporter] })
    await tracer.withSpan('root', async () => {
      await new Promise((r) => setTimeout(r, 5))
      await tracer.withSpan('child', async (span) => {
        span.setAttribute('x', { a: 1 })
      })
    })
    await tracer.flush()
    const root = exporter.span('root')
    const child = exporter.span('child')
    expect(child.parentSpanId).toBe(root.spanId)
    expect(child.traceId).toBe(root.traceId)
    expect(child.attributes.x).toBe('{"a":1}')
  })
})
