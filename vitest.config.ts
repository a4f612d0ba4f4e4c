import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores here and in CI: forks keep memory isolated without oversubscribing.
    pool: 'forks',
    // a run id for the PostgreSQL schemas the tests create, all dropped when the run ends
    globalSetup: ['test/global-setup.ts'],
  },
});
