// Attribute values past limits.maxStringLength that are JSON (an AI SDK call's messages, an object
// attribute made JSON) are cut so that they stay valid JSON, which backends parse; before, they
// were cut as text and reached the backend as JSON no parser reads.
import { describe, expect, it } from 'vitest'
import { createTracer } from '../src/index.js'
import { memoryExporter } from '../src/testing.js'

function exported(attributes: Record<string, unknown>) {
  const exporter = memoryExporter()
  const tracer = createTracer({
    serviceName: 'cut',
    exporters: [exporter],
    limits: { maxStringLength: 1024 },
  })
  tracer.startSpan('s').setAttributes(attributes).end()
  return tracer.flush().then(() => exporter.spans[0]!.attributes)
}

describe('a JSON value past maxStringLength', () => {
  it('stays valid JSON within the limit: strings cut to one length, ending in …', async () => {
    const messages = Array.from({ length: 6 }, (_, i) => ({
      role: i % 2 ? 'assistant' : 'user',
      parts: [{ type: 'text', content: `turn ${i} "quoted" ${'text '.repeat(100)}` }],
    }))
    const attributes = await exported({
      'gen_ai.input.messages': JSON.stringify(messages),
      object: { note: 'y'.repeat(3000), count: 3, flags: [true, false] },
    })
    const text = attributes['gen_ai.input.messages'] as string
    expect(text.length).toBeLessThanOrEqual(1024)
    const parsed = JSON.parse(text)
    expect(parsed.map((m: { role: string }) => m.role)).toEqual(messages.map((m) => m.role))
    for (const m of parsed) expect(m.parts[0].content).toMatch(/^turn \d "quoted" text .*…$/)
    const object = JSON.parse(attributes.object as string)
    expect(object).toMatchObject({ count: 3, flags: [true, false] })
    expect(object.note).toMatch(/^y+…$/)
  })

  // A string safeJson had already cut (and marked) was cut again inside its marker: `…[truncated
  // 44…`, naming a count that no longer held.
  it('cuts a string that was already cut by its text, never inside its marker', async () => {
    for (const length of [1100, 3000, 70_000]) {
      const attributes = await exported({ one: { t: 'a'.repeat(length) } })
      const text = attributes.one as string
      expect(text.length).toBeLessThanOrEqual(1024)
      expect(JSON.parse(text).t).toMatch(/^a+…$/)
    }
  })

  // A list past maxArrayLength kept its first items with nothing to say the rest were gone.
  it('makes a list past maxArrayLength JSON text that ends by saying how many items were left out', async () => {
    const exporter = memoryExporter()
    const tracer = createTracer({ serviceName: 'cut', exporters: [exporter] })
    const vector = Array.from({ length: 1500 }, (_, i) => i / 8)
    const tags = Array.from({ length: 1200 }, (_, i) => `t${i}`)
    tracer
      .startSpan('s')
      .setAttributes({ vector, tags, short: vector.slice(0, 1000) })
      .end()
    await tracer.flush()
    const { attributes } = exporter.spans[0]!
    expect(JSON.parse(attributes.vector as string)).toEqual([
      ...vector.slice(0, 1000),
      '[500 more]',
    ])
    expect(JSON.parse(attributes.tags as string)).toEqual([...tags.slice(0, 1000), '[200 more]'])
    expect(attributes.short).toEqual(vector.slice(0, 1000))
  })

  it('is cut as text when it is not JSON, or when its frame alone is over the limit', async () => {
    const attributes = await exported({
      notJson: `[not json ${'z'.repeat(2000)}`,
      frame: JSON.stringify(Array.from({ length: 400 }, (_, i) => `s${i}`)),
    })
    for (const key of ['notJson', 'frame'])
      expect(attributes[key] as string).toMatch(/…\[truncated \d+ chars\]$/)
  })
})
