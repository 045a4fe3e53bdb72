import { neon, neonConfig } from '@neondatabase/serverless';
import { drizzle, type NeonHttpDatabase } from 'drizzle-orm/neon-http';
import type { Config } from '../env';
import * as schema from './schema';

export type Database = NeonHttpDatabase<typeof schema>;

let cached: { url: string; db: Database } | undefined;

/**
 * One drizzle client per isolate: it holds no connection (every batch is one HTTPS request),
 * so sharing it across requests is safe and saves rebuilding it on the hot path.
 */
export function database(config: Config): Database {
  if (cached?.url === config.databaseUrl) return cached.db;
  // Global by the driver's design; only set when a local SQL-over-HTTP endpoint is configured.
  if (config.neonHttpEndpoint) neonConfig.fetchEndpoint = config.neonHttpEndpoint;
  const db = drizzle({ client: neon(config.databaseUrl), schema });
  cached = { url: config.databaseUrl, db };
  return db;
}
