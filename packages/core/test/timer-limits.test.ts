// Timers take at most 2³¹ − 1 ms; a runtime fires a longer one at once. A flush or shutdown bound
// past it (Infinity: "as long as it takes") waits instead of timing out at once, and a tracer
// option past it is refused naming the limit, where it would have timed out every export.
import { describe, expect, it } from 'vitest'
import { createTracer, TokentrailError } from '../src/index.js'

function slowTracer() {
  const warnings: string[] = []
  const tracer = createTracer({
    serviceName: 'timers',
    metrics: false,
    warnings: (message) => warnings.push(message),
    exporters: [
      {
        name: 'slow',
        export: () =>
          new Promise((resolve) => setTimeout(() => resolve({ code: 'success' as const }), 80)),
      },
    ],
  })
  return { tracer, warnings }
}

describe('a flush or shutdown bound past the longest timer', () => {
  it('flush({ timeoutMs: Infinity }) waits for the export, with no warning', async () => {
    const { tracer, warnings } = slowTracer()
    const overflow: string[] = []
    const onWarning = (warning: Error) => overflow.push(warning.name)
    process.on('warning', onWarning)
    try {
      tracer.startSpan('a').end()
      expect(await tracer.flush({ timeoutMs: Number.POSITIVE_INFINITY })).toEqual({
        ok: true,
        pending: 0,
      })
      tracer.startSpan('b').end()
      expect(await tracer.flush({ timeoutMs: 3_000_000_000 })).toEqual({ ok: true, pending: 0 })
      tracer.startSpan('c').end()
      await tracer.shutdown({ timeoutMs: Number.POSITIVE_INFINITY })
      await new Promise((resolve) => setTimeout(resolve, 10))
    } finally {
      process.off('warning', onWarning)
    }
    expect(tracer.stats().exported).toBe(3)
    expect(warnings).toEqual([])
    expect(overflow).toEqual([])
  })
})

describe('tracer options past the longest timer', () => {
  for (const [options, message] of [
    [{ exportTimeoutMs: 3_000_000_000 }, /exportTimeoutMs must be at most 2147483647 ms/],
    [{ flushIntervalMs: 2 ** 31 }, /flushIntervalMs must be at most 2147483647 ms/],
    [{ retry: { maxBackoffMs: 1e10 } }, /retry\.maxBackoffMs must be at most 2147483647 ms/],
    [{ retry: { initialBackoffMs: -1 } }, /retry\.initialBackoffMs must be a number ≥ 0, got -1/],
    [{ retry: { multiplier: 0.5 } }, /retry\.multiplier must be a number ≥ 1, got 0\.5/],
  ] as const)
    it(`refuses ${JSON.stringify(options)}, naming it`, () => {
      expect(() => createTracer({ serviceName: 'x', exporters: [], ...options })).toThrow(
        TokentrailError,
      )
      expect(() => createTracer({ serviceName: 'x', exporters: [], ...options })).toThrow(message)
    })

  it('takes the longest timer itself', () => {
    expect(() =>
      createTracer({ serviceName: 'x', exporters: [], exportTimeoutMs: 2_147_483_647 }),
    ).not.toThrow()
  })
})
