import { execFile } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const here = dirname(fileURLToPath(import.meta.url))
const bun = join(
  dirname(createRequire(import.meta.url).resolve('bun/package.json')),
  'bin',
  'bun.exe',
)

describe('tracing() on Bun (real Bun.serve)', () => {
  it('continues the trace, nests spans made while the body streams, ends at body end', async () => {
    // Async with its own timeout: starting Bun on a loaded machine can take seconds.
    const run = await promisify(execFile)(bun, [join(here, 'bun', 'server.ts')], {
      encoding: 'utf8',
      timeout: 60_000,
    })
    expect(run.stderr).toBe('')
    const result = JSON.parse(run.stdout.trim().split('\n').at(-1)!)
    expect(result.runtime).toMatch(/^bun 1\./)
    expect(result.asyncContext).toBe(true)
    expect(result.text).toBe('chunk 0\nchunk 1\nchunk 2\n')
    const root = result.spans.find((s: any) => s.kind === 'http')
    const llm = result.spans.find((s: any) => s.kind === 'llm')
    expect(root).toMatchObject({
      name: 'POST /api/chat',
      traceId: '0af7651916cd43dd8448eb211c80319c',
      parentSpanId: 'b7ad6b7169203331',
      status: 'ok',
      bodySize: 24,
    })
    expect(llm.parentSpanId).toBe(root.spanId)
    expect(result.traceIdHeader).toBe(root.traceId)
  }, 60_000)
})
