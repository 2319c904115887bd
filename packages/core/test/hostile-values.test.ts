// Found by the reliability suite's property tests: values that used to throw into user code,
// lose a span, or make a batch that OTLP receivers refuse.
import { describe, expect, it } from 'vitest'
import { createTracer } from '../src/index.js'
import { encodeOtlpTraces } from '../src/otlp.js'
import { memoryExporter } from '../src/testing.js'

function setup() {
  const exporter = memoryExporter()
  const tracer = createTracer({ serviceName: 'test', exporters: [exporter], metrics: false })
  return { exporter, tracer }
}

const LONE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

describe('hostile attribute keys and values', () => {
  it('drops empty keys, which OTLP forbids, and keeps a __proto__ key as a plain key', async () => {
    const { tracer, exporter } = setup()
    const span = tracer.startSpan('s')
    span.setAttribute('', 1)
    span.setAttributes({ '': 2, ok: 3 })
    span.setAttribute('__proto__', ['a', 'b'])
    span.addEvent('e', { '': 1, kept: 2 })
    span.end()
    await tracer.flush()
    const [data] = exporter.spans
    expect(Object.getPrototypeOf(data!.attributes)).toBe(Object.prototype)
    expect(Object.keys(data!.attributes).sort()).toEqual(['__proto__', 'ok'])
    expect(data!.events[0]!.attributes).toEqual({ kept: 2 })
    const keys = JSON.parse(
      encodeOtlpTraces(exporter.spans),
    ).resourceSpans[0].scopeSpans[0].spans[0].attributes.map((kv: { key: string }) => kv.key)
    expect(keys).not.toContain('')
  })

  it('never throws on throwing getters and proxies, and the span still ends and exports', async () => {
    const { tracer, exporter } = setup()
    const getter = {
      first: 1,
      get boom(): number {
        throw new Error('getter')
      },
    }
    const proxy = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('trap')
        },
      },
    )
    const span = tracer.startSpan('s', { attributes: getter })
    expect(() => span.setAttributes(proxy as any)).not.toThrow()
    expect(() => span.addEvent('e', getter)).not.toThrow()
    span.end()
    await tracer.flush()
    expect(exporter.spans).toHaveLength(1)
    expect(exporter.spans[0]!.attributes.first).toBe(1)
  })

  it('rethrows the original error whatever was thrown, even what String() cannot convert', async () => {
    const { tracer, exporter } = setup()
    const bare = Object.create(null)
    const hostile = new Proxy(
      {},
      {
        has() {
          throw new Error('trap')
        },
      },
    )
    for (const thrown of [bare, hostile, Symbol('s')]) {
      let caught: unknown
      try {
        tracer.withSpan(Object.create(null), () => {
          throw thrown
        })
      } catch (error) {
        caught = error
      }
      expect(caught).toBe(thrown)
    }
    await tracer.flush()
    expect(exporter.spans).toHaveLength(3)
    expect(exporter.spans.every((s) => s.status === 'error')).toBe(true)
  })

  it('rethrows the original error when even Object.prototype.toString throws on it (get trap, revoked Proxy)', async () => {
    const { tracer, exporter } = setup()
    const getTrap = new Proxy(
      {},
      {
        get() {
          throw new Error('trap')
        },
      },
    )
    const revocable = Proxy.revocable({}, {})
    revocable.revoke()
    for (const thrown of [getTrap, revocable.proxy]) {
      let caught: unknown
      try {
        tracer.withSpan('sync', () => {
          throw thrown
        })
      } catch (error) {
        caught = error
      }
      expect(caught).toBe(thrown)
      await expect(
        tracer.withSpan('async', async () => {
          throw thrown
        }),
      ).rejects.toBe(thrown)
      expect(() => tracer.startSpan('recorded').recordError(thrown).end()).not.toThrow()
    }
    // Returned rather than thrown: withSpan hands it back as it came, without reading `.then`.
    expect(tracer.withSpan('returned', () => getTrap)).toBe(getTrap)
    await tracer.flush()
    expect(exporter.spans).toHaveLength(7)
    expect(tracer.stats().started - tracer.stats().ended).toBe(0)
    expect(exporter.spans.filter((s) => s.status === 'error')).toHaveLength(6)
    expect(exporter.spans[0]!.error).toEqual({ type: 'object', message: '[object object]' })
  })

  it('cuts span and event names, attribute keys and error text at maxStringLength (names and keys not below 1024)', async () => {
    const exporter = memoryExporter()
    const tracer = createTracer({
      serviceName: 'test',
      exporters: [exporter],
      metrics: false,
      limits: { maxStringLength: 100 },
    })
    const long = (c: string) => c.repeat(1_000_000)
    // Cut to `max` characters, the marker (25 characters here) included, as OpenTelemetry's limit.
    const cut = (c: string, max = 1024) => {
      const keep = max - '…[truncated 999999 chars]'.length
      return `${c.repeat(keep)}…[truncated ${1_000_000 - keep} chars]`
    }
    const span = tracer.startSpan(long('n'))
    span.setAttribute(long('k'), 1)
    span.setAttributes({ [long('j')]: 2 })
    span.addEvent(long('e'), { [long('q')]: 3 })
    const error = new Error(long('m'))
    error.name = long('T')
    span.recordError(error)
    const renamed = tracer.startSpan('short')
    renamed.updateName(long('u'))
    renamed.end()
    span.end()
    await tracer.flush()
    const [first, data] = exporter.spans
    expect(first!.name).toBe(cut('u'))
    expect(data!.name).toBe(cut('n'))
    expect(Object.keys(data!.attributes).sort()).toEqual([cut('j'), cut('k')])
    expect(data!.events[0]!.name).toBe(cut('e'))
    expect(Object.keys(data!.events[0]!.attributes!)).toEqual([cut('q')])
    expect(data!.error!.type).toBe(cut('T'))
    expect(data!.error!.message).toBe(cut('m', 100))
    expect(data!.error!.message.length).toBe(100)
    expect(data!.name.length).toBe(1024)
    expect(data!.error!.stack!.length).toBeLessThan(200)
    // The whole span stays small on the wire: kilobytes, not megabytes.
    expect(encodeOtlpTraces([data!]).length).toBeLessThan(20_000)
  })

  it('sends a span once when end() is called again from inside its own end (onEnding, a child ending its parent)', async () => {
    const { tracer, exporter } = setup()
    const own = tracer.startSpan('own')
    own.onEnding((span) => {
      span.end()
      span.setAttribute('set after the inner end', true)
    })
    own.end()
    const parent = tracer.startSpan('parent')
    tracer.startSpan('child', { parent }).onEnding(() => parent.end())
    parent.end({ endOpenChildren: true })
    await tracer.flush()
    expect(exporter.spans.map((s) => s.name)).toEqual(['own', 'child', 'parent'])
    expect(exporter.spans[0]!.attributes['set after the inner end']).toBe(true)
    const stats = tracer.stats()
    expect(stats.ended).toBe(stats.started)
    expect(stats.exported).toBe(3)
  })

  it('a child that ends its parent from its own onEnding ends as it asked: not marked closed by the parent', async () => {
    const { tracer, exporter } = setup()
    const parent = tracer.startSpan('parent')
    const child = tracer.startSpan('child', { parent })
    child.onEnding(() => parent.end({ endOpenChildren: true }))
    child.end({ status: 'ok' })
    await tracer.flush()
    const exported = exporter.span('child')
    expect(exported.status).toBe('ok')
    expect(exported.attributes['tokentrail.closed_by_parent']).toBeUndefined()
    expect(tracer.stats().exported).toBe(2)
  })

  it('sends only well-formed text: lone surrogates become U+FFFD, truncation keeps pairs whole', async () => {
    const exporter = memoryExporter()
    const tracer = createTracer({
      serviceName: 'test',
      exporters: [exporter],
      metrics: false,
      limits: { maxStringLength: 4 },
    })
    const span = tracer.startSpan('name \uD800')
    span.setAttribute('lone', 'a\uDC00b')
    span.setAttribute('cut', 'ab😀😀')
    span.setAttribute('list', ['x\uD800'])
    span.setAttribute('key \uD800', 1)
    span.addEvent(Symbol('event') as any)
    span.recordError(new Error('bad \uD800'))
    span.updateName('renamed \uDFFF')
    span.end()
    await tracer.flush()
    const parsed = JSON.parse(encodeOtlpTraces(exporter.spans))
    const strings: string[] = []
    JSON.stringify(parsed, (key, value) => {
      strings.push(key)
      if (typeof value === 'string') strings.push(value)
      return value
    })
    expect(strings.filter((s) => LONE.test(s))).toEqual([])
    // Four characters leave no room for the marker: three of text would split the pair, so two and `…`.
    expect(exporter.spans[0]!.attributes.cut).toBe('ab…')
    expect(exporter.spans[0]!.events[0]!.name).toBe('Symbol(event)')
  })
})
