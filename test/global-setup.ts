import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { openBackend } from '../dev/db/backend.ts';
import { migrateDatabase, resetDatabase } from '../dev/db/migrate.ts';
import { registerContextKey } from '../dev/db/context-key.ts';
import { seedDatabase } from '../dev/db/seed.ts';
import { startKeycloak } from '../dev/keycloak/server.ts';
import { startNeonHttp } from '../dev/neon/index.ts';
import { startAssemblyAI } from '../dev/assemblyai/index.ts';
import { DEV_SECRETS } from '../dev/dev-secrets.ts';
import { startOpenAI } from '../dev/openai/index.ts';
import { startTwilio } from '../dev/twilio/server.ts';
import { startMail } from '../dev/mail/server.ts';
import { DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN } from '../dev/twilio/demo.ts';
import { pcmWav } from '../dev/twilio/wav.ts';
import { TEST_PORTS } from './stack.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Private signing keys of the demo realms, for tests that forge tokens. */
    signingKeys: Record<string, { kid: string; privateJwk: JsonWebKey & { kid: string } }>;
    databaseKind: 'pglite' | 'postgres';
    /** Recordings the Twilio stand-in serves for the demo account. */
    twilioRecordings: { recordingSid: string; callSid: string; recordingUrl: string }[];
  }
}

/**
 * Starts the database (in-memory PGlite, or the Postgres at DATABASE_URL, emptied first), the
 * Neon SQL-over-HTTP stand-in and the vendors' stand-ins (Keycloak, AssemblyAI, OpenAI, Twilio,
 * mail), migrated and seeded like `npm run dev`.
 */
export default async function setup(project: TestProject) {
  const backend = await openBackend({ databaseUrl: process.env.DATABASE_URL });
  if (backend.kind === 'postgres') await resetDatabase(backend);
  await migrateDatabase(backend);
  await registerContextKey(backend, DEV_SECRETS.DATABASE_CONTEXT_KEY);
  await seedDatabase(backend);
  const neon = await startNeonHttp({ port: TEST_PORTS.neon, backend });
  const keycloak = await startKeycloak({
    port: TEST_PORTS.keycloak,
    realmsDir: fileURLToPath(new URL('../keycloak', import.meta.url)),
  });
  const assemblyai = await startAssemblyAI({
    port: TEST_PORTS.assemblyai,
    behaviour: { apiKey: DEV_SECRETS.ASSEMBLYAI_API_KEY, latencyMs: 50 },
  });
  const openai = await startOpenAI({
    port: TEST_PORTS.openai,
    behaviour: { apiKey: DEV_SECRETS.OPENAI_API_KEY, latencyMs: 0 },
  });
  const twilio = await startTwilio({ port: TEST_PORTS.twilio });
  // Each run writes its emails to a directory of its own; tests read them through GET /__messages.
  const outbox = await mkdtemp(join(tmpdir(), 'qa-platform-test-mail-'));
  const mail = await startMail({ port: TEST_PORTS.mail, apiKey: DEV_SECRETS.EMAIL_API_KEY, outbox });
  const signingKeys: Record<string, { kid: string; privateJwk: JsonWebKey & { kid: string } }> = {};
  for (const realm of ['qa-acme', 'qa-globex', 'qa-platform'])
    signingKeys[realm] = await keycloak.activeSigningKey(realm);
  project.provide('signingKeys', signingKeys);
  project.provide('databaseKind', backend.kind);
  const recordings = [1, 2, 3, 4].map((n) => {
    const rec = twilio.addRecording({
      accountSid: DEMO_ACCOUNT_SID,
      authToken: DEMO_AUTH_TOKEN,
      recordingSid: `RE${String(n).padStart(32, '0')}`,
      callSid: `CA${String(n).padStart(32, '0')}`,
      audio: pcmWav({ seconds: 1, channels: n === 2 ? 2 : 1 }),
    });
    return {
      recordingSid: `RE${String(n).padStart(32, '0')}`,
      callSid: `CA${String(n).padStart(32, '0')}`,
      recordingUrl: rec.recordingUrl,
    };
  });
  project.provide('twilioRecordings', recordings);

  return async () => {
    await Promise.allSettled([
      keycloak.close(),
      neon.close(),
      assemblyai.close(),
      openai.close(),
      twilio.close(),
      mail.close(),
    ]);
    await backend.close();
    await rm(outbox, { recursive: true, force: true });
  };
}
