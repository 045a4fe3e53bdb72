/**
 * The whole stack under `wrangler dev` (workerd, local R2 and Queues) on its own ports, for tests
 * that need vendors to call back into the Worker: AssemblyAI fetching audio and posting webhooks.
 * With DATABASE_URL set it uses a database of its own on that server (`<name>_e2e`), so it never
 * races the API suite's database.
 */
import pg from 'pg';
import { expect } from 'vitest';
import { startStack, type Stack } from '../../dev/stack.ts';

const offset = Number(process.env.QA_TEST_PORT_OFFSET ?? 0);
/** Each e2e file that starts a stack takes its own slot: ports and database of its own. */
export function e2ePorts(slot = 0) {
  const base = offset + slot * 10;
  return {
    api: 28787 + base,
    keycloak: 28080 + base,
    neon: 24444 + base,
    assemblyai: 28081 + base,
    openai: 28082 + base,
    twilio: 28083 + base,
    mail: 28084 + base,
  };
}
export const E2E_PORTS = e2ePorts();

async function e2eDatabaseUrl(slot: number): Promise<string | undefined> {
  const admin = process.env.DATABASE_URL;
  if (!admin) return undefined;
  const url = new URL(admin);
  const name = `${url.pathname.slice(1) || 'postgres'}_e2e${slot || ''}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  url.pathname = `/${name}`;
  return url.toString();
}

export async function startE2EStack(slot = 0): Promise<Stack> {
  return startStack({
    ports: e2ePorts(slot),
    databaseUrl: await e2eDatabaseUrl(slot),
    vars: { PIPELINE_POLL_DELAY_SECONDS: '2', PIPELINE_RETRY_BASE_SECONDS: '1' },
  });
}

export async function api(stack: Stack, path: string, init: RequestInit & { token?: string; json?: unknown } = {}) {
  const headers = new Headers(init.headers);
  if (init.token) headers.set('authorization', `Bearer ${init.token}`);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set('content-type', 'application/json');
    body = JSON.stringify(init.json);
  }
  return fetch(stack.apiUrl + path, { ...init, headers, body });
}

export async function login(stack: Stack, username: string, tenant: string): Promise<string> {
  const res = await api(stack, '/api/auth/login', {
    method: 'POST',
    json: { username, password: 'dev-password', tenant_id: tenant },
  });
  if (!res.ok) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

/** The body of a response as JSON, once its status is the one expected (else the body says why). */
export async function json<T = any>(res: Response | Promise<Response>, status: number): Promise<T> {
  const r = await res;
  const body = await r.text();
  expect(r.status, body).toBe(status);
  return JSON.parse(body) as T;
}

/** Tokens of acme's demo manager and agent, and the agent's id. */
export async function acmeManagerAndAgent(stack: Stack) {
  const manager = await login(stack, 'manager@acme.test', 'acme');
  const agent = await login(stack, 'agent@acme.test', 'acme');
  const [row] = await ownerQuery<{ id: string }>(stack, `select id from users where email = 'agent@acme.test'`);
  return { manager, agent, agentId: row!.id };
}

export async function uploadAudio(
  stack: Stack,
  token: string,
  audio: Uint8Array,
  metadata: object = { direction: 'inbound' },
): Promise<string> {
  const form = new FormData();
  form.append('metadata', JSON.stringify(metadata));
  form.append('audio_file', new File([audio], 'call.wav', { type: 'audio/wav' }));
  const res = await api(stack, '/api/calls', { method: 'POST', token, body: form });
  if (res.status !== 202) throw new Error(`upload failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { call_id: string }).call_id;
}

type CallState = { status: string; failure_reason: string | null; overall_score: number | null };

/** Waits until every call is `completed` or `failed`; returns their final state. */
export async function settle(
  stack: Stack,
  token: string,
  ids: string[],
  timeoutMs = 120_000,
): Promise<Map<string, CallState>> {
  const done = new Map<string, CallState>();
  const until = Date.now() + timeoutMs;
  while (done.size < ids.length) {
    if (Date.now() > until) throw new Error(`${ids.length - done.size} calls did not finish within ${timeoutMs} ms`);
    for (const id of ids) {
      if (done.has(id)) continue;
      const res = await api(stack, `/api/calls/${id}`, { token });
      const { call_info } = (await res.json()) as { call_info: CallState };
      if (call_info.status === 'completed' || call_info.status === 'failed') done.set(id, call_info);
    }
    if (done.size < ids.length) await new Promise((r) => setTimeout(r, 500));
  }
  return done;
}

/** SQL as the database owner, to count what the API cannot show (e.g. duplicate evaluations). */
export async function ownerQuery<T>(stack: Stack, query: string, params: unknown[] = []): Promise<T[]> {
  const b = stack.backend;
  if (b.kind === 'pglite') return (await b.pglite.query<T>(query, params as never[])).rows;
  return (await b.pool.query(query, params as never[])).rows as T[];
}
