/**
 * Three kinds of tests, each on the real parts it is about:
 * - unit: pure domain logic in Node (names, départements, import plan, demo network);
 * - worker: the API inside the Workers runtime (miniflare) on a real local D1;
 * - cli: the importer as a user runs it, on the real open-data file when present;
 * - pages: the built Worker served by `wrangler dev`, read over HTTP and in Chromium.
 */
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], environment: 'node' },
      },
      {
        plugins: [
          cloudflareTest(async ({ inject }) => ({
            main: './test/worker/entry.ts',
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              bindings: {
                TEST_MIGRATIONS: await readD1Migrations('./db/migrations'),
                RECEIVER_URL: inject('receiverUrl'),
                // What `npm start` sets; wrangler.toml sets none, so that a deployment must.
                SITE_ORIGIN: 'http://localhost:8787',
              },
            },
          })),
        ],
        test: {
          name: 'worker',
          include: ['test/worker/**/*.test.ts'],
          setupFiles: ['./test/worker/setup.ts'],
          globalSetup: ['./test/worker/receiver.ts'],
        },
      },
      {
        test: { name: 'cli', include: ['test/cli/**/*.test.ts'], environment: 'node', testTimeout: 180_000 },
      },
      {
        test: {
          name: 'pages',
          include: ['test/pages/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['./test/pages/server.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
