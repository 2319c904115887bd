// A custom exporter that ignores its abort signal and never answers no longer holds its processor
// for good: the attempt is given up shortly after exportTimeoutMs, counted and said as a timeout,
// and the spans after it are sent.
import { describe, expect, it } from 'vitest'
import { createTracer } from '../src/index.js'
import type { SpanData } from '../src/types.js'

describe('an exporter that never answers and ignores its signal', () => {
  it('fails the attempt as a timeout, and the spans after it still go', async () => {
    let stuck = true
    const delivered: string[] = []
    const warnings: string[] = []
    const tracer = createTracer({
      serviceName: 'stuck',
      metrics: false,
      exportTimeoutMs: 300,
      retry: { maxRetries: 0 },
      warnings: (message) => warnings.push(message),
      exporters: [
        {
          name: 'custom',
          export: (spans: SpanData[]) => {
            if (stuck) return new Promise(() => {})
            delivered.push(...spans.map((span) => span.name))
            return Promise.resolve({ code: 'success' as const })
          },
        },
      ],
    })
    for (let i = 0; i < 3; i++) tracer.startSpan(`stuck ${i}`).end()
    const started = performance.now()
    const first = await tracer.flush({ timeoutMs: 5000 })
    // Given up at exportTimeoutMs plus a short grace, not at the flush's bound.
    expect(performance.now() - started).toBeLessThan(2000)
    expect(first.ok).toBe(false)
    expect(first.reason).toContain(
      '3 spans not delivered: no answer within 300 ms (exportTimeoutMs)',
    )
    expect(tracer.stats().failed).toBe(3)
    expect(tracer.stats().inflight).toBe(0)
    stuck = false
    tracer.startSpan('after').end()
    expect(await tracer.flush({ timeoutMs: 5000 })).toEqual({ ok: true, pending: 0 })
    expect(delivered).toEqual(['after'])
    expect(warnings[0]).toContain(
      'spans not delivered to the custom exporter: no answer within 300 ms',
    )
  })

  it('waits for an exporter that answers late but within the grace after its timeout', async () => {
    const tracer = createTracer({
      serviceName: 'late',
      metrics: false,
      exportTimeoutMs: 100,
      warnings: false,
      exporters: [
        {
          name: 'late',
          // Ignores the signal, answers 50 ms after it aborted: the answer counts.
          export: () =>
            new Promise((resolve) => setTimeout(() => resolve({ code: 'success' as const }), 150)),
        },
      ],
    })
    tracer.startSpan('late').end()
    expect(await tracer.flush({ timeoutMs: 5000 })).toEqual({ ok: true, pending: 0 })
    expect(tracer.stats().exported).toBe(1)
  })
  it('is not called again for a batch whose wait for a retry a shutdown ended, and the loss is said', async () => {
    let calls = 0
    const warnings: string[] = []
    const tracer = createTracer({
      serviceName: 'retrying',
      metrics: false,
      retry: { maxRetries: 3, initialBackoffMs: 2000, maxBackoffMs: 2000 },
      warnings: (message) => warnings.push(message),
      exporters: [
        {
          name: 'custom',
          // Ignores its signal: a call after the shutdown would send the batch again.
          export: () => {
            calls++
            return Promise.resolve({ code: 'retryable' as const, error: new Error('busy') })
          },
        },
      ],
    })
    for (let i = 0; i < 3; i++) tracer.startSpan(`s${i}`).end()
    await tracer.shutdown({ timeoutMs: 200 })
    expect(calls).toBe(1)
    expect(tracer.stats().failed).toBe(3)
    expect(tracer.stats().inflight).toBe(0)
    expect(warnings.at(-1)).toContain(
      'spans not delivered to the custom exporter: tracer.shutdown() ran out of time (200 ms)',
    )
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(calls).toBe(1)
  })
})
