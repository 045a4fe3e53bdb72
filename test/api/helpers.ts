/**
 * What every API test needs: a way to call the Worker through its public fetch handler, real
 * tokens from the Keycloak stand-in, forged ones signed with a realm's real key, and SQL as the
 * runtime role. Runs inside workerd.
 */
import { env, exports } from 'cloudflare:workers';
import {
  createExecutionContext,
  createMessageBatch,
  createScheduledController,
  getQueueResult,
  waitOnExecutionContext,
} from 'cloudflare:test';
import type { PipelineMessage } from '../../src/pipeline/messages';
import worker from '../../src/index';
import { neon, neonConfig } from '@neondatabase/serverless';
import { importJWK, SignJWT, type JWTPayload } from 'jose';
import { inject, vi } from 'vitest';
import acmeRealm from '../../keycloak/qa-acme.json';
import globexRealm from '../../keycloak/qa-globex.json';
import platformRealm from '../../keycloak/qa-platform.json';
import { signContext } from '../../src/db/signed-context';

export const KEYCLOAK = env.KEYCLOAK_URL;
export const PASSWORD = 'dev-password';

type RealmFile = { users?: { id: string; email?: string; realmRoles?: string[] }[] };
function idsOf(realm: RealmFile): Record<string, string> {
  return Object.fromEntries((realm.users ?? []).filter((u) => u.email).map((u) => [u.email!, u.id]));
}
/** Keycloak ids (token `sub`, users.id) of the demo identities, by email. */
export const IDS: Record<string, string> = {
  ...idsOf(acmeRealm as RealmFile),
  ...idsOf(globexRealm as RealmFile),
  ...idsOf(platformRealm as RealmFile),
};

export type Who =
  | 'super_admin'
  | 'acme_admin'
  | 'acme_manager'
  | 'acme_agent'
  | 'acme_agent2'
  | 'globex_admin'
  | 'globex_manager'
  | 'globex_agent';
export const USERS: Record<Who, { email: string; tenant: string }> = {
  super_admin: { email: 'root@platform.test', tenant: 'platform' },
  acme_admin: { email: 'admin@acme.test', tenant: 'acme' },
  acme_manager: { email: 'manager@acme.test', tenant: 'acme' },
  acme_agent: { email: 'agent@acme.test', tenant: 'acme' },
  acme_agent2: { email: 'agent2@acme.test', tenant: 'acme' },
  globex_admin: { email: 'admin@globex.test', tenant: 'globex' },
  globex_manager: { email: 'manager@globex.test', tenant: 'globex' },
  globex_agent: { email: 'agent@globex.test', tenant: 'globex' },
};

export const realmOf = (tenant: string) => (tenant === 'platform' ? 'qa-platform' : `qa-${tenant}`);

/** Password grant straight at the Keycloak stand-in, as a browser frontend would do. */
export async function passwordGrant(email: string, tenant: string, password = PASSWORD) {
  const res = await fetch(`${KEYCLOAK}/realms/${realmOf(tenant)}/protocol/openid-connect/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'password',
      client_id: 'qa-api',
      client_secret: 'dev-secret',
      username: email,
      password,
      scope: 'openid',
    }),
  });
  if (!res.ok) throw new Error(`login of ${email} failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as { access_token: string; refresh_token: string; id_token: string };
}

const tokens = new Map<Who, Promise<string>>();
/** An access token for a demo identity, one per test file (they live 5 minutes). */
export function tokenOf(who: Who): Promise<string> {
  let t = tokens.get(who);
  if (!t) {
    t = passwordGrant(USERS[who].email, USERS[who].tenant).then((r) => r.access_token);
    tokens.set(who, t);
  }
  return t;
}

type Init = Omit<RequestInit, 'body'> & { body?: unknown; headers?: Record<string, string> };

/** Calls the Worker's own fetch handler. Objects are sent as JSON. */
export async function call(path: string, init: Init = {}): Promise<Response> {
  const headers: Record<string, string> = { ...init.headers };
  let body: BodyInit | undefined;
  if (init.body !== undefined) {
    if (
      typeof init.body === 'string' ||
      init.body instanceof ArrayBuffer ||
      init.body instanceof Uint8Array ||
      init.body instanceof FormData
    )
      body = init.body as BodyInit;
    else {
      body = JSON.stringify(init.body);
      headers['content-type'] ??= 'application/json';
    }
  }
  const worker = (exports as unknown as { default: Fetcher }).default;
  return worker.fetch(new Request(`http://api.test${path}`, { ...init, headers, body }));
}

/** `call` as a demo identity. */
export async function as(who: Who, path: string, init: Init = {}): Promise<Response> {
  return call(path, { ...init, headers: { authorization: `Bearer ${await tokenOf(who)}`, ...init.headers } });
}

export async function json<T = any>(res: Response): Promise<T> {
  const text = await res.text();
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`expected JSON, got ${res.status}: ${text.slice(0, 200)}`);
  }
}

/** Asserts a problem+json answer and returns its body. */
export async function expectProblem(res: Response, status: number) {
  const body = await json(res);
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${JSON.stringify(body)}`);
  if (!res.headers.get('content-type')?.startsWith('application/problem+json')) {
    throw new Error(`expected application/problem+json, got ${res.headers.get('content-type')}`);
  }
  return body as {
    type: string;
    title: string;
    status: number;
    detail?: string;
    request_id?: string;
    errors?: { field: string; message: string }[];
  };
}

/** A token signed with the realm's real private key, with whatever claims and header a test needs. */
export async function forgeToken(
  realm: string,
  claims: JWTPayload & Record<string, unknown>,
  header: { kid?: string; alg?: string } = {},
) {
  const key = inject('signingKeys')[realm];
  if (!key) throw new Error(`no signing key for ${realm}`);
  const privateKey = await importJWK(key.privateJwk, 'RS256');
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    iat: now,
    exp: now + 300,
    typ: 'Bearer',
    azp: 'qa-api',
    aud: 'qa-api',
    iss: `${KEYCLOAK}/realms/${realm}`,
    ...claims,
  })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: header.kid ?? key.kid })
    .sign(privateKey);
}

/**
 * SQL as the runtime role through the same Neon driver and stand-in the Worker uses: what the
 * database itself allows, with no API code in between.
 */
export function runtimeSql() {
  neonConfig.fetchEndpoint = env.NEON_HTTP_ENDPOINT!;
  return neon(env.DATABASE_URL);
}

/** The statement the API opens every transaction with, taking `signContext`'s arguments. */
export const SET_CONTEXT = 'select set_tenant_context($1, $2, $3, $4, $5, $6::uuid, $7, $8)';

/** Statements in one transaction, the first setting the signed tenant context as the API does. */
export async function asTenant(
  tenant: string,
  userId: string,
  role: string,
  queries: { query: string; params?: unknown[] }[],
) {
  const sql = runtimeSql();
  const context = await signContext(env.DATABASE_CONTEXT_KEY, {
    tenantId: tenant,
    actorId: userId,
    role,
    requestId: 'test',
  });
  const results = await sql.transaction([
    sql.query(SET_CONTEXT, context),
    ...queries.map((q) => sql.query(q.query, q.params ?? [])),
  ]);
  return results.slice(1) as Record<string, unknown>[][];
}

/** A small valid PCM WAV (silence), `seconds` long at 8 kHz mono. */
export function wavBytes(seconds = 0.5): Uint8Array {
  const samples = Math.round(8000 * seconds);
  const bytes = new Uint8Array(44 + samples * 2);
  const view = new DataView(bytes.buffer);
  const ascii = (at: number, s: string) => [...s].forEach((ch, i) => (bytes[at + i] = ch.charCodeAt(0)));
  ascii(0, 'RIFF');
  view.setUint32(4, 36 + samples * 2, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, 8000, true);
  view.setUint32(28, 16000, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  ascii(36, 'data');
  view.setUint32(40, samples * 2, true);
  for (let i = 0; i < samples; i++) view.setInt16(44 + i * 2, Math.round(Math.sin(i / 8) * 3000), true);
  return bytes;
}

/** multipart/form-data with the parts in the given order; `audio` as a file part. */
export function callForm(
  parts: { metadata?: unknown; audio?: Uint8Array; audioName?: string },
  order: ('metadata' | 'audio')[] = ['metadata', 'audio'],
): FormData {
  const form = new FormData();
  for (const p of order) {
    if (p === 'metadata' && parts.metadata !== undefined)
      form.append('metadata', typeof parts.metadata === 'string' ? parts.metadata : JSON.stringify(parts.metadata));
    if (p === 'audio' && parts.audio)
      form.append('audio_file', new File([parts.audio], parts.audioName ?? 'call.wav', { type: 'audio/wav' }));
  }
  return form;
}

/** Uploads a call as `who` through POST /api/calls. */
export async function uploadCall(who: Who, form: FormData, headers: Record<string, string> = {}): Promise<Response> {
  const token = await tokenOf(who);
  const worker = (exports as unknown as { default: Fetcher }).default;
  return worker.fetch(
    new Request('http://api.test/api/calls', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, ...headers },
      body: form,
    }),
  );
}

/** Objects stored under a tenant's prefix in the AUDIO bucket. */
export async function storedObjects(tenant: string): Promise<string[]> {
  const listed = await env.AUDIO.list({ prefix: `${tenant}/` });
  return listed.objects.map((o) => o.key);
}

/** Polls until `check` returns a value (or the time runs out). */
export async function eventually<T>(
  check: () => Promise<T | undefined | null | false>,
  ms = 20_000,
  every = 200,
): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > until) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, every));
  }
}

/** Runs the Worker's cron handler (the sweeper) once and waits for everything it started. */
export async function runCron() {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ cron: '*/5 * * * *' }), env, ctx);
  await waitOnExecutionContext(ctx);
}

/** Hands `bodies` to the Worker's queue handler as one batch of `queue`; first delivery each. */
export async function deliver(queue: string, bodies: PipelineMessage[]) {
  const messages = bodies.map((body) => ({ id: crypto.randomUUID(), timestamp: new Date(), attempts: 1, body }));
  const batch = createMessageBatch<PipelineMessage>(queue, messages);
  const ctx = createExecutionContext();
  const started = Date.now();
  await (worker.queue as ExportedHandlerQueueHandler<Cloudflare.Env, PipelineMessage>)(batch, env, ctx);
  const elapsedMs = Date.now() - started;
  const result = await getQueueResult(batch, ctx);
  return { ids: messages.map((m) => m.id), result, elapsedMs };
}

/** Console output while `fn` runs, each line parsed as JSON where it is JSON. */
export async function logLines<T>(
  fn: () => Promise<T>,
): Promise<{ value: T; lines: Record<string, any>[]; raw: string }> {
  const written: string[] = [];
  const keep = (...args: unknown[]) => void written.push(args.map(String).join(' '));
  const spies = (['log', 'info', 'warn', 'error'] as const).map((level) =>
    vi.spyOn(console, level).mockImplementation(keep),
  );
  try {
    const value = await fn();
    const lines = written.map((text) => {
      try {
        return JSON.parse(text) as Record<string, any>;
      } catch {
        return { unstructured: text };
      }
    });
    return { value, lines, raw: written.join('\n') };
  } finally {
    spies.forEach((s) => s.mockRestore());
  }
}

/** The transcript the collect step would store for `callId`: the agent says `text`, the customer thanks them. */
export function transcriptInsert(tenant: string, callId: string, text: string) {
  return {
    query: `insert into transcripts (call_id, tenant_id, provider_id, text, utterances, speaker_roles)
            values ($1, $2, $3, $4, $5::jsonb, '{"A":"agent","B":"customer"}'::jsonb)`,
    params: [
      callId,
      tenant,
      `test-${callId}`,
      text,
      JSON.stringify([
        { speaker: 'A', role: 'agent', text, start_ms: 0, end_ms: 4000, confidence: 0.95 },
        {
          speaker: 'B',
          role: 'customer',
          text: 'Thanks, that is all.',
          start_ms: 4100,
          end_ms: 6000,
          confidence: 0.95,
        },
      ]),
    ],
  };
}

/**
 * Uploads a call with `metadata` as the holder of `token`, waits for the local pipeline to fail it
 * (the stand-in cannot fetch audio from inside the test runner), and gives it a transcript: a call
 * the evaluate step can score.
 */
export async function uploadTranscribed(tenant: string, token: string, metadata: object, text: string) {
  const res = await call('/api/calls', {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: callForm({ metadata: { direction: 'inbound', ...metadata }, audio: wavBytes() }),
  });
  if (res.status !== 202) throw new Error(`upload refused: ${res.status} ${await res.text()}`);
  const id = (await json(res)).call_id as string;
  const status = { query: 'select status from calls where id = $1', params: [id] };
  await eventually(
    async () => (await asTenant(tenant, 'system:pipeline', 'system', [status]))[0]?.[0]?.status === 'failed',
  );
  await asTenant(tenant, 'system:pipeline', 'system', [transcriptInsert(tenant, id, text)]);
  return id;
}
