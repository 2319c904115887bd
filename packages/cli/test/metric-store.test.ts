import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { type MetricPoint, openTraceStore } from '../src/index.js'
import { onCleanup, tempDir } from './helpers.js'

const point = (overrides: Partial<MetricPoint>): MetricPoint => ({
  service: 'svc',
  resource: {},
  scope: 's',
  name: 'm',
  description: '',
  unit: '1',
  type: 'sum',
  temporality: 'cumulative',
  monotonic: true,
  attributes: {},
  startTime: 1000,
  time: 2000,
  value: 1,
  ...overrides,
})

function store(options: { maxMetricSeries?: number; maxAgeMs?: number } = {}) {
  const s = openTraceStore({ path: join(tempDir(), 'm.db'), ...options })
  onCleanup(() => s.close())
  return s
}

describe('metric store', () => {
  it('keeps the newest value of gauges and up-down counters across runs, and adds monotonic runs', () => {
    const s = store()
    s.metrics.record([
      point({
        name: 'depth',
        type: 'gauge',
        temporality: 'unspecified',
        monotonic: false,
        value: 4,
      }),
      point({ name: 'in_flight', monotonic: false, value: 3 }),
      point({ name: 'calls', value: 10 }),
    ])
    // A restarted producer: new start time.
    s.metrics.record([
      point({
        name: 'depth',
        type: 'gauge',
        temporality: 'unspecified',
        monotonic: false,
        startTime: 0,
        time: 3000,
        value: 7,
      }),
      point({ name: 'in_flight', monotonic: false, startTime: 2500, time: 3000, value: 1 }),
      point({ name: 'calls', startTime: 2500, time: 3000, value: 2 }),
    ])
    const byName = Object.fromEntries(s.metrics.series().map((x) => [x.name, x]))
    expect(byName.depth).toMatchObject({ value: 7, runs: 1 })
    expect(byName.in_flight).toMatchObject({ value: 1, runs: 1 })
    expect(byName.calls).toMatchObject({ value: 12, runs: 2, startTime: 1000, time: 3000 })
    // Attribute order does not make another series.
    s.metrics.record([
      point({ name: 'calls', attributes: { b: '2', a: '1' }, time: 2100, value: 1 }),
    ])
    s.metrics.record([
      point({ name: 'calls', attributes: { a: '1', b: '2' }, time: 2200, value: 5 }),
    ])
    expect(
      s.metrics.series({ name: 'calls' }).map((x) => [JSON.stringify(x.attributes), x.value]),
    ).toEqual([
      ['{"a":"1","b":"2"}', 5],
      ['{}', 12],
    ])
  })

  it('adds delta histograms bucket by bucket and replaces on a change of bounds', () => {
    const s = store()
    const delta = (time: number, bucketCounts: number[], bounds = [1, 2]) =>
      point({
        name: 'h',
        type: 'histogram',
        temporality: 'delta',
        startTime: time - 100,
        time,
        value: undefined,
        count: bucketCounts.reduce((n, c) => n + c, 0),
        sum: 3,
        min: 0.5,
        max: time / 1000,
        bucketCounts,
        bounds,
      })
    s.metrics.record([delta(2000, [1, 0, 1])])
    s.metrics.record([delta(3000, [0, 2, 0])])
    expect(s.metrics.series()[0]).toMatchObject({
      count: 4,
      sum: 6,
      min: 0.5,
      max: 3,
      bucketCounts: [1, 2, 1],
      startTime: 1900,
      time: 3000,
    })
    s.metrics.record([delta(4000, [1, 1, 0, 0], [1, 2, 4])])
    expect(s.metrics.series()[0]).toMatchObject({ count: 2, bounds: [1, 2, 4] })
  })

  it('keeps at most maxMetricSeries runs, deleting the least recently updated, and ages them out', () => {
    const s = store({ maxMetricSeries: 3, maxAgeMs: 60_000 })
    const now = Date.now()
    s.metrics.record(
      [1, 2, 3, 4, 5].map((i) => point({ name: `m${i}`, startTime: 0, time: now - 10_000 + i })),
    )
    expect(s.metrics.count).toBe(5)
    expect(s.metrics.sweep(now)).toBe(2)
    expect(s.metrics.series().map((x) => x.name)).toEqual(['m3', 'm4', 'm5'])
    expect(s.metrics.sweep(now + 55_000)).toBe(3)
    expect(s.metrics.count).toBe(0)
    expect(() => openTraceStore({ path: ':memory:', maxMetricSeries: -1 })).toThrow(
      'maxMetricSeries must be a whole number ≥ 0, got -1',
    )
  })

  it('keeps metrics in the trace database file across reopening', () => {
    const path = join(tempDir(), 'keep.db')
    const first = openTraceStore({ path })
    first.metrics.record([point({ value: 9 })])
    first.close()
    const again = openTraceStore({ path })
    onCleanup(() => again.close())
    expect(again.metrics.count).toBe(1)
    expect(again.metrics.series()[0]).toMatchObject({ value: 9 })
  })
})
