// @tokentrail/core on the real Deno (the `deno` npm package): the built package exporting over
// Deno's fetch to a real OTLP receiver, async context, a script's end, and Deno's permissions.
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
// By path: as a dependency of core it would make a build cycle (its own tests use core).
import { type OtlpReceiver, startOtlpReceiver } from '../../../tools/otlp-receiver/src/index.js'

const here = dirname(fileURLToPath(import.meta.url))
const script = join(here, 'deno', 'export.mjs')

// The binary the `deno` package's install script put beside it (or its platform package holds).
function findDeno(): { binary: string } | { missing: string } {
  try {
    const root = dirname(createRequire(import.meta.url).resolve('deno/package.json'))
    if (existsSync(join(root, 'deno'))) return { binary: join(root, 'deno') }
    return { binary: createRequire(join(root, 'package.json'))('./install_api.cjs').runInstall() }
  } catch (error) {
    return { missing: `the deno binary is not installed: ${(error as Error).message}` }
  }
}

const found = findDeno()
let receiver: OtlpReceiver

async function deno(permissions: string[], ...args: string[]) {
  const started = performance.now()
  const run = await promisify(execFile)(
    (found as { binary: string }).binary,
    ['run', '--no-prompt', ...permissions, script, ...args],
    { encoding: 'utf8', timeout: 30_000, env: { ...process.env, NO_COLOR: '1' } },
  )
  return {
    ...run,
    report: JSON.parse(run.stdout.trim().split('\n').at(-1)!),
    ms: performance.now() - started,
  }
}

describe.skipIf('missing' in found)(
  `@tokentrail/core on Deno${'missing' in found ? ` (skipped: ${found.missing})` : ''}`,
  () => {
    beforeAll(async () => {
      receiver = await startOtlpReceiver()
    })
    afterAll(() => receiver?.close())

    it.each(['flush', 'exit'])(
      'exports to a real receiver with async context (%s)',
      async (ending) => {
        const service = `deno-${ending}`
        const run = await deno(
          ['--allow-net=127.0.0.1'],
          `${receiver.url}/v1/traces`,
          ending,
          service,
        )
        // No --allow-env: the tracer reads no env it may not, and says nothing.
        expect(run.stderr).toBe('')
        expect(run.report).toMatchObject({ asyncContext: true, nested: true })
        expect(run.report.runtime).toMatch(/^deno 2\./)
        if (ending === 'flush') expect(run.report.flush).toEqual({ ok: true, pending: 0 })
        // A script that ends without a flush still delivers, as on Node.
        await receiver.waitFor((spans) => spans.filter((s) => s.service === service).length === 2)
        const root = receiver.spans.find((s) => s.service === service && s.name === 'deno root')!
        const child = receiver.trace(root.traceId).find((s) => s.name === 'deno child')
        expect(child?.parentSpanId).toBe(root.spanId)
      },
    )

    it('without --allow-net: said once, naming the flag; not retried, so the flush returns at once', async () => {
      const run = await deno([], `${receiver.url}/v1/traces`, 'flush', 'deno-no-net')
      const said = run.stderr.split('\n').filter((line) => line.startsWith('[tokentrail]'))
      expect(said).toHaveLength(1)
      expect(said[0]).toContain('Requires net access to "127.0.0.1')
      expect(said[0]).toContain('--allow-net')
      expect(said[0]).toContain('2 spans dropped')
      expect(run.report.flush).toMatchObject({ ok: false, pending: 0 })
      expect(run.report.stats).toMatchObject({ failed: 2, retried: 0, exported: 0 })
      // Retried, it held the flush for its whole 10 s bound, and the script with it.
      expect(run.report.flushMs).toBeLessThan(2000)
      expect(receiver.spans.filter((s) => s.service === 'deno-no-net')).toEqual([])
    })
  },
)
