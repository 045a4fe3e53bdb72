import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';
import { boundedWarmModules } from './test/bounded-warm-modules.ts';
import { testWorkerVars } from './test/stack.ts';

export default defineConfig({
  test: {
    // One line per file plus the totals; CI reads the last line.
    reporters: ['default', './test/summary-reporter.ts'],
    projects: [
      {
        // The API, inside workerd, against the stand-ins started in global setup.
        plugins: [
          cloudflareTest({
            // The local entry: the product plus the S3 gateway for presigned R2 URLs.
            main: './dev/local-worker.ts',
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              bindings: {
                ...testWorkerVars(process.env.DATABASE_URL),
                ENVIRONMENT: 'test',
                // Rotation and unknown-kid tests must not wait out jose's 30 s cooldown.
                JWKS_COOLDOWN_MS: '0',
                PIPELINE_POLL_DELAY_SECONDS: '1',
              },
            },
          }),
          // After the pool is configured: it wraps the pool's workers.
          boundedWarmModules(),
        ],
        test: {
          name: 'api',
          include: ['test/api/**/*.test.ts'],
          globalSetup: ['./test/global-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        // The pipeline end to end under `wrangler dev`, with the stand-ins calling back.
        test: {
          name: 'e2e',
          environment: 'node',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 240_000,
          hookTimeout: 120_000,
        },
      },
      {
        // The local stand-ins themselves, in Node.
        test: {
          name: 'dev',
          environment: 'node',
          include: ['test/dev/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
    ],
  },
});
