// `redaction: { replace: 'hash' }` without a `hashKey`: the README promises a key "random per
// process", so that equal values give equal marks and a user can still count or follow them. Two
// tracers of one process (an app's own tracer beside the adapters' env tracer, or one per route)
// export to a real OTLP receiver here; separate processes are real child processes.
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type OtlpReceiver, startOtlpReceiver } from '../../../tools/otlp-receiver/src/index.js'
import { createTracer, otlpExporter } from '../src/index.js'

const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url))
let receiver: OtlpReceiver

beforeAll(async () => {
  receiver = await startOtlpReceiver()
})
afterAll(() => receiver?.close())

const markOf = (service: string) =>
  receiver.spans.find((span) => span.service === service)?.attributes['user.note']

describe('the hash key without a configured one', () => {
  // Before, each tracer drew its own key: the same address hashed differently in each tracer's
  // spans, so the marks could not be matched across them.
  it('is one per process: every tracer gives an equal value the same mark', async () => {
    for (const service of ['hash-a', 'hash-b']) {
      const tracer = createTracer({
        serviceName: service,
        exporters: [otlpExporter({ url: `${receiver.url}/v1/traces` })],
        metrics: false,
        redaction: { replace: 'hash' },
      })
      tracer.startSpan('note', { attributes: { 'user.note': 'mail bob@example.com' } }).end()
      expect(await tracer.flush()).toEqual({ ok: true, pending: 0 })
    }
    expect(markOf('hash-a')).toMatch(/^mail \[EMAIL:[0-9a-f]{12}\]$/)
    expect(markOf('hash-b')).toBe(markOf('hash-a'))
  })

  it('is random per process: another process gives the same value another mark', async () => {
    const script = `import { createTracer, otlpExporter } from ${JSON.stringify(dist)}
      const tracer = createTracer({ serviceName: process.argv[1], exporters: [otlpExporter({ url: ${JSON.stringify(`${receiver.url}/v1/traces`)} })], metrics: false, redaction: { replace: 'hash' } })
      tracer.startSpan('note', { attributes: { 'user.note': 'mail bob@example.com' } }).end()
      await tracer.flush()`
    for (const service of ['hash-process-1', 'hash-process-2'])
      await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script, service], {
        timeout: 30_000,
      })
    expect(markOf('hash-process-1')).toMatch(/^mail \[EMAIL:[0-9a-f]{12}\]$/)
    expect(markOf('hash-process-2')).toMatch(/^mail \[EMAIL:[0-9a-f]{12}\]$/)
    expect(markOf('hash-process-2')).not.toBe(markOf('hash-process-1'))
  })
})
