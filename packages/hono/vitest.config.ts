import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    // CI runs on a loaded 2-core machine: a test that is slow there is not wrong. Speed targets
    // live in the benchmarks, not in test timeouts.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: { name: 'node', environment: 'node', include: ['test/**/*.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'edge',
          environment: 'edge-runtime',
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.node.test.ts'],
        },
      },
    ],
  },
})
