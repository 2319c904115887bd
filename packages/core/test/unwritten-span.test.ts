// A span not written yet shares one empty attributes object (an open span holds no object of its
// own): every write path must make the span's own first, and a span never written must still end
// with an object of its own, which later processing may change without touching other spans.
import { describe, expect, it } from 'vitest'
import { createTracer, setTrustedAttributes } from '../src/index.js'
import { memoryExporter } from '../src/testing.js'

function setup() {
  const exporter = memoryExporter()
  const tracer = createTracer({ serviceName: 'test', exporters: [exporter], metrics: false })
  return { exporter, tracer }
}

describe('a span not written yet', () => {
  it('ends with an empty attributes object of its own, not one shared with other spans', async () => {
    const { tracer, exporter } = setup()
    const a = tracer.startSpan('a')
    const b = tracer.startSpan('b')
    a.end()
    b.end()
    await tracer.flush()
    const [first, second] = exporter.spans
    expect(first!.attributes).toEqual({})
    expect(second!.attributes).toEqual({})
    expect(first!.attributes).not.toBe(second!.attributes)
    expect(Object.isFrozen(first!.attributes)).toBe(false)
  })

  it('takes each kind of first write into an object of its own', async () => {
    const { tracer, exporter } = setup()
    const one = tracer.startSpan('one')
    one.setAttribute('k', 'v')
    const many = tracer.startSpan('many')
    many.setAttributes({ a: 1, b: 'two' })
    // A value the trusted path cannot store as given (not finite) takes the checked, copying path.
    const trusted = tracer.startSpan('trusted')
    setTrustedAttributes(trusted, { n: Number.NaN, ok: true })
    const proto = tracer.startSpan('proto')
    proto.setAttribute('__proto__', 'x')
    const untouched = tracer.startSpan('untouched')
    for (const span of [one, many, trusted, proto, untouched]) span.end()
    await tracer.flush()
    const byName = Object.fromEntries(exporter.spans.map((s) => [s.name, s.attributes]))
    expect(byName.one).toEqual({ k: 'v' })
    expect(byName.many).toEqual({ a: 1, b: 'two' })
    expect(byName.trusted).toMatchObject({ ok: true })
    expect(Object.hasOwn(byName.proto!, '__proto__')).toBe(true)
    expect(byName.untouched).toEqual({})
  })
})
