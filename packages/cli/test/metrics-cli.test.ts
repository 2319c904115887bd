import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { runCli, startCollector } from '../src/index.js'
import type { MetricsSummary } from '../src/store/metrics-summary.js'
import type { TraceStats } from '../src/store/store.js'
import { sendAiSdkTraces } from './ai-sdk-traces.js'
import { onCleanup, runCapture, tempDir } from './helpers.js'

const run = runCapture

describe('GenAI metrics end to end', () => {
  it('real AI SDK calls through the tracing middleware: metrics agree with the traces, in the API and `tokentrail stats`', async () => {
    const c = await startCollector({ port: 0, db: join(tempDir(), 'traces.db') })
    onCleanup(() => c.close())
    await sendAiSdkTraces(c.url, { prompt: 'Weather in Paris?', fail: true, metrics: true })
    const stats = (await (await fetch(`${c.url}/api/stats`)).json()) as TraceStats & {
      metrics: MetricsSummary
    }
    // From traces: two streamed calls of the tool loop and one call whose provider threw.
    const fromTraces = stats.models.find((m) => m.model === 'gpt-4o-mini')!
    expect(fromTraces).toMatchObject({ calls: 3, errors: 1, inputTokens: 100, outputTokens: 15 })
    const fromMetrics = stats.metrics.models.find((m) => m.model === 'gpt-4o-mini')!
    expect(fromMetrics).toMatchObject({
      calls: fromTraces.calls,
      errors: fromTraces.errors,
      tokens: { input: fromTraces.inputTokens, output: fromTraces.outputTokens },
    })
    expect(stats.metrics.services).toEqual(['ai-chat'])
    expect(fromMetrics.durationMs.p50).toBeGreaterThan(0)
    expect(fromMetrics.ttftMs.p50).toBeGreaterThanOrEqual(0)
    expect(stats.metrics.tools).toEqual([
      expect.objectContaining({ tool: 'weather', calls: 1, errors: 0 }),
    ])
    const [failed] = (
      (await (
        await fetch(`${c.url}/api/metrics?name=gen_ai.client.operation.duration`)
      ).json()) as {
        series: { attributes: Record<string, unknown>; count: number }[]
      }
    ).series.filter((s) => s.attributes['error.type'] !== undefined)
    expect(failed).toMatchObject({ count: 1 })

    const printed = await run(['stats', '--url', c.url])
    expect(printed.code).toBe(0)
    expect(printed.stdout).toMatch(
      /^metrics \d+ series from ai-chat · updated \d\d:\d\d:\d\d\ntotals since each producer started/m,
    )
    expect(printed.stdout).toMatch(
      /MODEL\s+CALLS\s+ERR%\s+P50\s+P95\s+TTFT P50\s+TTFT P95\s+IN TOK\s+OUT TOK\s+COST/,
    )
    expect(printed.stdout).toMatch(/\ngpt-4o-mini\s+3\s+33\.3\s+\S+\s+\S+\s+\S+\s+\S+\s+100\s+15\s/)
    expect(printed.stdout).toMatch(/TOOL\s+CALLS\s+ERR%\s+P50\s+P95\nweather\s+1\s+0\.0\s/)
    const json = JSON.parse((await run(['stats', '--json', '--url', c.url])).stdout)
    expect(json.metrics.models[0].model).toBe('gpt-4o-mini')
  })

  it('says so when no metrics were received', async () => {
    const c = await startCollector({ port: 0, db: join(tempDir(), 'traces.db') })
    onCleanup(() => c.close())
    await sendAiSdkTraces(c.url, { prompt: 'hi' })
    const printed = await run(['stats', '--url', c.url])
    expect(printed.code).toBe(0)
    expect(printed.stdout).toContain('metrics: none received (OTLP metrics go to /v1/metrics)')
  })

  it('the metrics benchmark runs to its table at a small size', async () => {
    const script = fileURLToPath(new URL('../bench/metrics-bench.ts', import.meta.url))
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', script], {
      env: { ...process.env, CALLS: '400', NO_COLOR: '1' },
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    const code = await new Promise((resolve) => child.on('close', resolve))
    expect(code, stderr).toBe(0)
    expect(stdout).toMatch(
      /\| bytes sent for 400 calls, 20 models \| [\d.]+ MB \| [\d.]+ kB \| \d+× smaller \|/,
    )
    expect(stdout).toMatch(/\| ingest over HTTP .* \| \d+× faster \|/)
    expect(stdout).toMatch(/\| per-model stats, in process .* \| \d+× faster \|/)
  })
})
