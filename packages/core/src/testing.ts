import type { MetricData, MetricExporter, MetricsSnapshot } from './metrics.js'
import { checkOptionKeys } from './options.js'
import type { SpanData, SpanExporter } from './types.js'

/** An exporter that keeps spans in memory, for tests. */
export interface MemoryExporter extends SpanExporter {
  /** Every span exported so far, in export order. */
  readonly spans: readonly SpanData[]
  /** The spans of one trace. */
  trace(traceId: string): SpanData[]
  /** The first span with this name; throws when there is none, listing the names there are. */
  span(name: string | RegExp): SpanData
  reset(): void
}

/**
 * Keeps exported spans in memory. Call `await tracer.flush()` before reading.
 *
 * @example
 * const exporter = memoryExporter()
 * const tracer = createTracer({ exporters: [exporter] })
 */
export function memoryExporter(options?: Record<string, never>): MemoryExporter {
  checkOptionKeys(options, [], 'memoryExporter()')
  const spans: SpanData[] = []
  return {
    name: 'memory',
    get spans() {
      return spans
    },
    async export(batch) {
      spans.push(...batch)
      return { code: 'success' }
    },
    trace(traceId) {
      return spans.filter((s) => s.traceId === traceId)
    },
    span(name) {
      const found = spans.find((s) =>
        typeof name === 'string' ? s.name === name : name.test(s.name),
      )
      if (!found)
        throw new Error(
          `no span named ${String(name)}; spans: ${spans.map((s) => s.name).join(', ') || 'none'}`,
        )
      return found
    },
    reset() {
      spans.length = 0
    },
  }
}

/** A metric exporter that keeps every snapshot, for tests. */
export interface MemoryMetricExporter extends MetricExporter {
  readonly snapshots: readonly MetricsSnapshot[]
  /** The newest snapshot's metric with this name. */
  metric(name: string): MetricData | undefined
}

/** Keeps exported metric snapshots in memory. Call `await tracer.flush()` before reading. */
export function memoryMetricExporter(options?: Record<string, never>): MemoryMetricExporter {
  checkOptionKeys(options, [], 'memoryMetricExporter()')
  const snapshots: MetricsSnapshot[] = []
  return {
    name: 'memory-metrics',
    get snapshots() {
      return snapshots
    },
    async export(snapshot) {
      snapshots.push(snapshot)
      return { code: 'success' }
    },
    metric(name) {
      return snapshots.at(-1)?.metrics.find((m) => m.name === name)
    },
  }
}
