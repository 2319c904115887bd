import { execFileSync, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { type Collector, startCollector } from '../src/index.js'
import { databaseProblem, nodeAtLeast } from '../src/node-support.js'
import { chatTrace, onCleanup, tempDir } from './helpers.js'

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url))

// The machine's own Node (20 on a fresh box) beside the Node 22 that runs the tests.
function oldNode(): { path: string; version: string } | undefined {
  for (const path of ['/usr/bin/node', '/usr/local/bin/node', '/bin/node']) {
    if (!existsSync(path)) continue
    const version = execFileSync(path, ['-p', 'process.versions.node']).toString().trim()
    const [major = 0, minor = 0] = version.split('.').map(Number)
    if (major < 22 || (major === 22 && minor < 13)) return { path, version }
  }
  return undefined
}

function run(node: string, args: string[]) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(node, [bin, ...args], { env: { PATH: process.env.PATH ?? '' } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c) => (stdout += c))
    child.stderr.on('data', (c) => (stderr += c))
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

async function collector(): Promise<Collector> {
  const c = await startCollector({ port: 0, db: join(tempDir(), 'traces.db') })
  onCleanup(() => c.close())
  return c
}

describe('databaseProblem', () => {
  it('names the version needed and the one found', () => {
    expect(databaseProblem('dev', '20.20.2')).toBe(
      'tokentrail dev needs Node ≥ 22.13 for its embedded database; you have 20.20.2. The client commands (list, last, error, trace, tail, stats, import, doctor) work on this Node.',
    )
    expect(databaseProblem('dev', '22.12.0')).toMatch(/needs Node ≥ 22\.13/)
    expect(databaseProblem('dev', '22.13.0')).toBeUndefined()
    expect(databaseProblem('dev', '24.1.0')).toBeUndefined()
  })
})

describe('nodeAtLeast', () => {
  it('compares major, minor and patch in turn', () => {
    expect(nodeAtLeast('24.13.1', '24.13.1')).toBe(true)
    expect(nodeAtLeast('24.13.1', '24.13.0')).toBe(false)
    expect(nodeAtLeast('24.13.1', '24.21.0')).toBe(true)
    expect(nodeAtLeast('24.13.1', '22.23.3')).toBe(false)
    expect(nodeAtLeast('22.13', '22.9.0')).toBe(false)
    expect(nodeAtLeast('26', '26.0.0')).toBe(true)
    expect(nodeAtLeast('26', '25.9.1')).toBe(false)
  })
})

const old = oldNode()

describe.skipIf(!old)(`the built CLI on Node ${old?.version}`, () => {
  it('dev says in one line what it needs; exit 1, no stack', async () => {
    const result = await run(old!.path, ['dev', '--port', '0'])
    expect(result.code).toBe(1)
    expect(result.stdout).toBe('')
    expect(result.stderr).toBe(
      `error tokentrail dev needs Node ≥ 22.13 for its embedded database; you have ${old!.version}. The client commands (list, last, error, trace, tail, stats, import, doctor) work on this Node.\n`,
    )
  })

  it('--help and --version work', async () => {
    expect((await run(old!.path, ['--help'])).code).toBe(0)
    expect((await run(old!.path, ['--version'])).stdout).toMatch(/^\d+\.\d+\.\d+\n$/)
  })

  it('list, last, trace and stats read a collector running on Node 22', async () => {
    const c = await collector()
    const spans = await chatTrace({ prompt: 'from node 20' })
    c.store.insert(spans)
    const traceId = spans[0]!.traceId
    const list = await run(old!.path, ['list', '--url', c.url, '--json'])
    expect(list.stderr).toBe('')
    expect(list.code).toBe(0)
    expect(JSON.parse(list.stdout).traces[0].traceId).toBe(traceId)
    const last = await run(old!.path, ['last', '--url', c.url])
    expect(last.code).toBe(0)
    expect(last.stdout).toContain('execute_tool weather')
    const trace = await run(old!.path, ['trace', traceId.slice(0, 10), '--url', c.url, '--json'])
    expect(trace.code).toBe(0)
    expect(JSON.parse(trace.stdout).spans).toHaveLength(spans.length)
    const stats = await run(old!.path, ['stats', '--url', c.url])
    expect(stats.code).toBe(0)
    expect(stats.stdout).toContain('gpt-4o-mini')
  })
})
