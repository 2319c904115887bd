import { spawn } from 'node:child_process'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build, type Metafile } from 'esbuild'
import { describe, expect, it } from 'vitest'

// What a user's bundler ships at start-up for `createTracer + otlpExporter`: an esbuild build with
// code splitting, as Next's and Vite's bundlers split at import(). The optional features and the
// export-time code must sit in chunks reached only through import(), loaded on first use.

async function split(contents: string) {
  const result = await build({
    stdin: { contents, resolveDir: fileURLToPath(new URL('..', import.meta.url)), loader: 'ts' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'neutral',
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
  // The app's own entry: a lazy module whose importer was tree-shaken away (injectBaggage's
  // notice, for an app that never calls it) is still emitted as an entry no chunk imports.
  const entry = Object.keys(outputs).find(
    (name) => outputs[name]!.entryPoint === '<stdin>' && !dynamic.has(name),
  )!
  const startup = new Set<string>()
  const visit = (name: string) => {
    if (startup.has(name)) return
    startup.add(name)
    for (const i of outputs[name]!.imports) if (i.kind === 'import-statement') visit(i.path)
  }
  visit(entry)
  const modules = (names: string[]) =>
    names.flatMap((name) =>
      Object.entries((outputs[name] as Metafile['outputs'][string]).inputs)
        .filter(([, input]) => input.bytesInOutput > 0)
        .map(([path]) => path.replace(/^(.*\/)?src\//, '')),
    )
  const later = Object.keys(outputs).filter((name) => !startup.has(name))
  return { startup: modules([...startup]), later: modules(later), entry: modules([entry]) }
}

const LAZY = [
  // The holders of sampling, redaction and metrics load with them, when a tracer turns one on.
  'tracer-features.ts',
  'sampling/lazy-sampler.ts',
  'redaction/lazy-redactor.ts',
  'lazy-metrics.ts',
  'sampling/trace-sampler.ts',
  'redaction/redactor.ts',
  'redaction/sha256.ts',
  'redaction/detectors.ts',
  'redaction/replace-at.ts',
  'redaction/path-rule.ts',
  'delivery-log.ts',
  'lazy-delivery-log.ts',
  'processor-send.ts',
  // What a flush says about spans that did not arrive: loaded the first time it has that to say.
  'processor-flush.ts',
  // The beforeExit flush and exit warning: loaded as a tracer with exporters is made on Node.
  'exit-watch.ts',
  // What a span meets as it ends: the scrub, the text scrub it runs, and the batch processors,
  // loaded as a tracer is made. The entries export the text scrub through secret-text-entry.ts.
  'span-end.ts',
  'secret-text.ts',
  'processor.ts',
  // The main entry exports it through exporters/export-error-entry.ts, which nothing here uses.
  'exporters/export-error.ts',
  'exporters/post.ts',
  'exporters/transport.ts',
  'exporters/gzip.ts',
  'metrics-pipeline.ts',
  'sdk-metrics.ts',
  'exporters/otlp-send.ts',
  'exporters/backend-profiles.ts',
  'exporters/console-print.ts',
  'exporters/metrics-summary.ts',
]

// Only lazy code uses these: what the main entry re-exports, esbuild keeps in the start-up chunk
// (it assigns whole files to chunks by the import graph), so they sit on subpaths of their own.
const SUBPATH_ONLY = [
  'exporters/otlp-json.ts',
  'exporters/otlp-protobuf.ts',
  'exporters/otlp-metrics-encode.ts',
  'exporters/describe-failure.ts',
  'otlp/json-writer.ts',
  'otlp/protobuf-writer.ts',
  'otlp/protobuf-schema.ts',
  'metrics.ts',
  'metrics-instrument.ts',
  'tree.ts',
]

describe('code loaded on first use', () => {
  it('keeps sampling, redaction, metrics, the encoders, backend mapping, the transport, delivery messages and the console printer out of the start-up chunk', async () => {
    const { startup, later, entry } = await split(
      `import { createTracer, otlpExporter, setTracer } from './src/index.ts'
       setTracer(createTracer({ serviceName: 'app', exporters: [otlpExporter()] }))`,
    )
    expect(startup).toContain('recording-tracer.ts')
    for (const module of [...LAZY, ...SUBPATH_ONLY]) {
      expect(startup).not.toContain(module)
      expect(later).toContain(module)
    }
    // The lazy modules read the names they need from semconv-names.ts, not the `ATTR` table.
    expect([...startup, ...later]).not.toContain('semconv.ts')
    expect(later).toContain('semconv-names.ts')
    // A module both start-up and lazy code import at run time becomes a chunk of its own, fetched
    // and compressed apart from the entry: the send loop gets the processor's helpers handed over,
    // so does the trace sampler the names and functions it shares with the tracer, the delivery
    // messages and env notices what they need of options.ts and env.ts, and the map of escaped
    // forms that span.ts and the JSON encoder share is a module apart.
    for (const module of [
      'options.ts',
      'env.ts',
      'errors.ts',
      'attributes.ts',
      'clock.ts',
      'content-keys.ts',
      'sampling/trace-state.ts',
    ])
      expect(entry).toContain(module)
    // The key check attribute values need as they are set, which the text scrub (loaded with the
    // span-end code) also runs, and `lazy`, which the processors (loaded with it) use too: one
    // start-up chunk apart from the entry (about 460 bytes minified).
    for (const module of ['secret-key.ts', 'lazy.ts']) {
      expect(startup).toContain(module)
      expect(entry).not.toContain(module)
    }
  }, 30_000)

  it('exports from the main entry the same ExportError class the export code throws', async () => {
    const main = await import('../src/index.js')
    const own = await import('../src/exporters/export-error.js')
    expect(main.ExportError).toBe(own.ExportError)
    expect(new own.ExportError('x', { status: 503 })).toBeInstanceOf(main.ExportError)
  })

  it('still gives the encoders, metrics recorder and span tree to an app that imports their subpaths', async () => {
    const { startup } = await split(
      `import { createTracer, otlpExporter } from './src/index.ts'
       import { MetricsRecorder } from './src/metrics.ts'
       import { encodeOtlpTraces } from './src/otlp.ts'
       import { buildSpanTree } from './src/tree.ts'
       export { createTracer, otlpExporter, MetricsRecorder, encodeOtlpTraces, buildSpanTree }`,
    )
    for (const module of ['exporters/otlp-json.ts', 'metrics.ts', 'tree.ts'])
      expect(startup).toContain(module)
  }, 30_000)

  it('keeps them out when an app reaches core only through the adapters entry (@tokentrail/core/internal)', async () => {
    const { startup, later } = await split(
      `import { ATTR, getTracer, runWithSpan, scrubLater, setTrustedAttributes, textScrub } from './src/internal.ts'
       const span = getTracer().startSpan(ATTR.operationName)
       // What the AI SDK adapter does with a text the text scrub must see before it is cut.
       const scrub = textScrub()
       if (scrub) span.setAttribute('a', scrub.cut('text'))
       else scrubLater(span, (late) => span.setAttribute('a', late.cut('text')))
       span.end()
       export { runWithSpan, setTrustedAttributes }`,
    )
    expect(startup).toContain('recording-tracer.ts')
    for (const module of [...LAZY, ...SUBPATH_ONLY]) {
      expect(startup).not.toContain(module)
      expect(later).toContain(module)
    }
  }, 30_000)

  it('runs split: spans and metrics reach a real OTLP server through the chunks loaded on first use', async () => {
    const received: Record<string, string[]> = {}
    const server = createServer((request, response) => {
      let body = ''
      request.on('data', (chunk) => {
        body += chunk
      })
      request.on('end', () => {
        ;(received[request.url ?? ''] ??= []).push(body)
        response.end('{}')
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const dir = await mkdtemp(join(tmpdir(), 'tokentrail-split-'))
    try {
      // The app as a bundler splits it: entry + chunks on disk, run by a fresh Node process.
      await build({
        stdin: {
          contents: `import { createTracer, otlpExporter, otlpMetricsExporter } from './src/index.ts'
            const tracer = createTracer({
              serviceName: 'split-app',
              exporters: [otlpExporter({ url: '${base}/v1/traces' })],
              metrics: { exporters: [otlpMetricsExporter({ url: '${base}/v1/metrics' })] },
              redaction: {},
              sampling: {},
            })
            const root = tracer.startSpan('request')
            tracer.startSpan('chat m', { kind: 'llm', parent: root, attributes: { 'gen_ai.operation.name': 'chat', who: 'ann@example.com' } }).end({ status: 'error' })
            root.end()
            const result = await tracer.flush({ timeoutMs: 10000 })
            console.log(JSON.stringify({ result, stats: tracer.stats() }))`,
          resolveDir: fileURLToPath(new URL('..', import.meta.url)),
          loader: 'ts',
          sourcefile: 'app.ts',
        },
        bundle: true,
        splitting: true,
        format: 'esm',
        platform: 'node',
        outdir: dir,
        outExtension: { '.js': '.mjs' },
        entryNames: 'app',
        logLevel: 'silent',
      })
      expect((await readdir(dir)).length).toBeGreaterThan(5) // the entry and its lazy chunks
      const output = await new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, [join(dir, 'app.mjs')], {
          stdio: ['ignore', 'pipe', 'inherit'],
        })
        let out = ''
        child.stdout.on('data', (chunk) => {
          out += chunk
        })
        child.on('error', reject)
        child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}`))))
      })
      const { result, stats } = JSON.parse(output)
      expect(result.ok).toBe(true)
      expect(stats.exported).toBe(2)
      expect(stats.sampling.keptTraces).toBe(1)
      expect(stats.redaction.email).toBe(1)
      const traces = received['/v1/traces']!.join('')
      expect(traces).toContain('chat m')
      expect(traces).toContain('[EMAIL]')
      expect(traces).not.toContain('ann@example.com')
      expect(received['/v1/metrics']!.join('')).toContain('gen_ai.client.operation.duration')
    } finally {
      server.close()
      await rm(dir, { recursive: true, force: true })
    }
  }, 60_000)
})
