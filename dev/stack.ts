/**
 * The whole local stack as one object: database (migrated and seeded), the Neon, Keycloak,
 * AssemblyAI, OpenAI, Twilio and mail stand-ins, and the Worker under `wrangler dev`. Used by `npm run dev` and by the benchmark.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openBackend, type DatabaseBackend } from './db/backend.ts';
import { migrateDatabase } from './db/migrate.ts';
import { registerContextKey } from './db/context-key.ts';
import { runtimeDatabaseUrl } from './db/runtime-url.ts';
import { seedDatabase } from './db/seed.ts';
import { startKeycloak, type KeycloakStandIn } from './keycloak/server.ts';
import { startNeonHttp, type NeonHttpStandIn } from './neon/index.ts';
import { startAssemblyAI, type AssemblyAIStandIn } from './assemblyai/index.ts';
import { startOpenAI, type OpenAIStandIn } from './openai/index.ts';
import { startTwilio, type TwilioStandIn } from './twilio/index.ts';
import { messageLogLine, startMail, type MailStandIn } from './mail/index.ts';
import { DEV_SECRETS } from './dev-secrets.ts';
import { workerVars } from './worker-vars.ts';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface StackOptions {
  ports: StackPorts;
  /** Postgres owner URL; unset → PGlite. */
  databaseUrl?: string;
  /** PGlite, Keycloak and mail state directory; unset → in memory (mail: a temporary directory). */
  dataDir?: string;
  /** Extra Worker variables. */
  vars?: Record<string, string>;
  /** Echo wrangler's output, and print a line per email written. */
  verbose?: boolean;
}

export interface StackPorts {
  api: number;
  keycloak: number;
  neon: number;
  assemblyai: number;
  openai: number;
  twilio: number;
  /** The mail stand-in; unset → a free port. */
  mail?: number;
}

export const DEV_PORTS: StackPorts = {
  api: 8787,
  keycloak: 8080,
  neon: 4444,
  assemblyai: 8081,
  openai: 8082,
  twilio: 8083,
  mail: 8084,
};

export interface Stack {
  apiUrl: string;
  backend: DatabaseBackend;
  neon: NeonHttpStandIn;
  keycloak: KeycloakStandIn;
  assemblyai: AssemblyAIStandIn;
  openai: OpenAIStandIn;
  twilio: TwilioStandIn;
  mail: MailStandIn;
  wrangler: ChildProcess;
  stop(): Promise<void>;
}

export async function startStack(opts: StackOptions): Promise<Stack> {
  const backend = await openBackend({
    databaseUrl: opts.databaseUrl,
    dataDir: opts.dataDir && `${opts.dataDir}/pglite`,
  });
  await migrateDatabase(backend);
  await registerContextKey(backend, DEV_SECRETS.DATABASE_CONTEXT_KEY);
  await seedDatabase(backend);
  const neon = await startNeonHttp({ port: opts.ports.neon, backend });
  const keycloak = await startKeycloak({
    port: opts.ports.keycloak,
    realmsDir: `${ROOT}keycloak`,
    ...(opts.dataDir ? { dataDir: `${opts.dataDir}/keycloak` } : {}),
  });

  const assemblyai = await startAssemblyAI({
    port: opts.ports.assemblyai,
    behaviour: { apiKey: DEV_SECRETS.ASSEMBLYAI_API_KEY },
  });
  const openai = await startOpenAI({ port: opts.ports.openai, behaviour: { apiKey: DEV_SECRETS.OPENAI_API_KEY } });
  const twilio = await startTwilio({ port: opts.ports.twilio });
  const mail = await startMail({
    port: opts.ports.mail ?? 0,
    apiKey: DEV_SECRETS.EMAIL_API_KEY,
    outbox: opts.dataDir ? `${opts.dataDir}/mail` : mkdtempSync(join(tmpdir(), 'qa-platform-mail-')),
    ...(opts.verbose ? { onMessage: (m) => console.log(messageLogLine(m)) } : {}),
  });

  const apiUrl = `http://127.0.0.1:${opts.ports.api}`;
  const vars: Record<string, string> = {
    ...workerVars({
      apiUrl,
      neonUrl: neon.url,
      keycloakUrl: keycloak.url,
      assemblyaiUrl: assemblyai.url,
      openaiUrl: openai.url,
      twilioUrl: twilio.url,
      mailUrl: mail.url,
      databaseUrl: opts.databaseUrl,
    }),
    ...opts.vars,
  };
  const args = [
    'dev',
    'dev/local-worker.ts',
    '--port',
    String(opts.ports.api),
    '--ip',
    '127.0.0.1',
    ...Object.entries(vars).flatMap(([k, v]) => ['--var', `${k}:${v}`]),
  ];
  if (opts.dataDir) args.push('--persist-to', `${opts.dataDir}/wrangler`);
  // Without `verbose` the Worker's output goes to a log file: an unread pipe would fill up and
  // stall wrangler (and the Worker with it) once it had logged 64 KB.
  const log = opts.verbose ? null : createWriteStream(join(tmpdir(), `qa-platform-wrangler-${opts.ports.api}.log`));
  const wrangler = spawn('wrangler', args, {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', opts.verbose ? 'inherit' : 'pipe'],
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
  });
  if (log) {
    wrangler.stdout!.pipe(log);
    wrangler.stderr!.pipe(log);
  }

  const stop = async () => {
    if (wrangler.exitCode === null) {
      const exited = new Promise((r) => wrangler.once('exit', r));
      wrangler.kill('SIGINT');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
    }
    await Promise.allSettled([
      keycloak.close(),
      neon.close(),
      assemblyai.close(),
      openai.close(),
      twilio.close(),
      mail.close(),
    ]);
    await backend.close();
  };

  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      if (opts.verbose) process.stdout.write(chunk);
      if (chunk.toString().includes('Ready on')) resolve();
    };
    wrangler.stdout!.on('data', onData);
    wrangler.once('exit', (code) => reject(new Error(`wrangler dev exited with ${code} before it was ready`)));
  }).catch(async (err) => {
    await stop();
    throw err;
  });

  return { apiUrl, backend, neon, keycloak, assemblyai, openai, twilio, mail, wrangler, stop };
}
