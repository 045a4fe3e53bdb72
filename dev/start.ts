/**
 * `npm run dev`: the whole stack on this machine, with nothing to install but Node.
 *  1. the database: PGlite under .data/pglite (or the Postgres at DATABASE_URL), migrated and seeded;
 *  2. the Neon SQL-over-HTTP stand-in on :4444 and the Keycloak stand-in on :8080;
 *  3. the Worker under `wrangler dev` on :8787, with R2, Queues and Durable Objects local.
 * Ctrl-C stops all of it.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { openBackend } from './db/backend.ts';
import { DEFAULT_DATA_DIR, migrateDatabase } from './db/migrate.ts';
import { seedDatabase } from './db/seed.ts';
import { startKeycloak } from './keycloak/server.ts';
import { startNeonHttp } from './neon/index.ts';
import { runtimeDatabaseUrl } from './db/runtime-url.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const PORTS = { api: Number(process.env.PORT ?? 8787), keycloak: 8080, neon: 4444 };

const backend = await openBackend({ databaseUrl: process.env.DATABASE_URL, dataDir: DEFAULT_DATA_DIR });
await migrateDatabase(backend);
await seedDatabase(backend);
const neon = await startNeonHttp({ port: PORTS.neon, backend });
const keycloak = await startKeycloak({ port: PORTS.keycloak, realmsDir: `${root}keycloak`, dataDir: `${root}.data/keycloak` });

const vars: Record<string, string> = {
  DATABASE_URL: runtimeDatabaseUrl(process.env.DATABASE_URL),
  NEON_HTTP_ENDPOINT: neon.url,
  KEYCLOAK_URL: keycloak.url,
  KEYCLOAK_CLIENT_SECRET: 'dev-secret',
  KEYCLOAK_ADMIN_CLIENT_SECRET: 'dev-admin-secret',
};
const wrangler = spawn(
  'wrangler',
  ['dev', '--port', String(PORTS.api), '--ip', '127.0.0.1', '--persist-to', `${root}.data/wrangler`, ...Object.entries(vars).flatMap(([k, v]) => ['--var', `${k}:${v}`])],
  { cwd: root, stdio: ['inherit', 'pipe', 'inherit'], env: process.env },
);

let announced = false;
wrangler.stdout.on('data', (chunk: Buffer) => {
  process.stdout.write(chunk);
  if (!announced && chunk.toString().includes('Ready on')) {
    announced = true;
    console.log(`
  QA Platform is running
    API            http://127.0.0.1:${PORTS.api}   (docs: http://127.0.0.1:${PORTS.api}/docs)
    Keycloak       ${keycloak.url}   (stand-in; realms qa-platform, qa-acme, qa-globex)
    Neon SQL/HTTP  ${neon.url}   (stand-in over ${backend.kind === 'pglite' ? 'PGlite in .data/pglite' : 'DATABASE_URL'})

  Demo logins (password dev-password), tenant_id in brackets:
    root@platform.test (platform)     super_admin
    admin@acme.test    (acme)         tenant_admin      admin@globex.test   (globex)
    manager@acme.test  (acme)         manager           manager@globex.test (globex)
    agent@acme.test, agent2@acme.test (acme)  agent     agent@globex.test   (globex)

  Try: curl -s -X POST http://127.0.0.1:${PORTS.api}/api/auth/login -H 'content-type: application/json' \\
         -d '{"username":"manager@acme.test","password":"dev-password","tenant_id":"acme"}'
`);
  }
});

let stopping = false;
async function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  wrangler.kill('SIGINT');
  await Promise.allSettled([keycloak.close(), neon.close()]);
  await backend.close();
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
wrangler.on('exit', (code) => void stop(code ?? 0));
