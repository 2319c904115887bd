// Size row: min+gzip bytes of what a user ships for each contender, measured by bundling the
// contender's own setup file (src/contenders/<id>.mjs) with esbuild. `ai` and its own
// dependencies are left out: every AI SDK app ships them whichever tracer it picks.
//
// Measured the way a deployed app loads code: one esbuild build with `splitting: true`, as
// Next's and Vite's bundlers split at a dynamic `import()`. `startup` is what a cold start loads
// (the entry chunk and every chunk it imports statically); `later` is the chunks only reached
// through `import()`, loaded the first time they are needed. `oneFile` is the same code in a
// single file without splitting (as a bundler that inlines `import()` ships it, e.g. wrangler).
// `rolldown` is the split build of Vite's bundler: it drops a module reached only through an
// unused re-export of a `sideEffects: false` package (as webpack's `sideEffects` optimisation in
// Next aims to; Next's build is not measured here), which esbuild does not (it
// assigns whole files to chunks by the import graph, so a module the main entry re-exports stays
// in the start-up chunk even when only lazy code uses it). All are printed: no byte is hidden.
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'
import { rolldown } from 'rolldown'

export const SHARED = [
  'ai',
  '@ai-sdk/provider',
  '@ai-sdk/provider-utils',
  '@ai-sdk/gateway',
  'zod',
  'next',
  'next/*',
]

/** Sizes (see `bundle`) of one contender's setup file and everything it imports. */
/**
 * The chunks of an esbuild split build (its metafile `outputs`) a cold start loads: the entry and
 * what it imports statically, transitively. Chunks reached by `import()` carry an entryPoint too:
 * the entry is the one nothing imports.
 */
export function startupChunks(outputs) {
  const dynamic = new Set(
    Object.values(outputs).flatMap((o) =>
      o.imports.filter((i) => i.kind === 'dynamic-import').map((i) => i.path),
    ),
  )
  // A lazy module whose importer was tree-shaken away (injectBaggage's notice, in an app that
  // never calls it) is still emitted as an entry nothing imports: the app's own entry is the one
  // outside the packages.
  const entries = Object.keys(outputs).filter(
    (name) => outputs[name].entryPoint !== undefined && !dynamic.has(name),
  )
  const entry =
    entries.find((name) => !/(^|\/)(packages|node_modules)\//.test(outputs[name].entryPoint)) ??
    entries[0]
  const startup = new Set()
  const visit = (name) => {
    if (startup.has(name)) return
    startup.add(name)
    for (const i of outputs[name].imports)
      if (i.kind === 'import-statement' && !i.external) visit(i.path)
  }
  visit(entry)
  return startup
}

export function bundleSize(contenderId) {
  const file = fileURLToPath(new URL(`./contenders/${contenderId}.mjs`, import.meta.url))
  return bundle({ entryPoints: [file] }, file)
}

// Tokentrail's other entry points, as a user writes them (`next` is the app's own, like `ai`).
export const ENTRIES = {
  core: {
    title: 'createTracer + otlpExporter',
    code: `import { createTracer, otlpExporter, setTracer } from '@tokentrail/core'
setTracer(createTracer({ serviceName: 'app', exporters: [otlpExporter()] }))`,
  },
  next: {
    title: 'next + ai-sdk (withTracing + traceModel)',
    code: `import { traceModel } from '@tokentrail/ai-sdk'
import { withTracing } from '@tokentrail/next'
export const wrap = (model) => traceModel(model)
export const POST = withTracing(async (request) => new Response(await request.text()))`,
  },
}

/** Sizes (see `bundle`) of one of `ENTRIES` and everything it imports. */
export function entrySize(id) {
  return bundle(
    {
      stdin: {
        contents: ENTRIES[id].code,
        resolveDir: fileURLToPath(new URL('.', import.meta.url)),
        loader: 'js',
      },
    },
    // A module that exists for the bundler only, beside the contenders.
    { path: fileURLToPath(new URL(`./entry-${id}.mjs`, import.meta.url)), code: ENTRIES[id].code },
  )
}

/** esbuild options every size cell shares (the setup of `size.mjs`, `size-gzip-modules.mjs`). */
export const COMMON = {
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  external: SHARED,
  write: false,
  logLevel: 'silent',
}

const sizeOf = (code) => ({ minified: code.length, gzip: gzipSync(code, { level: 9 }).length })

/**
 * `{ minified, gzip }` of the start-up chunks (each chunk gzipped on its own, as served), with
 * `later: { minified, gzip, chunks: [{ minified, gzip, modules }] }` for the chunks reached only
 * through `import()`, `oneFile: { minified, gzip }` for the build without splitting, and
 * `rolldown: { minified, gzip, later }` for Rolldown's split build of the same entry.
 */
async function bundle(input, rolldownEntry) {
  const split = await build({
    ...input,
    ...COMMON,
    splitting: true,
    outdir: '/size-out',
    metafile: true,
  })
  const files = new Map(split.outputFiles.map((file) => [file.path, file.contents]))
  const outputs = split.metafile.outputs
  // Metafile names are relative to the working directory.
  const pathOf = (name) => resolve(name)
  const startup = startupChunks(outputs)
  const total = (names) =>
    names.reduce(
      (sum, name) => {
        const s = sizeOf(files.get(pathOf(name)))
        return { minified: sum.minified + s.minified, gzip: sum.gzip + s.gzip }
      },
      { minified: 0, gzip: 0 },
    )
  const lazyNames = Object.keys(outputs).filter((n) => !startup.has(n) && n.endsWith('.js'))
  const later = {
    ...total(lazyNames),
    chunks: lazyNames.map((name) => ({
      ...sizeOf(files.get(pathOf(name))),
      modules: Object.keys(outputs[name].inputs).map((m) =>
        m.replace(/^.*?\/(packages|node_modules)\//, ''),
      ),
    })),
  }
  const single = await build({ ...input, ...COMMON })
  return {
    ...total([...startup]),
    modules: startupModules(
      [...startup].map((name) => outputs[name].inputs),
      'bytesInOutput',
    ),
    later,
    oneFile: sizeOf(single.outputFiles[0].contents),
    rolldown: await rolldownSplit(rolldownEntry),
  }
}

// Bytes per module in the start-up chunks, largest first, for `size-modules.mjs`: esbuild's
// metafile gives minified bytes; Rolldown gives bytes as rendered before minifying.
const startupModules = (inputsPerChunk, field) =>
  inputsPerChunk
    .flatMap((inputs) =>
      Object.entries(inputs).map(([module, info]) => ({
        module: module.replace(/^.*?\/(packages|node_modules)\//, ''),
        bytes: info[field],
      })),
    )
    .filter((m) => m.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes)

const isShared = (id) =>
  SHARED.some((name) =>
    name.endsWith('/*')
      ? id.startsWith(name.slice(0, -1))
      : id === name || id.startsWith(`${name}/`),
  )

async function rolldownSplit(entry) {
  const virtual = typeof entry === 'object' ? entry : undefined
  const bundler = await rolldown({
    input: virtual ? virtual.path : entry,
    platform: 'node',
    external: (id) => isShared(id),
    logLevel: 'silent',
    plugins: virtual
      ? [
          {
            name: 'entry',
            resolveId: (id) => (id === virtual.path ? id : undefined),
            load: (id) => (id === virtual.path ? virtual.code : undefined),
          },
        ]
      : [],
  })
  const { output } = await bundler.generate({ format: 'esm', minify: true })
  await bundler.close()
  const chunks = new Map(output.filter((o) => o.type === 'chunk').map((c) => [c.fileName, c]))
  const startup = new Set()
  const visit = (name) => {
    if (startup.has(name) || !chunks.has(name)) return
    startup.add(name)
    for (const i of chunks.get(name).imports) visit(i)
  }
  for (const chunk of chunks.values()) if (chunk.isEntry) visit(chunk.fileName)
  const sum = (list) =>
    list.reduce(
      (acc, c) => {
        const s = sizeOf(c.code)
        return { minified: acc.minified + s.minified, gzip: acc.gzip + s.gzip }
      },
      { minified: 0, gzip: 0 },
    )
  const lazy = [...chunks.values()].filter((c) => !startup.has(c.fileName))
  return {
    ...sum([...startup].map((name) => chunks.get(name))),
    modules: startupModules(
      [...startup].map((name) => chunks.get(name).modules),
      'renderedLength',
    ),
    later: {
      ...sum(lazy),
      chunks: lazy.map((c) => ({
        ...sizeOf(c.code),
        modules: Object.keys(c.modules).map((m) =>
          m.replace(/^.*?\/(packages|node_modules)\//, ''),
        ),
      })),
    },
  }
}
