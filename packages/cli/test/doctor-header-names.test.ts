// A key pasted into OTEL_EXPORTER_OTLP_HEADERS without its header name: a base64 credential (such
// as Langfuse's `base64(pk:sk)`) ends in `=` padding, which reads as the end of a header name, so
// the key itself became the "name" that doctor printed in two places (and in --json). Through the
// built CLI, against a real collector.
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { startCollector } from '../src/index.js'
import { onCleanup, tempDir } from './helpers.js'

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url))

function doctor(env: Record<string, string>, args: string[] = []) {
  expect(existsSync(bin), 'run `pnpm --filter @tokentrail/cli build` first').toBe(true)
  return new Promise<{ stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [bin, 'doctor', '--timeout', '3000', ...args],
      { env: { PATH: process.env.PATH, NO_COLOR: '1', ...env }, cwd: tempDir() },
      // doctor exits 1 here (the backend would refuse the key): the output is what matters.
      (_error, stdout, stderr) => resolve({ stdout, stderr }),
    )
  })
}

// base64 of a Langfuse-style `public:secret` pair: it ends in `==`.
const KEY = Buffer.from('pk-lf-1234567890:sk-lf-abcdef12345').toString('base64')
const BARE = KEY.replace(/=+$/, '')

describe('tokentrail doctor never prints a key written where a header name goes', () => {
  it.each([
    ['a base64 key with == padding', KEY],
    [
      'a base64 key with = padding',
      Buffer.from('pk-lf-1234567890:sk-lf-abcdef123456').toString('base64'),
    ],
    ['a key followed by an empty value', 'sk-proj-abc123def456ghi789='],
  ])('%s', async (_what, header) => {
    expect(header).toMatch(/[^=]=$|[^=]==$/)
    const c = await startCollector({ port: 0, db: join(tempDir(), 'traces.db') })
    onCleanup(() => c.close())
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: c.url,
      OTEL_EXPORTER_OTLP_HEADERS: `x-team=ai,${header}`,
    }
    const text = await doctor(env)
    const json = await doctor(env, ['--json'])
    const secret = header.replace(/=+$/, '')
    for (const out of [text, json]) {
      expect(out.stdout + out.stderr).not.toContain(secret)
      // The real header name is still shown.
      expect(out.stdout).toContain('x-team')
    }
    expect(text.stdout).toContain('(a name not shown: it may hold a key)')
  })

  it('names of letters and dashes are shown, as before', async () => {
    const c = await startCollector({ port: 0, db: join(tempDir(), 'traces.db') })
    onCleanup(() => c.close())
    const { stdout } = await doctor({
      OTEL_EXPORTER_OTLP_ENDPOINT: c.url,
      OTEL_EXPORTER_OTLP_HEADERS: `x-honeycomb-team=${BARE},Authorization=Basic%20${KEY}`,
    })
    expect(stdout).toContain(
      'OTEL_EXPORTER_OTLP_HEADERS=(set: x-honeycomb-team, Authorization; values not shown)',
    )
    expect(stdout).toContain('headers: x-honeycomb-team, Authorization (values not shown)')
    expect(stdout).not.toContain(BARE)
  })

  it('names with digits or underscores are shown too (x-api-key-2, DD_API_KEY), their values never', async () => {
    const c = await startCollector({ port: 0, db: join(tempDir(), 'traces.db') })
    onCleanup(() => c.close())
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: c.url,
      OTEL_EXPORTER_OTLP_HEADERS: `x-api-key-2=${BARE},DD_API_KEY=dd0123456789abcdef,X-B3-Flags=1`,
    }
    const text = await doctor(env)
    expect(text.stdout).toContain(
      'OTEL_EXPORTER_OTLP_HEADERS=(set: x-api-key-2, DD_API_KEY, X-B3-Flags; values not shown)',
    )
    expect(text.stdout).toContain('headers: x-api-key-2, DD_API_KEY, X-B3-Flags (values not shown)')
    const json = await doctor(env, ['--json'])
    expect(json.stdout).toContain('"x-api-key-2"')
    expect(json.stdout).toContain('"DD_API_KEY"')
    for (const out of [text, json]) {
      expect(out.stdout + out.stderr).not.toContain(BARE)
      expect(out.stdout + out.stderr).not.toContain('dd0123456789abcdef')
    }
  })
})
