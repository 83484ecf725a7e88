import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // e2e/*.spec.ts belongs to Playwright; vitest must not pick it up.
    include: ['lib/**/*.test.ts', 'client/**/*.test.ts', 'server/**/*.test.ts', 'test/**/*.test.ts', 'bench/**/*.test.ts'],
    // The prebuilt CLI is rebuilt when stale, so tests start `agent-relay` as fast as a user's does;
    // the pinned real agent CLIs (test/agents) are installed once, before any test, into a cache
    // outside the repository; already installed versions are reused.
    globalSetup: ['test/prebuilt-cli.global-setup.ts', 'test/agents/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Real PTYs and sockets: two cores, so keep parallelism modest.
    maxWorkers: 2,
  },
});
