// setTrustedAttributes: the adapters' fast path. It must keep every guarantee the checked path
// gives for values (limits, finite numbers, well-formed text), and an escaped form handed to the
// encoder must never win over what redaction or the limits did to the value.
import { describe, expect, it } from 'vitest'
import { createTracer, setTrustedAttributes } from '../src/index.js'
import { encodeOtlpTraces } from '../src/otlp.js'
import { memoryExporter } from '../src/testing.js'

function setup(options: Parameters<typeof createTracer>[0] = {}) {
  const exporter = memoryExporter()
  const tracer = createTracer({
    serviceName: 'test',
    exporters: [exporter],
    metrics: false,
    ...options,
  })
  return { exporter, tracer }
}

const escapedJson = (text: string) => JSON.stringify(text).slice(1, -1)
const sent = (spans: Parameters<typeof encodeOtlpTraces>[0]) =>
  Object.fromEntries(
    JSON.parse(encodeOtlpTraces(spans)).resourceSpans[0].scopeSpans[0].spans[0].attributes.map(
      (kv: { key: string; value: Record<string, unknown> }) => [kv.key, kv.value],
    ),
  )

describe('setTrustedAttributes', () => {
  it('stores clean values as given and sends the escaped form the writer gave', async () => {
    const { tracer, exporter } = setup()
    const span = tracer.startSpan('s')
    const text = JSON.stringify([{ role: 'user', content: `say "hi"\n${'x'.repeat(1024)}` }])
    setTrustedAttributes(
      span,
      { 'gen_ai.input.messages': text, n: 3, ok: true, skipped: undefined },
      // A marker instead of the true escaped form shows that the encoder used it.
      { 'gen_ai.input.messages': 'MARK' },
    )
    span.end()
    await tracer.flush()
    const [data] = exporter.spans
    expect(data!.attributes).toEqual({ 'gen_ai.input.messages': text, n: 3, ok: true })
    expect(sent(exporter.spans)['gen_ai.input.messages']).toEqual({ stringValue: 'MARK' })
  })

  it('makes the escaped form when the encoder asks, from a function the writer gave', async () => {
    const { tracer, exporter } = setup()
    const text = JSON.stringify([{ role: 'user', content: `say "hi"\n${'x'.repeat(1024)}` }])
    let calls = 0
    const span = tracer.startSpan('s')
    setTrustedAttributes(
      span,
      { 'gen_ai.input.messages': text, other: text },
      {
        'gen_ai.input.messages': () => {
          calls++
          return 'MARK'
        },
        // A form that cannot be made: the encoder escapes the value itself.
        other: () => {
          throw new Error('no form')
        },
      },
    )
    span.end()
    await tracer.flush()
    expect(calls).toBe(0)
    const attributes = sent(exporter.spans)
    expect(calls).toBe(1)
    expect(attributes['gen_ai.input.messages']).toEqual({ stringValue: 'MARK' })
    expect(attributes.other).toEqual({ stringValue: text })
    // Given back something other than a string, likewise.
    const again = tracer.startSpan('s')
    setTrustedAttributes(again, { other: text }, { other: (() => 42) as unknown as () => string })
    again.end()
    await tracer.flush()
    expect(sent([exporter.spans[1]!]).other).toEqual({ stringValue: text })
  })

  it('escapes a short text itself: the escaped form the writer gave is not kept for it', async () => {
    const { tracer, exporter } = setup()
    const span = tracer.startSpan('s')
    const text = JSON.stringify([{ role: 'user', content: 'say "hi"\n' }])
    setTrustedAttributes(
      span,
      { 'gen_ai.input.messages': text },
      { 'gen_ai.input.messages': 'MARK' },
    )
    span.end()
    await tracer.flush()
    expect(sent(exporter.spans)['gen_ai.input.messages']).toEqual({ stringValue: text })
  })

  it('a later clean write gives the keys in the order single writes give, and keeps earlier escaped forms', async () => {
    const { tracer, exporter } = setup()
    const long = `"${'y'.repeat(2000)}"`
    const reasons = ['stop']
    const first = { 'gen_ai.operation.name': 'chat', 'gen_ai.input.messages': long, step: 0 }
    const closing = {
      'gen_ai.response.id': 'r',
      step: 1,
      'gen_ai.usage.input_tokens': 40,
      'gen_ai.response.finish_reasons': reasons,
      'gen_ai.output.messages': '[]',
      cost: 0.00022,
    }
    const trusted = tracer.startSpan('trusted')
    setTrustedAttributes(trusted, first, { 'gen_ai.input.messages': 'MARK' })
    setTrustedAttributes(trusted, closing)
    trusted.end()
    const checked = tracer.startSpan('checked')
    checked.setAttributes(first)
    checked.setAttributes(closing)
    checked.end()
    await tracer.flush()
    const [fast, slow] = exporter.spans
    expect(Object.keys(fast!.attributes)).toEqual(Object.keys(slow!.attributes))
    expect(fast!.attributes).toEqual(slow!.attributes)
    expect(fast!.attributes.step).toBe(1)
    // The closing write's list is the span's own copy.
    reasons.push('length')
    expect(fast!.attributes['gen_ai.response.finish_reasons']).toEqual(['stop'])
    expect(sent([fast!])['gen_ai.input.messages']).toEqual({ stringValue: 'MARK' })
  })

  it('gives way to redaction: a credential in the text leaves redacted, not in its escaped form', async () => {
    const { tracer, exporter } = setup()
    const span = tracer.startSpan('s')
    const text = 'my key is sk-proj-abcdefghijklmnopqrstuvwx, "keep" it'
    setTrustedAttributes(
      span,
      { 'gen_ai.input.messages': text },
      { 'gen_ai.input.messages': escapedJson(text) },
    )
    span.end()
    await tracer.flush()
    const value = sent(exporter.spans)['gen_ai.input.messages'].stringValue as string
    expect(value).not.toContain('sk-proj-')
    expect(value).toBe('my key is [REDACTED], "keep" it')
  })

  it('takes the checked path for what is not clean: too long, not finite, lone surrogates, objects', async () => {
    const { tracer, exporter } = setup({ limits: { maxStringLength: 10 } })
    const span = tracer.startSpan('s')
    const long = 'x'.repeat(50)
    setTrustedAttributes(
      span,
      { long, nan: Number.NaN, lone: 'a\ud800b', object: { a: 1 }, list: ['a', 'b'] },
      { long: escapedJson(long) },
    )
    span.end()
    await tracer.flush()
    const { attributes } = exporter.spans[0]!
    expect(attributes.long).toBe(`${'x'.repeat(9)}…`)
    expect(attributes.nan).toBe('NaN')
    expect(attributes.lone).toBe('a\ufffdb')
    expect(attributes.object).toBe('{"a":1}')
    expect(attributes.list).toEqual(['a', 'b'])
    // The escaped form was of the uncut text: the encoder escapes the stored one instead.
    expect(sent(exporter.spans).long).toEqual({ stringValue: attributes.long })
  })

  it('a later write keeps every key the span had, its own values winning, a user __proto__ key included', async () => {
    const { tracer, exporter } = setup()
    const span = tracer.startSpan('s')
    setTrustedAttributes(span, { a: 1, b: 'two' })
    span.setAttribute('__proto__', 'user value')
    span.setAttribute('user.key', 'kept')
    const closing: Record<string, unknown> = { a: 10, c: 3, d: 4, e: 5, f: 6 }
    setTrustedAttributes(span, closing)
    span.end()
    await tracer.flush()
    const { attributes } = exporter.spans[0]!
    expect(Object.getPrototypeOf(attributes)).toBe(Object.prototype)
    expect(Object.keys(attributes).sort()).toEqual(
      ['__proto__', 'a', 'b', 'c', 'd', 'e', 'f', 'user.key'].sort(),
    )
    expect(attributes).toMatchObject({
      a: 10,
      b: 'two',
      c: 3,
      d: 4,
      e: 5,
      f: 6,
      'user.key': 'kept',
    })
    expect(Object.getOwnPropertyDescriptor(attributes, '__proto__')?.value).toBe('user value')
  })

  it('a later write never takes the span past its attribute limit, whichever path it takes', async () => {
    const { tracer, exporter } = setup({ limits: { maxAttributes: 4 } })
    const span = tracer.startSpan('s')
    setTrustedAttributes(span, { a: 1, b: 2 })
    setTrustedAttributes(span, { c: 3, d: 4, e: 5 })
    span.end()
    await tracer.flush()
    expect(Object.keys(exporter.spans[0]!.attributes)).toHaveLength(4)
    expect(exporter.spans[0]!.attributes).toMatchObject({ a: 1, b: 2, c: 3, d: 4 })
  })

  it('keeps a clean list as a copy, and sends a list that is not clean through the checked path', async () => {
    const { tracer, exporter } = setup({ limits: { maxStringLength: 10, maxArrayLength: 3 } })
    const span = tracer.startSpan('s')
    const tags = ['a', 'b']
    // All clean: the object becomes the span's own. Then a write that is not.
    setTrustedAttributes(span, { tags, counts: [1, 2], flags: [true], empty: [] })
    const counts = [7]
    setTrustedAttributes(span, {
      lone: ['ok', 'x\ud800'],
      long: ['x'.repeat(50)],
      many: [1, 2, 3, 4, 5],
      mixed: [1, 'a'],
      later: counts,
    })
    counts.push(8)
    tags.push('added later')
    span.end()
    await tracer.flush()
    const { attributes } = exporter.spans[0]!
    expect(attributes.tags).toEqual(['a', 'b'])
    expect(attributes.counts).toEqual([1, 2])
    expect(attributes.flags).toEqual([true])
    expect(attributes.empty).toEqual([])
    expect(attributes.lone).toEqual(['ok', 'x\ufffd'])
    expect(attributes.long).toEqual([`${'x'.repeat(9)}…`])
    // Past maxArrayLength a list is JSON text with its "[2 more]" marker, here cut to 10 characters.
    expect(attributes.many).toBe('[1,2,3,"[…')
    expect(attributes.mixed).toBe('[1,"a"]')
    expect(attributes.later).toEqual([7])
  })

  it('counts toward the attribute limit, and does nothing on an ended or non-recording span', async () => {
    const { tracer, exporter } = setup({ limits: { maxAttributes: 2 } })
    const span = tracer.startSpan('s')
    setTrustedAttributes(span, { a: 1, b: 2, c: 3 })
    span.end()
    setTrustedAttributes(span, { d: 4 })
    const off = createTracer({ enabled: false }).startSpan('off')
    setTrustedAttributes(off, { a: 1 })
    await tracer.flush()
    expect(exporter.spans[0]!.attributes).toEqual({ a: 1, b: 2 })
    expect(tracer.stats().lateWrites).toBe(1)
  })
})
