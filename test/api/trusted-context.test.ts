/**
 * A tenant context the database can trust: statements run as the runtime role over the Neon HTTP
 * path with a valid context for acme and then try every way of naming globex from inside the
 * transaction. None may show a globex row.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { signContext, type SignedContext } from '../../src/db/signed-context';
import { asTenant, IDS, runtimeSql, SET_CONTEXT } from './helpers';

const acmeManager = IDS['manager@acme.test']!;
const globexManager = IDS['manager@globex.test']!;

/** Rows of globex that a leak would show, counted in one statement. */
const GLOBEX_ROWS = `select
  (select count(*) from users where tenant_id = 'globex')::int as users,
  (select count(*) from organizations where tenant_id = 'globex')::int as organizations,
  (select count(*) from tenants where id = 'globex')::int as tenants`;
const NONE = { users: 0, organizations: 0, tenants: 0 };

const sign = (tenantId: string, actorId: string, role: string, now?: number) =>
  signContext(env.DATABASE_CONTEXT_KEY, { tenantId, actorId, role, requestId: 'trusted-context-test' }, now);

/** One transaction: the given context, then the statements. */
async function inTransaction(context: SignedContext, queries: { query: string; params?: unknown[] }[]) {
  const sql = runtimeSql();
  const results = await sql.transaction([
    sql.query(SET_CONTEXT, context),
    ...queries.map((q) => sql.query(q.query, q.params ?? [])),
  ]);
  return results.slice(1) as Record<string, unknown>[][];
}

describe('a tenant context the database can trust', () => {
  it('the globex rows exist, so seeing none below means isolation held', async () => {
    const [rows] = await asTenant('globex', globexManager, 'manager', [{ query: GLOBEX_ROWS }]);
    expect(rows![0]).toEqual({ users: expect.any(Number), organizations: 1, tenants: 1 });
    expect((rows![0] as { users: number }).users).toBeGreaterThan(0);
  });

  it('trusted context: set_config cannot move a transaction to another tenant or role', async () => {
    const [, , , after, seen] = await asTenant('acme', acmeManager, 'manager', [
      { query: "select set_config('app.tenant_id', 'globex', true)" },
      { query: "select set_config('app.user_role', 'super_admin', true)" },
      { query: "select set_config('app.user_id', $1, true)", params: [globexManager] },
      { query: 'select current_tenant() as tenant, current_actor_role() as role, current_actor_id() as actor' },
      { query: GLOBEX_ROWS },
    ]);
    expect(after![0], 'the verified context is unchanged by set_config').toEqual({
      tenant: 'acme',
      role: 'manager',
      actor: acmeManager,
    });
    expect(seen![0], 'no globex row is visible').toEqual(NONE);
  });

  it('trusted context: pointing app.context at another transaction’s nonce finds no context', async () => {
    const globex = await sign('globex', globexManager, 'manager');
    await inTransaction(globex, [{ query: 'select 1' }]);
    const [, context, seen] = await asTenant('acme', acmeManager, 'manager', [
      { query: "select set_config('app.context', $1, true)", params: [globex[5]] },
      { query: 'select current_tenant() as tenant' },
      { query: GLOBEX_ROWS },
    ]);
    expect(context![0], 'the nonce is bound to the transaction that opened it').toEqual({ tenant: null });
    expect(seen![0]).toEqual(NONE);
  });

  it('trusted context: a forged context is refused', async () => {
    const acme = await sign('acme', acmeManager, 'manager');
    // The acme signature with globex swapped in.
    const tampered: SignedContext = ['globex', ...acme.slice(1)] as SignedContext;
    await expect(inTransaction(tampered, [{ query: GLOBEX_ROWS }])).rejects.toMatchObject({ code: 'QAT03' });
    // Signed with a key the database does not know.
    const otherKey = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
    const foreign = await signContext(otherKey, {
      tenantId: 'globex',
      actorId: globexManager,
      role: 'super_admin',
      requestId: 'x',
    });
    await expect(inTransaction(foreign, [{ query: GLOBEX_ROWS }])).rejects.toMatchObject({ code: 'QAT03' });
    // From inside an acme transaction, straight to the verifier.
    const forgedInside = await sign('globex', globexManager, 'super_admin');
    forgedInside[7] = '0'.repeat(64);
    await expect(
      asTenant('acme', acmeManager, 'manager', [
        { query: 'select qa_private.open_context($1, $2, $3, $4, $5, $6::uuid, $7, $8)', params: forgedInside },
        { query: GLOBEX_ROWS },
      ]),
    ).rejects.toMatchObject({ code: 'QAT03' });
  });

  it('trusted context: a replayed context for globex is refused, alone or inside an acme transaction', async () => {
    const globex = await sign('globex', globexManager, 'manager');
    const [first] = await inTransaction(globex, [{ query: 'select current_tenant() as tenant' }]);
    expect(first![0]).toEqual({ tenant: 'globex' });
    await expect(inTransaction(globex, [{ query: GLOBEX_ROWS }])).rejects.toMatchObject({ code: 'QAT03' });
    await expect(
      asTenant('acme', acmeManager, 'manager', [{ query: SET_CONTEXT, params: globex }, { query: GLOBEX_ROWS }]),
    ).rejects.toMatchObject({ code: 'QAT03' });
  });

  it('trusted context: an expired context is refused, and so is one that claims too long a life', async () => {
    const expired = await sign('acme', acmeManager, 'manager', Date.now() - 120_000);
    await expect(inTransaction(expired, [{ query: 'select 1' }])).rejects.toMatchObject({ code: 'QAT03' });
    const longLived = await sign('acme', acmeManager, 'manager', Date.now() + 600_000);
    await expect(inTransaction(longLived, [{ query: 'select 1' }])).rejects.toMatchObject({ code: 'QAT03' });
  });

  it('trusted context: the runtime role cannot read the keys or the contexts, nor register a key', async () => {
    for (const query of [
      'select * from qa_private.context_keys',
      'select * from qa_private.contexts',
      "select qa_private.register_context_key(decode(repeat('00', 32), 'hex'))",
    ]) {
      await expect(asTenant('acme', acmeManager, 'manager', [{ query }]), query).rejects.toMatchObject({
        code: '42501',
      });
    }
  });

  it('trusted context: the unsigned set_tenant_context is gone', async () => {
    await expect(
      runtimeSql().transaction((sql) => [
        sql.query('select set_tenant_context($1, $2, $3, $4)', ['globex', globexManager, 'super_admin', 'x']),
      ]),
    ).rejects.toMatchObject({ code: '42883' });
  });
});
