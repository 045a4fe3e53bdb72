import { describe, expect, it } from 'vitest';
import { DEMO } from '../../dev/db/demo-ids';
import { as, call, expectProblem, IDS, json, KEYCLOAK, passwordGrant } from './helpers';

const uniq = () => crypto.randomUUID().slice(0, 8);
const A = DEMO.acme;

describe('users', () => {
  it('lists with filters and pagination', async () => {
    const agents = await json(await as('acme_manager', '/api/users?role=agent'));
    expect(agents.data.map((u: { email: string }) => u.email)).toEqual(
      expect.arrayContaining(['agent@acme.test', 'agent2@acme.test']),
    );
    expect(agents.data.every((u: { role: string }) => u.role === 'agent')).toBe(true);
    const team = await json(await as('acme_manager', `/api/users?team_id=${A.teams.billingTier1}`));
    expect(team.data.map((u: { email: string }) => u.email)).toEqual(['agent@acme.test']);
    const dept = await json(await as('acme_manager', `/api/users?department_id=${A.departments.technical}`));
    expect(dept.data.map((u: { email: string }) => u.email)).toEqual(['agent2@acme.test']);
    const page = await json(await as('acme_manager', '/api/users?limit=2&page=2'));
    expect(page.pagination).toMatchObject({ page: 2, limit: 2 });
    expect(page.pagination.total).toBeGreaterThanOrEqual(4);
    const search = await json(await as('acme_manager', '/api/users?q=agent2'));
    expect(search.data.map((u: { email: string }) => u.email)).toEqual(['agent2@acme.test']);
  });

  it('creates a user in Keycloak with the role, stores the profile, and the user can log in', async () => {
    const email = `new-${uniq()}@acme.test`;
    const res = await as('acme_manager', '/api/users', {
      method: 'POST',
      body: {
        email,
        first_name: 'Nia',
        last_name: 'Newcomer',
        role: 'agent',
        team_id: A.teams.techTier1,
        department_id: A.departments.technical,
        password: 'welcome-aboard-1',
      },
    });
    expect(res.status).toBe(201);
    const user = await json(res);
    expect(user).toMatchObject({ email, role: 'agent', team_id: A.teams.techTier1, status: 'active' });
    const tokens = await passwordGrant(email, 'acme', 'welcome-aboard-1');
    const claims = JSON.parse(atob(tokens.access_token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/')));
    expect(claims.sub).toBe(user.id);
    expect(claims.realm_access.roles).toContain('agent');
    const profile = await json(
      await call('/api/auth/profile', { headers: { authorization: `Bearer ${tokens.access_token}` } }),
    );
    expect(profile.user_profile).toMatchObject({ id: user.id, team_id: A.teams.techTier1 });
  });

  it('leaves no Keycloak user behind when the profile cannot be stored', async () => {
    const email = `orphan-${uniq()}@acme.test`;
    const res = await as('acme_manager', '/api/users', {
      method: 'POST',
      body: {
        email,
        first_name: 'O',
        last_name: 'R',
        role: 'agent',
        team_id: DEMO.globex.teams.outbound,
        password: 'welcome-aboard-1',
      },
    });
    expect((await expectProblem(res, 422)).errors?.[0]?.field).toBe('team_id');
    const login = await fetch(`${KEYCLOAK}/realms/qa-acme/protocol/openid-connect/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'password',
        client_id: 'qa-api',
        client_secret: 'dev-secret',
        username: email,
        password: 'welcome-aboard-1',
      }),
    });
    // Keycloak answers a user it does not know 400 invalid_grant (a wrong password is 401).
    expect(login.status, 'the Keycloak user was removed again').toBe(400);
    const listed = await json(await as('acme_manager', `/api/users?q=${email}`));
    expect(listed.data).toEqual([]);
  });

  it('refuses a second user with the same email with 409', async () => {
    await expectProblem(
      await as('acme_manager', '/api/users', {
        method: 'POST',
        body: { email: 'agent@acme.test', first_name: 'A', last_name: 'B', role: 'agent' },
      }),
      409,
    );
  });

  it('updates placement and status; a deactivated user is refused by the API and by Keycloak', async () => {
    const email = `leaver-${uniq()}@acme.test`;
    const user = await json(
      await as('acme_manager', '/api/users', {
        method: 'POST',
        body: { email, first_name: 'L', last_name: 'V', role: 'agent', password: 'welcome-aboard-1' },
      }),
    );
    const token = (await passwordGrant(email, 'acme', 'welcome-aboard-1')).access_token;
    expect((await call('/api/auth/profile', { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);

    const moved = await json(
      await as('acme_manager', `/api/users/${user.id}`, {
        method: 'PUT',
        body: { team_id: A.teams.billingTier1, status: 'inactive' },
      }),
    );
    expect(moved).toMatchObject({ team_id: A.teams.billingTier1, status: 'inactive' });
    const refused = await call('/api/auth/profile', { headers: { authorization: `Bearer ${token}` } });
    expect((await expectProblem(refused, 403)).detail).toBe('This user account is not active.');
    await expect(passwordGrant(email, 'acme', 'welcome-aboard-1')).rejects.toThrow();

    const audit = await json(await as('acme_admin', `/api/admin/audit-logs?action=users.update&limit=100`));
    const entry = audit.data.find(
      (e: { entity_id: string; changes: Record<string, unknown> }) => e.entity_id === user.id && 'status' in e.changes,
    );
    expect(entry.changes.status).toEqual({ from: 'active', to: 'inactive' });
    expect(entry.actor_id).toBe(IDS['manager@acme.test']);
  });

  it('answers 404 for a user that does not exist and will not let you deactivate yourself', async () => {
    await expectProblem(
      await as('acme_manager', '/api/users/00000000-0000-4000-8000-000000000000', {
        method: 'PUT',
        body: { status: 'inactive' },
      }),
      404,
    );
    await expectProblem(
      await as('acme_manager', `/api/users/${IDS['manager@acme.test']}`, {
        method: 'PUT',
        body: { status: 'inactive' },
      }),
      403,
    );
  });

  it("reports a user's roles, permissions and feature flags", async () => {
    const perms = await json(await as('acme_manager', `/api/users/${IDS['agent@acme.test']}/permissions`));
    expect(perms.roles).toEqual(['agent']);
    expect(perms.permissions).toContain('calls:upload');
    expect(perms.feature_flags.live_command_center, 'targeted at managers only').toBe(false);
    expect(typeof perms.feature_flags.ai_coach).toBe('boolean');
    const mgr = await json(await as('acme_manager', `/api/users/${IDS['manager@acme.test']}/permissions`));
    expect(mgr.feature_flags.live_command_center).toBe(true);
  });

  it('max_users is enforced: a tenant at its user limit cannot create another (409 user-limit-reached)', async () => {
    const id = `u${uniq()}`;
    const created = await as('super_admin', '/api/tenants', {
      method: 'POST',
      body: {
        tenant_id: id,
        display_name: 'Seats',
        subdomain: id,
        admin: { email: `a@${id}.test`, first_name: 'A', last_name: 'B', password: 'long-enough-pass' },
      },
    });
    expect(created.status).toBe(201);
    const limited = await as('super_admin', `/api/tenants/${id}`, {
      method: 'PUT',
      body: { limits: { max_users: 2 } },
    });
    expect(limited.status).toBe(200);
    const admin = (await passwordGrant(`a@${id}.test`, id, 'long-enough-pass')).access_token;
    const newUser = (email: string) =>
      call('/api/users', {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}` },
        body: { email, first_name: 'S', last_name: 'T', role: 'agent', password: 'welcome-aboard-1' },
      });
    expect((await newUser(`one@${id}.test`)).status, 'the admin and one more fit in two seats').toBe(201);
    const body = await expectProblem(await newUser(`two@${id}.test`), 409);
    expect(body.type).toMatch(/user-limit-reached$/);
    expect(body.detail).toMatch(/2 users/);
    await expect(
      passwordGrant(`two@${id}.test`, id, 'welcome-aboard-1'),
      'the Keycloak user was removed again',
    ).rejects.toThrow();
  });
});
