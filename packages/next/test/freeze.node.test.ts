// Delivery under freeze (bench/freeze.ts): every invocation runs in a function instance that is
// killed as soon as its response bodies were read and its waitUntil promises settled.
import { describe, expect, it } from 'vitest'
import { formatRows, runFreezeHarness } from '../bench/freeze.ts'

describe('delivery under freeze', () => {
  it('delivers 500 of 500 complete traces with withTracing; the naive pattern loses them', async () => {
    const rows = await runFreezeHarness({ requests: 500, perInstance: 10, concurrency: 4 })
    console.log(formatRows(rows))
    const traced = rows.find((r) => r.pattern === 'traced')!
    const naive = rows.find((r) => r.pattern === 'naive')!
    // Every request was answered in full either way: tracing changed no outcome.
    expect(traced.answered).toBe(500)
    expect(naive.answered).toBe(500)
    expect(traced.complete).toBe(500)
    expect(naive.lost).toBeGreaterThan(0)
  }, 180_000)
})
