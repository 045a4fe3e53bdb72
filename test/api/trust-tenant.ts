/**
 * A tenant of its own for the trust tests (reviews, disputes): an admin, a manager and two agents
 * who can log in, in one team, three criteria and a criteria set per grading mode; calls scored by
 * the queue handler's evaluate step, as in production, so no other file's calls enter its figures.
 */
import { expect } from 'vitest';
import billingVerified from '../../dev/samples/billing-verified.json';
import type { PipelineMessage } from '../../src/pipeline/messages';
import { as, asTenant, call, deliver, json, uploadTranscribed } from './helpers';
export const uniq = () => crypto.randomUUID().slice(0, 8);
export const SYSTEM = 'system:pipeline';
export const PASSWORD = 'long-enough-pass-1';

export type Mode = 'ai_auto' | 'ai_review' | 'manual';

/** A tenant with an admin, a manager and two agents who can log in, in one team, and three criteria. */
export async function trustTenant() {
  const id = `tr${uniq()}`;
  const created = await as('super_admin', '/api/tenants', {
    method: 'POST',
    body: {
      tenant_id: id,
      display_name: 'Trust',
      subdomain: id,
      admin: { email: `admin@${id}.test`, first_name: 'A', last_name: 'Dmin', password: PASSWORD },
    },
  });
  expect(created.status).toBe(201);
  const login = async (email: string) => {
    const res = await call('/api/auth/login', {
      method: 'POST',
      body: { username: email, password: PASSWORD, tenant_id: id },
    });
    expect(res.status, `login ${email}`).toBe(200);
    return (await json(res)).access_token as string;
  };
  const admin = await login(`admin@${id}.test`);
  const req =
    (token: string) =>
    (path: string, init: { method?: string; body?: unknown } = {}) =>
      call(path, { ...init, headers: { authorization: `Bearer ${token}` } });
  const org = (await json(await req(admin)('/api/organizations', { method: 'POST', body: { name: 'Org' } }))).id;
  const team = (
    await json(await req(admin)(`/api/organizations/${org}/teams`, { method: 'POST', body: { name: 'T' } }))
  ).id as string;
  const user = async (name: string, role: string) => {
    const res = await req(admin)('/api/users', {
      method: 'POST',
      body: {
        email: `${name}@${id}.test`,
        first_name: name,
        last_name: 'X',
        role,
        organization_id: org,
        team_id: role === 'agent' ? team : null,
        password: PASSWORD,
      },
    });
    expect(res.status, await res.clone().text()).toBe(201);
    return { id: (await json(res)).id as string, token: await login(`${name}@${id}.test`) };
  };
  const manager = await user('manager', 'manager');
  const agent = await user('agent', 'agent');
  const agent2 = await user('agent2', 'agent');
  const m = req(manager.token);
  const criterion = async (name: string, max_points: number, auto_fail = false) => {
    const res = await m('/api/evaluation-criteria', {
      method: 'POST',
      body: { name, category: 'quality', max_points, auto_fail },
    });
    expect(res.status).toBe(201);
    return (await json(res)).id as string;
  };
  const criteria = {
    greeting: await criterion('Greeting', 10),
    identity: await criterion('Identity verification', 20, true),
    closing: await criterion('Closing', 5),
  };
  const sets = {} as Record<Mode, string>;
  for (const mode of ['ai_auto', 'ai_review', 'manual'] as const) {
    const res = await m('/api/evaluation-criteria/sets', {
      method: 'POST',
      body: { name: `Set ${mode}`, criteria_ids: Object.values(criteria), grading_mode: mode },
    });
    expect(res.status, await res.clone().text()).toBe(201);
    sets[mode] = (await json(res)).id;
  }
  return {
    id,
    team,
    admin: req(admin),
    manager: { ...manager, req: m },
    agent: { ...agent, req: req(agent.token) },
    agent2: { ...agent2, req: req(agent2.token) },
    criteria,
    sets,
  };
}
export type Tenant = Awaited<ReturnType<typeof trustTenant>>;

/**
 * A call of `agentId` on the set of `mode`, scored by the evaluate step: uploaded, failed by the
 * local pipeline (the stand-in cannot fetch audio from the test runner), given a transcript, then
 * put back to `transcribed` and evaluated as the pipeline's first scoring would be.
 */
export async function scoredCall(
  t: Tenant,
  agentId: string,
  mode: Mode,
  text = billingVerified.text,
  startedAt?: string,
) {
  const id = await transcribedCall(t, agentId, mode, text, startedAt);
  await evaluate(t, id, 'pipeline');
  return id;
}

export async function transcribedCall(t: Tenant, agentId: string, mode: Mode, text: string, startedAt?: string) {
  const metadata = { agent_id: agentId, criteria_set_id: t.sets[mode], started_at: startedAt };
  const id = await uploadTranscribed(t.id, t.manager.token, metadata, text);
  await system(t, `update calls set status = 'transcribed' where id = $1`, [id]);
  return id;
}

export async function evaluate(t: Tenant, callId: string, runKey: string) {
  const message: PipelineMessage = { step: 'evaluate', tenant_id: t.id, call_id: callId, run_key: runKey };
  const { result } = await deliver('qa-pipeline', [message]);
  expect(result.retryMessages, 'the evaluation succeeded').toEqual([]);
}

export async function system(t: Tenant, query: string, params: unknown[] = []) {
  const [rows] = await asTenant(t.id, SYSTEM, 'system', [{ query, params }]);
  return rows as Record<string, any>[];
}
