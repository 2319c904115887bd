// Custom exporters that break the SpanExporter contract in the ways real ones do: a shutdown()
// that never settles, a rejection without an Error, a `rejected` count that is not a count. The
// app's outcome stays the same (its shutdown resolves within its bound), stats stay true, and
// what went wrong is named.
import { describe, expect, it } from 'vitest'
import { createTracer } from '../src/index.js'
import type { ExportResult, SpanExporter } from '../src/types.js'

function tracerWith(exporter: SpanExporter, warnings: string[] = []) {
  return createTracer({
    serviceName: 'hostile',
    metrics: false,
    retry: { maxRetries: 0 },
    warnings: (message) => warnings.push(message),
    exporters: [exporter],
  })
}

describe('an exporter whose shutdown() never settles', () => {
  it('does not hold tracer.shutdown() past its timeoutMs; the spans were delivered first', async () => {
    const delivered: string[] = []
    const tracer = tracerWith({
      name: 'custom',
      export: async (spans) => {
        delivered.push(...spans.map((span) => span.name))
        return { code: 'success' }
      },
      shutdown: () => new Promise<void>(() => {}),
    })
    tracer.startSpan('a').end()
    const started = performance.now()
    const outcome = await Promise.race([
      tracer.shutdown({ timeoutMs: 300 }).then(() => 'resolved'),
      new Promise((resolve) => setTimeout(() => resolve('still waiting'), 3000)),
    ])
    expect(outcome).toBe('resolved')
    expect(performance.now() - started).toBeLessThan(2500)
    expect(delivered).toEqual(['a'])
    expect(tracer.stats().exported).toBe(1)
  })
})

describe('an export that rejects with something other than an Error', () => {
  for (const [label, value, said] of [
    ['undefined', undefined, 'rejected with undefined'],
    ['null', null, 'rejected with null'],
    ['a plain object', { status: 'down' }, 'rejected with {"status":"down"}'],
  ] as const)
    it(`${label}: the reason says what came, not "without an error" or [object Object]`, async () => {
      const warnings: string[] = []
      const tracer = tracerWith({ name: 'custom', export: () => Promise.reject(value) }, warnings)
      tracer.startSpan('a').end()
      const result = await tracer.flush({ timeoutMs: 2000 })
      expect(result.ok).toBe(false)
      expect(result.reason).toContain(`the custom exporter's export() threw or ${said}`)
      expect(warnings.join('\n')).toContain(`threw or ${said}`)
      expect(tracer.stats().failed).toBe(1)
      await tracer.shutdown()
    })
})

describe("an exporter's rejected count that is not a count", () => {
  for (const rejected of [Number.NaN, -3, 'two' as unknown as number])
    it(`rejected: ${String(rejected)} keeps stats().exported and rejected whole numbers`, async () => {
      const tracer = tracerWith({
        name: 'custom',
        export: async () => ({ code: 'success', rejected }) as ExportResult,
      })
      tracer.startSpan('a').end()
      tracer.startSpan('b').end()
      expect(await tracer.flush({ timeoutMs: 2000 })).toEqual({ ok: true, pending: 0 })
      const stats = tracer.stats()
      expect(stats.exported).toBe(2)
      expect(stats.rejected).toBe(0)
      await tracer.shutdown()
    })
})

describe('an exporter without a name (a plain object from JavaScript)', () => {
  it('is called "the custom exporter" in what is said, not "the undefined exporter"', async () => {
    const warnings: string[] = []
    const tracer = tracerWith(
      {
        export: async () => ({ code: 'failed', error: new Error('refused') }),
      } as unknown as SpanExporter,
      warnings,
    )
    tracer.startSpan('a').end()
    const result = await tracer.flush({ timeoutMs: 2000 })
    expect(result.reason).toBe('the custom exporter: 1 span not delivered: refused')
    expect(warnings.join('\n')).toContain('spans not delivered to the custom exporter: refused.')
    await tracer.shutdown()
  })
})
