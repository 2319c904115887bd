import { spawn } from 'node:child_process'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { npmInstall, run } from './exec.js'
import { PUBLISHED } from './tarballs.js'

const root = resolve(fileURLToPath(new URL('../../..', import.meta.url)))

let dir: string
let app: string
const tarballs = inject('tarballs')
const manifests: Record<string, any> = {}
let collector: ReturnType<typeof spawn> | undefined
let collectorUrl = ''

// The machine's own Node (20 on a fresh box), to prove the Node range the READMEs state.
function oldNode(): string | undefined {
  for (const path of ['/usr/bin/node', '/usr/local/bin/node']) {
    if (!existsSync(path)) continue
    const major = Number(run(path, ['-p', 'process.versions.node.split(".")[0]'], root).trim())
    if (major === 20) return path
  }
  return undefined
}

function files(folder: string): string[] {
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tokentrail-fresh-'))
  for (const name of PUBLISHED) {
    manifests[name] = JSON.parse(run('tar', ['-xzOf', tarballs[name], 'package/package.json'], dir))
  }
  app = join(dir, 'app')
  mkdirSync(app)
  const hono = JSON.parse(
    readFileSync(join(root, 'packages/hono/node_modules/hono/package.json'), 'utf8'),
  ).version
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify(
      {
        name: 'fresh-app',
        private: true,
        type: 'module',
        dependencies: {
          '@tokentrail/core': `file:${tarballs.core}`,
          '@tokentrail/hono': `file:${tarballs.hono}`,
          '@tokentrail/cli': `file:${tarballs.cli}`,
          // The CLI's dependency (its price table), as the registry would give it.
          '@tokentrail/ai-sdk': `file:${tarballs['ai-sdk']}`,
          // A second copy of core, as a stale lockfile or a bundled dependency would bring.
          'core-copy': `file:${tarballs.core}`,
          hono,
        },
      },
      null,
      2,
    ),
  )
  // Engines checked as npm's engine-strict (and Yarn 1 by default) check them: every package here,
  // the CLI too (its client commands run on Node 20), must admit the machine's Node.
  npmInstall(app, ['--engine-strict'])
  // The collector from the installed CLI tarball, on this Node 22.
  collector = spawn(
    process.execPath,
    [
      join(app, 'node_modules/@tokentrail/cli/dist/bin.js'),
      'dev',
      '--port',
      '0',
      '--db',
      join(dir, 'traces.db'),
    ],
    { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  collectorUrl = await new Promise<string>((done, fail) => {
    let out = ''
    collector!.stdout!.on('data', (chunk) => {
      out += chunk
      const match = /viewer\s+(http:\/\/127\.0\.0\.1:\d+)\//.exec(out)
      if (match) done(match[1]!)
    })
    collector!.on('exit', (code) => fail(new Error(`tokentrail dev exited ${code}: ${out}`)))
  })
})

afterAll(() => {
  collector?.kill()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

const SCRIPT = `
import { createTracer, otlpExporter, setTracer } from 'core-copy'
import { getTracer } from '@tokentrail/core'
import { MetricsRecorder } from '@tokentrail/core/metrics'
import { encodeOtlpTraces } from '@tokentrail/core/otlp'
import { buildSpanTree } from '@tokentrail/core/tree'
import { tracing } from '@tokentrail/hono'
import { Hono } from 'hono'

// The tracer comes from one copy of core, the adapter and getTracer() from the other.
const tracer = createTracer({
  serviceName: 'fresh-app',
  exporters: [otlpExporter({ url: process.env.COLLECTOR + '/v1/traces' })],
})
setTracer(tracer)
if (getTracer() !== tracer) throw new Error('the two copies of core disagree on the process-wide tracer')
const app = new Hono().use(tracing({ traceIdHeader: 'x-trace-id' }))
app.get('/hello', async (c) => {
  await getTracer().withSpan('inner work', async (span) => span.setAttribute('node', process.version))
  return c.text('hi')
})
const response = await app.request('/hello')
const text = await response.text()
const flushed = await tracer.flush({ timeoutMs: 5000 })
// The subpaths resolve from the tarball, and give the functions themselves.
if ([MetricsRecorder, encodeOtlpTraces, buildSpanTree].some((f) => typeof f !== 'function'))
  throw new Error('a core subpath export is missing')
console.log(JSON.stringify({ traceId: response.headers.get('x-trace-id'), text, flushed }))
`

const CJS_SCRIPT = `
const { createTracer, getTracer, otlpExporter, setTracer } = require('@tokentrail/core')
const { tracing } = require('@tokentrail/hono')
const { Hono } = require('hono')

async function main() {
  const tracer = createTracer({
    serviceName: 'fresh-cjs-app',
    exporters: [otlpExporter({ url: process.env.COLLECTOR + '/v1/traces' })],
  })
  setTracer(tracer)
  const app = new Hono().use(tracing({ traceIdHeader: 'x-trace-id' }))
  app.get('/cjs', async (c) => {
    await getTracer().withSpan('inner cjs work', async () => {})
    return c.text('hi from cjs')
  })
  const response = await app.request('/cjs')
  const text = await response.text()
  const flushed = await tracer.flush({ timeoutMs: 5000 })
  console.log(JSON.stringify({ traceId: response.headers.get('x-trace-id'), text, flushed }))
}
main()
`

// Whether a span started after an await inside withSpan is that span's child.
const NEST_SCRIPT = `
import { createTracer } from '@tokentrail/core'
import { memoryExporter } from '@tokentrail/core/testing'
const exporter = memoryExporter()
const tracer = createTracer({ exporters: [exporter], metrics: false, warnings: false })
await tracer.withSpan('outer', async () => {
  await new Promise((done) => setTimeout(done, 1))
  await tracer.withSpan('inner', async () => {})
})
await tracer.flush()
const [inner, outer] = ['inner', 'outer'].map((name) => exporter.spans.find((s) => s.name === name))
console.log(JSON.stringify({ nested: inner.parentSpanId === outer.spanId }))
`

// A trace read back through the installed CLI, as a user would.
function readTrace(traceId: string): { spans: any[] } {
  const cli = join(app, 'node_modules/@tokentrail/cli/dist/bin.js')
  return JSON.parse(
    run(process.execPath, [cli, 'trace', traceId, '--json', '--url', collectorUrl], app),
  )
}

describe('the packed tarballs, installed into a fresh app outside the workspace', () => {
  it('share one version line, and adapters take core by a range, not a pin', () => {
    const versions = new Set(PUBLISHED.map((name) => manifests[name].version))
    expect([...versions]).toHaveLength(1)
    const version = [...versions][0]
    for (const name of ['ai-sdk', 'next', 'hono', 'cli']) {
      const range = manifests[name].dependencies?.['@tokentrail/core']
      expect(range, `${name} depends on @tokentrail/core`).toBe(`^${version}`)
    }
    // The fixed group keeps that line when changesets bumps one of them.
    const config = JSON.parse(readFileSync(join(root, '.changeset/config.json'), 'utf8'))
    expect(config.fixed).toEqual([PUBLISHED.map((name) => `@tokentrail/${name}`)])
  })

  it('carry the MIT licence text their manifests name', () => {
    for (const name of PUBLISHED) {
      expect(manifests[name].license, name).toBe('MIT')
      const text = run('tar', ['-xzOf', tarballs[name], 'package/LICENSE'], app)
      expect(text, name).toMatch(/^MIT License\n/)
    }
  })

  it('installs one @tokentrail/core for the adapters (npm dedupes the range)', () => {
    expect(
      existsSync(join(app, 'node_modules/@tokentrail/hono/node_modules/@tokentrail/core')),
    ).toBe(false)
    expect(
      existsSync(join(app, 'node_modules/@tokentrail/cli/node_modules/@tokentrail/core')),
    ).toBe(false)
    // The CLI takes only the price table from @tokentrail/ai-sdk, whose `ai` peer is optional:
    // installing the CLI does not install the AI SDK.
    expect(existsSync(join(app, 'node_modules/@tokentrail/ai-sdk/dist/prices.js'))).toBe(true)
    expect(existsSync(join(app, 'node_modules/ai'))).toBe(false)
    // …while the deliberate second copy is a real second copy on disk.
    expect(existsSync(join(app, 'node_modules/core-copy/dist/index.js'))).toBe(true)
  })

  it('ships source maps whose every source resolves inside the installed package', () => {
    for (const name of ['core', 'hono', 'cli']) {
      const folder = join(app, 'node_modules/@tokentrail', name)
      const maps = files(join(folder, 'dist')).filter((f) => f.endsWith('.map'))
      expect(maps.length, `${name} has source maps`).toBeGreaterThan(0)
      for (const map of maps) {
        const { sources, sourceRoot = '' } = JSON.parse(readFileSync(map, 'utf8'))
        for (const source of sources) {
          const target = resolve(dirname(map), sourceRoot, source)
          expect(existsSync(target), `${relative(app, map)} → ${source}`).toBe(true)
        }
      }
    }
  })

  it('exports a span to tokentrail dev (from the CLI tarball); the tracer survives two copies of core', async () => {
    writeFileSync(join(app, 'app.mjs'), SCRIPT)
    const nodes = [process.execPath, oldNode()].filter((n): n is string => n !== undefined)
    for (const node of nodes) {
      const out = JSON.parse(run(node, ['app.mjs'], app, { COLLECTOR: collectorUrl }).trim())
      expect(out.text).toBe('hi')
      expect(out.flushed).toEqual({ ok: true, pending: 0 })
      const trace = readTrace(out.traceId)
      const root = trace.spans.find((s: any) => s.name === 'GET /hello')
      const inner = trace.spans.find((s: any) => s.name === 'inner work')
      expect(root, `root span from ${node}`).toBeDefined()
      expect(inner.parentSpanId).toBe(root.spanId)
      expect(inner.resource.serviceName).toBe('fresh-app')
      expect(inner.attributes.node).toBe(run(node, ['-p', 'process.version'], app).trim())
    }
    // On a fresh machine the second row is Node 20, the low end of the stated range.
    expect(nodes.length).toBeGreaterThanOrEqual(1)
  })

  it('Node 20.15 is refused at install (engines ≥ 20.16): spans there do not nest across await', () => {
    // Node 20.15 from the registry's `node` package, as a user pinned to it runs.
    const folder = join(dir, 'node-20.15')
    mkdirSync(folder)
    writeFileSync(
      join(folder, 'package.json'),
      JSON.stringify({ name: 'node-20-15', private: true, dependencies: { node: '20.15.1' } }),
    )
    npmInstall(folder)
    const node = join(folder, 'node_modules/.bin/node')
    expect(run(node, ['-v'], folder).trim()).toBe('v20.15.1')
    // Why: core reaches AsyncLocalStorage through process.getBuiltinModule (Node 20.16), never a
    // static `node:` import; without it the active span is known only synchronously.
    writeFileSync(join(app, 'nest.mjs'), NEST_SCRIPT)
    expect(JSON.parse(run(node, ['nest.mjs'], app))).toEqual({ nested: false })
    expect(JSON.parse(run(process.execPath, ['nest.mjs'], app))).toEqual({ nested: true })
    // So the manifests say ≥ 20.16, and npm's engine-strict (Yarn 1 by default) refuses 20.15;
    // before, they said ≥ 20 and the app installed, its traces flat.
    const refused = join(dir, 'app-node-20.15')
    mkdirSync(refused)
    writeFileSync(
      join(refused, 'package.json'),
      JSON.stringify({
        name: 'app-node-20-15',
        private: true,
        dependencies: { '@tokentrail/core': `file:${tarballs.core}` },
      }),
    )
    expect(() => npmInstall(refused, ['--engine-strict'], node)).toThrow(
      /EBADENGINE[\s\S]*@tokentrail\/core[\s\S]*>=20\.16/,
    )
  })

  it("the CLI's entry loads on Node 20 (its client code runs there); opening a store says which Node it needs", () => {
    const node = oldNode()
    if (!node) return
    // Failed before: the entry imported node:sqlite, so `import('@tokentrail/cli')` threw
    // "No such built-in module: node:sqlite" on Node 20, even for runCli and the decoders.
    const script = `
      const cli = await import('@tokentrail/cli')
      let said = ''
      try { cli.openTraceStore({ path: ':memory:' }) } catch (error) { said = error.message }
      console.log(JSON.stringify({ runCli: typeof cli.runCli, decode: typeof cli.otlpToSpans, said }))
    `
    writeFileSync(join(app, 'cli-entry.mjs'), script)
    const out = JSON.parse(run(node, ['cli-entry.mjs'], app).trim())
    expect(out).toEqual({
      runCli: 'function',
      decode: 'function',
      said: expect.stringMatching(
        /^the trace store needs Node ≥ 22\.13 for its embedded database \(node:sqlite\); you have 20\./,
      ),
    })
  })

  it('a CommonJS app require()s core and hono (Node require(esm), as the README states) and exports a span', () => {
    writeFileSync(join(app, 'app.cjs'), CJS_SCRIPT)
    const nodes = [process.execPath, oldNode()].filter((n): n is string => n !== undefined)
    for (const node of nodes) {
      const [major, minor] = run(node, ['-p', 'process.versions.node'], app)
        .trim()
        .split('.')
        .map(Number)
      // The README's range: require(esm) without a flag from 20.19 and 22.12.
      if (major! === 20 ? minor! < 19 : major! === 22 && minor! < 12) continue
      const out = JSON.parse(run(node, ['app.cjs'], app, { COLLECTOR: collectorUrl }).trim())
      expect(out, `from ${node}`).toEqual({
        text: 'hi from cjs',
        flushed: { ok: true, pending: 0 },
        traceId: expect.stringMatching(/^[0-9a-f]{32}$/),
      })
      const trace = readTrace(out.traceId)
      expect(trace.spans.map((s: any) => s.name).sort()).toEqual(['GET /cjs', 'inner cjs work'])
    }
  })
})
