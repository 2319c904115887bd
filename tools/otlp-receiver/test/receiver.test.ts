import { createTracer, otlpExporter } from '@tokentrail/core'
import { afterEach, describe, expect, it } from 'vitest'
import { assertWholeTrace, type OtlpReceiver, startOtlpReceiver } from '../src/index.js'

let receiver: OtlpReceiver
afterEach(() => receiver?.close())

describe('otlp-receiver', () => {
  it('keeps spans sent by the real OTLP exporter, and checks whole traces', async () => {
    receiver = await startOtlpReceiver()
    const tracer = createTracer({
      serviceName: 'svc',
      exporters: [otlpExporter({ url: `${receiver.url}/v1/traces` })],
    })
    await tracer.withSpan('root', { kind: 'http' }, async () => {
      tracer.startSpan('child', { attributes: { n: 2, ok: true, tags: ['a'] } }).end()
    })
    await tracer.flush()
    await receiver.waitFor((spans) => spans.length === 2)
    const root = assertWholeTrace(receiver.spans)
    expect(root).toMatchObject({ name: 'root', kind: 2, service: 'svc' })
    expect(receiver.spans[0]!.attributes).toEqual({ n: 2, ok: true, tags: ['a'] })
    expect(receiver.requests).toBe(1)
    expect(() =>
      assertWholeTrace([...receiver.spans, { ...root, spanId: 'x', name: 'other' }]),
    ).toThrow(/expected one root/)
  })

  it('answers 400 to a body that is not JSON and times out waitFor with what arrived', async () => {
    receiver = await startOtlpReceiver()
    const response = await fetch(`${receiver.url}/v1/traces`, { method: 'POST', body: '{' })
    expect(response.status).toBe(400)
    await expect(receiver.waitFor(() => false, 50)).rejects.toThrow(/timed out; received: nothing/)
  })
})
