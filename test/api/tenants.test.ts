import { describe, expect, it } from 'vitest';
import { as, call, callForm, expectProblem, json, KEYCLOAK, wavBytes } from './helpers';

const uniq = () => crypto.randomUUID().slice(0, 8);

describe('tenants', () => {
  it('creates a tenant with its realm and first tenant admin, who can log in and act at once', async () => {
    const id = `t${uniq()}`;
    const res = await as('super_admin', '/api/tenants', {
      method: 'POST',
      body: {
        tenant_id: id,
        display_name: 'Initech',
        subdomain: id,
        tier: 'enterprise',
        admin: { email: `boss@${id}.test`, first_name: 'Bill', last_name: 'Lumbergh', password: 'tps-reports-123' },
      },
    });
    expect(res.status).toBe(201);
    const created = await json(res);
    expect(created).toMatchObject({ tenant_id: id, tier: 'enterprise', status: 'active', realm: `qa-${id}` });
    expect(created.limits.max_users).toBe(10_000);

    const discovery = await fetch(`${KEYCLOAK}/realms/qa-${id}/.well-known/openid-configuration`);
    expect(discovery.status, 'the realm exists in Keycloak').toBe(200);
    // The browser client is there too: its login page opens for an allowed origin's redirect URI.
    const browserLogin = new URL(`${KEYCLOAK}/realms/qa-${id}/protocol/openid-connect/auth`);
    for (const [k, v] of Object.entries({
      client_id: 'qa-web',
      redirect_uri: 'http://localhost:5173/callback',
      response_type: 'code',
      scope: 'openid',
      state: 's',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    }))
      browserLogin.searchParams.set(k, v);
    const form = await fetch(browserLogin, { redirect: 'manual' });
    expect(form.status, 'the qa-web client of the new realm accepts an allowed origin').toBe(200);
    expect(await form.text()).toContain('<form');

    const login = await json(
      await call('/api/auth/login', {
        method: 'POST',
        body: { username: `boss@${id}.test`, password: 'tps-reports-123', tenant_id: id },
      }),
    );
    expect(login.user_info).toMatchObject({ id: created.admin_user_id, role: 'tenant_admin', tenant_id: id });
    const auth = { authorization: `Bearer ${login.access_token}` };
    const org = await call('/api/organizations', { method: 'POST', headers: auth, body: { name: 'HQ' } });
    expect(org.status).toBe(201);
    const users = await json(await call('/api/users', { headers: auth }));
    expect(users.data.map((u: { email: string }) => u.email)).toEqual([`boss@${id}.test`]);

    const audit = await json(await call('/api/admin/audit-logs?entity_type=tenants', { headers: auth }));
    expect(audit.data.map((e: { action: string }) => e.action)).toContain('tenants.insert');
  });

  it('refuses a duplicate tenant id or subdomain with 409 and creates no realm', async () => {
    const res = await as('super_admin', '/api/tenants', {
      method: 'POST',
      body: {
        tenant_id: 'acme',
        display_name: 'Acme again',
        subdomain: `x${uniq()}`,
        admin: { email: 'a@b.test', first_name: 'A', last_name: 'B', password: 'long-enough-pass' },
      },
    });
    await expectProblem(res, 409);
  });

  it('validates the tenant id', async () => {
    const body = await expectProblem(
      await as('super_admin', '/api/tenants', {
        method: 'POST',
        body: {
          tenant_id: 'Platform',
          display_name: 'x',
          subdomain: 'x',
          admin: { email: 'nope', first_name: 'a', last_name: 'b', password: 'short' },
        },
      }),
      422,
    );
    expect(body.errors?.map((e) => e.field).sort()).toEqual(['admin.email', 'admin.password', 'tenant_id']);
  });

  it("password policy: the first admin's password may not be its email (the realm policy would refuse it later)", async () => {
    const id = `p${uniq()}`;
    const body = await expectProblem(
      await as('super_admin', '/api/tenants', {
        method: 'POST',
        body: {
          tenant_id: id,
          display_name: 'x',
          subdomain: id,
          admin: { email: `Admin@${id}.test`, first_name: 'a', last_name: 'b', password: `admin@${id}.test` },
        },
      }),
      422,
    );
    expect(body.errors).toEqual([{ field: 'admin.password', message: 'must not be the email address' }]);
    expect((await as('super_admin', `/api/tenants/${id}`)).status, 'nothing was created').toBe(404);
  });

  it('lists tenants with pagination and filters', async () => {
    const page = await json(await as('super_admin', '/api/tenants?limit=1&page=1'));
    expect(page.data).toHaveLength(1);
    expect(page.pagination.total).toBeGreaterThanOrEqual(2);
    const globex = await json(await as('super_admin', '/api/tenants?tier=default&limit=100'));
    expect(globex.data.every((t: { tier: string }) => t.tier === 'default')).toBe(true);
  });

  it('lets a tenant admin read and update settings, branding and features, merging keys', async () => {
    const mine = await json(await as('acme_admin', '/api/tenants/acme'));
    expect(mine.tenant_id).toBe('acme');
    const updated = await json(
      await as('acme_admin', '/api/tenants/acme', {
        method: 'PUT',
        body: { branding: { logo_url: 'https://acme.test/logo.png' } },
      }),
    );
    expect(updated.branding).toMatchObject({ primary_color: '#0f62fe', logo_url: 'https://acme.test/logo.png' });
  });

  it('reports usage: users by role, calls, storage and limits', async () => {
    const usage = await json(await as('acme_admin', '/api/tenants/acme/usage'));
    expect(usage.users.by_role.agent).toBeGreaterThanOrEqual(2);
    expect(usage.users.total).toBeGreaterThanOrEqual(4);
    expect(usage.calls.today).toBeLessThanOrEqual(usage.calls.this_month);
    expect(usage.calls.this_month).toBeLessThanOrEqual(usage.calls.total);
    expect(usage.limits.max_calls_per_day).toBeGreaterThan(0);
  });

  it('counts uploaded calls and their storage in the usage of a fresh tenant', async () => {
    const id = `u${uniq()}`;
    await as('super_admin', '/api/tenants', {
      method: 'POST',
      body: {
        tenant_id: id,
        display_name: 'Usage',
        subdomain: id,
        admin: { email: `a@${id}.test`, first_name: 'A', last_name: 'B', password: 'long-enough-pass' },
      },
    });
    const login = await json(
      await call('/api/auth/login', {
        method: 'POST',
        body: { username: `a@${id}.test`, password: 'long-enough-pass', tenant_id: id },
      }),
    );
    const auth = { authorization: `Bearer ${login.access_token}` };
    const before = await json(await call(`/api/tenants/${id}/usage`, { headers: auth }));
    expect(before.calls).toEqual({ total: 0, this_month: 0, today: 0 });
    const upload = await call('/api/calls', {
      method: 'POST',
      headers: auth,
      body: callForm({ metadata: { direction: 'inbound' }, audio: wavBytes(1) }),
    });
    expect(upload.status).toBe(202);
    const after = await json(await call(`/api/tenants/${id}/usage`, { headers: auth }));
    expect(after.calls).toEqual({ total: 1, this_month: 1, today: 1 });
    expect(after.storage_bytes).toBe(wavBytes(1).byteLength);
  });

  it('suspends a tenant: its users are refused, the super admin still reaches it', async () => {
    const id = `s${uniq()}`;
    const created = await as('super_admin', '/api/tenants', {
      method: 'POST',
      body: {
        tenant_id: id,
        display_name: 'Soon suspended',
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
    expect(
      (await as('super_admin', `/api/tenants/${id}`, { method: 'PUT', body: { status: 'suspended' } })).status,
    ).toBe(200);
    const refused = await call('/api/organizations', { headers: { authorization: `Bearer ${login.access_token}` } });
    expect((await expectProblem(refused, 403)).detail).toBe('This tenant is suspended.');
    expect((await as('super_admin', `/api/tenants/${id}`)).status).toBe(200);
  });
});
