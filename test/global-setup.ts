import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { openBackend } from '../dev/db/backend.ts';
import { migrateDatabase, resetDatabase } from '../dev/db/migrate.ts';
import { seedDatabase } from '../dev/db/seed.ts';
import { startKeycloak } from '../dev/keycloak/server.ts';
import { startNeonHttp } from '../dev/neon/index.ts';
import { TEST_PORTS } from './stack.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Private signing keys of the demo realms, for tests that forge tokens. */
    signingKeys: Record<string, { kid: string; privateJwk: JsonWebKey & { kid: string } }>;
    databaseKind: 'pglite' | 'postgres';
  }
}

/**
 * Starts the database (in-memory PGlite, or the Postgres at DATABASE_URL, emptied first), the
 * Neon SQL-over-HTTP stand-in and the Keycloak stand-in, migrated and seeded like `npm run dev`.
 */
export default async function setup(project: TestProject) {
  const backend = await openBackend({ databaseUrl: process.env.DATABASE_URL });
  if (backend.kind === 'postgres') await resetDatabase(backend);
  await migrateDatabase(backend);
  await seedDatabase(backend);
  const neon = await startNeonHttp({ port: TEST_PORTS.neon, backend });
  const keycloak = await startKeycloak({
    port: TEST_PORTS.keycloak,
    realmsDir: fileURLToPath(new URL('../keycloak', import.meta.url)),
  });
  const signingKeys: Record<string, { kid: string; privateJwk: JsonWebKey & { kid: string } }> = {};
  for (const realm of ['qa-acme', 'qa-globex', 'qa-platform']) signingKeys[realm] = await keycloak.activeSigningKey(realm);
  project.provide('signingKeys', signingKeys);
  project.provide('databaseKind', backend.kind);

  return async () => {
    await keycloak.close();
    await neon.close();
    await backend.close();
  };
}
