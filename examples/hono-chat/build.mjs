// Bundles the two entries: dist/server.js for Node, dist/worker.js for workerd (Wrangler or Miniflare).
import { build } from 'esbuild'

const common = {
  bundle: true,
  format: 'esm',
  target: 'es2022',
  logLevel: 'warning',
  sourcemap: true,
}

await build({
  ...common,
  entryPoints: ['src/server.ts'],
  outfile: 'dist/server.js',
  platform: 'node',
  packages: 'external',
})
await build({
  ...common,
  entryPoints: ['src/worker.ts'],
  outfile: 'dist/worker.js',
  platform: 'browser',
  conditions: ['workerd', 'worker', 'browser'],
  external: ['node:*'],
})
