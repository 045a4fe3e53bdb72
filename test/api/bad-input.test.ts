/** Bad requests get a clear problem+json 4xx naming the field, and nothing is written. */
import { describe, expect, it } from 'vitest';
import { as, call, expectProblem, json, tokenOf } from './helpers';

async function orgCount() {
  return (await json(await as('acme_admin', '/api/organizations'))).data.length as number;
}

describe('bad input', () => {
  it('answers malformed JSON with 400 and writes nothing', async () => {
    const before = await orgCount();
    const res = await call('/api/organizations', {
      method: 'POST',
      headers: { authorization: `Bearer ${await tokenOf('acme_admin')}`, 'content-type': 'application/json' },
      body: '{"name": "Broken",',
    });
    const body = await expectProblem(res, 400);
    expect(body.type).toMatch(/malformed-json$/);
    expect(await orgCount()).toBe(before);
  });

  it('answers a non-JSON content type with 415', async () => {
    const res = await call('/api/organizations', {
      method: 'POST',
      headers: { authorization: `Bearer ${await tokenOf('acme_admin')}`, 'content-type': 'text/plain' },
      body: 'name=x',
    });
    await expectProblem(res, 415);
  });

  it('names each field with a wrong type', async () => {
    const body = await expectProblem(
      await as('acme_admin', '/api/organizations', { method: 'POST', body: { name: 42, timezone: 'Mars/Olympus' } }),
      422,
    );
    expect(body.errors?.map((e) => e.field).sort()).toEqual(['name', 'timezone']);
  });

  it.each([
    ['tenant_id', { name: 'Sneaky', tenant_id: 'globex' }],
    ['id', { name: 'Sneaky', id: '00000000-0000-4000-8000-000000000000' }],
    ['created_at', { name: 'Sneaky', created_at: '2000-01-01T00:00:00Z' }],
  ])('rejects a smuggled %s field and writes nothing', async (field, payload) => {
    const before = await orgCount();
    const body = await expectProblem(
      await as('acme_admin', '/api/organizations', { method: 'POST', body: payload }),
      422,
    );
    expect(body.errors).toContainEqual({ field, message: 'is not an accepted field' });
    expect(await orgCount()).toBe(before);
  });

  it('rejects role or tenant smuggled into a user update', async () => {
    const agent = (await json(await as('acme_agent', '/api/auth/profile'))).user_profile.id;
    for (const payload of [{ role: 'tenant_admin' }, { tenant_id: 'globex' }, { email: 'x@evil.test' }]) {
      const body = await expectProblem(
        await as('acme_manager', `/api/users/${agent}`, { method: 'PUT', body: payload }),
        422,
      );
      expect(body.errors?.[0]?.message).toBe('is not an accepted field');
    }
    const after = await json(await as('acme_manager', `/api/users/${agent}`));
    expect(after).toMatchObject({ role: 'agent', email: 'agent@acme.test' });
  });

  it('rejects oversize bodies with 413 before reading them fully', async () => {
    const big = { name: 'x', industry: 'y'.repeat(70 * 1024) };
    const body = await expectProblem(await as('acme_admin', '/api/organizations', { method: 'POST', body: big }), 413);
    expect(body.type).toMatch(/payload-too-large$/);
  });

  it('rejects an empty update', async () => {
    await expectProblem(await as('acme_admin', '/api/tenants/acme', { method: 'PUT', body: {} }), 422);
  });

  it('validates path and query parameters', async () => {
    expect((await expectProblem(await as('acme_manager', '/api/users/not-a-uuid'), 422)).errors?.[0]?.field).toBe(
      'user_id',
    );
    expect((await expectProblem(await as('acme_manager', '/api/users?limit=1000'), 422)).errors?.[0]?.field).toBe(
      'limit',
    );
    expect((await expectProblem(await as('acme_manager', '/api/users?role=king'), 422)).errors?.[0]?.field).toBe(
      'role',
    );
    expect(
      (await expectProblem(await as('acme_admin', '/api/admin/audit-logs?from_date=yesterday'), 422)).errors?.[0]
        ?.field,
    ).toBe('from_date');
  });

  it('reports a duplicate as 409 and keeps the first', async () => {
    const name = `Dup ${crypto.randomUUID().slice(0, 6)}`;
    expect((await as('acme_admin', '/api/organizations', { method: 'POST', body: { name } })).status).toBe(201);
    const body = await expectProblem(
      await as('acme_admin', '/api/organizations', { method: 'POST', body: { name } }),
      409,
    );
    expect(body.detail).toContain('name');
  });

  it('requires a super admin to name the tenant for tenant resources', async () => {
    const body = await expectProblem(await as('super_admin', '/api/users'), 422);
    expect(body.errors?.[0]?.field).toBe('X-Tenant-Id');
    expect((await as('super_admin', '/api/users', { headers: { 'x-tenant-id': 'acme' } })).status).toBe(200);
    await expectProblem(await as('super_admin', '/api/users', { headers: { 'x-tenant-id': 'nosuchtenant' } }), 404);
  });
});
