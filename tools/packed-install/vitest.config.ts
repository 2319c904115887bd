import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Packs the published packages once for every test file.
    globalSetup: ['test/tarballs.ts'],
    // The files mostly wait on npm, `next build` and servers they start: run them side by side
    // even on a 2-core machine (203 s there against 266 s one after another).
    maxWorkers: 3,
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
})
