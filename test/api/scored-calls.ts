/**
 * A tenant of its own with agents in two time zones and scored calls, for tests whose figures
 * must not see other files' calls. Calls enter by POST /api/calls and are scored by the queue
 * handler's evaluate step, as in production.
 */
import { expect } from 'vitest';
import billingVerified from '../../dev/samples/billing-verified.json';
import type { PipelineMessage } from '../../src/pipeline/messages';
import { as, asTenant, call, deliver, json, uploadTranscribed } from './helpers';

const uniq = () => crypto.randomUUID().slice(0, 8);
const SYSTEM = 'system:pipeline';

export const TRANSCRIPTS = {
  good: billingVerified.text,
  bad: 'What do you want? I do not have time for this. Call back later.',
  warm: 'Good morning, you are speaking with Ana, how can I help? Thanks for your patience, is there anything else?',
};

/** `formulaAgent`: one agent's first name is a spreadsheet formula, to test escaping. */
export async function reportTenant(opts: { formulaAgent?: boolean }) {
  const id = `rp${uniq()}`;
  const created = await as('super_admin', '/api/tenants', {
    method: 'POST',
    body: {
      tenant_id: id,
      display_name: 'Reports',
      subdomain: id,
      admin: { email: `a@${id}.test`, first_name: 'A', last_name: 'B', password: 'long-enough-pass' },
    },
  });
  expect(created.status).toBe(201);
  const login = await json(
    await call('/api/auth/login', {
      method: 'POST',
      body: { username: `a@${id}.test`, password: 'long-enough-pass', tenant_id: id },
    }),
  );
  const token = login.access_token as string;
  const send = (path: string, init: { method?: string; body?: unknown } = {}) =>
    call(path, { ...init, headers: { authorization: `Bearer ${token}` } });
  const agents = { ny1: crypto.randomUUID(), utc: crypto.randomUUID() };
  const team = crypto.randomUUID();
  const formulaName = '=HYPERLINK("http://evil.test","x")';
  const [orgs] = await asTenant(id, SYSTEM, 'system', [
    {
      query: `insert into organizations (tenant_id, name, timezone) values ($1, 'East', 'America/New_York') returning id`,
      params: [id],
    },
  ]);
  await asTenant(id, SYSTEM, 'system', [
    {
      query: `insert into teams (id, tenant_id, organization_id, name) values ($1, $2, $3, 'Team East')`,
      params: [team, id, orgs![0]!.id],
    },
    {
      query: `insert into users (id, tenant_id, email, role, organization_id, team_id, first_name) values
                ($1, $3, 'ny1@' || $3 || '.test', 'agent', $4, $5, 'Nia'),
                ($2, $3, 'utc@' || $3 || '.test', 'agent', null, null, $6)`,
      params: [agents.ny1, agents.utc, id, orgs![0]!.id, team, opts.formulaAgent ? formulaName : 'Uma'],
    },
  ]);
  return {
    id,
    token,
    send,
    agents,
    team,
    formulaName,
    managerId: JSON.parse(atob(token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))).sub as string,
    transcripts: TRANSCRIPTS,
  };
}
export type ReportTenant = Awaited<ReturnType<typeof reportTenant>>;

/** A call of `agentId` started at `startedAt`, transcribed with `text`, ready to be scored. */
export const upload = (t: { id: string; token: string }, agentId: string | null, startedAt: string, text: string) =>
  uploadTranscribed(t.id, t.token, { agent_id: agentId, started_at: startedAt }, text);

/** Scores each call once through the queue handler's evaluate step. */
export async function score(t: { id: string }, callIds: string[]) {
  const messages: PipelineMessage[] = callIds.map((callId) => ({
    step: 'evaluate',
    tenant_id: t.id,
    call_id: callId,
    run_key: `reanalysis:${crypto.randomUUID()}`,
  }));
  const { result } = await deliver('qa-pipeline', messages);
  expect(result.retryMessages, 'every evaluation succeeded').toEqual([]);
}
