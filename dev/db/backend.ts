/**
 * One way to open the local database, shared by migrations, seeding and the
 * Neon HTTP stand-in, so all three see the same data.
 *
 * - `databaseUrl` set: a real Postgres. The pool connects as the owner from
 *   that URL (migrations and seeding need it); the stand-in opens its own
 *   connections as whatever role each request names.
 * - otherwise: PGlite (WASM Postgres in this process), persisted in `dataDir`
 *   or kept in memory when `dataDir` is undefined.
 */
import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { pgcrypto } from '@electric-sql/pglite/contrib/pgcrypto';
import pg from 'pg';

export type DatabaseBackend =
  | { kind: 'pglite'; pglite: PGlite; close(): Promise<void> }
  | {
      kind: 'postgres';
      /** Connected with `adminUrl`, i.e. as the owner/superuser. */
      pool: pg.Pool;
      adminUrl: string;
      close(): Promise<void>;
    };

export interface OpenBackendOptions {
  databaseUrl?: string | undefined;
  dataDir?: string | undefined;
}

/** DATABASE_URL set → real Postgres at that URL (the owner); else PGlite (dataDir, or in-memory when dataDir is undefined). */
export async function openBackend(opts: OpenBackendOptions): Promise<DatabaseBackend> {
  const databaseUrl = opts.databaseUrl?.trim();
  if (databaseUrl) return openPostgres(databaseUrl);
  return openPglite(opts.dataDir);
}

async function openPostgres(adminUrl: string): Promise<DatabaseBackend> {
  const pool = new pg.Pool({ connectionString: adminUrl, max: 5, allowExitOnIdle: true });
  // An idle client dropped by the server must not crash the process.
  pool.on('error', (err) => console.error('[db] idle admin connection failed:', err.message));
  // Fail fast on a wrong URL instead of at the first migration.
  const client = await pool.connect().catch(async (err: unknown) => {
    await pool.end().catch(() => undefined);
    throw err;
  });
  client.release();
  let closed = false;
  return {
    kind: 'postgres',
    pool,
    adminUrl,
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}

async function openPglite(dataDir: string | undefined): Promise<DatabaseBackend> {
  if (dataDir !== undefined) await mkdir(dataDir, { recursive: true });
  // pgcrypto verifies the signed tenant context (migrations/0008), as it does on Neon.
  const extensions = { pgcrypto };
  const pglite = await PGlite.create(dataDir === undefined ? { extensions } : { dataDir, extensions });
  return {
    kind: 'pglite',
    pglite,
    async close() {
      if (!pglite.closed) await pglite.close();
    },
  };
}
