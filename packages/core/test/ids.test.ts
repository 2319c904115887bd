// Span and trace ids: W3C Trace Context shapes, never all zeros, and random across pool refills.
import { describe, expect, it } from 'vitest'
import { isValidSpanId, isValidTraceId, newSpanId, newTraceId } from '../src/index.js'

describe('ids', () => {
  it('makes valid, distinct lowercase hex ids, through many refills of the random pool', () => {
    const traces = new Set<string>()
    const spans = new Set<string>()
    // 4,096 random bytes per refill: this takes ~200 refills, interleaving both sizes.
    for (let i = 0; i < 20_000; i++) {
      const trace = newTraceId()
      const span = newSpanId()
      expect(isValidTraceId(trace)).toBe(true)
      expect(isValidSpanId(span)).toBe(true)
      traces.add(trace)
      spans.add(span)
    }
    expect(traces.size).toBe(20_000)
    expect(spans.size).toBe(20_000)
    // Every hex digit shows up at every position of a trace id (a digit table off by one would not).
    for (let at = 0; at < 32; at++) {
      const digits = new Set([...traces].slice(0, 2000).map((id) => id[at]))
      expect(digits.size).toBe(16)
    }
  })
})
