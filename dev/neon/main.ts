/**
 * Runs the Neon HTTP stand-in on its own:
 *   npx tsx dev/neon/main.ts
 * PORT (default 4444) and HOST (default 127.0.0.1) pick the address.
 * DATABASE_URL set → that Postgres; else PGlite persisted in .data/pglite.
 * PGlite's files can only be opened by one process at a time.
 */
import { fileURLToPath } from 'node:url';
import { openBackend } from '../db/backend.ts';
import { startNeonHttp } from './index.ts';

const dataDir = fileURLToPath(new URL('../../.data/pglite', import.meta.url));
const port = Number(process.env['PORT'] ?? 4444);
const host = process.env['HOST'] ?? '127.0.0.1';

const backend = await openBackend({ databaseUrl: process.env['DATABASE_URL'], dataDir });
const standIn = await startNeonHttp({ port, host, backend });
console.log(
  `Neon HTTP stand-in on ${standIn.url} (${backend.kind === 'pglite' ? `PGlite at ${dataDir}` : 'Postgres from DATABASE_URL'})`,
);
console.log(
  `neonConfig.fetchEndpoint = '${standIn.url}'; counters at GET ${standIn.url.replace(/\/sql$/, '/__stats')}`,
);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await standIn.close();
  await backend.close();
  process.exit(0);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
