// Bundles the app child process (the hono-chat example's app plus the suite's stats routes).
import { build } from 'esbuild'

await build({
  entryPoints: ['src/app-server.ts'],
  outfile: 'dist/app-server.js',
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
})
