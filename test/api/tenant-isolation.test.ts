/**
 * Users of acme go after globex's objects through every endpoint: each attempt is a 404 (or an
 * empty list) and globex's data is the same afterwards.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { DEMO } from '../../dev/db/demo-ids';
import { atLeast, type Role } from '../../src/auth/roles';
import { as, callForm, IDS, json, storedObjects, uploadCall, wavBytes, type Who } from './helpers';

const G = DEMO.globex;
const globexAgent = IDS['agent@globex.test']!;
const globexManager = IDS['manager@globex.test']!;

/** What globex looks like, read by globex's own admin. */
async function globexSnapshot() {
  const get = async (path: string) => json(await as('globex_admin', path));
  return {
    tenant: await get('/api/tenants/globex'),
    orgs: await get('/api/organizations'),
    departments: await get(`/api/organizations/${G.organization}/departments`),
    teams: await get(`/api/organizations/${G.organization}/teams`),
    users: await get('/api/users?limit=100'),
    flags: await get('/api/admin/feature-flags'),
    settings: await get('/api/admin/settings'),
  };
}

const ATTACKERS: Who[] = ['acme_admin', 'acme_manager', 'acme_agent'];
const ROLE_OF: Partial<Record<Who, Role>> & Record<'acme_admin' | 'acme_manager' | 'acme_agent', Role> = {
  acme_admin: 'tenant_admin',
  acme_manager: 'manager',
  acme_agent: 'agent',
};

const ATTEMPTS: { name: string; method: 'GET' | 'POST' | 'PUT'; path: string; body?: unknown; min: Role }[] = [
  { name: 'read the tenant', min: 'tenant_admin', method: 'GET', path: '/api/tenants/globex' },
  {
    name: 'update the tenant',
    min: 'tenant_admin',
    method: 'PUT',
    path: '/api/tenants/globex',
    body: { branding: { hacked: true } },
  },
  { name: 'read the usage', min: 'tenant_admin', method: 'GET', path: '/api/tenants/globex/usage' },
  { name: 'read an organization', min: 'agent', method: 'GET', path: `/api/organizations/${G.organization}` },
  {
    name: 'list its departments',
    min: 'agent',
    method: 'GET',
    path: `/api/organizations/${G.organization}/departments`,
  },
  {
    name: 'add a department',
    min: 'manager',
    method: 'POST',
    path: `/api/organizations/${G.organization}/departments`,
    body: { name: 'Smuggled' },
  },
  { name: 'list its teams', min: 'agent', method: 'GET', path: `/api/organizations/${G.organization}/teams` },
  {
    name: 'add a team',
    min: 'manager',
    method: 'POST',
    path: `/api/organizations/${G.organization}/teams`,
    body: { name: 'Smuggled' },
  },
  { name: 'read a user', min: 'agent', method: 'GET', path: `/api/users/${globexAgent}` },
  {
    name: 'update a user',
    min: 'manager',
    method: 'PUT',
    path: `/api/users/${globexAgent}`,
    body: { status: 'inactive' },
  },
  { name: 'read permissions', min: 'agent', method: 'GET', path: `/api/users/${globexManager}/permissions` },
];

describe('tenant isolation through the API', () => {
  let before: Awaited<ReturnType<typeof globexSnapshot>>;
  beforeAll(async () => {
    before = await globexSnapshot();
  });

  const cases = ATTEMPTS.flatMap((a) => ATTACKERS.map((who) => ({ ...a, who })));
  it.each(cases)('$who cannot $name of globex', async ({ who, method, path, body, min }) => {
    const res = await as(who, path, { method, ...(body ? { body } : {}) });
    const text = await res.text();
    // A caller whose role the route does not admit is stopped before any lookup (403); any
    // other caller learns only that the object does not exist in their tenant. (Agents asking
    // for another user get 403 whatever the tenant.)
    const expected =
      !atLeast(ROLE_OF[who]!, min) || (who === 'acme_agent' && path.startsWith('/api/users/')) ? 403 : 404;
    expect(res.status, `${method} ${path} as ${who}: ${text.slice(0, 200)}`).toBe(expected);
  });

  it('never lists globex rows to acme, even when asked with X-Tenant-Id', async () => {
    const headers = { 'x-tenant-id': 'globex' };
    const users = await json(await as('acme_admin', '/api/users?limit=100', { headers }));
    expect(users.data.length).toBeGreaterThan(0);
    expect(
      users.data.every((u: { email: string }) => u.email.endsWith('@acme.test') || !u.email.endsWith('@globex.test')),
    ).toBe(true);
    const orgs = await json(await as('acme_admin', '/api/organizations', { headers }));
    expect(orgs.data.map((o: { id: string }) => o.id)).not.toContain(G.organization);
    const audit = await json(await as('acme_admin', '/api/admin/audit-logs?limit=100', { headers }));
    expect(
      audit.data.every((e: { entity_id: string | null }) => e.entity_id !== G.organization && e.entity_id !== 'globex'),
    ).toBe(true);
    const flags = await json(await as('acme_admin', '/api/admin/feature-flags', { headers }));
    expect(
      flags.data.find((f: { feature_key: string }) => f.feature_key === 'ai_coach')?.enabled,
      "acme's flag, not globex's",
    ).toBe(true);
  });

  it("refuses references to another tenant's objects in a body", async () => {
    const team = await as('acme_manager', `/api/organizations/${DEMO.acme.organization}/teams`, {
      method: 'POST',
      body: { name: 'Cross', department_id: G.departments.sales },
    });
    expect(team.status).toBe(422);
    expect((await json(team)).errors?.[0]?.field).toBe('department_id');
    const user = await as('acme_manager', `/api/users/${IDS['agent@acme.test']}`, {
      method: 'PUT',
      body: { team_id: G.teams.outbound },
    });
    expect([404, 422]).toContain(user.status);
  });

  it('leaves globex exactly as it was', async () => {
    const after = await globexSnapshot();
    expect(after).toEqual(before);
  });
});

describe('tenant isolation of calls and criteria', () => {
  let globexCall: string;
  let globexCriterion: string;
  beforeAll(async () => {
    globexCall = (
      await json(await uploadCall('globex_agent', callForm({ metadata: { direction: 'inbound' }, audio: wavBytes() })))
    ).call_id;
    globexCriterion = (
      await json(
        await as('globex_manager', '/api/evaluation-criteria', {
          method: 'POST',
          body: { name: `Iso ${crypto.randomUUID().slice(0, 6)}`, category: 'x', max_points: 5 },
        }),
      )
    ).id;
  });

  const attempts = (call: string, criterion: string) => [
    { method: 'GET', path: `/api/calls/${call}` },
    { method: 'GET', path: `/api/calls/${call}/transcription` },
    { method: 'PUT', path: `/api/calls/${call}/transcription`, body: { segments: [{ index: 0, speaker: 'agent' }] } },
    { method: 'GET', path: `/api/calls/${call}/analysis` },
    { method: 'POST', path: `/api/calls/${call}/analysis`, body: {} },
    { method: 'GET', path: `/api/calls/${call}/insights` },
    { method: 'GET', path: `/api/calls/${call}/audio` },
    { method: 'GET', path: `/api/calls/${call}/review` },
    {
      method: 'PUT',
      path: `/api/calls/${call}/review`,
      body: { criteria: [{ criterion_id: 'greeting', score: 1 }] },
    },
    { method: 'POST', path: `/api/calls/${call}/complete` },
    { method: 'DELETE', path: `/api/calls/${call}` },
    { method: 'GET', path: `/api/evaluation-criteria/${criterion}` },
    { method: 'PUT', path: `/api/evaluation-criteria/${criterion}`, body: { max_points: 50 } },
    { method: 'DELETE', path: `/api/evaluation-criteria/${criterion}` },
  ];

  it("answers 404 to acme's manager for every globex call and criterion endpoint, and changes nothing", async () => {
    for (const a of attempts(globexCall, globexCriterion)) {
      const res = await as('acme_manager', a.path, { method: a.method, ...(a.body ? { body: a.body } : {}) });
      expect(res.status, `${a.method} ${a.path}`).toBe(404);
    }
    const call = await json(await as('globex_manager', `/api/calls/${globexCall}`));
    expect(call.call_info.id).toBe(globexCall);
    const criterion = await json(await as('globex_manager', `/api/evaluation-criteria/${globexCriterion}`));
    expect(criterion.max_points).toBe(5);
    expect(await storedObjects('globex')).toContain(`globex/calls/${globexCall}/audio`);
  });

  it('never lists globex calls or criteria to acme', async () => {
    const calls = await json(await as('acme_manager', '/api/calls?limit=100'));
    expect(calls.data.map((c: { id: string }) => c.id)).not.toContain(globexCall);
    const criteria = await json(await as('acme_manager', '/api/evaluation-criteria'));
    expect(criteria.data.map((c: { id: string }) => c.id)).not.toContain(globexCriterion);
    for (const status of ['waiting', 'reviewed']) {
      const queue = await json(await as('acme_manager', `/api/reviews/queue?status=${status}&limit=100`));
      expect(queue.data.map((e: { call_id: string }) => e.call_id)).not.toContain(globexCall);
    }
  });
});
