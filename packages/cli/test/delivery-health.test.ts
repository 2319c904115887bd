import { join } from 'node:path'
import { createTracer, otlpExporter, otlpMetricsExporter } from '@tokentrail/core'
import { describe, expect, it } from 'vitest'
import { runCli, startCollector } from '../src/index.js'
import { closedPort, onCleanup, tempDir } from './helpers.js'

describe('delivery health from otel.sdk.* metrics', () => {
  it.each(['http/json', 'http/protobuf'] as const)(
    'tokentrail stats shows per service what was exported, failed and dropped (%s)',
    async (protocol) => {
      const c = await startCollector({ port: 0, db: join(tempDir(), 'traces.db') })
      onCleanup(() => c.close())
      const port = await closedPort()
      // One exporter reaches the collector, the other points at a closed port.
      const tracer = createTracer({
        serviceName: 'checkout',
        warnings: false,
        retry: { maxRetries: 0 },
        exporters: [
          otlpExporter({ url: `${c.url}/v1/traces` }),
          otlpExporter({ url: `http://127.0.0.1:${port}/v1/traces` }),
        ],
        metrics: { exporters: [otlpMetricsExporter({ url: `${c.url}/v1/metrics`, protocol })] },
      })
      tracer
        .startSpan('chat gpt-4o', { kind: 'llm', attributes: { 'gen_ai.operation.name': 'chat' } })
        .end()
      tracer.startSpan('GET /cart').end()
      await tracer.flush({ timeoutMs: 3000 })
      await tracer.flush({ timeoutMs: 3000 })
      let stdout = ''
      const code = await runCli(['stats', '--url', c.url], {
        stdout: { write: (text: string) => (stdout += text) },
        stderr: { write: () => {} },
        env: {},
        cwd: tempDir(),
      })
      expect(code).toBe(0)
      const section = stdout.slice(stdout.indexOf('delivery'))
      const lines = section.trim().split('\n')
      expect(lines[1]).toMatch(
        /^SERVICE\s+STARTED\s+EXPORTED\s+FAILED\s+REJECTED\s+DROPPED\s+QUEUED\s+UPDATED\s+LAST ERROR$/,
      )
      expect(lines[2]).toMatch(
        new RegExp(
          `^checkout\\s+2\\s+2\\s+2\\s+0\\s+0\\s+0\\s+\\d\\d:\\d\\d:\\d\\d\\s+\\S+ from 127\\.0\\.0\\.1:${port}$`,
        ),
      )
      let json = ''
      await runCli(['stats', '--url', c.url, '--json'], {
        stdout: { write: (text: string) => (json += text) },
        stderr: { write: () => {} },
        env: {},
        cwd: tempDir(),
      })
      expect(JSON.parse(json).delivery).toEqual([
        expect.objectContaining({
          service: 'checkout',
          started: 2,
          exported: 2,
          failed: 2,
          rejected: 0,
        }),
      ])
    },
  )

  // Spans of traces trace-complete sampling left out showed up nowhere: STARTED 20, EXPORTED 8,
  // nothing else, which read as a silent loss.
  it('shows spans sampled out at the end of their trace as such, not as dropped', async () => {
    const c = await startCollector({ port: 0, db: join(tempDir(), 'traces.db') })
    onCleanup(() => c.close())
    const tracer = createTracer({
      serviceName: 'sampled',
      warnings: false,
      sampleRate: 0,
      sampling: {},
      exporters: [otlpExporter({ url: `${c.url}/v1/traces` })],
      metrics: { exporters: [otlpMetricsExporter({ url: `${c.url}/v1/metrics` })] },
    })
    // Two ordinary traces of two spans (sampled out at rate 0), one failed one (kept).
    for (const failed of [false, false, true]) {
      const root = tracer.startSpan('GET /cart')
      tracer
        .startSpan('chat gpt-4o', {
          kind: 'llm',
          parent: root,
          attributes: { 'gen_ai.operation.name': 'chat' },
        })
        .end()
      root.end(failed ? { status: 'error' } : undefined)
    }
    await tracer.flush({ timeoutMs: 3000 })
    let stdout = ''
    expect(
      await runCli(['stats', '--url', c.url], {
        stdout: { write: (text: string) => (stdout += text) },
        stderr: { write: () => {} },
        env: {},
        cwd: tempDir(),
      }),
    ).toBe(0)
    const lines = stdout.slice(stdout.indexOf('delivery')).trim().split('\n')
    expect(lines[1]).toMatch(
      /^SERVICE\s+STARTED\s+EXPORTED\s+FAILED\s+REJECTED\s+DROPPED\s+SAMPLED OUT\s+QUEUED\s+UPDATED\s+LAST ERROR$/,
    )
    expect(lines[2]).toMatch(/^sampled\s+6\s+2\s+0\s+0\s+0\s+4\s+0\s+/)
    await tracer.shutdown()
  })
})
