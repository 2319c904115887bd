// @tokentrail/core on the real Bun (the `bun` npm package, its binary from the npm registry): the
// built package exporting over Bun's fetch to a real OTLP receiver, async context across awaits
// with two traces interleaving, and a script that ends with and without a flush. What Bun does at a
// script's end and at `process.exit()` is tested case by case in exit-watch.node.test.ts.
import { execFile } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
// By path: as a dependency of core it would make a build cycle (its own tests use core).
import { type OtlpReceiver, startOtlpReceiver } from '../../../tools/otlp-receiver/src/index.js'

const here = dirname(fileURLToPath(import.meta.url))
// The binary the `bun` package's install script put beside it (a devDependency: CI has it).
const bun = join(
  dirname(createRequire(import.meta.url).resolve('bun/package.json')),
  'bin',
  'bun.exe',
)
let receiver: OtlpReceiver

describe('@tokentrail/core on Bun', () => {
  beforeAll(async () => {
    receiver = await startOtlpReceiver()
  })
  afterAll(() => receiver?.close())

  it.each(['flush', 'exit'])(
    'exports to a real receiver, the active span following each trace across awaits (%s)',
    async (ending) => {
      const service = `bun-${ending}`
      const run = await promisify(execFile)(
        bun,
        [join(here, 'bun', 'export.mjs'), `${receiver.url}/v1/traces`, ending, service],
        { encoding: 'utf8', timeout: 30_000, env: { ...process.env, NO_COLOR: '1' } },
      )
      expect(run.stderr).toBe('')
      const report = JSON.parse(run.stdout.trim().split('\n').at(-1)!)
      expect(report.runtime).toMatch(/^bun 1\./)
      expect(report).toMatchObject({ asyncContext: true, outside: true })
      expect(report.nested).toEqual(Array(8).fill(true))
      if (ending === 'flush') {
        expect(report.flush).toEqual({ ok: true, pending: 0 })
        expect(report.stats).toMatchObject({ exported: 4, failed: 0 })
      }
      // A script that ends without a flush still delivers, as on Node.
      await receiver.waitFor((spans) => spans.filter((s) => s.service === service).length === 4)
      for (const name of ['a', 'b']) {
        const root = receiver.spans.find((s) => s.service === service && s.name === `bun ${name}`)!
        expect(root.parentSpanId).toBeUndefined()
        const trace = receiver.trace(root.traceId)
        expect(trace.map((s) => s.name).sort()).toEqual([`bun ${name}`, `bun ${name} child`])
        expect(trace.find((s) => s.name === `bun ${name} child`)!.parentSpanId).toBe(root.spanId)
      }
    },
  )
})
