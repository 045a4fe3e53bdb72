import { env } from 'cloudflare:workers';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { calls } from '../../src/db/schema';
import { type QueryBuilder } from '../../src/db/tenant-db';
import { PIPELINE_ACTOR, serviceContext } from '../../src/service-context';

const ctxFor = (tenantId: string) =>
  serviceContext(env, { actor: PIPELINE_ACTOR, tenantId, requestId: `tenant-db-${crypto.randomUUID()}` });

describe('the closed database handle', () => {
  it('revokes the query builder when the batch is built, so nothing can run outside the tenant context', async () => {
    let kept: QueryBuilder | undefined;
    await ctxFor('acme').db.run((q) => {
      kept = q;
      return [q.execute(sql`select 1`)];
    });
    expect(() => kept!.select().from(calls), 'a builder used after run() must throw, not query silently').toThrow(
      TypeError,
    );
  });

  it('runs optional statements in place and answers undefined for the skipped ones', async () => {
    const skip = false as boolean;
    const [first, second, third] = await ctxFor('acme').db.run((q) => [
      skip && q.execute(sql`select 'skipped'`),
      q.execute(sql`select current_tenant() as tenant`),
      undefined,
    ]);
    expect(first).toBeUndefined();
    expect(third).toBeUndefined();
    expect(second?.rows[0], 'the statement ran after set_tenant_context, in the same transaction').toEqual({
      tenant: 'acme',
    });
  });

  it('records the actor the context names, not a made-up user', async () => {
    const [who] = await ctxFor('globex').db.run((q) => [
      q.execute(sql`select current_actor_id() as user_id, current_user as role`),
    ]);
    expect(who.rows[0]).toEqual({ user_id: 'system:pipeline', role: 'qa_app' });
  });
});
