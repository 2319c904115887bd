import { describe, expect, it } from 'vitest'
import { createTracer } from '../src/index.js'
import { DETECTOR_NAMES } from '../src/redaction/detector-names.js'
import { DETECTORS } from '../src/redaction/detectors.js'
import { memoryExporter, memoryMetricExporter } from '../src/testing.js'

// Metrics, trace-complete sampling, redaction and the exporters' encoders load by import() the
// first time they are needed (see bundle-split.node.test.ts). These tests use the tracer in the
// same tick it is made, before any of that code has arrived: nothing may be lost or leak.

const llm = { kind: 'llm' as const, attributes: { 'gen_ai.operation.name': 'chat' } }

describe('features loaded on first use', () => {
  it('counts in GenAI metrics every LLM span that ended before the metrics code loaded', async () => {
    const metrics = memoryMetricExporter()
    const spans = memoryExporter()
    const tracer = createTracer({
      exporters: [spans],
      metrics: { exporters: [metrics] },
      flushIntervalMs: 600_000,
    })
    for (let i = 0; i < 50; i++)
      tracer
        .startSpan('chat m', {
          ...llm,
          attributes: { ...llm.attributes, 'gen_ai.request.model': 'm' },
        })
        .end()
    expect(metrics.snapshots).toHaveLength(0)
    expect((await tracer.flush()).ok).toBe(true)
    const calls = metrics.metric('tokentrail.llm.calls')
    expect(calls?.type).toBe('sum')
    expect(calls?.type === 'sum' && calls.points.reduce((n, p) => n + p.value, 0)).toBe(50)
    // The totals start with the tracer, not with the load: before the first span ended.
    const firstEnd = Math.min(...spans.spans.map((span) => span.endTime))
    expect(metrics.snapshots[0]!.startTime).toBeLessThanOrEqual(firstEnd)
  })

  it('trace-complete sampling decides traces whose spans started and ended before the sampler loaded', async () => {
    const exporter = memoryExporter()
    const tracer = createTracer({
      exporters: [exporter],
      sampleRate: 0,
      sampling: {},
      flushIntervalMs: 600_000,
    })
    const failed = tracer.startSpan('failed request')
    tracer.startSpan('chat m', { ...llm, parent: failed }).end({ status: 'error' })
    failed.end()
    const fine = tracer.startSpan('fine request')
    tracer.startSpan('chat m', { ...llm, parent: fine }).end()
    fine.end()
    expect(tracer.stats().sampling!.bufferedSpans).toBe(4) // held while the sampler loads
    expect((await tracer.flush()).ok).toBe(true)
    expect(exporter.spans.map((s) => s.name).sort()).toEqual(['chat m', 'failed request'])
    expect(tracer.stats().sampling).toMatchObject({
      keptTraces: 1,
      droppedTraces: 1,
      droppedSpans: 2,
      bufferedSpans: 0,
    })
  })

  it('redacts spans that reached the export boundary before the redactor loaded', async () => {
    const exporter = memoryExporter()
    const tracer = createTracer({ exporters: [exporter], redaction: {}, flushIntervalMs: 600_000 })
    for (let i = 0; i < 20; i++)
      tracer.startSpan(`lookup ${i}`, { attributes: { who: `user${i}@example.com` } }).end()
    expect(tracer.stats().redaction!.email).toBe(0)
    await tracer.flush()
    expect(exporter.spans).toHaveLength(20)
    expect(JSON.stringify(exporter.spans)).not.toContain('@example.com')
    expect(tracer.stats().redaction!.email).toBe(20)
  })

  it('shutdown waits for the sampler, so a trace still open is decided and its kept spans sent', async () => {
    const exporter = memoryExporter()
    const tracer = createTracer({ exporters: [exporter], sampleRate: 0, sampling: {} })
    const root = tracer.startSpan('request')
    tracer.startSpan('chat m', { ...llm, parent: root }).end({ status: 'error' })
    await tracer.shutdown() // the root never ended: decided with what is known
    expect(exporter.spans.map((s) => s.name)).toContain('chat m')
  })

  it('checks detector names at start-up against the same list, in the order the detectors run', () => {
    // The names are kept apart from the patterns (loaded with the redactor); a detector added to one
    // and not the other, or reordered (a JWT must be tried before an API key), fails here.
    expect(DETECTOR_NAMES).toEqual(Object.keys(DETECTORS))
    expect(DETECTOR_NAMES.map((name) => DETECTORS[name].name)).toEqual([...DETECTOR_NAMES])
  })
})
