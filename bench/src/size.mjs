// Size row: min+gzip bytes of what a user ships for each contender, measured by bundling the
// contender's own setup file (src/contenders/<id>.mjs) with esbuild. `ai` and its own
// dependencies are left out: every AI SDK app ships them whichever tracer it picks.
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

const SHARED = ['ai', '@ai-sdk/provider', '@ai-sdk/provider-utils', '@ai-sdk/gateway', 'zod']

/** `{ minified, gzip }` bytes of one contender's setup file and everything it imports. */
export async function bundleSize(contenderId) {
  const result = await build({
    entryPoints: [fileURLToPath(new URL(`./contenders/${contenderId}.mjs`, import.meta.url))],
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
