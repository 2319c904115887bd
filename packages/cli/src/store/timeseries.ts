import type { DatabaseSync } from 'node:sqlite'

/** One line of a chart: a model's or a service's figures per time bucket (`null`: no data). */
export interface Series {
  key: string
  calls: number[]
  latencyP50: (number | null)[]
  latencyP95: (number | null)[]
  ttftP50: (number | null)[]
  tokens: (number | null)[]
  costUsd: (number | null)[]
  errorRate: (number | null)[]
}

/** Figures over time, grouped by model (LLM calls) or by service (traces). */
export interface TimeSeries {
  by: 'model' | 'service'
  from: number
  to: number
  bucketMs: number
  /** Start of each bucket, epoch milliseconds. */
  buckets: number[]
  series: Series[]
}

const NICE_BUCKETS = [
  1000, 5000, 10_000, 30_000, 60_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 10_800_000,
  21_600_000, 43_200_000, 86_400_000,
]
/** Most lines on one chart; the others are the least busy. */
export const MAX_SERIES = 8

/** A round bucket size giving at most about `count` buckets over `span` milliseconds. */
export function niceBucket(span: number, count: number): number {
  return (
    NICE_BUCKETS.find((b) => span / b <= count) ?? Math.ceil(span / count / 86_400_000) * 86_400_000
  )
}

/**
 * The bucket starts from `start` to `to`, about `count` of them, each at least `minBucketMs` long,
 * aligned to the bucket size.
 */
export function bucketLayout(
  start: number,
  to: number,
  count: number,
  minBucketMs = 0,
): { bucketMs: number; buckets: number[] } {
  const bucketMs = Math.max(minBucketMs, niceBucket(Math.max(1, to - start), count))
  const first = Math.floor(start / bucketMs) * bucketMs
  const n = Math.max(1, Math.ceil((to - first) / bucketMs))
  return { bucketMs, buckets: Array.from({ length: n }, (_, i) => first + i * bucketMs) }
}

function quantile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!
}

/**
 * Buckets LLM calls (by model) or traces (by service) from `from` to `to` into about `count`
 * buckets of a round size: p50/p95 latency, p50 TTFT, tokens, cost, error rate.
 */
export function timeSeries(
  db: DatabaseSync,
  {
    by,
    from,
    to,
    count = 60,
  }: { by: 'model' | 'service'; from: number; to: number; count?: number },
): TimeSeries {
  const rows = (
    by === 'model'
      ? db.prepare(
          'SELECT model AS key, start_time AS t, end_time - start_time AS d, ttft_ms AS ttft, coalesce(input_tokens, 0) + coalesce(output_tokens, 0) AS tokens, coalesce(cost_usd, 0) AS cost, status FROM spans WHERE model IS NOT NULL AND start_time >= ? AND start_time < ?',
        )
      : db.prepare(
          'SELECT service AS key, start_time AS t, end_time - start_time AS d, ttft_ms AS ttft, total_tokens AS tokens, cost_usd AS cost, status FROM traces WHERE start_time >= ? AND start_time < ?',
        )
  ).all(from, to) as {
    key: string
    t: number
    d: number
    ttft: number | null
    tokens: number
    cost: number
    status: string
  }[]
  // The chart starts at the first data point, not at an empty start of the asked range.
  const start = rows.reduce((min, r) => Math.min(min, r.t), to)
  const { bucketMs, buckets } = bucketLayout(start, to, count)
  const groups = new Map<
    string,
    {
      total: number
      d: number[][]
      ttft: number[][]
      tokens: number[]
      cost: number[]
      errors: number[]
      calls: number[]
    }
  >()
  for (const row of rows) {
    let g = groups.get(row.key)
    if (!g)
      groups.set(
        row.key,
        (g = {
          total: 0,
          d: buckets.map(() => []),
          ttft: buckets.map(() => []),
          tokens: buckets.map(() => 0),
          cost: buckets.map(() => 0),
          errors: buckets.map(() => 0),
          calls: buckets.map(() => 0),
        }),
      )
    const i = Math.min(buckets.length - 1, Math.floor((row.t - buckets[0]!) / bucketMs))
    g.total++
    g.calls[i]!++
    g.d[i]!.push(row.d)
    if (row.ttft !== null) g.ttft[i]!.push(row.ttft)
    g.tokens[i]! += row.tokens
    g.cost[i]! += row.cost
    if (row.status === 'error') g.errors[i]!++
  }
  const byNumber = (a: number, b: number) => a - b
  const series = [...groups]
    .sort((a, b) => b[1].total - a[1].total)
    .slice(0, MAX_SERIES)
    .map(([key, g]): Series => {
      const sorted = g.d.map((d) => d.sort(byNumber))
      return {
        key,
        calls: g.calls,
        latencyP50: sorted.map((d) => quantile(d, 0.5)),
        latencyP95: sorted.map((d) => quantile(d, 0.95)),
        ttftP50: g.ttft.map((t) => quantile(t.sort(byNumber), 0.5)),
        tokens: g.tokens.map((t, i) => (g.calls[i] ? t : null)),
        costUsd: g.cost.map((c, i) => (g.calls[i] ? c : null)),
        errorRate: g.calls.map((c, i) => (c ? g.errors[i]! / c : null)),
      }
    })
  return { by, from, to, bucketMs, buckets, series }
}
