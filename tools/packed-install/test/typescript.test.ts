// What a TypeScript user type-checks against: the packed core, ai-sdk, next and hono tarballs in a
// fresh app outside the workspace, with `ai@7`, `@ai-sdk/openai`, `zod` and `hono` from the
// registry, the newest TypeScript 5.x and the 5.0 the root README names as the floor (the
// workspace's own TypeScript 7 too).
// - Every ```ts block of the READMEs (root, packages, docs/backends.md), as written, type-checks
//   with the settings strict apps turn on (`strict`, `exactOptionalPropertyTypes`,
//   `noUncheckedIndexedAccess`, `verbatimModuleSyntax`, `isolatedModules`, `skipLibCheck: false`)
//   under `bundler` and `nodenext` resolution (5.9 under `bundler`). A block is a fragment: what
//   it uses without defining (`model`, `app`, `userId`, an import it leaves out) is declared
//   before it, from a table below.
// - The public declarations name no Tokentrail type that no public entry exports, and an app's
//   own emitted declarations name core's types by `@tokentrail/core`, not `/internal`.
// - A CommonJS project (`"type": "commonjs"`) compiles an app that imports core, its `/testing`
//   subpath and the Hono adapter with `module: commonjs` (TypeScript 5's default `node10`
//   resolution, what ts-jest and many Node back ends still use) and with `module: nodenext`, and
//   the emitted `require()`s run on Node 22 and Node 20.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { npmInstall, run } from './exec.js'

const root = resolve(fileURLToPath(new URL('../../..', import.meta.url)))
const tarballs = inject('tarballs')
const READMES = [
  'README.md',
  'packages/core/README.md',
  'packages/ai-sdk/README.md',
  'packages/next/README.md',
  'packages/hono/README.md',
  'packages/cli/README.md',
  'docs/backends.md',
]
// The workspace's TypeScript (7), run on this Node.
const tsc7 = join(
  dirname(createRequire(join(root, 'package.json')).resolve('typescript/package.json')),
  'bin/tsc',
)

let dir: string
let app: string
const tsc = (name: string) => join(app, 'node_modules', name, 'bin/tsc')

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tokentrail-typescript-'))
  app = join(dir, 'app')
  mkdirSync(app)
  const hono = JSON.parse(
    readFileSync(join(root, 'packages/hono/node_modules/hono/package.json'), 'utf8'),
  ).version
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({
      name: 'fresh-typescript-app',
      private: true,
      type: 'module',
      dependencies: {
        '@tokentrail/core': `file:${tarballs.core}`,
        '@tokentrail/ai-sdk': `file:${tarballs['ai-sdk']}`,
        '@tokentrail/next': `file:${tarballs.next}`,
        '@tokentrail/hono': `file:${tarballs.hono}`,
        ai: '^7.0.0',
        '@ai-sdk/openai': '^4.0.0',
        zod: '^4.0.0',
        hono,
      },
      devDependencies: {
        '@types/node': '^22.0.0',
        '@types/json-schema': '^7.0.0',
        typescript: '^5.9.3',
        'typescript-5.0': 'npm:typescript@5.0.4',
      },
    }),
  )
  // No declaration of @tokentrail/next names `next`: leave the peer (and its 100 MB) out.
  npmInstall(app, ['--omit=peer'])
})

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})

// What a README block may use without defining it: a declaration, or the import it leaves out.
const CONTEXT: Record<string, string> = {
  createTracer: `import { createTracer } from '@tokentrail/core'`,
  setTracer: `import { setTracer } from '@tokentrail/core'`,
  getActiveSpan: `import { getActiveSpan } from '@tokentrail/core'`,
  injectTraceContext: `import { injectTraceContext } from '@tokentrail/core'`,
  extractTraceContext: `import { extractTraceContext } from '@tokentrail/core'`,
  otlpExporter: `import { otlpExporter } from '@tokentrail/core'`,
  otlpMetricsExporter: `import { otlpMetricsExporter } from '@tokentrail/core'`,
  consoleMetricsExporter: `import { consoleMetricsExporter } from '@tokentrail/core'`,
  tracingMiddleware: `import { tracingMiddleware } from '@tokentrail/ai-sdk'`,
  traceModel: `import { traceModel } from '@tokentrail/ai-sdk'`,
  withTraceMetadata: `import { withTraceMetadata } from '@tokentrail/ai-sdk'`,
  traceAction: `import { traceAction } from '@tokentrail/next'`,
  tracing: `import { tracing } from '@tokentrail/hono'`,
  openai: `import { openai } from '@ai-sdk/openai'`,
  generateText: `import { generateText } from 'ai'`,
  streamText: `import { streamText } from 'ai'`,
  app: `import { Hono } from 'hono'\nconst app = new Hono()`,
  tracer: `declare const tracer: import('@tokentrail/core').Tracer`,
  model: `declare const model: import('ai').LanguageModel`,
  messages: `declare const messages: import('ai').ModelMessage[]`,
  prompt: `declare const prompt: string`,
  values: `declare const values: string[]`,
  user: `declare const user: { id: string }`,
  chatId: `declare const chatId: string`,
  userId: `declare const userId: string`,
  generate: `declare function generate(): Promise<string>`,
  queue: `declare const queue: { add(name: string, data: object): void }`,
  job: `declare const job: { data: { _traceContext: Record<string, string> } }`,
  text: `declare const text: string`,
  run: `declare function run(): Promise<void>`,
  url: `declare const url: string`,
  headers: `declare const headers: Record<string, string>`,
  auth: `declare const auth: string`,
}

// The names a block defines itself: imported, or declared (a const, a destructured const, a
// function, a parameter list is its own scope and is left alone).
function defined(block: string): Set<string> {
  const names = new Set<string>()
  for (const [, list] of block.matchAll(/import\s*\{([^}]*)\}/g))
    for (const part of list!.split(','))
      names.add(
        part
          .replace(/^\s*type\s+/, '')
          .split(/\s+as\s+/)
          .at(-1)!
          .trim(),
      )
  for (const [, name] of block.matchAll(/\b(?:const|let|function)\s+([A-Za-z_$][\w$]*)/g))
    names.add(name!)
  for (const [, list] of block.matchAll(/\bconst\s*\{([^}]*)\}\s*(?::[^=]*)?=/g))
    for (const part of list!.split(',')) names.add(part.split(':').at(-1)!.trim())
  return names
}

// Each ```ts block of the READMEs, with what it uses and does not define put before it.
function readmeBlocks(): { name: string; source: string; imports: string[] }[] {
  const blocks = []
  for (const readme of READMES) {
    const text = readFileSync(join(root, readme), 'utf8')
    let n = 0
    for (const [, body] of text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)) {
      n++
      const own = defined(body!)
      const used = Object.keys(CONTEXT).filter(
        (name) => !own.has(name) && new RegExp(`(?<![.\\w$'])${name}\\b(?!\\s*:)`).test(body!),
      )
      // A 'use server' directive must stay first.
      const directive = /^'use server'\n/.exec(body!)?.[0] ?? ''
      const rest = body!.slice(directive.length)
      const prelude = used.map((name) => CONTEXT[name]).join('\n')
      const source = `${directive}${prelude}\n${rest}\nexport {}\n`
      const imports = [...source.matchAll(/from '([^']+)'/g)].map((m) => m[1]!)
      blocks.push({ name: `${readme.replace(/[/.]/g, '-')}-${n}`, source, imports })
    }
  }
  return blocks
}

const STRICT = {
  strict: true,
  exactOptionalPropertyTypes: true,
  noUncheckedIndexedAccess: true,
  verbatimModuleSyntax: true,
  isolatedModules: true,
  skipLibCheck: false,
  noEmit: true,
  target: 'ES2022',
  lib: ['ES2023', 'DOM', 'DOM.Iterable'],
  types: ['node'],
}

// Runs tsc on a config and returns its errors in the files given and in Tokentrail's declarations
// (the AI SDK's and Hono's own declarations answer for themselves: ai@7's fail
// `exactOptionalPropertyTypes` with `skipLibCheck: false` on every TypeScript).
function typecheck(compiler: string, cwd: string, config: string, node = process.execPath) {
  let out = ''
  try {
    run(node, [compiler, '-p', config, '--pretty', 'false'], cwd)
  } catch (error: any) {
    out = `${error.stdout}${error.stderr}`
  }
  // A tsc that did not run (a missing binary, a crash, out of memory) printed no diagnostic: a
  // failure, not an empty list of errors (which passed).
  if (out !== '' && !/error TS\d+/.test(out)) return [`tsc did not run: ${out.slice(0, 1000)}`]
  return out
    .split('\n')
    .filter((line) =>
      /^((core-)?snippets|node_modules\/@tokentrail)\/|^[\w.-]+\.(ts|json)\(|^error/.test(line),
    )
}

/** The declaration files of the public entries, as installed in the fresh app. */
const publicEntries = (app: string) =>
  [
    'core/dist/index.d.ts',
    'core/dist/testing.d.ts',
    'core/dist/otlp.d.ts',
    'core/dist/metrics.d.ts',
    'core/dist/tree.d.ts',
    'core/dist/otlp-protobuf.d.ts',
    'ai-sdk/dist/index.d.ts',
    'next/dist/index.d.ts',
    'hono/dist/index.d.ts',
  ].map((file) => join(app, 'node_modules/@tokentrail', file))

describe('the packed declarations in a fresh TypeScript app', () => {
  it('every README ts block type-checks as written, strict, on TypeScript 7 (bundler, nodenext) and 5.9 (bundler)', () => {
    const blocks = readmeBlocks()
    // The READMEs have 17 ts blocks today; a README losing its blocks (a fence renamed) is noticed.
    expect(blocks.length).toBeGreaterThanOrEqual(17)
    mkdirSync(join(app, 'snippets'))
    for (const block of blocks)
      writeFileSync(join(app, 'snippets', `${block.name}.ts`), block.source)
    // What an app reads from its env is `string | undefined`, passed straight in: undefined is the
    // option left out (core's documented-options test runs it).
    writeFileSync(
      join(app, 'snippets', 'env-values.ts'),
      [
        `import { createTracer, otlpExporter } from '@tokentrail/core'`,
        `const tracer = createTracer({`,
        `  serviceName: process.env.SERVICE_NAME,`,
        `  sampleRate: process.env.SAMPLE_RATE ? Number(process.env.SAMPLE_RATE) : undefined,`,
        `  exporters: [otlpExporter({ url: process.env.TRACES_URL, profile: undefined })],`,
        `})`,
        `tracer.startSpan('x', { parent: undefined, startTime: undefined }).end()`,
        // The same for every other option object: nested createTracer options, the exporters,
        // span.end(), flush(), and the adapters' options (a tracer or setting that may be unset).
        `import { consoleExporter, httpExporter, otlpMetricsExporter, type Tracer } from '@tokentrail/core'`,
        `import { tracingMiddleware, tokentrailTelemetry } from '@tokentrail/ai-sdk'`,
        `import { traceAction, withTracing } from '@tokentrail/next'`,
        `import { tracing } from '@tokentrail/hono'`,
        `const number = (name: string) => (process.env[name] ? Number(process.env[name]) : undefined)`,
        `const maybe: Tracer | undefined = process.env.TRACE ? tracer : undefined`,
        `createTracer({`,
        `  retry: { maxRetries: number('RETRIES'), initialBackoffMs: undefined },`,
        `  limits: { maxStringLength: number('MAX'), maxAttributes: undefined },`,
        `  sampling: { slowerThanMs: number('SLOW'), text: { rate: undefined } },`,
        `  redaction: { replace: undefined, hashKey: process.env.HASH_KEY },`,
        `  metrics: { exporters: [otlpMetricsExporter({ url: process.env.METRICS_URL })], exportIntervalMs: undefined },`,
        `  exporters: [httpExporter({ url: 'http://localhost:1', apiKey: process.env.API_KEY }), consoleExporter({ pretty: undefined })],`,
        `})`,
        `tracer.startSpan('y').end({ status: undefined, endTime: undefined })`,
        `void tracer.flush({ timeoutMs: number('FLUSH_MS') })`,
        `tracingMiddleware({ tracer: maybe, recordInputs: undefined, metadata: { userId: process.env.USER_ID } })`,
        `tokentrailTelemetry({ tracer: maybe, recordOutputs: undefined })`,
        `traceAction('a', async () => 1, { tracer: maybe, flushTimeoutMs: number('FLUSH_MS') })`,
        `withTracing(async () => new Response('ok'), { tracer: maybe, route: process.env.ROUTE })`,
        `tracing({ tracer: maybe, traceIdHeader: process.env.TRACE_ID_HEADER, waitUntil: undefined })`,
      ].join('\n'),
    )
    const failures: string[] = []
    // TypeScript 5.9 (slower: JavaScript, not native) on bundler only; 7 on both resolutions.
    for (const [compiler, label, resolutions] of [
      [tsc7, 'TypeScript 7', ['bundler', 'nodenext']],
      [tsc('typescript'), 'TypeScript 5.9', ['bundler']],
    ] as const) {
      for (const resolution of resolutions) {
        const config = `tsconfig.${resolution}.json`
        writeFileSync(
          join(app, config),
          JSON.stringify({
            compilerOptions: {
              ...STRICT,
              module: resolution === 'bundler' ? 'esnext' : 'nodenext',
              moduleResolution: resolution,
            },
            include: ['snippets/*.ts'],
          }),
        )
        for (const line of typecheck(compiler, app, config))
          failures.push(`${label}, ${resolution}: ${line}`)
      }
    }
    expect(failures).toEqual([])
  })

  it('a compiler that does not run is a failure, not a clean check', () => {
    // What every case above relies on: before, a missing or crashing tsc gave no error lines.
    const missing = typecheck(join(app, 'node_modules/typescript/bin/missing-tsc'), app, 'x.json')
    expect(missing).toHaveLength(1)
    expect(missing[0]).toMatch(/^tsc did not run: .*Cannot find module/s)
  })

  it('core and its README blocks type-check on TypeScript 5.0, the floor the README names', () => {
    // Only the blocks that import nothing but core: the AI SDK's own declarations need a newer one.
    const core = readmeBlocks().filter((block) =>
      block.imports.every((from) => from.startsWith('@tokentrail/core')),
    )
    expect(core.length).toBeGreaterThanOrEqual(6)
    mkdirSync(join(app, 'core-snippets'))
    for (const block of core)
      writeFileSync(join(app, 'core-snippets', `${block.name}.ts`), block.source)
    writeFileSync(
      join(app, 'core-snippets', 'subpaths.ts'),
      [
        `import { memoryExporter, memoryMetricExporter } from '@tokentrail/core/testing'`,
        `import { encodeOtlpTraces } from '@tokentrail/core/otlp'`,
        `import { MetricsRecorder } from '@tokentrail/core/metrics'`,
        `import { buildSpanTree } from '@tokentrail/core/tree'`,
        `export const used = [memoryExporter, memoryMetricExporter, encodeOtlpTraces, MetricsRecorder, buildSpanTree]`,
      ].join('\n'),
    )
    writeFileSync(
      join(app, 'tsconfig.floor.json'),
      JSON.stringify({
        compilerOptions: { ...STRICT, module: 'esnext', moduleResolution: 'bundler' },
        include: ['core-snippets/*.ts'],
      }),
    )
    const version = run(process.execPath, [tsc('typescript-5.0'), '--version'], app).trim()
    expect(version).toBe('Version 5.0.4')
    const errors = typecheck(tsc('typescript-5.0'), app, 'tsconfig.floor.json').map((line) =>
      line.replace(/^core-snippets/, 'snippets'),
    )
    expect(errors).toEqual([])
  })

  it('the public declarations name no type a user cannot import', () => {
    // Walks every export of the public entries with the app's TypeScript 5.9 compiler API: the
    // parameter, return and property types they reach, and lists each named type declared in a
    // Tokentrail package that no public entry exports (`@tokentrail/core/internal` is not public).
    const ts = createRequire(join(app, 'package.json'))('typescript')
    const entries = publicEntries(app)
    const program = ts.createProgram(entries, {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      strict: true,
      types: ['node'],
    })
    const checker = program.getTypeChecker()
    const ours = (node: any) => node.getSourceFile().fileName.includes('/@tokentrail/')
    const importable = new Set<any>()
    const roots: any[] = []
    for (const entry of entries) {
      for (let symbol of checker.getExportsOfModule(
        checker.getSymbolAtLocation(program.getSourceFile(entry)),
      )) {
        if (symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol)
        importable.add(symbol)
        // `type X = Y` exported: Y is nameable as X.
        if (symbol.flags & ts.SymbolFlags.Type) {
          const declared = checker.getDeclaredTypeOfSymbol(symbol)
          if (declared.symbol) importable.add(declared.symbol)
        }
        roots.push(symbol)
      }
    }
    const named =
      ts.SymbolFlags.Interface |
      ts.SymbolFlags.Class |
      ts.SymbolFlags.TypeAlias |
      ts.SymbolFlags.Enum
    const seen = new Set<any>()
    const leaks = new Map<string, string>()
    const visit = (type: any, path: string) => {
      if (!type || seen.has(type)) return
      seen.add(type)
      for (const symbol of [type.aliasSymbol, type.getSymbol()]) {
        if (symbol && symbol.flags & named && !importable.has(symbol)) {
          const declaration = symbol.declarations?.[0]
          if (declaration && ours(declaration)) {
            const file = declaration.getSourceFile().fileName.replace(/.*\/@tokentrail\//, '')
            if (!leaks.has(`${symbol.name} (${file})`)) leaks.set(`${symbol.name} (${file})`, path)
          }
        }
      }
      if (type.flags & ts.TypeFlags.TypeParameter)
        visit(type.getConstraint(), `${path}<constraint>`)
      for (const t of type.aliasTypeArguments ?? []) visit(t, path)
      if (type.isUnionOrIntersection()) for (const t of type.types) visit(t, path)
      for (const t of checker.getTypeArguments?.(type) ?? []) visit(t, path)
      if (!(type.flags & ts.TypeFlags.Object)) return
      for (const property of checker.getPropertiesOfType(type)) {
        const declaration = property.valueDeclaration ?? property.declarations?.[0]
        if (declaration && ours(declaration))
          visit(
            checker.getTypeOfSymbolAtLocation(property, declaration),
            `${path}.${property.name}`,
          )
      }
      for (const kind of [ts.SignatureKind.Call, ts.SignatureKind.Construct])
        for (const signature of checker.getSignaturesOfType(type, kind)) {
          for (const parameter of signature.parameters)
            visit(checker.getTypeOfSymbol(parameter), `${path}(${parameter.name})`)
          visit(signature.getReturnType(), `${path}()`)
        }
    }
    for (const symbol of roots) {
      const declaration = symbol.declarations?.[0]
      if (!declaration) continue
      if (symbol.flags & ts.SymbolFlags.Value)
        visit(checker.getTypeOfSymbolAtLocation(symbol, declaration), symbol.name)
      if (symbol.flags & ts.SymbolFlags.Type)
        visit(checker.getDeclaredTypeOfSymbol(symbol), symbol.name)
    }
    expect(Object.fromEntries(leaks)).toEqual({})
  })

  it('every optional option a public function or method takes accepts undefined', () => {
    // Under exactOptionalPropertyTypes, `key?: T` refuses `key: undefined`, which an app passes for
    // an unset env variable or a maybe-tracer, and which the runtime reads as the option left out.
    // Walks the parameters of every export of the public entries (and of their interfaces'
    // methods) into the option objects declared in Tokentrail's packages. Data a caller hands back
    // (spans, span contexts, prices, an export error's fields) is not an option.
    const ts = createRequire(join(app, 'package.json'))('typescript')
    const entries = publicEntries(app)
    const program = ts.createProgram(entries, {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      strict: true,
      exactOptionalPropertyTypes: true,
      types: ['node'],
    })
    const checker = program.getTypeChecker()
    const ours = (node: any) => node.getSourceFile().fileName.includes('/@tokentrail/')
    const DATA = new Set(['SpanData', 'SpanContext', 'SpanError', 'ModelPrice', 'ExportError'])
    const refused = new Set<string>()
    const seen = new Set<any>()
    const option = (type: any, owner: string) => {
      if (!type || seen.has(type)) return
      seen.add(type)
      if (type.isUnionOrIntersection()) for (const t of type.types) option(t, owner)
      if (!(type.flags & ts.TypeFlags.Object) || checker.isArrayType(type)) return
      if (checker.getSignaturesOfType(type, ts.SignatureKind.Call).length > 0) return
      const symbol = type.aliasSymbol ?? type.getSymbol()
      if (!symbol?.declarations?.some(ours)) return
      const name = symbol.name === '__type' ? owner : symbol.name
      if (DATA.has(name)) return
      for (const property of checker.getPropertiesOfType(type)) {
        const declaration = property.valueDeclaration ?? property.declarations?.[0]
        if (!declaration || !ours(declaration)) continue
        if (property.flags & ts.SymbolFlags.Optional) {
          const declared = declaration.type && checker.getTypeFromTypeNode(declaration.type)
          const takesUndefined =
            declared &&
            (declared.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Any | ts.TypeFlags.Unknown) ||
              (declared.isUnion() &&
                declared.types.some((t: any) => t.flags & ts.TypeFlags.Undefined)))
          if (!takesUndefined) refused.add(`${name}.${property.name}`)
        }
        option(checker.getTypeOfSymbol(property), `${name}.${property.name}`)
      }
    }
    const parameters = (type: any, owner: string) => {
      for (const kind of [ts.SignatureKind.Call, ts.SignatureKind.Construct])
        for (const signature of checker.getSignaturesOfType(type, kind))
          for (const parameter of signature.parameters)
            option(checker.getTypeOfSymbol(parameter), `${owner}(${parameter.name})`)
    }
    for (const entry of entries)
      for (let symbol of checker.getExportsOfModule(
        checker.getSymbolAtLocation(program.getSourceFile(entry)),
      )) {
        if (symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol)
        const declaration = symbol.declarations?.[0]
        if (!declaration || DATA.has(symbol.name)) continue
        if (symbol.flags & ts.SymbolFlags.Value)
          parameters(checker.getTypeOfSymbolAtLocation(symbol, declaration), symbol.name)
        if (symbol.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.Class))
          for (const member of checker.getPropertiesOfType(checker.getDeclaredTypeOfSymbol(symbol)))
            parameters(checker.getTypeOfSymbol(member), `${symbol.name}.${member.name}`)
      }
    // The walk reaches the options of each package (a walk that found nothing would pass).
    expect(seen.size).toBeGreaterThan(40)
    expect([...refused].sort()).toEqual([])
  })

  it("an app's emitted declarations name Tokentrail's types by the public entries", () => {
    // A library built on the adapters (declaration: true) gets `import("…").Span` written into its
    // own .d.ts for what it returns; before, that was `@tokentrail/core/internal`, the adapters'
    // subpath outside semver.
    mkdirSync(join(app, 'library'))
    writeFileSync(
      join(app, 'library', 'index.ts'),
      [
        `import type { Context } from 'hono'`,
        `import { tracingMiddleware } from '@tokentrail/ai-sdk'`,
        `import { traceAction } from '@tokentrail/next'`,
        `import '@tokentrail/hono'`,
        `export const spanOf = (c: Context) => c.var.span`,
        `export const tracerOf = (o: Parameters<typeof tracingMiddleware>[0]) => o?.tracer`,
        `export const actionTracer = (o: Parameters<typeof traceAction>[2]) => o?.tracer`,
      ].join('\n'),
    )
    writeFileSync(
      join(app, 'tsconfig.library.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          declaration: true,
          emitDeclarationOnly: true,
          rootDir: 'library',
          outDir: 'library/out',
          target: 'ES2022',
          module: 'nodenext',
          lib: ['ES2023', 'DOM'],
          types: ['node'],
        },
        files: ['library/index.ts'],
      }),
    )
    expect(typecheck(tsc7, app, 'tsconfig.library.json')).toEqual([])
    const emitted = readFileSync(join(app, 'library/out/index.d.ts'), 'utf8')
    expect(emitted).not.toContain('core/internal')
    expect(emitted).toContain(`import("@tokentrail/core").Span`)
    expect(emitted.match(/import\("@tokentrail\/core"\)\.Tracer/g)).toHaveLength(2)
  })

  it('a CommonJS project compiles with module commonjs (node10) and nodenext, and its require()s run', () => {
    // node10 resolution reads no `exports`: each subpath of each package needs its `typesVersions`
    // entry (`@tokentrail/ai-sdk/prices` had none: TS2307 under module commonjs).
    for (const name of ['core', 'ai-sdk', 'next', 'hono']) {
      const manifest = JSON.parse(
        readFileSync(join(app, `node_modules/@tokentrail/${name}/package.json`), 'utf8'),
      )
      const subpaths = Object.keys(manifest.exports)
        .filter((key) => key !== '.' && key !== './package.json')
        .map((key) => key.slice(2))
      expect(Object.keys(manifest.typesVersions?.['*'] ?? {}).sort(), name).toEqual(subpaths.sort())
      for (const subpath of subpaths)
        expect(manifest.typesVersions['*'][subpath]).toEqual([
          manifest.exports[`./${subpath}`].types,
        ])
    }
    const cjs = join(app, 'cjs')
    mkdirSync(cjs)
    writeFileSync(join(cjs, 'package.json'), JSON.stringify({ type: 'commonjs' }))
    writeFileSync(
      join(cjs, 'main.ts'),
      [
        `import { createTracer, type Tracer } from '@tokentrail/core'`,
        `import { memoryExporter } from '@tokentrail/core/testing'`,
        `import { tracing } from '@tokentrail/hono'`,
        `import { findPrice } from '@tokentrail/ai-sdk/prices'`,
        ``,
        `const exporter = memoryExporter()`,
        `const tracer: Tracer = createTracer({ serviceName: 'cjs', exporters: [exporter], metrics: false })`,
        `const adapters = [tracing({ tracer })]`,
        `async function main() {`,
        `  await tracer.withSpan('cjs work', async () => {})`,
        `  await tracer.flush()`,
        `  const price: number | undefined = findPrice('gpt-4o')?.input`,
        `  console.log(JSON.stringify({ spans: exporter.spans.map((s) => s.name), adapters: adapters.length, price }))`,
        `}`,
        `main()`,
      ].join('\n'),
    )
    const nodes = [process.execPath, '/usr/bin/node', '/usr/local/bin/node'].filter((node) => {
      if (!existsSync(node)) return false
      const [major, minor] = run(node, ['-p', 'process.versions.node'], app)
        .trim()
        .split('.')
        .map(Number)
      // require(esm) without a flag: Node 20.19 and 22.12 on (the README's range).
      return major! > 22 || (major === 22 && minor! >= 12) || (major === 20 && minor! >= 19)
    })
    const failures: string[] = []
    for (const [compiler, module, label] of [
      [tsc('typescript'), 'commonjs', 'TypeScript 5.9, module commonjs (node10 resolution)'],
      [tsc('typescript'), 'nodenext', 'TypeScript 5.9, module nodenext'],
      [tsc7, 'nodenext', 'TypeScript 7, module nodenext'],
    ] as const) {
      const outDir = `out-${module}`
      writeFileSync(
        join(cjs, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            strict: true,
            skipLibCheck: false,
            target: 'ES2022',
            lib: ['ES2023', 'DOM'],
            types: ['node'],
            module,
            rootDir: '.',
            outDir,
          },
          files: ['main.ts'],
        }),
      )
      for (const line of typecheck(compiler, cjs, 'tsconfig.json'))
        failures.push(`${label}: ${line}`)
      const emitted = join(cjs, outDir, 'main.js')
      expect(readFileSync(emitted, 'utf8'), label).toContain(`require("@tokentrail/core/testing")`)
      for (const node of nodes) {
        const out = JSON.parse(run(node, [emitted], cjs).trim())
        expect(out, `${label}, run on ${node}`).toEqual({
          spans: ['cjs work'],
          adapters: 1,
          price: 2.5,
        })
      }
    }
    expect(failures).toEqual([])
    expect(readdirSync(cjs)).toContain('out-commonjs')
  })
})
