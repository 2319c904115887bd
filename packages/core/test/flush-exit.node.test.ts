import { execFile } from 'node:child_process'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url))

async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

describe('awaiting flush in a script', () => {
  it('keeps the process alive until flush settles, even while exports back off', async () => {
    const port = await closedPort()
    const script = `
      import { createTracer, otlpExporter } from ${JSON.stringify(dist)}
      const tracer = createTracer({ exporters: [otlpExporter({ url: 'http://127.0.0.1:${port}/v1/traces' })] })
      tracer.startSpan('last words').end()
      const result = await tracer.flush({ timeoutMs: 1500 })
      console.log(JSON.stringify({ after: true, ok: result.ok, retried: tracer.stats().retried }))
    `
    // Async, so a slow, loaded machine cannot trip the test timeout while the event loop is blocked.
    const run = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 20_000,
    })
    const result = JSON.parse(run.stdout)
    expect(result).toMatchObject({ after: true, ok: false })
    expect(result.retried).toBeGreaterThanOrEqual(1)
  }, 30_000)
})
