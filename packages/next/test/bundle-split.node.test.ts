import { readdir, readFile } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { describe, expect, it } from 'vitest'

// What an app that imports only the adapters (`withTracing` + `traceModel`) ships at start-up,
// bundled by esbuild with code splitting. esbuild assigns whole files to chunks by the import graph,
// so if an adapter imported core's main entry, every module that entry re-exports and lazy code
// also uses (the OTLP encoders, the metrics recorder, the span tree, failure explanations) would
// sit in the start-up chunk. The adapters import `@tokentrail/core/internal`, which reaches the
// tracer and nothing else.
async function startupModules(contents: string) {
  const result = await build({
    stdin: { contents, resolveDir: fileURLToPath(new URL('..', import.meta.url)), loader: 'ts' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    external: ['ai', '@ai-sdk/*', 'next', 'next/*', 'zod'],
    outdir: '/split-out',
    write: false,
    metafile: true,
  })
  const outputs = result.metafile.outputs
  const dynamic = new Set(
    Object.values(outputs).flatMap((o) =>
      o.imports.filter((i) => i.kind === 'dynamic-import').map((i) => i.path),
    ),
  )
  const entry = Object.keys(outputs).find(
    (name) => outputs[name]!.entryPoint && !dynamic.has(name),
  )!
  const startup = new Set<string>()
  const visit = (name: string) => {
    if (startup.has(name)) return
    startup.add(name)
    for (const i of outputs[name]!.imports)
      if (i.kind === 'import-statement' && !i.external) visit(i.path)
  }
  visit(entry)
  return [...startup].flatMap((name) =>
    Object.entries(outputs[name]!.inputs)
      .filter(([, input]) => input.bytesInOutput > 0)
      // Metafile paths are relative to the working directory; name them from packages/.
      .map(([path]) => relative(fileURLToPath(new URL('../..', import.meta.url)), resolve(path))),
  )
}

describe('start-up chunk of next + ai-sdk', () => {
  it('holds the tracer but not the encoders, metrics recorder, span tree or failure explanations', async () => {
    const startup = await startupModules(
      `import { traceModel } from '@tokentrail/ai-sdk'
       import { withTracing } from './src/index.ts'
       export const wrap = (model: any) => traceModel(model)
       export const POST = withTracing(async (request: Request) => new Response(await request.text()))`,
    )
    expect(startup).toContain('core/dist/recording-tracer.js')
    expect(startup).toContain('ai-sdk/dist/llm-call.js')
    expect(startup).toContain('next/src/with-tracing.ts')
    for (const module of [
      'core/dist/exporters/otlp-json.js',
      'core/dist/exporters/otlp-protobuf.js',
      'core/dist/exporters/otlp-metrics-encode.js',
      'core/dist/exporters/describe-failure.js',
      'core/dist/metrics.js',
      'core/dist/tree.js',
    ])
      expect(startup).not.toContain(module)
  }, 30_000)

  it('ai-sdk, next and hono import core only through @tokentrail/core/internal', async () => {
    // One import of the main entry would bring every module it re-exports back (see above).
    // `import type` is erased from the JavaScript: the declarations name core's types by the main
    // entry, so an app's own emitted declarations do not name the /internal subpath.
    const packages = fileURLToPath(new URL('../..', import.meta.url))
    const offending: string[] = []
    let files = 0
    for (const name of ['ai-sdk', 'next', 'hono']) {
      const dir = join(packages, name, 'src')
      for (const file of await readdir(dir, { recursive: true })) {
        if (!file.endsWith('.ts')) continue
        files++
        const source = await readFile(join(dir, file), 'utf8')
        for (const [statement] of source.matchAll(
          /^(?:import|export)\b(?:(?!\n(?:import|export)\b)[\s\S])*?from '@tokentrail\/core'/gm,
        ))
          if (!/^import type\b/.test(statement)) offending.push(`${name}/src/${file}`)
      }
    }
    expect(files).toBeGreaterThan(15)
    expect(offending).toEqual([])
  })
})
