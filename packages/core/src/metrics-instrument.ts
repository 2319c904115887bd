import type { HistogramPoint, MetricData, SumPoint } from './metrics.js'
import type { Attributes } from './types.js'

export type Point = HistogramPoint | SumPoint

/** The attribute that marks the series collecting everything past the cardinality limit. */
export const OVERFLOW_ATTRIBUTE = 'otel.metric.overflow'

/** One instrument's series, keyed by attributes, bounded by a cardinality limit. */
export class Instrument {
  readonly series = new Map<string, Point>()
  constructor(
    readonly type: 'histogram' | 'sum',
    readonly name: string,
    readonly description: string,
    readonly unit: string,
    private readonly limit: number,
    readonly boundaries: readonly number[] = [],
    readonly isInteger = true,
  ) {}

  /** The series for `attributes` (found by `key`), or the overflow series past the limit. */
  point(key: string, attributes: Attributes): Point {
    let point = this.series.get(key)
    if (point) return point
    // Past the limit everything lands in one overflow series, so memory stays bounded.
    if (this.series.size >= this.limit - 1) {
      key = OVERFLOW_ATTRIBUTE
      point = this.series.get(key)
      if (point) return point
      attributes = { [OVERFLOW_ATTRIBUTE]: true }
    }
    point =
      this.type === 'histogram'
        ? {
            attributes,
            count: 0,
            sum: 0,
            min: Number.POSITIVE_INFINITY,
            max: Number.NEGATIVE_INFINITY,
            bucketCounts: new Array(this.boundaries.length + 1).fill(0),
          }
        : { attributes, value: 0 }
    this.series.set(key, point)
    return point
  }

  /** Adds `value` to a sum; to a histogram, `times` measurements of `value`. */
  add(point: Point, value: number, times = 1): void {
    if (!Number.isFinite(value) || value < 0) return
    if ('bucketCounts' in point) {
      point.count += times
      point.sum += value * times
      if (value < point.min) point.min = value
      if (value > point.max) point.max = value
      let i = 0
      while (i < this.boundaries.length && value > this.boundaries[i]!) i++
      point.bucketCounts[i]! += times
    } else point.value += value
  }

  record(value: number, attributes: Attributes): void {
    let key = ''
    for (const k in attributes) key += `${k}\u0000${attributes[k]}\u0001`
    this.add(this.point(key, attributes), value)
  }

  snapshot(): MetricData | undefined {
    if (this.series.size === 0) return undefined
    // A series whose every value was rejected (negative, NaN) has nothing to say.
    const points = [...this.series.values()]
      .filter((p) => ('bucketCounts' in p ? p.count > 0 : p.value !== 0))
      .map((p) => ('bucketCounts' in p ? { ...p, bucketCounts: [...p.bucketCounts] } : { ...p }))
    if (points.length === 0) return undefined
    const common = { name: this.name, description: this.description, unit: this.unit }
    return this.type === 'histogram'
      ? {
          type: 'histogram',
          ...common,
          boundaries: this.boundaries,
          points: points as HistogramPoint[],
        }
      : { type: 'sum', ...common, isInteger: this.isInteger, points: points as SumPoint[] }
  }
}
