import { describe, expect, it } from 'vitest';
import { as, call, expectProblem, IDS, json, PASSWORD, passwordGrant, tokenOf } from './helpers';

const login = (username: string, tenant_id: string, password = PASSWORD) =>
  call('/api/auth/login', { method: 'POST', body: { username, password, tenant_id } });

describe('POST /api/auth/login', () => {
  it('logs a manager in at the tenant realm and returns tokens and user info', async () => {
    const res = await login('manager@acme.test', 'acme');
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body.token_type).toBe('Bearer');
    expect(body.access_token.split('.')).toHaveLength(3);
    expect(body.refresh_token).toBeTruthy();
    expect(body.user_info).toMatchObject({
      id: IDS['manager@acme.test'],
      email: 'manager@acme.test',
      role: 'manager',
      tenant_id: 'acme',
    });
    // The token works against the API.
    const profile = await call('/api/auth/profile', { headers: { authorization: `Bearer ${body.access_token}` } });
    expect(profile.status).toBe(200);
  });

  it('logs a super admin in at the platform realm', async () => {
    const body = await json(await login('root@platform.test', 'platform'));
    expect(body.user_info).toMatchObject({ role: 'super_admin', tenant_id: null });
  });

  it.each([
    ['wrong password', 'manager@acme.test', 'acme', 'not-the-password'],
    ['user of another tenant', 'manager@globex.test', 'acme', PASSWORD],
    ['unknown tenant', 'manager@acme.test', 'nosuchtenant', PASSWORD],
  ])('refuses a %s with the same 401', async (_case, username, tenant, password) => {
    const body = await expectProblem(await login(username, tenant, password), 401);
    expect(body.detail).toBe('Invalid username, password or tenant.');
  });

  it('validates the body', async () => {
    const body = await expectProblem(
      await call('/api/auth/login', { method: 'POST', body: { username: 'x', tenant_id: 'ACME!' } }),
      422,
    );
    expect(body.errors?.map((e) => e.field).sort()).toEqual(['password', 'tenant_id']);
  });
});

describe('POST /api/auth/refresh and /logout', () => {
  it('refreshes, then logout ends the session so the refresh token stops working', async () => {
    const first = await json(await login('agent@acme.test', 'acme'));
    const refreshed = await call('/api/auth/refresh', { method: 'POST', body: { refresh_token: first.refresh_token } });
    expect(refreshed.status).toBe(200);
    const second = await json(refreshed);
    expect(second.access_token).not.toBe(first.access_token);

    const out = await call('/api/auth/logout', {
      method: 'POST',
      headers: { authorization: `Bearer ${second.access_token}` },
      body: { refresh_token: second.refresh_token },
    });
    expect(out.status).toBe(204);
    await expectProblem(
      await call('/api/auth/refresh', { method: 'POST', body: { refresh_token: second.refresh_token } }),
      401,
    );
  });

  it('rejects a refresh token that is not a token of ours', async () => {
    await expectProblem(await call('/api/auth/refresh', { method: 'POST', body: { refresh_token: 'garbage' } }), 401);
  });

  it("will not log out another realm's session", async () => {
    const globex = await passwordGrant('agent@globex.test', 'globex');
    const body = await expectProblem(
      await as('acme_agent', '/api/auth/logout', { method: 'POST', body: { refresh_token: globex.refresh_token } }),
      422,
    );
    expect(body.errors?.[0]?.field).toBe('refresh_token');
  });
});

describe('GET /api/auth/profile', () => {
  it('returns the profile row, permissions and tenant info', async () => {
    const body = await json(await as('acme_agent', '/api/auth/profile'));
    expect(body.user_profile).toMatchObject({ id: IDS['agent@acme.test'], role: 'agent', status: 'active' });
    expect(body.user_profile.team_id, 'seeded placement').toBeTruthy();
    expect(body.permissions).toContain('calls:upload');
    expect(body.permissions).not.toContain('users:create');
    expect(body.tenant_info).toMatchObject({ tenant_id: 'acme', tier: 'standard', status: 'active' });
  });

  it('creates the profile row of a user seen for the first time, from the token', async () => {
    // agent2 has a row from the seed; a brand-new Keycloak user does not (covered in users tests).
    const body = await json(await as('acme_manager', '/api/auth/profile'));
    expect(body.user_profile.email).toBe('manager@acme.test');
  });

  it('gives a super admin a profile without a tenant', async () => {
    const body = await json(await as('super_admin', '/api/auth/profile'));
    expect(body.user_profile.role).toBe('super_admin');
    expect(body.tenant_info).toBeNull();
    expect(body.permissions).toContain('tenants:create');
  });
});

describe('POST /api/auth/change-password', () => {
  it('checks the current password, sets the new one, and audits it', async () => {
    // A user of its own, so no other test file sees its password change.
    const email = `pw-${crypto.randomUUID().slice(0, 8)}@acme.test`;
    const created = await as('acme_manager', '/api/users', {
      method: 'POST',
      body: { email, first_name: 'Pat', last_name: 'Word', role: 'agent', password: 'first-password-1' },
    });
    expect(created.status).toBe(201);
    const { id } = await json(created);
    const token = (await passwordGrant(email, 'acme', 'first-password-1')).access_token;
    const change = (current_password: string, new_password: string) =>
      call('/api/auth/change-password', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        body: { current_password, new_password },
      });

    const wrong = await change('nope-nope-nope', 'second-password-2');
    expect((await expectProblem(wrong, 422)).errors?.[0]?.field).toBe('current_password');

    expect((await change('first-password-1', 'second-password-2')).status).toBe(204);
    await expectProblem(await login(email, 'acme', 'first-password-1'), 401);
    expect((await login(email, 'acme', 'second-password-2')).status).toBe(200);

    const audit = await json(
      await as('acme_admin', `/api/admin/audit-logs?action=users.password_change&user_id=${id}`),
    );
    expect(audit.data).toHaveLength(1);
    expect(audit.data[0]).toMatchObject({ entity_id: id, actor_role: 'agent' });
  });

  it('rejects a short new password', async () => {
    const body = await expectProblem(
      await as('acme_agent', '/api/auth/change-password', {
        method: 'POST',
        body: { current_password: PASSWORD, new_password: 'short' },
      }),
      422,
    );
    expect(body.errors?.[0]?.field).toBe('new_password');
  });
});

describe('login brute force', () => {
  // The local rate limiter counts in windows aligned to the minute; a burst that began just
  // before a window ends would be counted in two. Start in a fresh window.
  async function atWindowStart() {
    const into = Date.now() % 60_000;
    if (into > 40_000) await new Promise((r) => setTimeout(r, 60_000 - into + 250));
  }
  const from = (address: string, username: string, password = 'not-the-password') =>
    call('/api/auth/login', {
      method: 'POST',
      headers: { 'cf-connecting-ip': address },
      body: { username, password, tenant_id: 'acme' },
    });
  const nobody = () => `nobody-${crypto.randomUUID().slice(0, 8)}@acme.test`;
  const address = () => `198.51.100.${Math.floor(Math.random() * 250) + 1}`;

  async function expectLimited(res: Response) {
    const body = await expectProblem(res, 429);
    expect(body.type).toBe('https://qa-platform.dev/problems/too-many-requests');
    expect(Number(res.headers.get('retry-after')), 'Retry-After in seconds').toBeGreaterThan(0);
  }

  it('login brute force: the 11th attempt at one account from one address is 429 with Retry-After; another user or address is unaffected', async () => {
    await atWindowStart();
    const [user, ip] = [nobody(), address()];
    for (let i = 1; i <= 10; i++) expect((await from(ip, user)).status, `attempt ${i}`).toBe(401);
    await expectLimited(await from(ip, user));
    // The limit is the same whatever the password: a right one is refused too.
    await expectLimited(await from(ip, user.toUpperCase(), PASSWORD));
    expect((await from(ip, nobody())).status, 'another account from the same address').toBe(401);
    expect((await from('192.0.2.77', user)).status, 'the same account from another address').toBe(401);
  });

  it('login brute force: current-password guesses at change-password count against the account', async () => {
    await atWindowStart();
    const email = `guess-${crypto.randomUUID().slice(0, 8)}@acme.test`;
    const created = await as('acme_manager', '/api/users', {
      method: 'POST',
      body: { email, first_name: 'G', last_name: 'Uess', role: 'agent', password: 'the-real-password-1' },
    });
    expect(created.status).toBe(201);
    const token = (await passwordGrant(email, 'acme', 'the-real-password-1')).access_token;
    const guess = (current_password: string) =>
      call('/api/auth/change-password', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'cf-connecting-ip': '192.0.2.44' },
        body: { current_password, new_password: 'a-brand-new-password-2' },
      });
    for (let i = 1; i <= 10; i++) expect((await guess(`guess-number-${i}`)).status, `guess ${i}`).toBe(422);
    await expectLimited(await guess('the-real-password-1'));
    expect((await from('192.0.2.44', email, 'the-real-password-1')).status, 'login shares the limit').toBe(429);
  });

  it('login brute force: one account guessed from many addresses is 429 after 30 attempts', async () => {
    await atWindowStart();
    const user = nobody();
    for (let i = 1; i <= 30; i++) expect((await from(`203.0.113.${i}`, user)).status, `attempt ${i}`).toBe(401);
    await expectLimited(await from('203.0.113.200', user));
  });

  it('login brute force: one address spraying many accounts is 429 after 300 logins and refreshes', async () => {
    await atWindowStart();
    const ip = `2001:db8::${crypto.randomUUID().slice(0, 4)}`;
    const refresh = () =>
      call('/api/auth/refresh', {
        method: 'POST',
        headers: { 'cf-connecting-ip': ip },
        body: { refresh_token: 'garbage' },
      });
    for (let i = 0; i < 300; i += 20) {
      const statuses = await Promise.all(
        Array.from({ length: 20 }, async (_, j) =>
          (i + j) % 2 ? (await refresh()).status : (await from(ip, nobody())).status,
        ),
      );
      expect(new Set(statuses), `requests ${i + 1}-${i + 20}`).toEqual(new Set([401]));
    }
    await expectLimited(await from(ip, nobody()));
    await expectLimited(await refresh());
    // A genuine user elsewhere still logs in.
    expect((await from(address(), 'agent@acme.test', PASSWORD)).status).toBe(200);
  }, 60_000);
});

describe('realm login protection', () => {
  it('login brute force: a new tenant realm locks an account after quick failures, answered like a wrong password', async () => {
    const id = `b${crypto.randomUUID().slice(0, 8)}`;
    const created = await as('super_admin', '/api/tenants', {
      method: 'POST',
      body: {
        tenant_id: id,
        display_name: 'Lockout test',
        subdomain: id,
        admin: { email: `a@${id}.test`, first_name: 'A', last_name: 'B', password: 'long-enough-pass' },
      },
    });
    expect(created.status).toBe(201);
    const attempt = (password: string) =>
      call('/api/auth/login', {
        method: 'POST',
        headers: { 'cf-connecting-ip': '192.0.2.9' },
        body: { username: `a@${id}.test`, password, tenant_id: id },
      });
    // Two failures within a second: the realm's brute-force detection locks the account.
    await expectProblem(await attempt('wrong-password-1'), 401);
    await expectProblem(await attempt('wrong-password-2'), 401);
    const locked = await expectProblem(await attempt('long-enough-pass'), 401);
    expect(locked.detail, 'a locked account reads like a wrong password').toBe('Invalid username, password or tenant.');
  });

  it('password policy: a password equal to the email is a 422 on the password field, for a new user and a changed password', async () => {
    const email = `pol-${crypto.randomUUID().slice(0, 8)}@acme.test`;
    const refused = await as('acme_manager', '/api/users', {
      method: 'POST',
      body: { email, first_name: 'Pol', last_name: 'Icy', role: 'agent', password: email },
    });
    expect((await expectProblem(refused, 422)).errors?.[0]?.field).toBe('password');

    const ok = await as('acme_manager', '/api/users', {
      method: 'POST',
      body: { email, first_name: 'Pol', last_name: 'Icy', role: 'agent', password: 'a-fine-password-1' },
    });
    expect(ok.status).toBe(201);
    const token = (await passwordGrant(email, 'acme', 'a-fine-password-1')).access_token;
    const change = await call('/api/auth/change-password', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: { current_password: 'a-fine-password-1', new_password: email.toUpperCase() },
    });
    expect((await expectProblem(change, 422)).errors?.[0]?.field).toBe('new_password');
  });
});
