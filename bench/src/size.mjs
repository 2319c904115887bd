// Size row: min+gzip bytes of what a user ships for each contender, measured by bundling the
// contender's own setup file (src/contenders/<id>.mjs) with esbuild. `ai` and its own
// dependencies are left out: every AI SDK app ships them whichever tracer it picks.
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

const SHARED = [
  'ai',
  '@ai-sdk/provider',
  '@ai-sdk/provider-utils',
  '@ai-sdk/gateway',
  'zod',
  'next',
  'next/*',
]

/** `{ minified, gzip }` bytes of one contender's setup file and everything it imports. */
export function bundleSize(contenderId) {
  return bundle({
    entryPoints: [fileURLToPath(new URL(`./contenders/${contenderId}.mjs`, import.meta.url))],
  })
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

/** `{ minified, gzip }` bytes of one of `ENTRIES` and everything it imports. */
export function entrySize(id) {
  return bundle({
    stdin: {
      contents: ENTRIES[id].code,
      resolveDir: fileURLToPath(new URL('.', import.meta.url)),
      loader: 'js',
    },
  })
}

async function bundle(input) {
  const result = await build({
    ...input,
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    external: SHARED,
    write: false,
    logLevel: 'silent',
  })
  const code = result.outputFiles[0].contents
  return { minified: code.length, gzip: gzipSync(code, { level: 9 }).length }
}
