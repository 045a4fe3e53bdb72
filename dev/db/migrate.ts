/**
 * Applies migrations/ (drizzle-kit's journal) to the local database: PGlite under .data/ by
 * default, or the Postgres at DATABASE_URL, connected as its owner.
 *   npm run db:migrate
 */
import { fileURLToPath } from 'node:url';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { openBackend, type DatabaseBackend } from './backend.ts';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations', import.meta.url));
export const DEFAULT_DATA_DIR = fileURLToPath(new URL('../../.data/pglite', import.meta.url));

export async function migrateDatabase(backend: DatabaseBackend): Promise<void> {
  if (backend.kind === 'pglite') {
    await migratePglite(drizzlePglite({ client: backend.pglite }), { migrationsFolder: MIGRATIONS_DIR });
  } else {
    await migratePg(drizzlePg({ client: backend.pool }), { migrationsFolder: MIGRATIONS_DIR });
  }
}

/** Empties the database (tests only): the public and private schemas and drizzle's journal. Roles are kept. */
export async function resetDatabase(backend: DatabaseBackend): Promise<void> {
  const sql =
    'DROP SCHEMA IF EXISTS drizzle CASCADE; DROP SCHEMA IF EXISTS qa_private CASCADE; DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;';
  if (backend.kind === 'pglite') await backend.pglite.exec(sql);
  else await backend.pool.query(sql);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const backend = await openBackend({ databaseUrl: process.env.DATABASE_URL, dataDir: DEFAULT_DATA_DIR });
  try {
    await migrateDatabase(backend);
    console.log(`migrations applied to ${backend.kind === 'pglite' ? DEFAULT_DATA_DIR : 'DATABASE_URL'}`);
  } finally {
    await backend.close();
  }
}
