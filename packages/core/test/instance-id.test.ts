// `service.instance.id`, which every tracer sends (a UUID per tracer), also where the tracer is
// made with no `crypto.randomUUID` (a page served over plain HTTP: browsers leave it out there) or
// with no random values at all (a Cloudflare Worker's global scope, as the README's usage makes
// it): before, the spans went without it, and cumulative metrics of two isolates could not be
// told apart.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createTracer } from '../src/index.js'
import { memoryExporter } from '../src/testing.js'

afterEach(() => vi.unstubAllGlobals())

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const real = globalThis.crypto

function traced() {
  const exporter = memoryExporter()
  const tracer = createTracer({ serviceName: 'id-test', exporters: [exporter] })
  return { exporter, tracer }
}

describe('service.instance.id', () => {
  it('is a UUID made from getRandomValues where crypto.randomUUID is missing', async () => {
    vi.stubGlobal('crypto', {
      getRandomValues: <T extends ArrayBufferView<ArrayBuffer>>(a: T) => real.getRandomValues(a),
    })
    const { exporter, tracer } = traced()
    tracer.startSpan('a').end()
    await tracer.flush()
    const a = exporter.span('a').resource.attributes['service.instance.id']
    expect(a).toMatch(UUID)
    const other = traced()
    other.tracer.startSpan('b').end()
    await other.tracer.flush()
    expect(other.exporter.span('b').resource.attributes['service.instance.id']).not.toBe(a)
  })

  it('is made at the first span when no random value can be made as the tracer is made', async () => {
    const refuse = () => {
      throw new Error('Disallowed operation called within global scope')
    }
    vi.stubGlobal('crypto', { randomUUID: refuse, getRandomValues: refuse })
    const { exporter, tracer } = traced()
    // The first request: random values can be made again.
    vi.stubGlobal('crypto', real)
    tracer.startSpan('first').end()
    tracer.startSpan('second').end()
    await tracer.flush()
    const [first, second] = ['first', 'second'].map(
      (name) => exporter.span(name).resource.attributes['service.instance.id'],
    )
    expect(first).toMatch(UUID)
    expect(second).toBe(first)
    expect(exporter.span('first').resource.attributes['telemetry.sdk.name']).toBe('tokentrail')
  })
})
