/**
 * Runs the Keycloak stand-in on its own: `npx tsx dev/keycloak/main.ts [--in-memory]`.
 * Environment: PORT (8080), HOST (127.0.0.1), KEYCLOAK_PUBLIC_URL, KEYCLOAK_REALMS_DIR (./keycloak),
 * KEYCLOAK_DATA_DIR (./.data/keycloak; ignored with --in-memory).
 */
import { fileURLToPath } from 'node:url';
import { startKeycloak } from './server.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const env = process.env;
const inMemory = process.argv.includes('--in-memory');

const standIn = await startKeycloak({
  port: Number(env['PORT'] ?? 8080),
  host: env['HOST'] ?? '127.0.0.1',
  publicUrl: env['KEYCLOAK_PUBLIC_URL'] || undefined,
  realmsDir: env['KEYCLOAK_REALMS_DIR'] ?? `${root}keycloak`,
  dataDir: inMemory ? undefined : (env['KEYCLOAK_DATA_DIR'] ?? `${root}.data/keycloak`),
});
console.log(`[keycloak] listening on ${standIn.url}${inMemory ? ' (in memory)' : ''}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    // Flush persisted state before exiting so the last changes are not lost.
    void standIn.close().then(() => process.exit(0));
  });
}
