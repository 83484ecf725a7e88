import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // e2e/*.spec.ts belongs to Playwright; vitest must not pick it up.
    include: ['lib/**/*.test.ts', 'server/**/*.test.ts', 'test/**/*.test.ts', 'bench/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Real PTYs and sockets: two cores, so keep parallelism modest.
    maxWorkers: 2,
  },
});
