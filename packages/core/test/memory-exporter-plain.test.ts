// memoryExporter() is for an app's own tests: the spans it keeps are plain objects, as they were
// before span data was made by a class (span.ts EndedSpan), so `toStrictEqual` against an object
// literal and snapshots (`{` rather than `EndedSpan {`) of an app's suite still pass.
import { describe, expect, it } from 'vitest'
import { createTracer } from '../src/index.js'
import { memoryExporter } from '../src/testing.js'

describe('memoryExporter', () => {
  it('keeps spans an app test can compare with toStrictEqual and snapshot', async () => {
    const exporter = memoryExporter()
    const tracer = createTracer({ serviceName: 'app-tests', exporters: [exporter] })
    tracer.startSpan('checkout', { attributes: { 'cart.items': 2 } }).end()
    await tracer.shutdown()
    const span = exporter.span('checkout')
    expect(span).toStrictEqual({
      traceId: expect.any(String),
      spanId: expect.any(String),
      parentSpanId: undefined,
      traceState: undefined,
      name: 'checkout',
      kind: 'internal',
      startTime: expect.any(Number),
      endTime: expect.any(Number),
      status: 'ok',
      attributes: { 'cart.items': 2 },
      events: [],
      error: undefined,
      resource: expect.any(Object),
    })
    expect(span).toMatchInlineSnapshot(
      {
        traceId: expect.any(String),
        spanId: expect.any(String),
        startTime: expect.any(Number),
        endTime: expect.any(Number),
        resource: expect.any(Object),
      },
      `
      {
        "attributes": {
          "cart.items": 2,
        },
        "endTime": Any<Number>,
        "error": undefined,
        "events": [],
        "kind": "internal",
        "name": "checkout",
        "parentSpanId": undefined,
        "resource": Any<Object>,
        "spanId": Any<String>,
        "startTime": Any<Number>,
        "status": "ok",
        "traceId": Any<String>,
        "traceState": undefined,
      }
    `,
    )
  })
})
