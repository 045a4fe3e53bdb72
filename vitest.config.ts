import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';
import { runtimeDatabaseUrl, TEST_KEYCLOAK_URL, TEST_NEON_ENDPOINT } from './test/stack.ts';

export default defineConfig({
  test: {
    // One line per file plus the totals; CI reads the last line.
    reporters: ['default', './test/summary-reporter.ts'],
    projects: [
      {
        // The API, inside workerd, against the stand-ins started in global setup.
        plugins: [
          cloudflareTest({
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              bindings: {
                ENVIRONMENT: 'test',
                DATABASE_URL: runtimeDatabaseUrl(process.env.DATABASE_URL),
                NEON_HTTP_ENDPOINT: TEST_NEON_ENDPOINT,
                KEYCLOAK_URL: TEST_KEYCLOAK_URL,
                KEYCLOAK_CLIENT_SECRET: 'dev-secret',
                KEYCLOAK_ADMIN_CLIENT_SECRET: 'dev-admin-secret',
                // Rotation and unknown-kid tests must not wait out jose's 30 s cooldown.
                JWKS_COOLDOWN_MS: '0',
              },
            },
          }),
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
