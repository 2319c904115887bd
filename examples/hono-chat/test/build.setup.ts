import { execFileSync } from 'node:child_process'

// The tests run the built entries (dist/server.js in Node, dist/worker.js in workerd).
export default function setup() {
  execFileSync(process.execPath, ['build.mjs'], {
    cwd: new URL('..', import.meta.url),
    stdio: 'inherit',
  })
}
