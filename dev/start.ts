/**
 * `npm run dev`: the whole stack on this machine, with nothing to install but Node.
 *  1. the database: PGlite under .data/pglite (or the Postgres at DATABASE_URL), migrated and seeded;
 *  2. the Neon SQL-over-HTTP stand-in on :4444 and the Keycloak stand-in on :8080;
 *  3. the AssemblyAI, OpenAI, Twilio and mail stand-ins (:8081-:8084); emails land in .data/mail/;
 *  4. the Worker under `wrangler dev` on :8787, with R2, Queues and Durable Objects local.
 * Ctrl-C stops all of it.
 */
import { DEV_PORTS, ROOT, startStack } from './stack.ts';

const port = Number(process.env.PORT ?? 8787);
const stack = await startStack({
  ports: { ...DEV_PORTS, api: port },
  databaseUrl: process.env.DATABASE_URL,
  dataDir: `${ROOT}.data`,
  verbose: true,
});

console.log(`
  QA Platform is running
    API            ${stack.apiUrl}   (docs: ${stack.apiUrl}/docs)
    Keycloak       ${stack.keycloak.url}   (stand-in; realms qa-platform, qa-acme, qa-globex)
    Neon SQL/HTTP  ${stack.neon.url}   (stand-in over ${stack.backend.kind === 'pglite' ? 'PGlite in .data/pglite' : 'DATABASE_URL'})
    AssemblyAI     ${stack.assemblyai.url}   OpenAI ${stack.openai.url}   Twilio media ${stack.twilio.url}   (stand-ins)
    Email          ${stack.mail.url}   (Resend stand-in; every message is a file in ${stack.mail.outbox}, printed below as [mail])

  Demo logins (password dev-password), tenant_id in brackets:
    root@platform.test (platform)     super_admin
    admin@acme.test    (acme)         tenant_admin      admin@globex.test   (globex)
    manager@acme.test  (acme)         manager           manager@globex.test (globex)
    agent@acme.test, agent2@acme.test (acme)  agent     agent@globex.test   (globex)

  Sample recordings to upload: dev/samples/*.wav (walk-through in the README).

  Try: curl -s -X POST ${stack.apiUrl}/api/auth/login -H 'content-type: application/json' \\
         -d '{"username":"manager@acme.test","password":"dev-password","tenant_id":"acme"}'
  Ctrl-C stops everything.
`);

let stopping = false;
const shutdown = (code: number) => {
  if (stopping) return;
  stopping = true;
  void stack.stop().then(() => process.exit(code));
};
process.on('SIGINT', () => shutdown(0));
process.on('SIGTERM', () => shutdown(0));
stack.wrangler.on('exit', (code) => shutdown(code ?? 0));
