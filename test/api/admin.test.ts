import { describe, expect, it } from 'vitest';
import { as, expectProblem, IDS, json } from './helpers';

const uniq = () => crypto.randomUUID().slice(0, 8);

describe('administration', () => {
  it('creates and updates a feature flag; the change is audited in the same transaction', async () => {
    const key = `flag_${uniq()}`;
    const created = await json(
      await as('acme_admin', '/api/admin/feature-flags', {
        method: 'PUT',
        body: { feature_key: key, enabled: true, rollout_percentage: 25, target_roles: ['agent'] },
      }),
    );
    expect(created).toMatchObject({ feature_key: key, enabled: true, rollout_percentage: 25, target_roles: ['agent'] });
    const updated = await json(
      await as('acme_admin', '/api/admin/feature-flags', { method: 'PUT', body: { feature_key: key, enabled: false } }),
    );
    expect(updated).toMatchObject({ enabled: false, rollout_percentage: 25, target_roles: ['agent'] });
    const list = await json(await as('acme_admin', '/api/admin/feature-flags'));
    expect(list.data.map((f: { feature_key: string }) => f.feature_key)).toContain(key);
    const audit = await json(await as('acme_admin', `/api/admin/audit-logs?entity_type=feature_flags&limit=100`));
    const mine = audit.data.filter((e: { entity_id: string }) => e.entity_id === key);
    expect(mine.map((e: { action: string }) => e.action)).toEqual(['feature_flags.update', 'feature_flags.insert']);
    expect(mine[0].changes.enabled).toEqual({ from: true, to: false });
    expect(mine[0].actor_id).toBe(IDS['admin@acme.test']);
    expect(mine[0].request_id).toBeTruthy();
  });

  it('rejects an out-of-range rollout', async () => {
    const body = await expectProblem(
      await as('acme_admin', '/api/admin/feature-flags', {
        method: 'PUT',
        body: { feature_key: 'x_flag', enabled: true, rollout_percentage: 101 },
      }),
      422,
    );
    expect(body.errors?.[0]?.field).toBe('rollout_percentage');
  });

  it('merges settings by category, removes keys set to null, and filters by category', async () => {
    const category = `cat_${uniq()}`;
    await as('acme_admin', '/api/admin/settings', { method: 'PUT', body: { category, settings: { a: 1, b: 'two' } } });
    const merged = await json(
      await as('acme_admin', '/api/admin/settings', {
        method: 'PUT',
        body: { category, settings: { b: null, c: true } },
      }),
    );
    expect(merged.settings).toEqual({ a: 1, c: true });
    const one = await json(await as('acme_admin', `/api/admin/settings?category=${category}`));
    expect(one.data).toHaveLength(1);
    const seeded = await json(await as('acme_admin', '/api/admin/settings?category=qa'));
    expect(seeded.data[0].settings.passing_score).toBe(80);
  });

  it('pages and filters the audit trail by date, user and action', async () => {
    const all = await json(await as('acme_admin', '/api/admin/audit-logs?limit=5'));
    expect(all.data.length).toBeLessThanOrEqual(5);
    expect(all.pagination.total).toBeGreaterThan(0);
    const future = await json(await as('acme_admin', '/api/admin/audit-logs?from_date=2999-01-01'));
    expect(future.data).toEqual([]);
    const byAdmin = await json(
      await as('acme_admin', `/api/admin/audit-logs?user_id=${IDS['admin@acme.test']}&limit=100`),
    );
    expect(byAdmin.data.every((e: { actor_id: string }) => e.actor_id === IDS['admin@acme.test'])).toBe(true);
  });
});
