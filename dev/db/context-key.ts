/**
 * Registers the Worker's context-signing key (DATABASE_CONTEXT_KEY) in the local database, as the
 * owner does once per key in production (README: "The signed tenant context").
 */
import type { DatabaseBackend } from './backend.ts';

export async function registerContextKey(backend: DatabaseBackend, keyB64: string): Promise<void> {
  const sql = `select qa_private.register_context_key(decode($1, 'base64'))`;
  if (backend.kind === 'pglite') await backend.pglite.query(sql, [keyB64]);
  else await backend.pool.query(sql, [keyB64]);
}
