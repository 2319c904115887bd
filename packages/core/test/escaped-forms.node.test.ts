// The escaped forms a writer hands to setTrustedAttributes must die with their span. Kept in a
// long-lived WeakMap keyed by the span's attributes, they did not: V8's young-generation GC holds
// such a map's values strongly, so every prompt's JSON (20 KB for a long chat) outlived its export
// until the next full GC, copied and promoted on the way.
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { describe, expect, it } from 'vitest'
import { createTracer, setTrustedAttributes } from '../src/index.js'
import { encodeOtlpTraces } from '../src/otlp.js'
import { memoryExporter } from '../src/testing.js'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as (options?: { type: 'minor' | 'major' }) => void

const CALLS = 1000
const TEXT = 24 * 1024

describe('escaped forms', () => {
  it('are not seen by readers of the attributes, and the encoder still uses them', async () => {
    const exporter = memoryExporter()
    const tracer = createTracer({ serviceName: 't', exporters: [exporter], metrics: false })
    const span = tracer.startSpan('s')
    const text = `"${'x'.repeat(2048)}"`
    setTrustedAttributes(span, { text, n: 1 }, { text: () => 'MARK' })
    span.end()
    await tracer.flush()
    const attributes = exporter.spans[0]!.attributes
    expect(Object.keys(attributes)).toEqual(['text', 'n'])
    expect({ ...attributes }).toEqual({ text, n: 1 })
    expect(JSON.parse(JSON.stringify(attributes))).toEqual({ text, n: 1 })
    const sent = JSON.parse(encodeOtlpTraces(exporter.spans)).resourceSpans[0].scopeSpans[0]
      .spans[0].attributes
    expect(sent[0]).toEqual({ key: 'text', value: { stringValue: 'MARK' } })
  })

  it('die with their span: young-generation GCs free the text once the span is exported', async () => {
    const exporter = memoryExporter()
    const tracer = createTracer({ serviceName: 't', exporters: [exporter], metrics: false })
    const heap = () => process.memoryUsage().heapUsed
    const write = (i: number) => {
      const span = tracer.startSpan('s')
      // A fresh string per span (not a constant the code holds), and a form that makes the escaped
      // text from it, as the AI SDK adapter's does.
      const text = `${i}`.padEnd(TEXT, 'x')
      setTrustedAttributes(span, { text }, { text: () => text })
      span.end()
    }
    // Spans written and exported a few at a time, as requests come and go.
    const run = async () => {
      for (let i = 0; i < CALLS; i++) {
        write(i)
        if (i % 16 === 15) {
          await tracer.flush()
          exporter.reset()
        }
      }
      await tracer.flush()
      exporter.reset()
    }
    // Warmed up first, so what the path compiles and caches is not counted.
    await run()
    gc()
    const before = heap()
    await run()
    gc({ type: 'minor' })
    gc({ type: 'minor' })
    const held = heap() - before
    // Kept alive by a WeakMap, the texts of the last hundreds of spans were still here (MBs).
    expect(held).toBeLessThan(1024 * 1024)
  })
})
